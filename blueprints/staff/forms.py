"""Forms of the back office; every message in French, next to its field."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.dossier.forms import FrenchDateField

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_MESSAGE = "Indiquez une date valide (JJ/MM/AAAA)."


class RefusalForm(FlaskForm):
    """Refuser: the reason is required, it is sent to the family."""

    reason = TextAreaField("Motif du refus", validators=[
        DataRequired("Indiquez le motif du refus : il est envoyé à la famille."),
        Length(max=2000, message="Le motif ne doit pas dépasser 2000 caractères.")])


class QuotientValidationForm(FlaskForm):
    """Valider a declared quotient from an effective date."""

    effective_from = FrenchDateField("Date d'effet", [DataRequired("Indiquez la date d'effet.")],
                                     format=DATE_FORMATS, invalid_value_message=DATE_MESSAGE)


class OnBehalfForm(FlaskForm):
    """Book or cancel one day of a child's line for the family, with a reason."""

    CANCEL = "annuler"

    line = SelectField("Enfant et activité", validate_choice=False, validators=[
        DataRequired("Choisissez l'enfant et l'activité.")])
    day = FrenchDateField("Jour", [DataRequired("Indiquez le jour.")], format=DATE_FORMATS,
                          invalid_value_message=DATE_MESSAGE)
    modalite = SelectField("Réservation", validate_choice=False, validators=[
        DataRequired("Choisissez la modalité d'accueil, ou « Annuler la réservation ».")])
    reason = TextAreaField("Motif", validators=[
        DataRequired("Indiquez le motif de la modification."),
        Length(max=500, message="Le motif ne doit pas dépasser 500 caractères.")])


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    famille = StringField("Famille (n° de compte)", validators=[Optional(), Length(max=9)])
    agent = SelectField("Agent", validate_choice=False, validators=[Optional()])

    def validate_agent(self, field):
        """A staff account of the list (a forged value says so in French)."""
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choisissez un agent de la liste.")
    du = FrenchDateField("Du", [Optional()], format=DATE_FORMATS,
                         invalid_value_message=DATE_MESSAGE)
    au = FrenchDateField("Au", [Optional()], format=DATE_FORMATS,
                         invalid_value_message=DATE_MESSAGE)
