"""Prices: the modalité's tariff for the family's validated QF bracket on the day of service.

Until a QF is validated, the highest bracket (the default tariff) applies. A
validated quotient applies to the days of service from its ``effective_from``
date (chosen by staff, by default the first of the next month). A booking stores
its price (``Booking.price_cents``); a quotient validated later reprices the booked
days from its date (``domain.billing.repricing``).
"""
import datetime

from models import QFBracket, QFDeclaration, Tariff


def quotient_in_force(family, on=None):
    """The family's validated declaration that prices the day ``on`` (None: the latest
    validated, whatever its date), or None.

    Among the validations effective on or before ``on`` (a null ``effective_from``
    counts as always effective), the one with the latest effective date wins, then the
    latest reviewed.
    """
    query = QFDeclaration.select().where((QFDeclaration.family == family)
                                         & (QFDeclaration.status == QFDeclaration.VALIDATED))
    if on is not None:
        query = query.where(QFDeclaration.effective_from.is_null()
                            | (QFDeclaration.effective_from <= on))
    return (query.order_by(QFDeclaration.effective_from.desc(nulls="LAST"),
                           QFDeclaration.reviewed_at.desc(), QFDeclaration.id.desc())
            .first())


def validated_quotient(family, on=None):
    """The family's validated quotient in force on ``on`` (see :func:`quotient_in_force`)."""
    declaration = quotient_in_force(family, on)
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


def family_bracket(family, school_year, on=None):
    """The family's bracket in ``school_year`` for a day of service ``on`` (None: the
    latest validated quotient's)."""
    return bracket_for(school_year, validated_quotient(family, on))


def brackets_by_day(family, school_year, days):
    """{day: QFBracket} of the family for each day of service in ``days``, in two queries
    whatever their number (the validations and the year's brackets)."""
    declarations = list(QFDeclaration.select().where(
        (QFDeclaration.family == family) & (QFDeclaration.status == QFDeclaration.VALIDATED)))
    brackets = list(QFBracket.select().where(QFBracket.school_year == school_year)
                    .order_by(QFBracket.position))
    if not brackets:
        return {}

    def in_force(day):
        effective = [d for d in declarations if d.effective_from is None or d.effective_from <= day]
        if not effective:
            return None
        return max(effective, key=lambda d: (d.effective_from is not None,
                                             d.effective_from or day, d.reviewed_at or datetime.datetime.min,
                                             d.id)).quotient

    def bracket_of(quotient):
        for bracket in brackets:
            if quotient is not None and bracket.min_qf <= quotient and (
                    bracket.max_qf is None or quotient <= bracket.max_qf):
                return bracket
        return brackets[-1]

    return {day: bracket_of(in_force(day)) for day in set(days)}


def prices_for(bracket, modalites):
    """{modalite id: price in cents} for ``bracket``, in one query."""
    rows = Tariff.select().where((Tariff.bracket == bracket)
                                 & (Tariff.modalite.in_([m.id for m in modalites])))
    return {row.modalite_id: row.price_cents for row in rows}
