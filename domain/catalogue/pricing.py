"""Prices: the modalité's tariff for the family's validated QF bracket on the day of service.

Until a QF is validated, the highest bracket (the default tariff) applies. A
validated quotient applies to the days of service from its ``effective_from``
date (chosen by staff, by default the first of the next month). A booking stores
its price (``Booking.price_cents``); a quotient validated later reprices the booked
days from its date (``domain.family.repricing``).
"""
import datetime

from models import QFBracket, QFDeclaration, Tariff


def _validated_declarations(family):
    """The family's validated quotient declarations (one query)."""
    return list(QFDeclaration.select().where((QFDeclaration.family == family)
                                             & (QFDeclaration.status == QFDeclaration.VALIDATED)))


def in_force_among(declarations, on=None):
    """The one rule of "which quotient is in force": among ``declarations`` (validated)
    those effective on or before ``on`` (a null ``effective_from`` counts as always
    effective; ``on`` None: all of them), the one with the latest effective date wins,
    then the latest reviewed, then the latest recorded. None when none is effective."""
    effective = [d for d in declarations
                 if on is None or d.effective_from is None or d.effective_from <= on]
    if not effective:
        return None
    return max(effective, key=lambda d: (d.effective_from is not None,
                                         d.effective_from or datetime.date.min,
                                         d.reviewed_at or datetime.datetime.min, d.id))


def quotient_in_force(family, on=None):
    """The family's validated declaration that prices the day ``on`` (None: the latest
    validated, whatever its date), or None (see :func:`in_force_among`)."""
    return in_force_among(_validated_declarations(family), on)


def validated_quotient(family, on=None):
    """The family's validated quotient in force on ``on`` (see :func:`quotient_in_force`)."""
    declaration = quotient_in_force(family, on)
    return declaration.quotient if declaration else None


def _year_brackets(school_year):
    """The year's brackets, lowest first (one query)."""
    return list(QFBracket.select().where(QFBracket.school_year == school_year)
                .order_by(QFBracket.position))


def bracket_among(brackets, quotient):
    """The one rule of the bracket match: the bracket of ``brackets`` (in order) whose
    range holds ``quotient``; the highest (the last) when quotient is None or in none.
    None when there is no bracket."""
    if not brackets:
        return None
    if quotient is not None:
        for bracket in brackets:
            if bracket.min_qf <= quotient and (bracket.max_qf is None or quotient <= bracket.max_qf):
                return bracket
    return brackets[-1]


def bracket_for(school_year, quotient):
    """The bracket of ``quotient`` in ``school_year``; the highest when quotient is None."""
    return bracket_among(_year_brackets(school_year), quotient)


def family_bracket(family, school_year, on=None):
    """The family's bracket in ``school_year`` for a day of service ``on`` (None: the
    latest validated quotient's)."""
    return bracket_for(school_year, validated_quotient(family, on))


def brackets_by_day(family, school_year, days):
    """{day: QFBracket} of the family for each day of service in ``days``, in two queries
    whatever their number (the validations and the year's brackets); {} without brackets."""
    brackets = _year_brackets(school_year)
    if not brackets:
        return {}
    declarations = _validated_declarations(family)
    in_force = {day: in_force_among(declarations, day) for day in set(days)}
    return {day: bracket_among(brackets, declaration.quotient if declaration else None)
            for day, declaration in in_force.items()}


def day_prices(family, school_year, wanted):
    """A day's price, composed in one place: {(modalité id, day): price in cents} for each
    ``(modalité id, day)`` of ``wanted`` (modalités of ``school_year``), at the family's
    bracket on that day (a quotient validated from a date prices the days from that date).
    A pair whose tariff is not set is left out. Three queries whatever the number."""
    wanted = set(wanted)
    brackets = brackets_by_day(family, school_year, [day for _, day in wanted])
    if not brackets:
        return {}
    rows = _tuples(Tariff.select(Tariff.bracket, Tariff.modalite, Tariff.price_cents).where(
        Tariff.bracket.in_({b.id for b in brackets.values()})
        & Tariff.modalite.in_({modalite_id for modalite_id, _ in wanted})))
    tariffs = {(bracket_id, modalite_id): price for bracket_id, modalite_id, price in rows}
    return {(modalite_id, day): tariffs[(brackets[day].id, modalite_id)]
            for modalite_id, day in wanted if (brackets[day].id, modalite_id) in tariffs}


def prices_for(bracket, modalites):
    """{modalite id: price in cents} for ``bracket``, in one query."""
    rows = _tuples(Tariff.select(Tariff.modalite, Tariff.price_cents).where(
        (Tariff.bracket == bracket) & (Tariff.modalite.in_([m.id for m in modalites]))))
    return dict(rows)


def _tuples(query) -> list[tuple]:
    """The rows of ``query`` as plain tuples of its columns (ids for foreign keys)."""
    return list(query.tuples())
