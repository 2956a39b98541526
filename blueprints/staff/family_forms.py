"""Forms of the families' import, invitations, children and schools (back office)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, FormField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from blueprints.dossier.declare import GuardianForm
from blueprints.dossier.forms import (
    CoordonneesForm,
    FrenchDateField,
    FrenchIntegerField,
    GuardianForm as GuardianContactForm,
)
from blueprints.staff.forms import ChildForm
from domain.catalogue import schools
from domain.family import guardian_access
from models import Child, School


def decision_field():
    """Whose are a guardian's new names: its choices and its error are the route's (the
    question is asked only when :func:`guardian_access.asks_who`), none chosen by
    default."""
    return RadioField("Nom modifié", choices=[], validate_choice=False)


def ask_who(form, guardian, first_name, last_name):
    """Ask ``form``'s question when staff must say whose the new names are
    (:func:`guardian_access.asks_who`); True when asked."""
    if not guardian_access.asks_who(guardian, first_name, last_name):
        return False
    form.decision.choices = guardian_access.decision_choices(guardian)
    return True


def no_answer(form, guardian):
    """The question asked and not answered: the error is said next to it (True)."""
    if form.decision.data in (guardian_access.CORRECTION, guardian_access.OTHER_PERSON):
        return False
    form.decision.errors = [*form.decision.errors, guardian_access.decision_problem(guardian)]
    return True


class StaffGuardianForm(GuardianForm):
    """The second legal guardian, edited by staff: and, when the names change on a
    guardian with a portal account, whether it is a spelling corrected or another
    person."""

    decision = decision_field()


class GuardianDecisionForm(FlaskForm):
    """« Valider » a family's declaration of a second guardian: the same question."""

    decision = decision_field()


class ImportForm(FlaskForm):
    """The families' file (CSV or XLSX)."""

    file = FileField("Fichier des familles (CSV ou XLSX)",
                     [FileRequired("Choisissez le fichier des familles (CSV ou XLSX).")],
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-"
                                          "officedocument.spreadsheetml.sheet"})


class RemindForm(FlaskForm):
    """Relancer those who have not accepted after N days."""

    days = FrenchIntegerField("Sans réponse depuis (jours)", [
        InputRequired("Indiquez un nombre de jours."),
        NumberRange(0, 365, "Indiquez un nombre de jours entre 0 et 365.")],
        default=7, render_kw={"inputmode": "numeric"},
        invalid_value_message="Indiquez un nombre entier de jours.")


SEX_CHOICES = [("", "Non précisé"), ("F", "Fille"), ("M", "Garçon")]


class StaffChildForm(ChildForm):
    """A child added or edited by staff: its sex too, the school from the list."""

    sex = SelectField("Sexe", choices=SEX_CHOICES, validate_choice=False, default="",
                      validators=[AnyOf([c for c, _ in SEX_CHOICES],
                                        message="Choisissez dans la liste.")])
    school_name = SelectField("École", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.school_name.choices = [("", "Aucune / non précisée")] + schools.school_choices()

    def validate_school_name(self, field):
        """A school of the list, that teaches the chosen class."""
        problem = schools.level_problem(field.data, self.class_level.data)
        if problem:
            raise ValidationError(problem)


class NewChildForm(StaffChildForm):
    """A child added by staff: the birth date is required."""

    birth_date = FrenchDateField("Date de naissance", [
        DataRequired("Indiquez la date de naissance (JJ/MM/AAAA).")])


LEVEL_CHOICES = [(level, level) for level in Child.LEVELS]


class SchoolForm(FlaskForm):
    """A school of the commune."""

    name = StringField("Nom", [DataRequired("Indiquez le nom de l'école."),
                               Length(max=120, message="120 caractères au plus.")])
    kind = SelectField("Type", choices=list(School.KIND_LABELS.items()), validate_choice=False,
                       validators=[AnyOf(list(School.KIND_LABELS),
                                         message="Choisissez un type de la liste.")])
    levels = SelectMultipleField("Classes enseignées", choices=LEVEL_CHOICES,
                                 validate_choice=False)
    next_school = SelectField("Les GS vont en CP à", validate_choice=False)

    def validate_levels(self, field):
        if not field.data:
            raise ValidationError("Cochez au moins une classe.")
        if any(level not in Child.LEVELS for level in field.data):
            raise ValidationError("Choisissez des classes de la liste.")


class StaffGuardianContactForm(GuardianContactForm):
    """A guardian's phones and work, and their email: the service corrects it (a family
    changes its own sign-in email through a link sent to the new address)."""

    email = StringField("Email", [Optional(), Length(max=200, message="200 caractères au plus."),
                                  Email("Indiquez une adresse email valide.")],
                        render_kw={"autocomplete": "off"})


class StaffCoordonneesForm(CoordonneesForm):
    """The family's coordonnées as staff edit them: with each guardian's email."""

    guardians = FieldList(FormField(StaffGuardianContactForm))
