"""Days staff close (a strike, a school event) and the places of a day.

A closure is a :class:`models.DayOverride` with ``is_open`` False, for one
activity or (activity null) for all. Closing a day cancels its committed
bookings by **deleting** them (and drops the families' pending changes of
that day): billing reads committed bookings only, so a closed day is never
billed, and PLANNING shows the day closed ("Pas d'accueil ce jour-là"). Each
family concerned is emailed and the cancellation is audited per family, with
the bookings as they were. A capacity override is the same row's ``capacity``;
the family side reads it (``domain.booking.days.capacity_of``).
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass

from peewee import JOIN

from domain import audit, notifications
from domain.family.contact import family_email_address
from domain.formats import date_fr
from domain.transactions import write_transaction
from models import Activity, Booking, Child, DayOverride, Family, Modalite, PendingChange

REASON_MAX = 200


class ClosureError(ValueError):
    """Bad input, with the field it concerns and a French message."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass
class ClosureResult:
    override: DayOverride
    cancelled: int
    families: int


def _override_row(activity, day):
    """The staff override of ``activity`` (None = all) on ``day``, created if missing."""
    query = DayOverride.select().where(DayOverride.date == day)
    query = query.where(DayOverride.activity.is_null() if activity is None
                        else DayOverride.activity == activity)
    row = query.first()
    return row or DayOverride(activity=activity, date=day)


def close_day(activity, day, reason, actor, today):
    """Close ``day`` for ``activity`` (None: every activity), cancel its bookings and
    tell the families; returns a :class:`ClosureResult`."""
    reason = (reason or "").strip()
    if day < today:
        raise ClosureError("date", "Une journée passée ne peut pas être fermée.")
    if not reason:
        raise ClosureError("motif", "Indiquez le motif de la fermeture (grève, sortie…).")
    if len(reason) > REASON_MAX:
        raise ClosureError("motif", f"Le motif ne doit pas dépasser {REASON_MAX} caractères.")
    with write_transaction():
        row = _override_row(activity, day)
        if row.is_open is False:
            raise ClosureError("date", "Cette journée est déjà fermée.")
        row.is_open, row.reason = False, reason
        row.save()
        bookings = (Booking.select(Booking, Child, Family, Activity, Modalite)
                    .join(Child).join(Family).switch(Booking).join(Activity)
                    .switch(Booking).join(Modalite).where(Booking.date == day))
        pending = PendingChange.delete().where(PendingChange.date == day)
        if activity is not None:
            bookings = bookings.where(Booking.activity == activity)
            pending = pending.where(PendingChange.activity == activity)
        by_family = defaultdict(list)
        for booking in bookings:
            by_family[booking.child.family].append(booking)
        ids = [b.id for rows in by_family.values() for b in rows]
        if ids:
            Booking.delete().where(Booking.id.in_(ids)).execute()
        pending.execute()
        what = activity.name if activity is not None else "toutes les activités"
        for family, rows in by_family.items():
            lines = [f"{b.child.first_name} – {b.activity.name} – {b.modalite.name}"
                     for b in rows]
            audit.record(actor, family, audit.DAY_CLOSED,
                         f"Fermeture du {date_fr(day)} ({what}) : {len(rows)} réservation(s) "
                         "annulée(s)",
                         before=[{"enfant": b.child.first_name, "activite": b.activity.name,
                                  "modalite": b.modalite.name, "prix": b.price_cents}
                                 for b in rows], after=[], reason=reason)
            address = family_email_address(family)
            if address:
                notifications.day_closed(address, family, day, what, reason, lines)
        audit.record(actor, None, audit.DAY_CLOSED, f"Fermeture du {date_fr(day)} ({what})",
                     after={"date": day, "activite": what, "annulees": len(ids)},
                     reason=reason)
    return ClosureResult(row, len(ids), len(by_family))


def reopen_day(override, actor):
    """Lift a closure (the cancelled bookings stay cancelled: families book again)."""
    with write_transaction():
        what = override.activity.name if override.activity_id else "toutes les activités"
        override.is_open = None
        if override.capacity is None:
            override.delete_instance()
        else:
            override.save()
        audit.record(actor, None, audit.DAY_REOPENED, f"Réouverture du {date_fr(override.date)} "
                     f"({what})", before={"ferme": True}, after={"ferme": False})


def parse_places(raw):
    """Places typed by staff: a whole number from 0 to 999, or "" to go back to the
    activity's capacity (None)."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 999:
        raise ClosureError("places", "Indiquez un nombre de places entre 0 et 999, "
                                     "ou laissez vide pour la capacité habituelle.")
    return int(raw)


def set_capacity(activity, day, places, actor):
    """Set the places of ``activity`` on ``day`` (None: back to its usual capacity).
    Bookings already made stay; new ones are refused once the day is full."""
    with write_transaction():
        row = _override_row(activity, day)
        before = row.capacity if row.capacity is not None else activity.capacity
        row.capacity = places
        if row.capacity is None and row.is_open is None:
            if row.id is not None:
                row.delete_instance()
        else:
            row.save()
        audit.record(actor, None, audit.CAPACITY_SET,
                     f"{activity.name}, {date_fr(day)} : "
                     f"{places if places is not None else activity.capacity} place(s)",
                     before=before, after=places if places is not None else activity.capacity)


def upcoming(today, days=365):
    """Closures and capacity overrides from ``today`` on, by date."""
    last = today + datetime.timedelta(days=days)
    return list(DayOverride.select(DayOverride, Activity)
                .join(Activity, JOIN.LEFT_OUTER, on=(DayOverride.activity == Activity.id))
                .where((DayOverride.date >= today) & (DayOverride.date <= last))
                .order_by(DayOverride.date, DayOverride.id))


def booked_count(activity, day):
    """Committed bookings of ``activity`` on ``day``."""
    return Booking.select().where((Booking.activity == activity)
                                  & (Booking.date == day)).count()
