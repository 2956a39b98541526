"""Inscription: open activity lines for the children of the family."""
from flask import flash, redirect, request, url_for
from flask_login import current_user

from blueprints.common import commune_settings, current_family, form_status, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.inscription import bp
from blueprints.inscription.forms import CloseLineForm, InscriptionForm, SwitchLineForm
from domain import clock
from domain.booking import closing
from domain.booking.inscription import (
    InscriptionClosed,
    InscriptionRefused,
    child_lines,
    inscription_state,
    open_lines,
)
from domain.catalogue.moving_up import level_in
from domain.catalogue.years import inscription_years
from domain.family.contact import family_email_address
from domain.family.documents import add_inscription_confirmation
from domain.formats import date_fr, euros
from models import Activity, Child, Enrolment, SchoolYear


def chosen_year(offered=None):
    """The school year shown (``?annee=``): the current one, or the next one during its
    main inscription period once published; the two never mix."""
    offered = inscription_years(clock.today()) if offered is None else offered
    wanted = request.args.get("annee", "")
    return next((y for y in offered if str(y.id) == wanted), offered[0] if offered else None)


def line_forms(lines, options, close_forms, switch_forms):
    """The « Désinscrire » and « Changer pour » forms of every open line that can still
    be closed, defaulting to the first date allowed (those given keep their errors)."""
    for groups in lines.values():
        for group in groups:
            for line in group.lines:
                option = options.get(line.activity.id)
                if line.enrolment is None or option is None or option[0] is None:
                    continue
                first, siblings = option
                key = line.enrolment.id
                if key not in close_forms:
                    close_forms[key] = CloseLineForm(prefix=f"ligne-{key}", formdata=None,
                                                     closed_from=first)
                if not siblings:  # a line of no exclusive group: nothing to switch to
                    switch_forms.pop(key, None)
                    continue
                if key not in switch_forms:
                    switch_forms[key] = SwitchLineForm(prefix=f"changer-{key}",
                                                       formdata=None, switch_from=first)
                switch_forms[key].target.choices = [(str(a.id), a.name) for a in siblings]
    return close_forms, switch_forms


def show_page(forms=None, status=200, close_forms=None, switch_forms=None):
    """The tab: each child's lines, and a form per child when lines can be opened
    (``status``: 422 when one of them was refused); each open line's « Désinscrire »."""
    family = current_family()
    offered = inscription_years(clock.today())
    year = chosen_year(offered)
    children = list(family.children.where(Child.archived_at.is_null())
                    .order_by(Child.first_name, Child.id))
    forms = forms or {}
    for child in children:
        forms.setdefault(child.id, InscriptionForm(prefix=f"enfant-{child.id}", formdata=None))
    state = inscription_state(family, year, clock.now())
    lines = child_lines(children, year, clock.today() if state.is_open else None) if year else {}
    options = closing.closing_options(lines, clock.now(), commune_settings().holiday_zone)
    close_forms, switch_forms = line_forms(lines, options, close_forms or {},
                                           switch_forms or {})
    return render(
        "inscription/index.html", year=year, children=children, lines=lines,
        forms=forms, state=state, alae=Activity.ALAE, years=offered, status=status,
        close_forms=close_forms, switch_forms=switch_forms, closing_options=options,
        levels={c.id: level_in(c, year) for c in children} if year else {},
        group_of=Child.group_of, group_labels=Child.GROUP_LABELS)


def family_enrolment(enrolment_id):
    """One open line of the family's children (404 for anything else)."""
    return get_or_404(Enrolment.select(Enrolment, Child, Activity, SchoolYear)
                      .join(Child).switch(Enrolment).join(Activity).join(SchoolYear)
                      .where((Enrolment.id == enrolment_id)
                             & (Child.family == current_family())))


def back_to(enrolment):
    """The page again, at the child's section, in the line's year."""
    return redirect(url_for("inscription.index", annee=enrolment.activity.school_year_id,
                            _anchor=f"enfant-{enrolment.child_id}"), 303)


@bp.route("/ligne/<int:enrolment_id>/desinscrire", methods=["POST"])
def close(enrolment_id):
    """« Désinscrire »: close one line from a date (at the earliest the first date the
    booking rules allow); its bookings from then on are cancelled, one recap email."""
    enrolment = family_enrolment(enrolment_id)
    form = CloseLineForm(prefix=f"ligne-{enrolment.id}")
    if form.validate_on_submit():
        try:
            closed = closing.close_line(current_actor(), enrolment,
                                        form.closed_from.data, clock.now(),
                                        commune_settings().holiday_zone,
                                        email_to=family_email_address(current_family()))
        except closing.ClosingRefused as refusal:
            form.closed_from.errors = [str(refusal)]
        else:
            flash(f"{closed.child.first_name} : « {closed.activity.full_label} » est fermée à "
                  f"partir du {date_fr(closed.closed_from)} ; {len(closed.cancelled)} jour(s) "
                  f"annulé(s). Le récapitulatif vous est envoyé par email.", "success")
            return back_to(enrolment)
    return show_page(close_forms={enrolment.id: form}, status=form_status(form))


@bp.route("/ligne/<int:enrolment_id>/changer", methods=["POST"])
def switch(enrolment_id):
    """« Changer pour »: close this line and open the other of its exclusive group from
    the same date (ALAE Soir 1 → Soir 2)."""
    enrolment = family_enrolment(enrolment_id)
    siblings = {str(a.id): a for a in closing.exclusive_siblings(enrolment.activity)}
    if not siblings:  # no form offers it: a stale page or a forged request
        flash(f"« {enrolment.activity.name} » n'a pas d'autre ligne qui la remplace : "
              "utilisez « Désinscrire ».", "error")
        return back_to(enrolment)
    form = SwitchLineForm(prefix=f"changer-{enrolment.id}")
    if form.validate_on_submit():
        try:
            closed = closing.switch_line(current_actor(), enrolment,
                                         siblings.get(form.target.data), form.switch_from.data,
                                         clock.now(), commune_settings().holiday_zone,
                                         email_to=family_email_address(current_family()))
        except closing.ClosingRefused as refusal:
            (form.target if refusal.field == "target" else form.switch_from).errors = [
                str(refusal)]
        else:
            flash(f"{closed.child.first_name} passe de « {closed.activity.name} » à "
                  f"« {closed.switched_to.name} » à partir du {date_fr(closed.closed_from)}. "
                  "Le récapitulatif vous est envoyé par email.", "success")
            return back_to(enrolment)
    return show_page(switch_forms={enrolment.id: form}, status=form_status(form))


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
