"""Mon dossier: consult the dossier, "Modifier mes coordonnées", the sign-in email, pick-up people."""
from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user

from blueprints.common import EmptyForm, current_family, form_status, public_url
from blueprints.dossier import bp
from blueprints.dossier.forms import CoordonneesForm, EmailChangeForm, PickupPersonForm
from blueprints.htmx import current_actor, render
from domain import clock, notifications
from domain.catalogue.years import current_school_year
from domain.clock import today
from domain.family import guardian_access
from domain.family.documents import commune_documents, family_documents
from domain.family.dossier import dossier_status, dossier_validation
from domain.family.quotient import quotient_summary
from domain.family.record import (
    EMAIL_CHANGE_MAX_AGE,
    EmailTaken,
    add_pickup_person,
    apply_email_change,
    email_change_for_token,
    family_children,
    family_guardians,
    family_pickup_people,
    make_email_change_token,
    remove_pickup_person,
    update_coordonnees,
)
from domain.family.sign_in import current_password_problem, email_change_problem


@bp.route("/")
def index():
    """Consulter mon dossier et mes démarches: family, coordonnées, QF, documents, children."""
    family = current_family()
    year = current_school_year(today())
    dossier_state = dossier_status(dossier_validation(family, year))
    return render("dossier/index.html", family=family, year=year,
                dossier_state=dossier_state, guardians=family_guardians(family),
                accesses={a.guardian.id: a for a in guardian_access.accesses(family)},
                can_invite=lambda access: guardian_access.can_invite_from_dossier(
                    current_user, access),
                pickup_people=family_pickup_people(family), children=family_children(family),
                quotient=quotient_summary(family, year, clock.today()),
                document_count=len(commune_documents(today())) + len(family_documents(family)))


@bp.route("/coordonnees", methods=["GET", "POST"])
def coordonnees():
    """Modifier mes coordonnées: the address, and each guardian's phones and work."""
    family = current_family()
    guardians = family_guardians(family)
    form = CoordonneesForm(data={
        "address": family.address, "postal_code": family.postal_code, "city": family.city,
        "guardians": [{name: getattr(g, name) for name in
                       ("phone_mobile", "phone_home", "phone_work", "profession", "employer")}
                      for g in guardians]})
    if form.validate_on_submit():
        update_coordonnees(family, form.address.data.strip(), form.postal_code.data.strip(),
                           form.city.data.strip(),
                           list(zip(guardians, (entry.data for entry in form.guardians))))
        flash("Vos coordonnées sont enregistrées.", "success")
        return redirect(url_for("dossier.index") + "#coordonnees", code=303)
    return render("dossier/coordonnees.html", form=form,
                  guardian_forms=list(zip(guardians, form.guardians)), status=form_status(form))




@bp.route("/coordonnees/email", methods=["GET", "POST"])
def change_email():
    """Ask for a new sign-in email: password again, then a link to the new address."""
    form = EmailChangeForm()
    if form.validate_on_submit() and _email_change_allowed(form):
        new_email = form.new_email.data.strip().lower()
        _send_email_change_link(new_email)
        flash(f"Un lien de confirmation vient d'être envoyé à {new_email}. Votre adresse ne "
              "change qu'une fois ce lien ouvert (il est valable 24 heures).", "success")
        return redirect(url_for("dossier.coordonnees"), code=303)
    return render("dossier/change_email.html", form=form, status=form_status(form))


def _email_change_allowed(form):
    """The password is right (throttled) and a link may go to the new address; otherwise
    says why next to the field and returns False."""
    problem = current_password_problem(current_user, form.password.data)
    if problem:
        form.password.errors.append(problem)
        return False
    problem = email_change_problem(current_user, form.new_email.data.strip().lower())
    if problem:
        form.new_email.errors.append(problem)
        return False
    return True


def _send_email_change_link(new_email):
    """Mail the signed confirmation link to the new address (nothing changes before)."""
    token = make_email_change_token(current_app.config["SECRET_KEY"], current_user, new_email)
    notifications.email_change_link(new_email, public_url("dossier.confirm_email", token=token),
                                    EMAIL_CHANGE_MAX_AGE // 3600, current_family())


@bp.route("/coordonnees/email/confirmer/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """The link sent to the new address: a button confirms the change."""
    new_email = email_change_for_token(current_app.config["SECRET_KEY"], token,
                                       current_actor(),
                                       current_app.config.get("EMAIL_CHANGE_MAX_AGE",
                                                              EMAIL_CHANGE_MAX_AGE))
    if new_email is None:
        return render("dossier/email_link_invalid.html", status=400)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            old_email = apply_email_change(current_actor(), new_email)
        except EmailTaken:
            return render("dossier/email_link_invalid.html", status=409, taken=new_email)
        if old_email:
            notifications.email_changed(old_email, new_email, current_family())
        flash(f"Votre adresse de connexion est désormais {new_email}.", "success")
        return redirect(url_for("dossier.coordonnees"), code=303)
    return render("dossier/confirm_email.html", form=form, new_email=new_email,
                  status=form_status(form))


@bp.route("/personnes-autorisees", methods=["GET", "POST"])
def pickup_people():
    """Les personnes autorisées à venir chercher les enfants: list and add."""
    family = current_family()
    form = PickupPersonForm()
    if form.validate_on_submit():
        person = add_pickup_person(family, form.last_name.data, form.first_name.data,
                                   form.relationship.data or "", form.phone.data)
        flash(f"{person.first_name} {person.last_name} peut désormais venir chercher vos "
              "enfants.", "success")
        return redirect(url_for("dossier.pickup_people"), code=303)
    return render("dossier/pickup_people.html", form=form, people=family_pickup_people(family),
                  status=form_status(form))


@bp.route("/personnes-autorisees/<int:person_id>/supprimer", methods=["POST"])
def remove_pickup(person_id):
    """Withdraw a pick-up person (only one of the family's: else 404)."""
    if not remove_pickup_person(current_family(), person_id):
        abort(404)
    flash("La personne a été retirée de la liste.", "success")
    return redirect(url_for("dossier.pickup_people"), code=303)
