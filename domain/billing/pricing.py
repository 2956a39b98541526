"""Prices: the modalité's tariff for the family's validated QF bracket.

Until a QF is validated, the highest bracket (the default tariff) applies.
"""
from models import QFBracket, QFDeclaration, Tariff


def validated_quotient(family):
    """The family's latest validated quotient, or None."""
    declaration = (QFDeclaration.select()
                   .where((QFDeclaration.family == family)
                          & (QFDeclaration.status == QFDeclaration.VALIDATED))
                   .order_by(QFDeclaration.reviewed_at.desc(), QFDeclaration.id.desc())
                   .first())
    return declaration.quotient if declaration else None


def bracket_for(school_year, quotient):
    """The bracket of ``quotient`` in ``school_year``; the highest when quotient is None."""
    brackets = list(QFBracket.select().where(QFBracket.school_year == school_year)
                    .order_by(QFBracket.position))
    if not brackets:
        return None
    if quotient is not None:
        for bracket in brackets:
            if bracket.min_qf <= quotient and (bracket.max_qf is None or quotient <= bracket.max_qf):
                return bracket
    return brackets[-1]


def family_bracket(family, school_year):
    return bracket_for(school_year, validated_quotient(family))


def prices_for(bracket, modalites):
    """{modalite id: price in cents} for ``bracket``, in one query."""
    rows = Tariff.select().where((Tariff.bracket == bracket)
                                 & (Tariff.modalite.in_([m.id for m in modalites])))
    return {row.modalite_id: row.price_cents for row in rows}
