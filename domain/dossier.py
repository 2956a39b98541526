"""The family record (dossier famille) and its yearly update (actualisation)."""
from models import DossierValidation, utcnow

ACTUALISATION_SERVICE = "Actualisation Dossier Famille"


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

    Called by the messagerie when a message goes to ``ACTUALISATION_SERVICE``.
    """
    validation = dossier_validation(family, school_year)
    if validation is None:
        validation = DossierValidation(family=family, school_year=school_year)
    validation.status = DossierValidation.PENDING
    validation.theme = theme
    validation.submitted_at = utcnow()
    validation.save()
    return validation
