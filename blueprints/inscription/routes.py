"""Inscription: open activity lines for the children of the family (SPEC §2.2)."""
from flask import flash, redirect, request, url_for
from flask_login import current_user

from blueprints.common import current_family, form_status, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.inscription import bp
from blueprints.inscription.forms import InscriptionForm
from domain import clock
from domain.formats import date_fr, euros
from domain.booking.inscription import (InscriptionClosed, InscriptionRefused,
                                child_lines, inscription_state, open_lines)
from domain.catalogue.years import inscription_years
from domain.family.documents import add_inscription_confirmation
from models import Activity, Child


def chosen_year(offered=None):
    """The school year shown (``?annee=``): the current one, or the next one during its
    main inscription period once published; the two never mix."""
    offered = inscription_years(clock.today()) if offered is None else offered
    wanted = request.args.get("annee", "")
    return next((y for y in offered if str(y.id) == wanted), offered[0] if offered else None)


def show_page(forms=None, status=200):
    """The tab: each child's lines, and a form per child when lines can be opened
    (``status``: 422 when one of them was refused)."""
    family = current_family()
    offered = inscription_years(clock.today())
    year = chosen_year(offered)
    children = list(family.children.where(Child.archived_at.is_null())
                    .order_by(Child.first_name, Child.id))
    forms = forms or {}
    for child in children:
        forms.setdefault(child.id, InscriptionForm(prefix=f"enfant-{child.id}", formdata=None))
    state = inscription_state(family, year, clock.now())
    return render(
        "inscription/index.html", year=year, children=children,
        lines=child_lines(children, year, clock.today() if state.is_open else None)
        if year else {},
        forms=forms, state=state, alae=Activity.ALAE, years=offered, status=status)


@bp.route("/")
def index():
    """Each child's lines of the current school year, and what may still be opened."""
    return show_page()


@bp.route("/enfant/<int:child_id>", methods=["POST"])
def enrol(child_id):
    """ENREGISTRER: open the ticked lines of one child (validated at once)."""
    child = get_or_404(Child.select().where((Child.id == child_id)
                                            & (Child.family == current_family())
                                            & Child.archived_at.is_null()))
    form = InscriptionForm(prefix=f"enfant-{child.id}")
    if not form.validate_on_submit():
        return show_page({child.id: form}, form_status(form))
    offered = inscription_years(clock.today())
    year = chosen_year(offered)
    try:
        opened = open_lines(current_user, child, form.activites.data, year, clock.now())
    except InscriptionClosed as refusal:  # the page is read-only now: say why there
        flash(str(refusal), "error")
        return redirect(url_for("inscription.index", annee=year.id if year else None), 303)
    except InscriptionRefused as refusal:
        form.activites.errors = [str(refusal)]
        return show_page({child.id: form}, form_status(form))
    for line in opened:
        flash(opened_message(child, line), "success")
    if opened:
        add_inscription_confirmation(current_actor(), child, opened,
                                     clock.now())
        flash("Votre confirmation d'inscription (PDF) est dans MON DOSSIER, « Mes documents "
              "dématérialisés ».", "info")
    if not opened:
        flash("Ces activités étaient déjà ouvertes : rien n'a changé.", "info")
    return redirect(url_for("inscription.index", annee=year.id if len(offered) > 1 else None,
                            _anchor=f"enfant-{child.id}"), 303)


def opened_message(child, line):
    """The French confirmation of one opened line."""
    text = f"{child.first_name} : « {line.activity.full_label} » est ouverte et validée."
    if line.booked_days:
        text += (f" {line.booked_days} jours d'école réservés à partir du "
                 f"{date_fr(line.first_day)} ({euros(line.price_cents)} par jour).")
    return text
