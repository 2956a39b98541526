"""Espace agents: find a family, its whole file and edits (booking on its behalf is the
family's own calendar, the ``staff_planning`` blueprint)."""
from flask import flash, redirect, request, url_for

from blueprints.common import EmptyForm, commune_settings, form_status, get_or_404
from blueprints.dossier.forms import HealthRecordForm, PickupPersonForm
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.family_forms import StaffChildForm, StaffCoordonneesForm
from blueprints.staff.forms import StaffCloseLineForm
from domain import audit, clock
from domain.billing.invoicing import account_summary, amount_due_cents, family_invoices
from domain.booking import closing
from domain.booking.calendar import load_planning, parse_range
from domain.catalogue.years import current_school_year
from domain.family import guardian_access, record, staff_edits
from domain.family.contact import family_email_address
from domain.family.dossier import dossier_status, dossier_validation
from domain.family.quotient import STATUS_LABELS as QF_LABELS, family_quotients
from domain.family.search import search_families
from domain.formats import date_fr
from models import (
    Activity,
    Child,
    Enrolment,
    Family,
    MessageThread,
    PickupPerson,
    SchoolYear,
    parse_id,
)

AUDIT_ROWS = 20


def _family(family_id):
    return get_or_404(Family.select().where(Family.id == family_id))


def _child(family, child_id):
    return get_or_404(Child.select().where((Child.id == child_id) & (Child.family == family)))


@bp.route("/familles/", strict_slashes=False)
def families():
    """One search box: name, account number, child's first name, email, phone."""
    page = parse_id(request.args.get("page")) or 1
    result = search_families(request.args.get("q", ""), page)
    return render("staff/families/index.html", "staff/families/_results.html", result=result)


def family_enrolments(family, today):
    """The children's open lines of the current and later school years."""
    return list(Enrolment.select(Enrolment, Child, Activity, SchoolYear)
                .join(Child).switch(Enrolment).join(Activity).join(SchoolYear)
                .where((Child.family == family) & (SchoolYear.end_date >= today))
                .order_by(Child.first_name, Child.id, SchoolYear.start_date,
                          Activity.position, Activity.id))


@bp.route("/familles/<int:family_id>")
def family(family_id):
    """The family's whole file, its planning of a month (``du``) in staff mode."""
    family = _family(family_id)
    today = clock.today()
    year = current_school_year(today)
    day_range = parse_range("mensuel", request.args.get("du"), today)
    planning = load_planning(family.id, day_range, clock.now(),
                             commune_settings().holiday_zone)
    invoices = list(family_invoices(family))
    state, state_label = dossier_status(dossier_validation(family, year)) if year else \
        (None, "aucune année scolaire")
    return render("staff/families/show.html", family=family, year=year,
                  guardians=record.family_guardians(family),
                  accesses={a.guardian.id: a for a in guardian_access.accesses(family)},
                  pickup_people=record.family_pickup_people(family),
                  children=record.family_children(family),
                  quotients=list(family_quotients(family)), qf_labels=QF_LABELS,
                  dossier_state=state, dossier_label=state_label,
                  enrolments=family_enrolments(family, today), planning=planning,
                  invoices=invoices, account=account_summary(invoices),
                  amount_due=amount_due_cents,
                  threads=list(MessageThread.select().where(MessageThread.family == family)
                               .order_by(MessageThread.updated_at.desc())),
                  trail=list(audit.entries(family=family).limit(AUDIT_ROWS)),
                  details_of=audit.details_of, label_of=audit.label_of,
                  changes_of=audit.changes_of, change_sentences=audit.change_sentences)


@bp.route("/familles/<int:family_id>/enfants/<int:child_id>/fiche-sanitaire")
def child_health(family_id, child_id):
    """A child's fiche sanitaire; every opening is written in the access log."""
    family = _family(family_id)
    child = _child(family, child_id)
    staff_edits.health_viewed(current_actor(), child)
    return render("staff/families/health.html", family=family, child=child,
                  health=record.health_record(child), diets=record.DIET_LABELS,
                  vaccinations=record.child_vaccinations(child))


@bp.route("/familles/<int:family_id>/enfants/<int:child_id>/fiche-sanitaire/modifier",
          methods=["GET", "POST"])
def edit_child_health(family_id, child_id):
    """Staff edit the fiche sanitaire with the family's form; audited before/after."""
    family = _family(family_id)
    child = _child(family, child_id)
    form = HealthRecordForm(obj=record.health_record(child))
    if form.validate_on_submit():
        staff_edits.update_health_record(current_actor(), child, form.doctor_name.data,
                                         form.doctor_phone.data, form.allergies.data,
                                         form.has_pai.data, form.pai_details.data,
                                         form.diet.data)
        flash(f"La fiche sanitaire de {child.first_name} est enregistrée.", "success")
        return redirect(url_for("staff.child_health", family_id=family.id, child_id=child.id),
                        code=303)
    staff_edits.health_viewed(current_actor(), child)  # the form shows the fiche too
    return render("staff/families/edit_health.html", family=family, child=child, form=form,
                  status=form_status(form))


@bp.route("/familles/<int:family_id>/enfants/<int:child_id>/modifier", methods=["GET", "POST"])
def edit_child(family_id, child_id):
    """Staff edit a child's identity, school and class; audited before/after."""
    family = _family(family_id)
    child = _child(family, child_id)
    form = StaffChildForm(obj=child)
    if form.validate_on_submit():
        staff_edits.update_child(current_actor(), child, **{name: getattr(form, name).data
                                                     for name in staff_edits.CHILD_FIELDS})
        flash(f"La fiche de {child.first_name} est enregistrée.", "success")
        return redirect(url_for("staff.family", family_id=family.id) + "#enfants", code=303)
    return render("staff/families/edit_child.html", family=family, child=child, form=form,
                  status=form_status(form))


def _sign_in_emails_refused(guardians, form):
    """A guardian's new email that cannot become their sign-in email (another account's):
    said next to that field, nothing saved."""
    refused = False
    for guardian, sub in zip(guardians, form.guardians):
        problem = guardian_access.sign_in_email_problem(guardian, sub.email.data)
        if problem:
            sub.email.errors.append(problem)
            refused = True
    return refused


@bp.route("/familles/<int:family_id>/coordonnees", methods=["GET", "POST"])
def edit_coordonnees(family_id):
    """Staff edit the address and the guardians' phones and work; audited before/after."""
    family = _family(family_id)
    guardians = record.family_guardians(family)
    form = StaffCoordonneesForm(data={
        "address": family.address, "postal_code": family.postal_code, "city": family.city,
        "guardians": [{name: getattr(g, name) for name in staff_edits.STAFF_GUARDIAN_FIELDS}
                      for g in guardians]})
    # A refused email is appended to its field after validation: the nested form's
    # ``errors`` were computed then, so the refusal is carried apart.
    refused = False
    if form.validate_on_submit() and not (refused := _sign_in_emails_refused(guardians, form)):
        try:
            staff_edits.update_coordonnees(
                current_actor(), family, form.address.data.strip(),
                form.postal_code.data.strip(), form.city.data.strip(),
                list(zip(guardians, (e.data for e in form.guardians))))
        except staff_edits.GuardianEmailProblem as problem:  # taken in between
            form.guardians[guardians.index(problem.guardian)].email.errors.append(
                str(problem))
            refused = True
        else:
            flash("Les coordonnées de la famille sont enregistrées.", "success")
            return redirect(url_for("staff.family", family_id=family.id) + "#coordonnees",
                            code=303)
    return render("staff/families/edit_coordonnees.html", family=family, form=form,
                  guardian_forms=list(zip(guardians, form.guardians)), refused=refused,
                  status=422 if refused else form_status(form))


@bp.route("/familles/<int:family_id>/personnes-autorisees", methods=["GET", "POST"])
def edit_pickup_people(family_id):
    """Staff add (or withdraw) people allowed to pick up the children; audited."""
    family = _family(family_id)
    form = PickupPersonForm()
    if form.validate_on_submit():
        staff_edits.add_pickup_person(current_actor(), family, form.last_name.data,
                                      form.first_name.data, form.relationship.data,
                                      form.phone.data)
        flash("La personne autorisée est ajoutée.", "success")
        return redirect(url_for("staff.edit_pickup_people", family_id=family.id), code=303)
    return render("staff/families/edit_pickup.html", family=family, form=form,
                  people=record.family_pickup_people(family), remove_form=EmptyForm(),
                  status=form_status(form))


@bp.route("/familles/<int:family_id>/personnes-autorisees/<int:person_id>/retirer",
          methods=["POST"])
def remove_pickup_person(family_id, person_id):
    family = _family(family_id)
    person = get_or_404(PickupPerson.select().where((PickupPerson.id == person_id)
                                                    & (PickupPerson.family == family)))
    if EmptyForm().validate_on_submit():
        staff_edits.remove_pickup_person(current_actor(), family, person)
        flash("La personne n'est plus autorisée à venir chercher les enfants.", "success")
    return redirect(url_for("staff.edit_pickup_people", family_id=family.id), code=303)


# --- Closing a line ---------------------------------------------------------------


@bp.route("/familles/<int:family_id>/inscriptions/<int:enrolment_id>/fermer",
          methods=["GET", "POST"])
def close_line(family_id, enrolment_id):
    """Staff close a child's line from any date with a reason (its bookings from then on
    cancelled, never the invoiced ones), or switch it to the other line of its exclusive
    group; the family gets the recap email, the journal keeps it."""
    family = _family(family_id)
    enrolment = get_or_404(Enrolment.select(Enrolment, Child, Activity, SchoolYear)
                           .join(Child).switch(Enrolment).join(Activity).join(SchoolYear)
                           .where((Enrolment.id == enrolment_id) & (Child.family == family)))
    siblings = closing.exclusive_siblings(enrolment.activity)
    form = StaffCloseLineForm()
    form.target.choices = [(StaffCloseLineForm.CLOSE, "Fermer la ligne")] + [
        (str(a.id), f"Remplacer par {a.name}") for a in siblings]
    if request.method == "GET":
        form.closed_from.data = closing.first_closing_date(
            enrolment.activity, clock.now(), commune_settings().holiday_zone)
    if form.validate_on_submit() and enrolment.closed_from is None:
        address = family_email_address(family)
        zone, now = commune_settings().holiday_zone, clock.now()
        try:
            if form.target.data == StaffCloseLineForm.CLOSE:
                done = closing.close_line(current_actor(), enrolment, form.closed_from.data, now,
                                          zone, form.reason.data, by_staff=True,
                                          email_to=address)
            else:
                target = next((a for a in siblings if str(a.id) == form.target.data), None)
                done = closing.switch_line(current_actor(), enrolment, target,
                                           form.closed_from.data, now, zone, form.reason.data,
                                           by_staff=True, email_to=address)
        except closing.ClosingRefused as refusal:
            {"reason": form.reason, "target": form.target}.get(
                refusal.field, form.closed_from).errors.append(str(refusal))
        else:
            what = (f"remplacée par « {done.switched_to.name} »" if done.switched_to
                    else "fermée")
            flash(f"{done.child.first_name} : « {done.activity.full_label} » {what} à partir "
                  f"du {date_fr(done.closed_from)} ; {len(done.cancelled)} jour(s) annulé(s)"
                  + (f", {len(done.kept_invoiced)} déjà facturé(s) conservé(s)"
                     if done.kept_invoiced else "")
                  + ". La famille reçoit le récapitulatif par email.", "success")
            return redirect(url_for("staff.family", family_id=family.id) + "#inscriptions",
                            code=303)
    return render("staff/families/close_line.html", family=family, enrolment=enrolment,
                  form=form, status=form_status(form))
