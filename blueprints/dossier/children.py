"""Mes enfants: identity, school, fiche sanitaire, vaccines, droit à l'image.

Every URL names a child of the signed-in family, or answers 404.
"""
from flask import abort, flash, redirect, url_for

from blueprints.common import current_family, form_status, get_or_404
from blueprints.htmx import is_htmx, render
from blueprints.dossier import bp
from blueprints.dossier.forms import HealthRecordForm, PhotoConsentForm, VaccinationForm
from domain.family.record import (DIET_LABELS, add_vaccination, child_vaccinations,
                                  family_children, health_record, remove_vaccination,
                                  set_photo_consent, update_health_record)
from domain.family.declarations import family_declarations
from models import Child

#: Vaccines offered as suggestions (the field stays free: some are given abroad).
COMMON_VACCINES = ("DTP (diphtérie, tétanos, poliomyélite)", "Coqueluche",
                   "Haemophilus influenzae b", "Hépatite B", "Pneumocoque", "Méningocoque C",
                   "Méningocoque B", "ROR (rougeole, oreillons, rubéole)", "BCG")


def family_child(child_id):
    """The child ``child_id`` of the signed-in family, or 404."""
    return get_or_404(Child.select().where((Child.id == child_id)
                                           & (Child.family == current_family())))


def child_context(child, **extra):
    """What the child's page shows."""
    context = dict(child=child, record=health_record(child), diet_labels=DIET_LABELS,
                   vaccinations=child_vaccinations(child), vaccine_form=VaccinationForm(),
                   common_vaccines=COMMON_VACCINES)
    context.update(extra)
    return context


@bp.route("/enfants/")
def children():
    """Mes enfants: a link to each child."""
    family = current_family()
    return render("dossier/children.html", children=family_children(family),
                  declarations=family_declarations(family))


@bp.route("/enfants/<int:child_id>")
def child(child_id):
    """One child: identity, school, fiche sanitaire, vaccines, droit à l'image (at the bottom)."""
    return render("dossier/child.html", **child_context(family_child(child_id)))


@bp.route("/enfants/<int:child_id>/fiche-sanitaire", methods=["GET", "POST"])
def health(child_id):
    """Modifier la fiche sanitaire: doctor, allergies, PAI, diet."""
    child = family_child(child_id)
    form = HealthRecordForm(obj=health_record(child))
    if form.validate_on_submit():
        update_health_record(child, form.doctor_name.data, form.doctor_phone.data,
                             form.allergies.data, form.has_pai.data, form.pai_details.data,
                             form.diet.data)
        flash(f"La fiche sanitaire de {child.first_name} est enregistrée.", "success")
        return redirect(url_for("dossier.child", child_id=child.id), code=303)
    return render("dossier/health.html", child=child, form=form, status=form_status(form))


@bp.route("/enfants/<int:child_id>/vaccins", methods=["POST"])
def add_vaccine(child_id):
    """Add a vaccine with its date; under htmx only the list of vaccines comes back."""
    child = family_child(child_id)
    form = VaccinationForm(birth_date=child.birth_date)
    added = None
    if form.validate_on_submit():
        added = add_vaccination(child, form.name.data, form.date.data)
        if not is_htmx():
            flash(f"Le vaccin {added.name} est ajouté.", "success")
            return redirect(url_for("dossier.child", child_id=child.id) + "#vaccins", code=303)
        form = VaccinationForm(formdata=None)
    return render("dossier/child.html", "dossier/_vaccines.html", status=form_status(form),
                  **child_context(child, vaccine_form=form, added=added))


@bp.route("/enfants/<int:child_id>/vaccins/<int:vaccination_id>/supprimer", methods=["POST"])
def remove_vaccine(child_id, vaccination_id):
    """Remove one vaccine of the child (another child's: 404)."""
    child = family_child(child_id)
    if not remove_vaccination(child, vaccination_id):
        abort(404)
    if is_htmx():
        return render("dossier/child.html", "dossier/_vaccines.html",
                                **child_context(child, removed=True))
    flash("Le vaccin est retiré de la fiche.", "success")
    return redirect(url_for("dossier.child", child_id=child.id) + "#vaccins", code=303)


@bp.route("/enfants/<int:child_id>/droit-image", methods=["GET", "POST"])
def photo_consent(child_id):
    """Droit à l'image: "Modifier" opens this form (yes/no), "Valider" saves it."""
    child = family_child(child_id)
    form = PhotoConsentForm(data={"consent": "oui" if child.photo_consent else "non"})
    if form.validate_on_submit():
        set_photo_consent(child, form.consent.data == "oui")
        message = (f"Le droit à l'image de {child.first_name} est enregistré : "
                   + ("autorisé." if child.photo_consent else "non autorisé."))
        if is_htmx():
            return render("dossier/child.html", "dossier/_photo_consent.html",
                                    **child_context(child, confirmation=message))
        flash(message, "success")
        return redirect(url_for("dossier.child", child_id=child.id) + "#droit-image", code=303)
    return render("dossier/photo_consent.html", "dossier/_photo_consent_form.html",
                  child=child, form=form, status=form_status(form))
