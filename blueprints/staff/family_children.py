"""Espace agents: a family's children and second guardian for the family's lifetime —
add a child, archive one (never deleted), add, edit or remove the second guardian."""
from flask import flash, redirect, url_for

from blueprints.common import EmptyForm, form_status, get_or_404
from blueprints.htmx import current_actor, render
from blueprints.staff import bp
from blueprints.staff.family_forms import NewChildForm, StaffGuardianForm, ask_who, no_answer
from domain.family import guardian_access, staff_edits
from models import Child, Family, Guardian


def _family(family_id):
    return get_or_404(Family.select().where(Family.id == family_id))


def _back(family):
    return redirect(url_for("staff.family", family_id=family.id) + "#enfants", code=303)


@bp.route("/familles/<int:family_id>/enfants/nouveau", methods=["GET", "POST"])
def add_child(family_id):
    """Ajouter un enfant: names, birth date, sex, school (from the list) and class."""
    family = _family(family_id)
    form = NewChildForm(data={"last_name": family.name})
    if form.validate_on_submit():
        child = staff_edits.add_child(current_actor(), family, **{
            name: getattr(form, name).data for name in staff_edits.CHILD_FIELDS})
        flash(f"{child.first_name} est ajouté{'e' if child.sex == 'F' else ''} à la famille : "
              "elle peut maintenant l'inscrire aux activités.", "success")
        return _back(family)
    return render("staff/families/add_child.html", family=family, form=form,
                  status=form_status(form))


@bp.route("/familles/<int:family_id>/enfants/<int:child_id>/archiver", methods=["POST"])
def archive_child(family_id, child_id):
    """Archive (or bring back) a child: its bookings and invoices stay."""
    family = _family(family_id)
    child = get_or_404(Child.select().where((Child.id == child_id) & (Child.family == family)))
    if EmptyForm().validate_on_submit():
        staff_edits.archive_child(current_actor(), child, archived=not child.is_archived)
        flash(f"{child.first_name} est {'archivé' if child.is_archived else 'de nouveau actif'}"
              " : l'historique et les factures sont conservés.", "success")
    return _back(family)


def _sign_in_email_refused(form, guardian):
    """The new email cannot become the guardian's sign-in email (another account has
    it): said next to the field, nothing saved."""
    problem = guardian_access.sign_in_email_problem(guardian, form.email.data)
    if problem:
        form.email.errors.append(problem)
    return bool(problem)


@bp.route("/familles/<int:family_id>/second-responsable", methods=["GET", "POST"])
def edit_second_guardian(family_id):
    """Add or edit the second legal guardian (at least one way to reach them)."""
    family = _family(family_id)
    guardian = Guardian.get_or_none((Guardian.family == family) & (Guardian.position == 2))
    form = StaffGuardianForm(obj=guardian)
    # New names on a guardian with an account: the agent says whose they are (a spelling
    # corrected keeps the access; another person's are not the account's concern).
    asked = form.is_submitted() and ask_who(form, guardian, form.first_name.data,
                                            form.last_name.data)
    replaced = asked and form.decision.data == guardian_access.OTHER_PERSON
    valid = form.validate_on_submit()
    if asked and no_answer(form, guardian):
        valid = False
    if valid and (replaced or not _sign_in_email_refused(form, guardian)):
        access = guardian_access.account_of(guardian) if replaced else None
        try:
            staff_edits.set_second_guardian(
                current_actor(), family, decision=form.decision.data if asked else None,
                **{name: getattr(form, name).data
                   for name in staff_edits.SECOND_GUARDIAN_FIELDS})
        except guardian_access.DecisionNeeded as problem:  # an account given in between
            ask_who(form, guardian, form.first_name.data, form.last_name.data)
            form.decision.errors = [*form.decision.errors, str(problem)]
        except guardian_access.AccessProblem as problem:  # taken in between
            form.email.errors.append(str(problem))
        else:
            flash("Le second responsable légal est enregistré."
                  + (f" L'accès au portail de {guardian_access.guardian_name(guardian)} est "
                     "retiré : la nouvelle personne peut être invitée depuis la fiche."
                     if access is not None and access.is_active else ""), "success")
            return redirect(url_for("staff.family", family_id=family.id) + "#coordonnees",
                            code=303)
    return render("staff/families/second_guardian.html", family=family, form=form,
                  guardian=guardian, status=form_status(form))


@bp.route("/familles/<int:family_id>/second-responsable/retirer", methods=["POST"])
def remove_second_guardian(family_id):
    family = _family(family_id)
    guardian = Guardian.get_or_none((Guardian.family == family) & (Guardian.position == 2))
    access = guardian_access.account_of(guardian) if guardian is not None else None
    if EmptyForm().validate_on_submit() and staff_edits.remove_second_guardian(current_actor(), family):
        flash("Le second responsable légal est retiré."
              + (f" L'accès au portail de {guardian_access.guardian_name(guardian)} est retiré."
                 if access is not None and access.is_active else ""), "success")
    return redirect(url_for("staff.family", family_id=family.id) + "#coordonnees", code=303)
