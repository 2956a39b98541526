"""The family record (dossier famille) and its yearly update (actualisation).

The guide's procedure: the family checks each section of its dossier (a
checklist kept in ``DossierValidation.checked_sections`` for the school year),
then writes to the service "Actualisation Dossier Famille" with a theme and its
attachments; the dossier waits ("en attente de validation") until staff
validate it, and the family gets an acknowledgement by email.
"""
import datetime
from typing import NamedTuple

from domain import audit, notifications
from domain.family.contact import family_email_address
from models import DossierValidation, Family, MessageThread, SchoolYear, db, utcnow

ACTUALISATION_SERVICE = "Actualisation Dossier Famille"
ACTUALISATION_SUBJECT = "Actualisation"

#: The themes of the service, with the guide's explanation of each.
ACTUALISATION_THEMES = (
    ("Entrée Petite Section – CP en école publique",
     "Un de vos enfants entre en Petite Section ou en CP, ou change d'école après un "
     "déménagement."),
    ("Renouvellement en école publique",
     "Mise à jour du dossier sans changement d'école."),
    ("Centre de loisirs",
     "Uniquement pour les enfants en école privée ou extérieurs à la commune."),
)

#: The attachments the message carries, as the guide lists them.
ACTUALISATION_ATTACHMENTS = (
    "Justificatif de domicile en PDF (attestation d'assurance habitation)",
    "Fiche « Contacts Règlement intérieur » (PDF interactif)",
    "Divers documents utiles (dernier jugement, attestation d'hébergement…)",
)

#: The sections of the dossier to check, in the guide's order: (key, title, what to do).
ACTUALISATION_SECTIONS = (
    ("famille", "Composition de la famille",
     "Vérifier ou renseigner les responsables légaux et les personnes autorisées à venir "
     "chercher les enfants."),
    ("enfants", "Mes enfants",
     "Vérifier la fiche sanitaire de chaque enfant (médecin, vaccins, allergies, PAI) et son "
     "droit à l'image."),
    ("coordonnees", "Mes coordonnées",
     "Vérifier ou renseigner l'adresse, les numéros de téléphone et la profession."),
    ("quotient", "Déclarer mon quotient CAF",
     "Déclarer le quotient familial de l'année avec l'attestation de la CAF."),
    ("documents", "Mes documents dématérialisés",
     "Compléter les 2 parties de la « FICHE RENSEIGNEMENT-REGLEMENT INTERIEUR » et "
     "l'enregistrer au format PDF."),
)
SECTION_KEYS = tuple(key for key, _, _ in ACTUALISATION_SECTIONS)

STATUS_LABELS = {
    DossierValidation.PENDING: "en attente de validation",
    DossierValidation.VALIDATED: "validé",
    DossierValidation.REFUSED: "à compléter : le service vous a répondu dans la messagerie",
}


def dossier_validation(family, school_year):
    """The family's dossier update for ``school_year``, or None."""
    return DossierValidation.get_or_none((DossierValidation.family == family)
                                         & (DossierValidation.school_year == school_year))


def is_dossier_validated(family, school_year):
    """Inscriptions open only on a dossier validated for the school year."""
    validation = dossier_validation(family, school_year)
    return validation is not None and validation.status == DossierValidation.VALIDATED


def actualisation_submitted(family, school_year, theme):
    """The family sent its actualisation message: the dossier waits for staff validation.

    Called by the messagerie when a message goes to ``ACTUALISATION_SERVICE``. A dossier
    already validated for the year stays validated (a later message, say a forgotten
    document, must not close the family's inscriptions until staff look again).
    """
    validation = dossier_validation(family, school_year)
    if validation is None:
        validation = DossierValidation(family=family, school_year=school_year)
    elif validation.status == DossierValidation.VALIDATED:
        return validation
    validation.status = DossierValidation.PENDING
    validation.theme = theme
    validation.submitted_at = utcnow()
    validation.save()
    return validation


class DossierStatus(NamedTuple):
    """The dossier's status for a year: its code (None when not sent) and French label."""

    code: str | None
    label: str

    @property
    def is_pending(self) -> bool:
        return self.code == DossierValidation.PENDING

    @property
    def is_validated(self) -> bool:
        return self.code == DossierValidation.VALIDATED


def dossier_status(validation: DossierValidation | None) -> DossierStatus:
    """The dossier's status for the year; code None if the actualisation was not sent."""
    if validation is None or validation.status not in STATUS_LABELS or (
            validation.status == DossierValidation.PENDING and validation.submitted_at is None):
        return DossierStatus(None, "à actualiser")
    return DossierStatus(validation.status, STATUS_LABELS[validation.status])


def checked_sections(validation):
    """The sections the family ticked as checked (a set of keys)."""
    if validation is None or not validation.checked_sections:
        return set()
    return {key for key in validation.checked_sections.split(",") if key in SECTION_KEYS}


def set_section_checked(family, school_year, section, checked):
    """Tick (or untick) one section of the year's checklist; returns the validation.

    A family that has not sent its actualisation yet gets a draft row
    (``DossierValidation.DRAFT``), which staff lists do not show.
    """
    if section not in SECTION_KEYS:
        raise ValueError(f"unknown section {section!r}")
    with db.atomic():
        validation = dossier_validation(family, school_year)
        if validation is None:
            validation = DossierValidation.create(family=family, school_year=school_year,
                                                  status=DossierValidation.DRAFT)
        sections = checked_sections(validation)
        if checked:
            sections.add(section)
        else:
            sections.discard(section)
        validation.checked_sections = ",".join(k for k in SECTION_KEYS if k in sections)
        validation.save()
    return validation


class ReviewRefused(ValueError):
    """A validation or refusal that cannot be made (already reviewed, no reason...)."""


#: The guide's step 3, "accusé" posted in the family's thread and sent by email.
ACCUSE_TEXT = ("Accusé de réception : l'actualisation de votre dossier famille pour l'année "
               "{year} est validée par nos services. Vous pouvez désormais inscrire vos enfants "
               "aux activités (onglet INSCRIPTION) puis réserver les dates (onglet PLANNING - "
               "RÉSERVATIONS).")
REFUSAL_TEXT = ("L'actualisation de votre dossier famille pour l'année {year} ne peut pas être "
                "validée en l'état. Motif : {reason}\nMerci de compléter votre dossier puis "
                "d'envoyer à nouveau un message « Actualisation » avec les pièces demandées.")


def pending_actualisations():
    """Dossiers à valider: the actualisations sent and waiting, oldest first."""
    return (DossierValidation.select(DossierValidation, Family, SchoolYear)
            .join(Family).switch(DossierValidation).join(SchoolYear)
            .where((DossierValidation.status == DossierValidation.PENDING)
                   & DossierValidation.submitted_at.is_null(False))
            .order_by(DossierValidation.submitted_at, DossierValidation.id))


def actualisation_thread(validation):
    """The family's latest thread to the actualisation service, or None."""
    return (MessageThread.select()
            .where((MessageThread.family == validation.family_id)
                   & (MessageThread.service == ACTUALISATION_SERVICE))
            .order_by(MessageThread.created_at.desc(), MessageThread.id.desc()).first())


def _review(validation, staff_user, now, status):
    """Mark ``validation`` reviewed, only if it is still waiting (two agents at once:
    the second is refused)."""
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    updated = (DossierValidation.update(status=status, reviewed_by=staff_user, reviewed_at=now)
               .where((DossierValidation.id == validation.id)
                      & (DossierValidation.status == DossierValidation.PENDING))
               .execute())
    if not updated:
        raise ReviewRefused("Ce dossier a déjà été traité entre-temps.")
    validation.status, validation.reviewed_by, validation.reviewed_at = status, staff_user, now
    return now


def _post_in_thread(validation, staff_user, body):
    """Post the service's answer in the family's actualisation thread (if any)."""
    from domain.messaging.messages import post_staff_message
    thread = actualisation_thread(validation)
    if thread is not None:
        post_staff_message(thread, staff_user, body)
    return thread


def validate_actualisation(validation, staff_user, now):
    """Staff validate the family's actualisation: status, audit log, the accusé in the
    family's thread (then marked "traité": nothing is left to do) and by email.
    INSCRIPTION opens at once for the school year.

    ``now`` is the aware (Paris) or naive-UTC moment of the validation.
    """
    family, year = validation.family, validation.school_year
    with db.atomic():
        now = _review(validation, staff_user, now, DossierValidation.VALIDATED)
        thread = _post_in_thread(validation, staff_user, ACCUSE_TEXT.format(year=year.label))
        if thread is not None:
            from domain.messaging.messages import mark_treated
            mark_treated(staff_user, thread, True)
        audit.record(staff_user, family, audit.DOSSIER_VALIDATED,
                     summary=f"Dossier {year.label} validé (thème : "
                             f"{validation.theme or 'non précisé'}).",
                     before={"statut": DossierValidation.PENDING},
                     after={"statut": DossierValidation.VALIDATED}, at=now)
    address = family_email_address(family)
    if address:
        notifications.actualisation_validated(address, family, year, validation)
    return validation


def refuse_actualisation(validation, staff_user, reason, now):
    """Staff refuse the actualisation with a ``reason`` (required), posted in the family's
    thread and sent by email; the family completes its dossier and writes again."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("Indiquez le motif du refus : il est envoyé à la famille.")
    family, year = validation.family, validation.school_year
    with db.atomic():
        now = _review(validation, staff_user, now, DossierValidation.REFUSED)
        _post_in_thread(validation, staff_user, REFUSAL_TEXT.format(year=year.label,
                                                                    reason=reason))
        audit.record(staff_user, family, audit.DOSSIER_REFUSED,
                     summary=f"Dossier {year.label} refusé.",
                     before={"statut": DossierValidation.PENDING},
                     after={"statut": DossierValidation.REFUSED}, reason=reason, at=now)
    address = family_email_address(family)
    if address:
        notifications.actualisation_refused(address, family, year, reason)
    return validation
