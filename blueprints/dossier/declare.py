"""Mes enfants › « Déclarer un enfant » and Mes coordonnées › « Déclarer un second
responsable »: the family declares, staff validate (VALIDATIONS › Déclarations); a
validated child can then be enrolled in INSCRIPTION."""
from flask import flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from blueprints.common import current_family, render
from blueprints.dossier import bp
from blueprints.dossier.forms import FrenchDateField
from domain import clock
from domain.catalogue import schools
from domain.family.declarations import (GUARDIAN_FIELDS, declare_child, declare_guardian,
                                        family_guardian_declarations)
from domain.family.record import family_guardians
from domain.uploads import UploadError, check_upload
from models import Child

SEX_CHOICES = [("", "Non précisé"), ("F", "Fille"), ("M", "Garçon")]


class DeclareChildForm(FlaskForm):
    """A new child: names, birth date, school and class, an optional document."""

    last_name = StringField("Nom", [DataRequired("Indiquez le nom de l'enfant."),
                                    Length(max=100, message="100 caractères au plus.")])
    first_name = StringField("Prénom", [DataRequired("Indiquez le prénom de l'enfant."),
                                        Length(max=100, message="100 caractères au plus.")])
    birth_date = FrenchDateField("Date de naissance", [
        DataRequired("Indiquez la date de naissance (JJ/MM/AAAA).")])
    sex = SelectField("Sexe", choices=SEX_CHOICES, validate_choice=False, default="",
                      validators=[AnyOf([c for c, _ in SEX_CHOICES],
                                        message="Choisissez dans la liste.")])
    school_name = SelectField("École", validate_choice=False)
    class_level = SelectField("Classe", choices=[("", "Choisissez…")] + [
        (level, level) for level in Child.LEVELS], validate_choice=False,
        validators=[AnyOf(list(Child.LEVELS), message="Choisissez une classe de la liste.")])
    document = FileField("Justificatif (facultatif : certificat de scolarité, livret de "
                         "famille… PDF, JPEG ou PNG, 6 Mo au plus)",
                         render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,"
                                              "image/jpeg,image/png"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.school_name.choices = [("", "Choisissez…")] + schools.school_choices()

    def validate_birth_date(self, field):
        """Not in the future, not absurdly old for a school child."""
        if field.data and not (clock.today().year - 20 <= field.data.year
                               and field.data <= clock.today()):
            raise ValidationError("Indiquez une date de naissance plausible (JJ/MM/AAAA).")

    def validate_school_name(self, field):
        if not field.data:
            raise ValidationError("Choisissez l'école de l'enfant.")
        problem = schools.level_problem(field.data, self.class_level.data)
        if problem:
            raise ValidationError(problem)


SHORT_PHONE = "30 caractères au plus."


class GuardianForm(FlaskForm):
    """The second legal guardian."""

    civility = SelectField("Civilité", choices=[("", "—"), ("Mme", "Mme"), ("M.", "M.")],
                           validate_choice=False,
                           validators=[AnyOf(["", "Mme", "M."],
                                             message="Choisissez dans la liste.")])
    last_name = StringField("Nom", [DataRequired("Indiquez le nom."),
                                    Length(max=100, message="100 caractères au plus.")])
    first_name = StringField("Prénom", [DataRequired("Indiquez le prénom."),
                                        Length(max=100, message="100 caractères au plus.")])
    email = StringField("Email", [Optional(), Length(max=200, message="200 caractères au plus."),
                                  Email("Indiquez une adresse email valide.")])
    phone_mobile = StringField("Téléphone portable", [Length(max=30, message=SHORT_PHONE)])
    phone_home = StringField("Téléphone du domicile", [Length(max=30, message=SHORT_PHONE)])

    def validate(self, extra_validators=None):
        """At least one way to reach them."""
        ok = super().validate(extra_validators)
        if ok and not (self.email.data or self.phone_mobile.data or self.phone_home.data):
            self.email.errors.append("Indiquez au moins un email ou un téléphone.")
            return False
        return ok


@bp.route("/enfants/declarer", methods=["GET", "POST"])
def declare():
    """Déclarer un enfant: sent to the service, who validates it."""
    family = current_family()
    form = DeclareChildForm(data={"last_name": family.name})
    if form.validate_on_submit():
        checked = None
        if form.document.data and getattr(form.document.data, "filename", ""):
            try:
                checked = check_upload(form.document.data)
            except UploadError as error:
                form.document.errors = [str(error)]
        if not form.document.errors:
            declaration = declare_child(family, current_user._get_current_object(),
                                        form.first_name.data, form.last_name.data,
                                        form.birth_date.data, form.sex.data,
                                        form.school_name.data, form.class_level.data, checked)
            flash(f"{declaration.first_name} est déclaré{'e' if declaration.sex == 'F' else ''}"
                  " : le service vérifie la déclaration ; vous pourrez ensuite l'inscrire aux "
                  "activités.", "success")
            return redirect(url_for("dossier.children"), code=303)
    return render("dossier/declare_child.html", form=form,
                  status=422 if form.errors else 200)


@bp.route("/coordonnees/second-responsable", methods=["GET", "POST"])
def declare_second_guardian():
    """Déclarer un second responsable légal: sent to the service, who validates it."""
    family = current_family()
    form = GuardianForm()
    if form.validate_on_submit():
        declare_guardian(family, current_user._get_current_object(),
                         **{name: getattr(form, name).data for name in GUARDIAN_FIELDS})
        flash("Le second responsable légal est déclaré : le service vérifie la déclaration.",
              "success")
        return redirect(url_for("dossier.coordonnees"), code=303)
    return render("dossier/declare_guardian.html", form=form,
                  has_second=len(family_guardians(family)) > 1,
                  declarations=family_guardian_declarations(family),
                  status=422 if form.errors else 200)
