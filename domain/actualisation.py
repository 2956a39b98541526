"""Staff review of a family's actualisation: validate or refuse, answer in its thread.

The workflow's last step, above both the dossier (``domain.family.dossier``:
the checklist, the statuses, the submission the messagerie records) and the
messagerie (``domain.messaging.messages``: the thread the answer is posted in).
The family gets the accusé or the refusal in its actualisation thread and by email.
"""
import datetime

from domain import audit, notifications
from domain.family.contact import family_email_address
from domain.family.dossier import ACTUALISATION_SERVICE
from domain.messaging.messages import post_staff_message
from models import DossierValidation, MessageThread, db


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
    thread = actualisation_thread(validation)
    if thread is not None:
        post_staff_message(thread, staff_user, body)
    return thread


def validate_actualisation(validation, staff_user, now):
    """Staff validate the family's actualisation: status, audit log, the accusé in the
    family's thread and by email. INSCRIPTION opens at once for the school year.

    ``now`` is the aware (Paris) or naive-UTC moment of the validation.
    """
    family, year = validation.family, validation.school_year
    with db.atomic():
        now = _review(validation, staff_user, now, DossierValidation.VALIDATED)
        _post_in_thread(validation, staff_user, ACCUSE_TEXT.format(year=year.label))
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
