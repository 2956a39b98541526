"""Closing a line (« Désinscrire ») and switching between lines that exclude each other.

A family closes one of its children's lines from a date, at the earliest the first date
the booking rules still let it change (:func:`first_closing_date`); staff close a line
from any date, with a reason. The line's bookings from that date are cancelled in one
transaction, except those already on an invoice (``InvoicedBooking``): an issued invoice
never changes. The family gets one recap email and the audit keeps the closing.

Lines of one ``Activity.exclusive_group`` (ALAE Soir 1 / ALAE Soir 2) exclude each
other: a child has at most one of them open on a day. :func:`switch_line` closes one
from a date and opens the other from the same date, in one transaction.
"""
import datetime
from dataclasses import dataclass, field

from peewee import JOIN

from domain import audit, commune, notifications
from domain.booking.days import day_edit_state
from domain.booking.inscription import InscriptionRefused, book_school_days
from domain.catalogue.categories import BY_INSCRIPTION, WINDOWED
from domain.catalogue.opening import open_days
from domain.dates import add_months, first_of_month, paris_date
from domain.formats import date_fr, euros
from domain.transactions import lock_rows, write_transaction
from models import (
    Activity,
    Booking,
    Child,
    Enrolment,
    Family,
    InvoicedBooking,
    Modalite,
    PendingChange,
)


class ClosingRefused(ValueError):
    """A closing or switch that cannot be made; ``str()`` is the French reason and
    ``field`` the form field it belongs next to."""

    def __init__(self, message, field="date"):
        super().__init__(message)
        self.field = field


@dataclass
class ClosedLine:
    """What closing a line did: the days cancelled (date, modalité name, price) and the
    days kept because they are already invoiced."""

    child: Child
    activity: Activity
    closed_from: datetime.date
    cancelled: list = field(default_factory=list)
    kept_invoiced: list = field(default_factory=list)
    switched_to: Activity | None = None
    booked_days: int = 0

    @property
    def cancelled_cents(self):
        return sum(price for _, _, price in self.cancelled)


def first_closing_date(activity, now, zone):
    """The first day a family may close ``activity``'s line from, at ``now``, or None
    when nothing of it can be changed any more.

    Lines booked by month (and ALAE, booked by the inscription) follow the monthly rule:
    until the commune's deadline day (the 20th; 23:59 Paris) from the 1st of next month, then from the 1st of the
    month after. Holiday lines: the first of their open days still inside its booking
    window.
    """
    today = paris_date(now)
    year = activity.school_year
    if activity.category in WINDOWED:
        windows = {(w.school_year_id, w.period): w for w in year.booking_windows}
        for day in open_days(activity, max(today, year.start_date), year.end_date, zone):
            if day_edit_state(activity, day, now, windows, zone).allowed:
                return day
        return None
    first = add_months(first_of_month(today), 1 if today.day <= commune.deadline_day() else 2)
    first = max(first, year.start_date)
    return first if first <= year.end_date else None


def open_enrolment(child, activity):
    """The child's enrolment in ``activity`` if it is open (not closed), else None."""
    return Enrolment.get_or_none((Enrolment.child == child) & (Enrolment.activity == activity)
                                 & Enrolment.closed_from.is_null())


def exclusive_siblings(activity):
    """The other lines of ``activity``'s exclusive group in its year (none without one)."""
    if not activity.exclusive_group:
        return []
    return list(Activity.select().where(
        (Activity.school_year == activity.school_year_id)
        & (Activity.exclusive_group == activity.exclusive_group)
        & (Activity.id != activity.id)).order_by(Activity.position, Activity.id))


def check_date(enrolment, closed_from, now, zone, by_staff):
    """Refuse a closing date the rules do not allow (family: not before
    :func:`first_closing_date`; everyone: inside the school year)."""
    activity = enrolment.activity
    year = activity.school_year
    if closed_from is None:
        raise ClosingRefused("Indiquez la date à partir de laquelle la ligne est fermée.")
    if enrolment.closed_from is not None:
        raise ClosingRefused(f"Cette ligne est déjà fermée depuis le "
                             f"{date_fr(enrolment.closed_from)}.")
    if closed_from > year.end_date:
        raise ClosingRefused(f"L'année scolaire {year.label} se termine le "
                             f"{date_fr(year.end_date)} : choisissez une date avant.")
    if by_staff:
        return
    first = first_closing_date(activity, now, zone)
    if first is None:
        raise ClosingRefused("Les réservations de cette ligne ne peuvent plus être modifiées : "
                             "écrivez au service par la messagerie.")
    if closed_from < first:
        raise ClosingRefused(f"Les réservations ne peuvent plus être modifiées avant le "
                             f"{date_fr(first)} : choisissez cette date ou une date "
                             f"postérieure.")


def _cancel_from(enrolment, closed_from):
    """Delete the line's bookings (and pending changes) from ``closed_from``, except the
    invoiced ones; returns (cancelled, kept) as [(date, modalité name, price)]."""
    rows = list(Booking.select(Booking.id, Booking.date, Booking.price_cents, Modalite.name,
                               InvoicedBooking.id.alias("invoiced_id"))
                .join(Modalite).switch(Booking)
                .join(InvoicedBooking, on=(InvoicedBooking.booking == Booking.id),
                      join_type=JOIN.LEFT_OUTER)
                .where((Booking.child == enrolment.child_id)
                       & (Booking.activity == enrolment.activity_id)
                       & (Booking.date >= closed_from))
                .order_by(Booking.date).objects())
    cancelled = [(r.date, r.name, r.price_cents) for r in rows if r.invoiced_id is None]
    kept = [(r.date, r.name, r.price_cents) for r in rows if r.invoiced_id is not None]
    ids = [r.id for r in rows if r.invoiced_id is None]
    if ids:
        Booking.delete().where(Booking.id.in_(ids)).execute()
    PendingChange.delete().where((PendingChange.child == enrolment.child_id)
                                 & (PendingChange.activity == enrolment.activity_id)
                                 & (PendingChange.date >= closed_from)).execute()
    return cancelled, kept


def _close(actor, enrolment, closed_from, reason):
    """The writes of a closing (inside the caller's transaction), audited."""
    child, activity = enrolment.child, enrolment.activity
    cancelled, kept = _cancel_from(enrolment, closed_from)
    Enrolment.update(closed_from=closed_from, closed_reason=reason[:250]).where(
        Enrolment.id == enrolment.id).execute()
    summary = (f"{child.first_name} {child.last_name} : {activity.full_label} fermée à partir "
               f"du {date_fr(closed_from)}, {len(cancelled)} jour(s) annulé(s)"
               f" ({euros(sum(p for _, _, p in cancelled))})")
    if kept:
        summary += f", {len(kept)} jour(s) déjà facturé(s) conservé(s)"
    audit.record(actor, child.family_id, audit.INSCRIPTION_CLOSED, summary=summary,
                 before={"fermee_le": None},
                 after={"fermee_le": closed_from.isoformat(), "jours_annules": len(cancelled)},
                 reason=reason)
    return ClosedLine(child, activity, closed_from, cancelled, kept)


def close_line(actor, enrolment, closed_from, now, zone, reason="", by_staff=False,
               email_to=None):
    """Close ``enrolment`` from ``closed_from``: its bookings from that day are
    cancelled (never the invoiced ones), audited, one recap email. Returns ClosedLine.
    Staff (``by_staff``) may pick any day of the year and must give a ``reason``."""
    reason = (reason or "").strip()
    if by_staff and not reason:
        raise ClosingRefused("Indiquez le motif de la fermeture.", "reason")
    with write_transaction():
        lock_rows(Family, [enrolment.child.family_id])
        enrolment = Enrolment.get_by_id(enrolment.id)  # as it is under the lock
        check_date(enrolment, closed_from, now, zone, by_staff)
        closed = _close(actor, enrolment, closed_from, reason)
    if email_to:
        notifications.line_closed(email_to, closed, by_service=by_staff, reason=reason)
    return closed


def switch_line(actor, enrolment, target, switch_from, now, zone, reason="", by_staff=False,
                email_to=None):
    """Close ``enrolment`` from ``switch_from`` and open ``target`` (a line of the same
    exclusive group) from the same day, in one transaction; ALAE lines book the target's
    school days from then on. One recap email. Returns ClosedLine (``switched_to``)."""
    reason = (reason or "").strip()
    if by_staff and not reason:
        raise ClosingRefused("Indiquez le motif du changement.", "reason")
    activity = enrolment.activity
    if target is None or target.id not in {a.id for a in exclusive_siblings(activity)}:
        raise ClosingRefused("Choisissez la ligne qui remplace celle-ci.", "target")
    child = enrolment.child
    with write_transaction():
        lock_rows(Family, [child.family_id])
        enrolment = Enrolment.get_by_id(enrolment.id)
        check_date(enrolment, switch_from, now, zone, by_staff)
        closed = _close(actor, enrolment, switch_from, reason)
        existing = Enrolment.get_or_none((Enrolment.child == child)
                                         & (Enrolment.activity == target))
        if existing is None:
            Enrolment.create(child=child, activity=target, created_by=actor)
        else:
            Enrolment.update(closed_from=None, closed_reason="").where(
                Enrolment.id == existing.id).execute()
        start = max(switch_from, target.school_year.start_date)
        if target.category in BY_INSCRIPTION:
            try:
                opened = book_school_days(child, target, start, zone)
            except InscriptionRefused as refusal:
                raise ClosingRefused(str(refusal), "target")
            closed.booked_days = opened.booked_days
        audit.record(actor, child.family_id, audit.INSCRIPTION_OPENED,
                     summary=f"{child.first_name} {child.last_name} : {target.full_label} "
                             f"ouverte à partir du {date_fr(start)} à la place de "
                             f"{activity.name}"
                             + (f", {closed.booked_days} jours réservés"
                                if closed.booked_days else ""),
                     reason=reason)
        closed.switched_to = target
    if email_to:
        notifications.line_closed(email_to, closed, by_service=by_staff, reason=reason)
    return closed


def closing_options(lines_by_child, now, zone):
    """{activity id: (first closing date or None, [exclusive siblings])} for every open
    line of the INSCRIPTION page (``child_lines``' result); the siblings come from the
    page's own lines (no query)."""
    options, by_group = {}, {}
    for groups in lines_by_child.values():
        for group in groups:
            for line in group.lines:
                if line.activity.exclusive_group:
                    by_group.setdefault(line.activity.exclusive_group, {})[
                        line.activity.id] = line.activity
    for groups in lines_by_child.values():
        for group in groups:
            for line in group.lines:
                if line.enrolment is None or line.enrolment.closed_from is not None:
                    continue
                if line.activity.id not in options:
                    siblings = [a for a in by_group.get(line.activity.exclusive_group,
                                                         {}).values()
                                if a.id != line.activity.id]
                    options[line.activity.id] = (first_closing_date(line.activity, now, zone),
                                                 siblings)
    return options
