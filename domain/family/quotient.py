"""Déclarer mon quotient CAF: the family declares its QF with the CAF attestation.

A declaration stays "en attente" until staff validate it (from an effective date,
by default the first of next month) or refuse it (with a reason); until then the
validated one (or, without any, the highest bracket) sets the tariffs.
"""
import datetime
from dataclasses import dataclass

from domain import audit, notifications
from domain.catalogue.pricing import bracket_for, quotient_in_force
from domain.clock import utc_now
from domain.family import repricing
from domain.uploads import save_upload
from models import Family, QFBracket, QFDeclaration, StoredFile, db

QF_MIN, QF_MAX = 0, 9999  # a CAF quotient familial is a whole number of euros

STATUS_LABELS = {
    QFDeclaration.PENDING: "en attente de validation",
    QFDeclaration.VALIDATED: "validé",
    QFDeclaration.REFUSED: "refusé",
}


@dataclass
class QuotientSummary:
    """What the family sees of its QF for a school year."""

    validated: QFDeclaration | None = None
    bracket: QFBracket | None = None  # the one that applies (highest without a validated QF)
    pending: QFDeclaration | None = None
    refused: QFDeclaration | None = None  # the latest refusal, when nothing newer is pending
    upcoming: QFDeclaration | None = None  # validated, effective from a later date


def _declarations(family, status):
    """The family's declarations in ``status``."""
    return (QFDeclaration.select()
            .where((QFDeclaration.family == family) & (QFDeclaration.status == status)))


def quotient_summary(family, school_year, today=None):
    """The validated QF in force ``today`` and its bracket, a validated one effective
    later, the pending declaration, the latest refusal."""
    validated = quotient_in_force(family, today)
    upcoming = None
    if today is not None:
        upcoming = (_declarations(family, QFDeclaration.VALIDATED)
                    .where(QFDeclaration.effective_from > today)
                    .order_by(QFDeclaration.effective_from, QFDeclaration.id).first())
    pending = (_declarations(family, QFDeclaration.PENDING)
               .order_by(QFDeclaration.declared_at.desc(), QFDeclaration.id.desc()).first())
    refused = None
    if pending is None:
        refused = (_declarations(family, QFDeclaration.REFUSED)
                   .order_by(QFDeclaration.id.desc()).first())
        if refused and validated and validated.id > refused.id:
            refused = None  # an older refusal, since settled by a validated declaration
    bracket = bracket_for(school_year, validated.quotient if validated else None)
    return QuotientSummary(validated=validated, bracket=bracket, pending=pending,
                           refused=refused, upcoming=upcoming)


def declare_quotient(family, user, quotient, checked_upload):
    """Record a declaration with its attestation; it replaces a still pending one.

    ``checked_upload`` comes from ``domain.uploads.check_upload``.
    """
    if not QF_MIN <= quotient <= QF_MAX:
        raise ValueError(f"quotient out of bounds: {quotient}")
    with db.atomic():
        attestation = save_upload(checked_upload, family, user)
        pending = (_declarations(family, QFDeclaration.PENDING)
                   .order_by(QFDeclaration.id.desc()).first())
        if pending is None:
            return QFDeclaration.create(family=family, quotient=quotient,
                                        attestation=attestation)
        pending.quotient, pending.attestation = quotient, attestation
        pending.declared_at = utc_now()
        pending.save()
        return pending


def attestation_of(family, declaration_id):
    """The stored attestation of one of ``family``'s declarations, or None."""
    return (StoredFile.select().join(QFDeclaration, on=(QFDeclaration.attestation == StoredFile.id))
            .where((QFDeclaration.id == declaration_id) & (QFDeclaration.family == family)
                   & (StoredFile.family == family))
            .first())


# --- Staff: Quotients à valider -------------------------------------------------


class QuotientReviewRefused(ValueError):
    """A validation or refusal that cannot be made; the French reason is the message."""


def default_effective_date(today):
    """The first of the month after ``today``: the default start of a validated QF."""
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def pending_quotients():
    """Quotients à valider: the declarations waiting, oldest first, with their family."""
    return (QFDeclaration.select(QFDeclaration, Family).join(Family)
            .where(QFDeclaration.status == QFDeclaration.PENDING)
            .order_by(QFDeclaration.declared_at, QFDeclaration.id))


def family_quotients(family):
    """The family's QF history, newest first."""
    return (QFDeclaration.select().where(QFDeclaration.family == family)
            .order_by(QFDeclaration.declared_at.desc(), QFDeclaration.id.desc()))


def _review(declaration, staff_user, status, **fields):
    updated = (QFDeclaration.update(status=status, reviewed_by=staff_user, reviewed_at=utc_now(),
                                    **fields)
               .where((QFDeclaration.id == declaration.id)
                      & (QFDeclaration.status == QFDeclaration.PENDING))
               .execute())
    if not updated:
        raise QuotientReviewRefused("Cette déclaration a déjà été traitée entre-temps.")
    return QFDeclaration.get_by_id(declaration.id)


def validate_quotient(declaration, staff_user, effective_from, school_year, email_to):
    """Staff validate a declared QF from ``effective_from``: the days of service from
    that date are priced at its bracket, bookings already made included (days already
    invoiced give a credit or a supplement on the next invoice: ``domain.family.
    repricing``). Audited; the family is told the new prices by email at ``email_to``."""
    if effective_from is None:
        raise QuotientReviewRefused("Indiquez la date d'effet du quotient.")
    before = quotient_in_force(declaration.family_id, effective_from)
    with db.atomic():
        declaration = _review(declaration, staff_user, QFDeclaration.VALIDATED,
                              effective_from=effective_from)
        bracket = bracket_for(school_year, declaration.quotient)
        audit.record(staff_user, declaration.family_id, audit.QUOTIENT_VALIDATED,
                     summary=f"Quotient {declaration.quotient} validé à partir du "
                             f"{effective_from:%d/%m/%Y}"
                             + (f" ({bracket.label})" if bracket else "") + ".",
                     before={"quotient": before.quotient if before else None},
                     after={"quotient": declaration.quotient,
                            "date_effet": effective_from.isoformat()})
        repriced = repricing.reprice_from(declaration.family_id, effective_from, staff_user,
                                          reason=f"Quotient {declaration.quotient} validé")
    if email_to:
        notifications.quotient_validated(
            email_to, declaration, bracket,
            prices=repricing.line_prices(declaration.family_id, bracket, effective_from),
            repriced=repriced)
    return declaration


def refuse_quotient(declaration, staff_user, reason, email_to):
    """Staff refuse a declared QF with a ``reason`` (required), audited and emailed."""
    reason = (reason or "").strip()
    if not reason:
        raise QuotientReviewRefused("Indiquez le motif du refus : il est envoyé à la famille.")
    with db.atomic():
        declaration = _review(declaration, staff_user, QFDeclaration.REFUSED,
                              review_comment=reason)
        audit.record(staff_user, declaration.family_id, audit.QUOTIENT_REFUSED,
                     summary=f"Quotient {declaration.quotient} refusé.",
                     after={"quotient": declaration.quotient}, reason=reason)
    if email_to:
        notifications.quotient_refused(email_to, declaration, reason)
    return declaration


def correct_quotient(declaration, staff_user, quotient, reason=""):
    """Staff correct a still pending declaration's value (misread from the attestation)
    before validating it; audited with the value before and after. Returns the
    declaration, or raises QuotientReviewRefused."""
    if not QF_MIN <= quotient <= QF_MAX:
        raise QuotientReviewRefused(f"Le quotient familial est un nombre entre {QF_MIN} et "
                                    f"{QF_MAX}.")
    with db.atomic():
        before = QFDeclaration.get_by_id(declaration.id)
        if before.status != QFDeclaration.PENDING:
            raise QuotientReviewRefused("Cette déclaration a déjà été traitée entre-temps.")
        if before.quotient == quotient:
            return before
        QFDeclaration.update(quotient=quotient).where(
            QFDeclaration.id == declaration.id).execute()
        audit.record(staff_user, declaration.family_id, audit.QUOTIENT_CORRECTED,
                     summary=f"Quotient déclaré corrigé : {before.quotient} → {quotient}.",
                     before={"quotient": before.quotient}, after={"quotient": quotient},
                     reason=(reason or "").strip())
    return QFDeclaration.get_by_id(declaration.id)
