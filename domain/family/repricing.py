"""A quotient's date of effect reaches the bookings.

When staff validate a quotient from a date, every booked day of the family from that
date takes the price of the bracket in force that day (:func:`reprice_from`): the days
not invoiced yet are updated in bulk (one UPDATE per new price); the days already
invoiced keep their invoice, and the difference becomes a ``PriceAdjustment`` (a credit
or a supplement) billed on the family's next invoice as its own line.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, chunked

from domain import audit
from domain.catalogue.pricing import brackets_by_day
from domain.formats import date_fr, euros
from models import (
    Activity,
    Booking,
    Child,
    Enrolment,
    InvoicedBooking,
    Modalite,
    PriceAdjustment,
    SchoolYear,
    Tariff,
)


@dataclass
class Repriced:
    """What a validation changed: days repriced, adjustments of invoiced days (cents,
    negative: a credit) and the new prices of the family's lines."""

    days: int = 0
    adjustments_cents: int = 0
    adjustments: list = field(default_factory=list)  # PriceAdjustment rows
    new_prices: list = field(default_factory=list)  # (child, activity, modalité, cents)


def _bookings_from(family_id, effective_from):
    """The family's bookings from ``effective_from`` with their year, whether invoiced."""
    return list(Booking.select(Booking.id, Booking.date, Booking.price_cents,
                               Booking.modalite.alias("modalite_id"), Child.first_name,
                               Activity.name,
                               Activity.school_year, Modalite.name.alias("modalite_name"),
                               InvoicedBooking.id.alias("invoiced_id"))
                .join(Child).switch(Booking).join(Activity)
                .switch(Booking).join(Modalite)
                .switch(Booking).join(InvoicedBooking, JOIN.LEFT_OUTER,
                                      on=(InvoicedBooking.booking == Booking.id))
                .where((Child.family == family_id) & (Booking.date >= effective_from))
                .order_by(Booking.date).objects())


def _new_price_of(rows, family_id):
    """{booking id: price} of the bracket in force on each booked day (two queries per
    school year, one for the tariffs)."""
    days_by_year = defaultdict(set)
    for row in rows:
        days_by_year[row.school_year].add(row.date)
    bracket_of = {}
    for year_id, days in days_by_year.items():
        for day, bracket in brackets_by_day(family_id, year_id, days).items():
            bracket_of[(year_id, day)] = bracket.id
    tariffs = {(t.modalite_id, t.bracket_id): t.price_cents for t in Tariff.select().where(
        Tariff.modalite.in_({row.modalite_id for row in rows}))}
    return {row.id: tariffs.get((row.modalite_id, bracket_of.get((row.school_year, row.date))))
            for row in rows}


def reprice_from(family_id, effective_from, actor, reason=""):
    """Price every booked day of the family from ``effective_from`` at its day's bracket:
    bookings not invoiced are updated, invoiced ones give a PriceAdjustment. Audited.
    Runs inside the caller's transaction. Returns :class:`Repriced`."""
    rows = _bookings_from(family_id, effective_from)
    result = Repriced()
    if not rows:
        return result
    new_price = _new_price_of(rows, family_id)
    by_price, invoiced = defaultdict(list), defaultdict(list)
    for row in rows:
        price = new_price[row.id]
        if price is None or price == row.price_cents:
            continue
        if row.invoiced_id is None:
            by_price[price].append(row.id)
        else:
            invoiced[(row.first_name, row.name, row.modalite_name, row.price_cents,
                      price)].append(row.date)
    for price, ids in by_price.items():
        for batch in chunked(ids, 500):
            Booking.update(price_cents=price).where(Booking.id.in_(batch)).execute()
        result.days += len(ids)
    for (child_name, activity_name, modalite_name, old, new), days in invoiced.items():
        kind = "supplément" if new > old else "crédit"
        label = (f"Régularisation quotient familial ({kind}) : {activity_name} - "
                 f"{modalite_name}, {len(days)} jour(s) du {date_fr(days[0])} au "
                 f"{date_fr(days[-1])} déjà facturé(s) à {euros(old)}, à {euros(new)}")
        result.adjustments.append(PriceAdjustment.create(
            family=family_id, child_name=child_name, label=label[:250],
            amount_cents=(new - old) * len(days)))
    result.adjustments_cents = sum(a.amount_cents for a in result.adjustments)
    if result.days or result.adjustments:
        summary = (f"{result.days} jour(s) réservé(s) à partir du {date_fr(effective_from)} "
                   f"au tarif du nouveau quotient")
        if result.adjustments:
            summary += (f" ; régularisation des jours déjà facturés sur la prochaine facture : "
                        f"{euros(result.adjustments_cents)}")
        audit.record(actor, family_id, audit.BOOKINGS_REPRICED, summary=summary,
                     after={"date_effet": effective_from.isoformat(), "jours": result.days,
                            "regularisation_cents": result.adjustments_cents},
                     reason=reason)
    return result


def line_prices(family_id, bracket, on):
    """[(child first name, activity name, modalité name, cents)]: the price of each
    modalité of the family's lines of ``bracket``'s year open on ``on``, at ``bracket``."""
    if bracket is None:
        return []
    rows = (Tariff.select(Tariff.price_cents, Child.first_name, Activity.name,
                          Modalite.name.alias("modalite_name"))
            .join(Modalite).join(Activity).join(SchoolYear)
            .switch(Activity).join(Enrolment).join(Child)
            .where((Child.family == family_id) & (Tariff.bracket == bracket)
                   & (Activity.school_year == bracket.school_year_id)
                   & (Enrolment.closed_from.is_null() | (Enrolment.closed_from > on)))
            .order_by(Child.first_name, Activity.position, Activity.id, Modalite.position)
            .objects())
    return [(r.first_name, r.name, r.modalite_name, r.price_cents) for r in rows]
