"""Actualisation du dossier: the guide's procedure as a checklist, then the message."""
from flask import abort, flash, redirect, request, url_for

from blueprints.common import current_family, message_url
from blueprints.htmx import is_htmx, render
from blueprints.dossier import bp
from domain.clock import today
from domain.family.dossier import (ACTUALISATION_ATTACHMENTS, ACTUALISATION_SECTIONS,
                            ACTUALISATION_SERVICE, ACTUALISATION_SUBJECT, ACTUALISATION_THEMES,
                            SECTION_KEYS, checked_sections, dossier_status, dossier_validation,
                            set_section_checked)
from domain.catalogue.years import actualisation_year

#: Where each section of the checklist is checked.
SECTION_ENDPOINTS = {"famille": ("dossier.index", "famille"), "enfants": ("dossier.children", ""),
                     "coordonnees": ("dossier.coordonnees", ""),
                     "quotient": ("dossier.quotient", ""), "documents": ("dossier.documents", "")}


def section_url(key):
    """The page where the family checks the section ``key``."""
    endpoint, anchor = SECTION_ENDPOINTS[key]
    return url_for(endpoint) + (f"#{anchor}" if anchor else "")


def actualisation_message_url(theme):
    """The pre-filled message to the actualisation service (the messagerie's form)."""
    return message_url(ACTUALISATION_SERVICE, ACTUALISATION_SUBJECT, theme)


def checklist_context(validation):
    """What the checklist and its progress show."""
    done = checked_sections(validation)
    return dict(sections=ACTUALISATION_SECTIONS, done=done, done_count=len(done),
                total=len(SECTION_KEYS), section_url=section_url)


@bp.route("/actualisation")
def actualisation():
    """The procedure: 1 check each section, 2 send the message, 3 staff validate."""
    family = current_family()
    year = actualisation_year(today())
    validation = dossier_validation(family, year)
    dossier_state = dossier_status(validation)
    themes = [(theme, explanation, actualisation_message_url(theme))
              for theme, explanation in ACTUALISATION_THEMES]
    return render("dossier/actualisation.html", year=year,
                dossier_state=dossier_state, validation=validation, themes=themes,
                attachments=ACTUALISATION_ATTACHMENTS, service=ACTUALISATION_SERVICE,
                subject=ACTUALISATION_SUBJECT, **checklist_context(validation))


@bp.route("/actualisation/rubriques/<section>", methods=["POST"])
def toggle_section(section):
    """Tick or untick one section; under htmx only that item (and the progress) comes back."""
    if section not in SECTION_KEYS:
        abort(404)
    checked = request.form.get("checked") == "1"
    validation = set_section_checked(current_family(), actualisation_year(today()), section,
                                     checked)
    title = dict((k, t) for k, t, _ in ACTUALISATION_SECTIONS)[section]
    context = checklist_context(validation)
    item = next(s for s in ACTUALISATION_SECTIONS if s[0] == section)
    if is_htmx():
        return render("dossier/actualisation.html", "dossier/_checklist_item.html",
                                item=item, oob_progress=True, **context)
    flash(f"Rubrique « {title} » : " + ("vérifiée." if checked else "à revoir."), "success")
    return redirect(url_for("dossier.actualisation") + f"#rubrique-{section}", code=303)
