"""The family record (dossier famille): coordonnées, pick-up people, sign-in email, children.

Phones are validated with ``phonenumbers`` and stored in ONE format, the French
national one (``06 12 34 56 78``); numbers of other countries are refused, those
of the French overseas departments and territories accepted. A change of the
sign-in email waits for a signed, expiring link opened from the new address.
"""
import hashlib
import re

import phonenumbers
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError

from domain.clock import utc_now
from models import Child, Guardian, HealthRecord, PickupPerson, User, Vaccination, db

#: Regions whose numbers are French (metropolitan France, DROM and COM).
FRENCH_REGIONS = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}
PHONE_CHARACTERS = re.compile(r"^[0-9+().\s\-]+$")
PHONE_EXAMPLE = "Exemple : 06 12 34 56 78."

#: Guardian fields a family may change itself (names go through the services).
GUARDIAN_EDITABLE = ("phone_mobile", "phone_home", "phone_work", "profession", "employer")

#: A second legal guardian's fields, declared by the family or entered by staff.
SECOND_GUARDIAN_FIELDS = ("civility", "last_name", "first_name", "email", "phone_mobile",
                          "phone_home")
EMAIL_CHANGE_SALT = "email-change"
EMAIL_CHANGE_MAX_AGE = 24 * 3600  # seconds the confirmation link stays valid


class InvalidPhone(ValueError):
    """A phone number refused, with the French message to show next to its field."""


class EmailTaken(ValueError):
    """The new sign-in email is already another account's."""


def normalize_phone(raw):
    """``raw`` as a French national number (``06 12 34 56 78``); '' when blank.

    Raises :class:`InvalidPhone` when it is not a valid French number.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > 30 or not PHONE_CHARACTERS.match(text):
        raise InvalidPhone("Ce numéro de téléphone n'est pas valide : n'utilisez que des "
                           "chiffres, des espaces et le signe +. " + PHONE_EXAMPLE)
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        raise InvalidPhone("Ce numéro de téléphone n'est pas valide. " + PHONE_EXAMPLE)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Ce numéro de téléphone n'existe pas : vérifiez le nombre de "
                           "chiffres. " + PHONE_EXAMPLE)
    if phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS:
        raise InvalidPhone("Indiquez un numéro de téléphone français. " + PHONE_EXAMPLE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def second_guardian_values(values):
    """A second guardian's fields from ``values``, trimmed, as they are stored: the last
    name in capitals, the email in lower case."""
    values = {name: (values.get(name) or "").strip() for name in SECOND_GUARDIAN_FIELDS}
    values["last_name"] = values["last_name"].upper()
    values["email"] = values["email"].lower()
    return values


def family_guardians(family):
    """The family's responsables légaux, in their order."""
    return list(Guardian.select().where(Guardian.family == family)
                .order_by(Guardian.position, Guardian.id))


def family_pickup_people(family):
    """The other people allowed to pick up the children."""
    return list(PickupPerson.select().where(PickupPerson.family == family)
                .order_by(PickupPerson.last_name, PickupPerson.first_name, PickupPerson.id))


def update_coordonnees(family, address, postal_code, city, guardian_changes):
    """Save the address and, per guardian, the editable fields of ``guardian_changes``.

    ``guardian_changes`` is a list of ``(guardian, {field: value})``; only the
    guardians of ``family`` and the fields of ``GUARDIAN_EDITABLE`` are changed.
    """
    with db.atomic():
        family.address, family.postal_code, family.city = address, postal_code, city
        family.save()
        for guardian, values in guardian_changes:
            if guardian.family_id != family.id:
                raise ValueError("guardian of another family")
            for name in GUARDIAN_EDITABLE:
                # None: the field was not posted (a forged entry), so nothing changes.
                if values.get(name) is not None:
                    setattr(guardian, name, values[name].strip())
            guardian.save()


def add_pickup_person(family, last_name, first_name, relationship, phone):
    """Allow one more person to pick up the children."""
    return PickupPerson.create(family=family, last_name=last_name.strip().upper(),
                               first_name=first_name.strip(), relationship=relationship.strip(),
                               phone=phone)


def remove_pickup_person(family, person_id):
    """Withdraw a pick-up person of ``family``; False when it is not one of theirs."""
    removed = PickupPerson.delete().where((PickupPerson.id == person_id)
                                          & (PickupPerson.family == family)).execute()
    return removed == 1


# --- Sign-in email: changed only through a link sent to the new address -------


def _email_fingerprint(user):
    """A short digest of the current sign-in email."""
    # Changes with the current address, so that a confirmation link works once.
    return hashlib.sha256((user.email or "").encode()).hexdigest()[:16]


def make_email_change_token(secret_key, user, new_email):
    """A signed token naming ``user`` and the ``new_email`` they asked for."""
    return URLSafeTimedSerializer(secret_key, salt=EMAIL_CHANGE_SALT).dumps(
        {"u": user.id, "e": new_email.strip().lower(), "f": _email_fingerprint(user)})


def email_change_for_token(secret_key, token, user, max_age=EMAIL_CHANGE_MAX_AGE):
    """The new email a valid, unused, unexpired token of ``user`` carries, or None."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=EMAIL_CHANGE_SALT).loads(
            token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("u") != user.id:
        return None
    if data.get("f") != _email_fingerprint(user) or not data.get("e"):
        return None
    return data["e"]


def apply_email_change(user, new_email):
    """Make ``new_email`` the sign-in email; the family's guardians who had the old follow.

    Returns the old address. Raises :class:`EmailTaken` if another account has it.
    """
    old_email = user.email
    try:
        with db.atomic():
            if User.select().where((User.email == new_email) & (User.id != user.id)).exists():
                raise EmailTaken(new_email)
            User.update(email=new_email).where(User.id == user.id).execute()
            if user.family_id and old_email:
                Guardian.update(email=new_email).where(
                    (Guardian.family == user.family_id) & (Guardian.email == old_email)).execute()
    except IntegrityError:
        raise EmailTaken(new_email)
    user.email = new_email
    return old_email


# --- Mes enfants: fiche sanitaire, vaccines, droit à l'image -------------------

#: Diets the canteen can serve, all medical or plain choices: nothing here may reveal
#: a religion (CNIL), so the family picks from this list and never types its own.
DIETS = (
    ("", "Aucun régime particulier"),
    ("vegetarien", "Végétarien"),
    ("sans_allergene", "Sans allergène (selon le PAI)"),
    ("panier_repas", "Panier-repas fourni par la famille (PAI)"),
    ("texture_adaptee", "Texture adaptée (sur avis médical)"),
)
DIET_LABELS = dict(DIETS)


def family_children(family):
    """The family's children, by first name."""
    return list(Child.select().where(Child.family == family)
                .order_by(Child.first_name, Child.id))


def health_record(child):
    """The child's fiche sanitaire; an empty, unsaved one when there is none yet."""
    return HealthRecord.get_or_none(HealthRecord.child == child) or HealthRecord(child=child)


def update_health_record(child, doctor_name, doctor_phone, allergies, has_pai, pai_details,
                         diet):
    """Save the fiche sanitaire; ``diet`` must be one of ``DIETS``."""
    if diet not in DIET_LABELS:
        raise ValueError(f"unknown diet {diet!r}")
    record = health_record(child)
    record.doctor_name = doctor_name.strip()
    record.doctor_phone = doctor_phone
    record.allergies = allergies.strip()
    record.has_pai = bool(has_pai)
    record.pai_details = pai_details.strip() if has_pai else ""
    record.diet = diet
    record.updated_at = utc_now()
    record.save()
    return record


def child_vaccinations(child):
    """The child's vaccines, oldest first."""
    return list(Vaccination.select().where(Vaccination.child == child)
                .order_by(Vaccination.date, Vaccination.id))


def add_vaccination(child, name, date):
    """Record a vaccine given to ``child`` on ``date``."""
    return Vaccination.create(child=child, name=name.strip(), date=date)


def remove_vaccination(child, vaccination_id):
    """Remove one vaccine of ``child``; False when it is not one of theirs."""
    removed = Vaccination.delete().where((Vaccination.id == vaccination_id)
                                         & (Vaccination.child == child)).execute()
    return removed == 1


def set_photo_consent(child, consent):
    """Droit à l'image: the family allows (True) or refuses (False) photos of ``child``."""
    child.photo_consent = bool(consent)
    Child.update(photo_consent=child.photo_consent).where(Child.id == child.id).execute()
    return child
