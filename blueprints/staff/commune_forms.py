"""The forms of going live (administrateur): « Paramètres de la commune » and « Créer
l'année scolaire »."""
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.common import required_text
from blueprints.dossier.forms import FrenchIntegerField
from domain.catalogue.years import STANDARD, START_LABELS
from domain.commune import MAX_DEADLINE_DAY, TEXT_FIELDS, ZONES

DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*$")


def _too_long(what, field):
    most = TEXT_FIELDS[field]
    return Length(max=most, message=f"{what} ne doit pas dépasser {most} caractères.")


class DayMonthField(StringField):
    """A day of the year written « jj/mm » (10/03); ``data`` stays the text, ``day_month``
    is (month, day) once valid."""

    day_month = None

    def pre_validate(self, form):
        match = DAY_MONTH.match(self.data or "")
        if not match:
            raise ValidationError("Écrivez le jour et le mois sous la forme jj/mm, par exemple "
                                  "10/03.")
        self.day_month = (int(match.group(2)), int(match.group(1)))


class CommuneSettingsForm(FlaskForm):
    """Name, addresses, régie, logo, holiday zone, deadline day, main inscription period."""

    name = required_text("Nom de la commune", "Indiquez le nom de la commune.",
                         TEXT_FIELDS["name"], "Le nom")
    address = TextAreaField("Adresse de la mairie", validators=[
        _too_long("L'adresse", "address")])
    contact_email = EmailField("Email de contact",
                               validators=[Optional(), _too_long("L'adresse", "contact_email"),
                                           Email("Indiquez une adresse email valide, par "
                                                 "exemple enfance@mairie.fr.")])
    phone = StringField("Téléphone", validators=[_too_long("Le numéro", "phone")])
    regie_address = TextAreaField("Adresse de la régie (factures, paiement)", validators=[
        _too_long("L'adresse", "regie_address")])
    regie_hours = TextAreaField("Horaires d'ouverture de la régie", validators=[
        _too_long("Les horaires", "regie_hours")])
    logo = FileField("Logo (PNG ou JPEG, 512 Ko au plus)")
    remove_logo = BooleanField("Retirer le logo actuel")
    holiday_zone = SelectField("Zone de vacances scolaires", validate_choice=False,
                               choices=[(zone, f"Zone {zone}") for zone in ZONES])
    deadline_day = FrenchIntegerField(
        "Jour limite du mois (réservations du mois suivant)",
        validators=[InputRequired("Indiquez le jour limite."),
                    NumberRange(1, MAX_DEADLINE_DAY,
                                f"Indiquez un jour entre 1 et {MAX_DEADLINE_DAY} (un jour que "
                                "tous les mois ont).")],
        invalid_value_message=f"Indiquez un nombre entier entre 1 et {MAX_DEADLINE_DAY}.",
        render_kw={"inputmode": "numeric"})
    main_period_opens = DayMonthField("Ouverture des inscriptions (jj/mm)")
    main_period_closes = DayMonthField("Clôture des inscriptions (jj/mm)")

    def validate_holiday_zone(self, field):
        if field.data not in ZONES:
            raise ValidationError("Choisissez la zone A, B ou C.")

    def values(self):
        """The settings as :func:`domain.staff.commune_settings.update` takes them."""
        values = {name: self[name].data for name in TEXT_FIELDS}
        values.update(holiday_zone=self.holiday_zone.data, deadline_day=self.deadline_day.data,
                      main_period_opens=self.main_period_opens.day_month,
                      main_period_closes=self.main_period_closes.day_month)
        return values


class CreateYearForm(FlaskForm):
    """Créer l'année scolaire: which year, and the catalogue it starts from."""

    start_year = SelectField("Année scolaire", coerce=int, choices=[],
                             validate_choice=False)
    start_from = RadioField("Catalogue de départ", choices=list(START_LABELS.items()),
                            default=STANDARD, validate_choice=False)

    def validate_start_year(self, field):
        if field.data not in {year for year, _ in self.start_year.choices}:
            raise ValidationError("Choisissez l'une des années proposées.")

    def validate_start_from(self, field):
        if field.data not in START_LABELS:
            raise ValidationError("Choisissez le catalogue de départ : standard ou vide.")
