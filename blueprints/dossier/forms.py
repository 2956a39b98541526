"""Forms of MON DOSSIER; every message in French, next to its field."""
import datetime
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from domain.clock import today
from domain.dates import within_calendar
from domain.family.quotient import QF_MAX, QF_MIN
from domain.family.record import DIETS, InvalidPhone, normalize_phone

TEL = {"type": "tel", "autocomplete": "tel", "inputmode": "tel"}


def french_phone(form, field):
    """Validate a phone number and store it in the one format (``06 12 34 56 78``)."""
    try:
        field.data = normalize_phone(field.data)
    except InvalidPhone as error:
        raise ValidationError(str(error))


class GuardianForm(Form):
    """What a family may change of one responsable légal (names go through the services)."""

    phone_mobile = StringField("Téléphone portable", [french_phone], render_kw=TEL)
    phone_home = StringField("Téléphone fixe", [french_phone], render_kw=TEL)
    phone_work = StringField("Téléphone professionnel", [french_phone], render_kw=TEL)
    profession = StringField("Profession", [Length(max=100, message="100 caractères au plus.")])
    employer = StringField("Employeur", [Length(max=100, message="100 caractères au plus.")])

    def validate(self, extra_validators=None):
        """At least one phone number per guardian, so that the services can call."""
        valid = super().validate(extra_validators)
        phones = (self.phone_mobile, self.phone_home, self.phone_work)
        if valid and not any(f.data for f in phones):
            self.phone_mobile.errors.append("Indiquez au moins un numéro de téléphone.")
            return False
        return valid


class CoordonneesForm(FlaskForm):
    """Modifier mes coordonnées: the address and each guardian's phones and work."""

    address = StringField("Adresse", [DataRequired("Indiquez votre adresse."),
                                      Length(max=200, message="200 caractères au plus.")],
                          render_kw={"autocomplete": "address-line1"})
    postal_code = StringField("Code postal", [DataRequired("Indiquez le code postal."),
                                              Regexp(r"^\s*[0-9]{5}\s*$",
                                                     message="Le code postal compte 5 chiffres.")],
                              render_kw={"autocomplete": "postal-code", "inputmode": "numeric"})
    city = StringField("Ville", [DataRequired("Indiquez la ville."),
                                 Length(max=100, message="100 caractères au plus.")],
                       render_kw={"autocomplete": "address-level2"})
    guardians = FieldList(FormField(GuardianForm))


class EmailChangeForm(FlaskForm):
    """A new sign-in email, confirmed by the current password."""

    new_email = EmailField("Nouvelle adresse email", [
        DataRequired("Indiquez la nouvelle adresse email."),
        Length(max=200, message="200 caractères au plus."),
        Email("Cette adresse email n'est pas valide. Exemple : prenom.nom@exemple.fr")],
        render_kw={"autocomplete": "email"})
    password = PasswordField("Mot de passe actuel", [
        DataRequired("Indiquez votre mot de passe actuel pour confirmer.")],
        render_kw={"autocomplete": "current-password"})


class PickupPersonForm(FlaskForm):
    """A person allowed to pick up the children."""

    last_name = StringField("Nom", [DataRequired("Indiquez le nom."), Length(max=100)])
    first_name = StringField("Prénom", [DataRequired("Indiquez le prénom."), Length(max=100)])
    relationship = StringField("Lien avec l'enfant (grand-mère, voisin…)", [Length(max=60)])
    phone = StringField("Téléphone", [DataRequired("Indiquez un numéro de téléphone."),
                                      french_phone], render_kw=TEL)


class HealthRecordForm(FlaskForm):
    """Fiche sanitaire: doctor, allergies, PAI, diet (a medical one, from a fixed list)."""

    doctor_name = StringField("Médecin traitant", [Length(max=100)])
    doctor_phone = StringField("Téléphone du médecin", [french_phone], render_kw=TEL)
    allergies = TextAreaField("Allergies", [Length(max=1000, message="1000 caractères au plus.")])
    has_pai = BooleanField("Mon enfant a un PAI (projet d'accueil individualisé)")
    pai_details = TextAreaField("Précisions sur le PAI",
                                [Length(max=1000, message="1000 caractères au plus.")])
    diet = SelectField("Régime alimentaire", choices=DIETS, validate_choice=False,
                       validators=[AnyOf([key for key, _ in DIETS],
                                         message="Choisissez un régime de la liste.")])


class OneMessageOnBadValue:
    """A value that could not be read says so once, without the validators' messages.

    An empty value is no bad value: the field's "required" validator speaks for it.
    """

    def process_formdata(self, valuelist):
        """Read the value; an empty one is left to the required validator."""
        if valuelist and not " ".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        """Stop at the reading error, so that it is the only message."""
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)


class FrenchIntegerField(OneMessageOnBadValue, IntegerField):
    """A whole number in ASCII digits; "abc", "1_000" or "٨٥٠" get only the field's own
    French message. A number of more digits than any range here is read as the
    largest such number, so that the range validator speaks (309 nines made
    WTForms' NumberRange overflow into a 500). Typed in a text input (``inputmode``
    numeric): min and max, which a range validator would add, are not attributes of it."""

    MAX_DIGITS = 15
    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist and " ".join(valuelist).strip():
            raw = valuelist[0].strip()
            if not re.fullmatch(r"[+-]?[0-9]+", raw):
                self.data = None
                raise ValueError(self.invalid_value_message
                                 or self.gettext("Not a valid integer value."))
            digits = raw.lstrip("+-")
            if len(digits) > self.MAX_DIGITS:
                self.data = (-1 if raw.startswith("-") else 1) * 10 ** self.MAX_DIGITS
                return
            valuelist = [raw]
        super().process_formdata(valuelist)


class FrenchDateField(OneMessageOnBadValue, DateField):
    """A date typed as the browser's date input gives it, or as JJ/MM/AAAA; a date that
    cannot be read gets one French message. The one date field of the portal's forms."""

    FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
    MESSAGE = "Indiquez une date valide (JJ/MM/AAAA)."

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        kwargs.setdefault("invalid_value_message", self.MESSAGE)
        super().__init__(label, validators, format=format or self.FORMATS, **kwargs)

    def process_formdata(self, valuelist):
        """Read the date; one beyond the portal's calendar (9999-12-31) is no date."""
        super().process_formdata(valuelist)
        if self.data is not None and not within_calendar(self.data):
            self.data = None
            raise ValueError(self.MESSAGE)


class VaccinationForm(FlaskForm):
    """One vaccine with its date."""

    name = StringField("Vaccin", [DataRequired("Indiquez le nom du vaccin."),
                                  Length(max=80, message="80 caractères au plus.")],
                       render_kw={"list": "vaccins-courants"})
    date = FrenchDateField("Date de la vaccination", [DataRequired("Indiquez la date.")])

    def __init__(self, *args, birth_date=None, **kwargs):
        """``birth_date``: no vaccine can be dated before it."""
        super().__init__(*args, **kwargs)
        self.birth_date = birth_date

    def validate_date(self, field):
        """Neither in the future nor before the child's birth."""
        if field.data and field.data > today():
            raise ValidationError("La date ne peut pas être dans le futur.")
        earliest = self.birth_date or datetime.date(1990, 1, 1)
        if field.data and field.data < earliest:
            raise ValidationError("La date ne peut pas précéder la naissance de l'enfant.")


class PhotoConsentForm(FlaskForm):
    """Droit à l'image: yes or no, then "Valider"."""

    consent = RadioField("Droit à l'image", choices=[
        ("oui", "Oui, j'autorise la prise et la diffusion de photos de mon enfant"),
        ("non", "Non, je n'autorise pas")], validate_choice=False,
        validators=[InputRequired("Choisissez « Oui » ou « Non »."),
                    AnyOf(["oui", "non"], message="Choisissez « Oui » ou « Non ».")])


def quotient_field(label, missing_message):
    """A quotient familial CAF typed in euros: a whole number between QF_MIN and QF_MAX
    (the family's declaration and staff's correction)."""
    return FrenchIntegerField(label, [
        InputRequired(missing_message),
        NumberRange(QF_MIN, QF_MAX, message=f"Le quotient familial est un nombre entre "
                                            f"{QF_MIN} et {QF_MAX}.")],
        invalid_value_message="Indiquez un nombre entier, sans virgule ni espace (ex. : 850).",
        render_kw={"inputmode": "numeric"})


class QuotientForm(FlaskForm):
    """Déclarer mon quotient CAF: the QF and the CAF attestation."""

    quotient = quotient_field("Mon quotient familial CAF (en euros)",
                              "Indiquez votre quotient familial.")
    attestation = FileField("Attestation de la CAF (PDF, JPEG ou PNG, 6 Mo au plus)",
                            [FileRequired("Joignez l'attestation de quotient familial de la "
                                          "CAF.")],
                            render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,"
                                                 "image/jpeg,image/png"})


class NotificationsForm(FlaskForm):
    """« Notifications »: the optional kinds of email, each ticked to be emailed."""

    reponses = BooleanField("Les réponses des services à mes messages")
    rappels = BooleanField("Les rappels avant les dates limites de réservation")
    actualites = BooleanField("Les actualités de la commune")
