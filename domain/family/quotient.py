"""Déclarer mon quotient CAF: the family declares its QF with the CAF attestation.

A declaration stays "en attente" until staff validate it; until then the
validated one (or, without any, the highest bracket) sets the tariffs.
"""
from dataclasses import dataclass

from domain.billing.pricing import bracket_for
from domain.uploads import save_upload
from models import QFBracket, QFDeclaration, StoredFile, db, utcnow

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


def _declarations(family, status):
    """The family's declarations in ``status``."""
    return (QFDeclaration.select()
            .where((QFDeclaration.family == family) & (QFDeclaration.status == status)))


def quotient_summary(family, school_year):
    """The validated QF and its bracket, the pending declaration, the latest refusal."""
    validated = (_declarations(family, QFDeclaration.VALIDATED)
                 .order_by(QFDeclaration.reviewed_at.desc(), QFDeclaration.id.desc()).first())
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
                           refused=refused)


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
        pending.declared_at = utcnow()
        pending.save()
        return pending


def attestation_of(family, declaration_id):
    """The stored attestation of one of ``family``'s declarations, or None."""
    return (StoredFile.select().join(QFDeclaration, on=(QFDeclaration.attestation == StoredFile.id))
            .where((QFDeclaration.id == declaration_id) & (QFDeclaration.family == family)
                   & (StoredFile.family == family))
            .first())
