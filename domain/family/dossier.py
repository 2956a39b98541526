"""The family record (dossier famille) and its yearly update (actualisation).

The guide's procedure: the family checks each section of its dossier (a
checklist kept in ``DossierValidation.checked_sections`` for the school year),
then writes to the service "Actualisation Dossier Famille" with a theme and its
attachments; the dossier waits ("en attente de validation") until staff
validate it, and the family gets an acknowledgement by email. The staff review
(validate, refuse, answer in the thread) is ``domain.actualisation``, above this
module and the messagerie.
"""
from typing import NamedTuple

from domain.clock import utc_now
from models import DossierValidation, Family, SchoolYear, db

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
    validation.submitted_at = utc_now()
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


def pending_actualisations():
    """Dossiers à valider: the actualisations sent and waiting, oldest first."""
    return (DossierValidation.select(DossierValidation, Family, SchoolYear)
            .join(Family).switch(DossierValidation).join(SchoolYear)
            .where((DossierValidation.status == DossierValidation.PENDING)
                   & DossierValidation.submitted_at.is_null(False))
            .order_by(DossierValidation.submitted_at, DossierValidation.id))
