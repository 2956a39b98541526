"""Days staff close (a strike, a school event) and the places of a day.

A closure (:class:`models.Closure`) covers the whole commune or one school, one
activity or all, one day or a range. Staff first see what it will do
(:func:`preview`: the bookings it cancels, the families it emails), then confirm
(:func:`close`). Each closed day is a :class:`models.DayOverride` with ``is_open``
False (with ``school`` for one school's children only), so PLANNING shows the day
closed and billing skips it. The committed bookings are **deleted** (billing reads
committed bookings only) and remembered as :class:`models.ClosedBooking`, the
families' pending changes of those days dropped; each family concerned is emailed
once and the cancellation is audited per family.

"Rouvrir" (:func:`reopen_preview`, :func:`reopen`) lifts the closure and may restore
the cancelled bookings at their price, each while the child's line is open and the
day has places left; the families are emailed what came back and what did not.

A capacity override is a row of its own (``closure`` and ``school`` null); the
family side reads it (``domain.booking.days.capacity_of``).
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN

from domain import audit, notifications
from domain.booking.changes import promote_waiting
from domain.booking.days import capacity_of, overrides_for, split_overrides
from domain.clock import utc_now
from domain.family.contact import family_email_address
from domain.formats import date_fr
from domain.problems import FieldProblem
from domain.transactions import lock_rows, write_transaction
from models import (
    Activity,
    Booking,
    Child,
    ClosedBooking,
    Closure,
    DayOverride,
    Enrolment,
    Family,
    InvoicedBooking,
    Modalite,
    PendingChange,
    School,
)

REASON_MAX = 200
#: The longest range one closure may cover (a school term).
MAX_DAYS = 120


class ClosureError(FieldProblem):
    """Bad input, with the field it concerns and a French message."""


@dataclass
class ClosureRequest:
    """What staff asked to close, checked (:func:`check`)."""

    school: School | None
    activity: Activity | None
    first_day: datetime.date
    last_day: datetime.date
    reason: str

    @property
    def days_label(self):
        if self.first_day == self.last_day:
            return f"du {date_fr(self.first_day)}"
        return f"du {date_fr(self.first_day)} au {date_fr(self.last_day)}"

    @property
    def scope_label(self):
        """"toutes les activités, École …" as the pages and emails say it."""
        return scope_label(self.school, self.activity)


def scope_label(school, activity):
    what = activity.name if activity is not None else "toutes les activités"
    where = school.name if school is not None else "toute la commune"
    return f"{what}, {where}"


@dataclass
class FamilyCancellation:
    """One family's bookings a closure cancels (or cancelled)."""

    family: Family
    address: str | None
    bookings: list = field(default_factory=list)

    @property
    def lines(self):
        return [f"{date_fr(b.date)} : {b.child.first_name} – {b.activity.name} – "
                f"{b.modalite.name}" for b in self.bookings]


@dataclass
class ClosurePreview:
    """What a closure will do: the bookings it cancels, by family."""

    request: ClosureRequest
    families: list

    @property
    def booking_count(self):
        return sum(len(f.bookings) for f in self.families)

    @property
    def emailed(self):
        return [f for f in self.families if f.address]


def check(school, activity, first_day, last_day, reason, today):
    """A :class:`ClosureRequest`, or :class:`ClosureError` on the first bad field."""
    reason = (reason or "").strip()
    last_day = last_day or first_day
    if first_day < today:
        raise ClosureError("date", "Une journée passée ne peut pas être fermée.")
    if last_day < first_day:
        raise ClosureError("au", "La fin de la fermeture doit suivre son début.")
    if (last_day - first_day).days >= MAX_DAYS:
        raise ClosureError("au", f"Une fermeture couvre au plus {MAX_DAYS} jours.")
    if not reason:
        raise ClosureError("motif", "Indiquez le motif de la fermeture (grève, sortie…).")
    if len(reason) > REASON_MAX:
        raise ClosureError("motif", f"Le motif ne doit pas dépasser {REASON_MAX} caractères.")
    return ClosureRequest(school, activity, first_day, last_day, reason)


def _bookings_of(request):
    """The committed, not invoiced bookings the closure cancels, with child, family,
    activity and modalité, by family then date."""
    query = (Booking.select(Booking, Child, Family, Activity, Modalite)
             .join(Child).join(Family).switch(Booking).join(Activity)
             .switch(Booking).join(Modalite)
             .switch(Booking).join(InvoicedBooking, JOIN.LEFT_OUTER,
                                   on=(InvoicedBooking.booking == Booking.id))
             .where((Booking.date >= request.first_day) & (Booking.date <= request.last_day)
                    & InvoicedBooking.id.is_null())
             .order_by(Family.account_number, Booking.date, Child.first_name, Activity.position))
    if request.activity is not None:
        query = query.where(Booking.activity == request.activity)
    if request.school is not None:
        query = query.where(Child.school_name == request.school.name)
    return list(query)


def _by_family(bookings):
    families = {}
    for booking in bookings:
        family = booking.child.family
        if family.id not in families:
            families[family.id] = FamilyCancellation(family, family_email_address(family))
        families[family.id].bookings.append(booking)
    return list(families.values())


def preview(request):
    """What closing ``request`` would do, without writing anything."""
    return ClosurePreview(request, _by_family(_bookings_of(request)))


def _days(first, last):
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


def _overlapping(request):
    """A closure still in force that already covers one of the days for the same scope."""
    query = Closure.select().where(Closure.reopened_at.is_null()
                                   & (Closure.first_day <= request.last_day)
                                   & (Closure.last_day >= request.first_day))
    for closure in query:
        if (closure.school_id in (None, getattr(request.school, "id", None))
                and closure.activity_id in (None, getattr(request.activity, "id", None))):
            return closure
    return None


def close(request, actor):
    """Close the days of ``request``: cancel its bookings (remembered for "Rouvrir"),
    drop the pending changes, email each family once, audit. Returns (Closure, preview)."""
    with write_transaction():
        if _overlapping(request) is not None:
            raise ClosureError("date", "Ces journées sont déjà fermées.")
        done = preview(request)
        closure = Closure.create(school=request.school, activity=request.activity,
                                 first_day=request.first_day, last_day=request.last_day,
                                 reason=request.reason, created_by=actor)
        DayOverride.insert_many([
            {"activity": request.activity, "date": day, "is_open": False,
             "reason": request.reason, "school": request.school, "closure": closure}
            for day in _days(request.first_day, request.last_day)]).execute()
        bookings = [b for f in done.families for b in f.bookings]
        if bookings:
            ClosedBooking.insert_many([
                {"closure": closure, "child": b.child_id, "activity": b.activity_id,
                 "modalite": b.modalite_id, "date": b.date, "price_cents": b.price_cents}
                for b in bookings]).execute()
            ids = [b.id for b in bookings]
            for start in range(0, len(ids), 500):
                Booking.delete().where(Booking.id.in_(ids[start:start + 500])).execute()
        pending = PendingChange.delete().where((PendingChange.date >= request.first_day)
                                               & (PendingChange.date <= request.last_day))
        if request.activity is not None:
            pending = pending.where(PendingChange.activity == request.activity)
        if request.school is not None:
            pending = pending.where(PendingChange.child.in_(
                Child.select(Child.id).where(Child.school_name == request.school.name)))
        pending.execute()
        summary = f"Fermeture {request.days_label} ({request.scope_label})"
        for family in done.families:
            audit.record(actor, family.family, audit.DAY_CLOSED,
                         f"{summary} : {len(family.bookings)} réservation(s) annulée(s)",
                         before=[{"enfant": b.child.first_name, "date": b.date,
                                  "activite": b.activity.name, "modalite": b.modalite.name,
                                  "prix": b.price_cents} for b in family.bookings],
                         after=[], reason=request.reason)
            if family.address:
                notifications.day_closed(family.address, family.family, request.first_day,
                                         request.last_day, request.scope_label,
                                         request.reason, family.lines)
        audit.record(actor, None, audit.DAY_CLOSED, summary,
                     after={"du": request.first_day, "au": request.last_day,
                            "ecole": request.school.name if request.school else "",
                            "activite": request.scope_label,
                            "annulees": done.booking_count}, reason=request.reason)
    return closure, done


# --- Rouvrir ----------------------------------------------------------------------


@dataclass
class Restorable:
    """A booking a closure cancelled, and whether "Rouvrir" can give it back."""

    row: ClosedBooking
    why_not: str = ""


def _cancelled_rows(closure):
    return list(ClosedBooking.select(ClosedBooking, Child, Family, Activity, Modalite)
                .join(Child).join(Family).switch(ClosedBooking).join(Activity)
                .switch(ClosedBooking).join(Modalite)
                .where((ClosedBooking.closure == closure) & ~ClosedBooking.restored)
                .order_by(Family.account_number, ClosedBooking.date, Child.first_name))


def reopen_preview(closure, today):
    """Each booking the closure cancelled, with why it cannot come back ("" if it can):
    a past day, the line closed since, a new booking already there, no places left."""
    rows = _cancelled_rows(closure)
    if not rows:
        return []
    enrolled = set(Enrolment.select(Enrolment.child, Enrolment.activity)
                   .where(Enrolment.child.in_({r.child_id for r in rows})).tuples())
    days = {r.date for r in rows}
    activity_ids = {r.activity_id for r in rows}
    taken = defaultdict(int)
    for activity_id, day in (Booking.select(Booking.activity, Booking.date)
                             .where(Booking.activity.in_(activity_ids)
                                    & Booking.date.in_(days)).tuples()):
        taken[(activity_id, day)] += 1
    existing = set(Booking.select(Booking.child, Booking.activity, Booking.date)
                   .where(Booking.child.in_({r.child_id for r in rows})
                          & Booking.date.in_(days)).tuples())
    overrides = (DayOverride.select().where(DayOverride.date.in_(days)
                                            & DayOverride.closure.is_null()
                                            & DayOverride.school.is_null()))
    _, places = split_overrides(overrides)
    result = []
    for row in rows:
        why = ""
        if row.date < today:
            why = "Journée passée"
        elif (row.child_id, row.activity_id) not in enrolled:
            why = "Ligne fermée depuis"
        elif (row.child_id, row.activity_id, row.date) in existing:
            why = "Déjà réservée à nouveau"
        else:
            capacity = capacity_of(row.activity, row.date,
                                   overrides_for(row.activity_id, places))
            key = (row.activity_id, row.date)
            if capacity is not None and taken[key] >= capacity:
                why = "Complet"
            else:
                taken[key] += 1
        result.append(Restorable(row, why))
    return result


def reopen(closure, actor, restore, today):
    """Lift ``closure``; with ``restore``, give back the cancelled bookings that can come
    back (:func:`reopen_preview`) and email each family concerned. Returns
    (restored, not restored) counts."""
    with write_transaction():
        if Closure.get_by_id(closure.id).reopened_at is not None:
            raise ClosureError("closure", "Cette fermeture est déjà levée.")
        DayOverride.delete().where(DayOverride.closure == closure).execute()
        Closure.update(reopened_at=utc_now()).where(Closure.id == closure.id).execute()
        items = reopen_preview(closure, today) if restore else []
        back = [item.row for item in items if not item.why_not]
        if back:
            Booking.insert_many([
                {"child": r.child_id, "activity": r.activity_id, "modalite": r.modalite_id,
                 "date": r.date, "price_cents": r.price_cents} for r in back]).execute()
            ClosedBooking.update(restored=True).where(
                ClosedBooking.id.in_([r.id for r in back])).execute()
        school = School.get_by_id(closure.school_id) if closure.school_id else None
        activity = Activity.get_by_id(closure.activity_id) if closure.activity_id else None
        request = ClosureRequest(school, activity, closure.first_day, closure.last_day,
                                 closure.reason)
        by_family = defaultdict(lambda: ([], []))
        for item in items:
            by_family[item.row.child.family][0 if not item.why_not else 1].append(item)
        summary = f"Réouverture {request.days_label} ({request.scope_label})"
        for family, (restored, refused) in by_family.items():
            audit.record(actor, family, audit.DAY_REOPENED,
                         f"{summary} : {len(restored)} réservation(s) rétablie(s)",
                         before=[], after=[{"enfant": i.row.child.first_name, "date": i.row.date,
                                            "activite": i.row.activity.name,
                                            "modalite": i.row.modalite.name}
                                           for i in restored])
            address = family_email_address(family)
            if address:
                notifications.day_reopened(address, family, request, _lines(restored),
                                           [f"{line} ({i.why_not})" for line, i in
                                            zip(_lines(refused), refused)])
        audit.record(actor, None, audit.DAY_REOPENED, summary, before={"ferme": True},
                     after={"ferme": False, "retablies": len(back)})
    return len(back), len(items) - len(back)


def _lines(items):
    return [f"{date_fr(i.row.date)} : {i.row.child.first_name} – {i.row.activity.name} – "
            f"{i.row.modalite.name}" for i in items]


def in_force(today):
    """Closures not lifted whose last day is not past, by first day."""
    return list(Closure.select(Closure, School, Activity)
                .join(School, JOIN.LEFT_OUTER, on=(Closure.school == School.id))
                .switch(Closure)
                .join(Activity, JOIN.LEFT_OUTER, on=(Closure.activity == Activity.id))
                .where(Closure.reopened_at.is_null() & (Closure.last_day >= today))
                .order_by(Closure.first_day, Closure.id))


def open_schools():
    """The commune's schools staff may close, by name."""
    return list(School.select().where(~School.archived).order_by(School.name))


# --- Places of a day ----------------------------------------------------------------


def _override_row(activity, day):
    """The staff capacity override of ``activity`` on ``day``, created if missing."""
    row = (DayOverride.select()
           .where((DayOverride.date == day) & (DayOverride.activity == activity)
                  & DayOverride.closure.is_null() & DayOverride.school.is_null())
           .first())
    return row or DayOverride(activity=activity, date=day)


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


def set_capacity(activity, day, places, actor, now=None, zone=None):
    """Set the places of ``activity`` on ``day`` (None: back to its usual capacity).
    Bookings already made stay; new ones are refused once the day is full. With ``now``
    and ``zone``, places added go to the day's waiting list (first arrived first, if the
    booking rules allow, emailed); returns [(family id, Recap)] of the families booked."""
    promoted = []
    with write_transaction():
        lock_rows(Activity, [activity.id])
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
        if now is not None:
            promoted = promote_waiting({(activity.id, day)}, now, zone)
    return promoted


def upcoming(today, days=365):
    """Capacity overrides (and closures of before closures had their own rows) from
    ``today`` on, by date."""
    last = today + datetime.timedelta(days=days)
    return list(DayOverride.select(DayOverride, Activity)
                .join(Activity, JOIN.LEFT_OUTER, on=(DayOverride.activity == Activity.id))
                .where((DayOverride.date >= today) & (DayOverride.date <= last)
                       & DayOverride.closure.is_null())
                .order_by(DayOverride.date, DayOverride.id))


def booked_count(activity, day):
    """Committed bookings of ``activity`` on ``day``."""
    return Booking.select().where((Booking.activity == activity)
                                  & (Booking.date == day)).count()


def booked_children(activity, day):
    """The children booked on ``activity`` on ``day`` ("NOM Prénom"), by name."""
    return [f"{last} {first}" for last, first in
            Booking.select(Child.last_name, Child.first_name).join(Child)
            .where((Booking.activity == activity) & (Booking.date == day))
            .order_by(Child.last_name, Child.first_name).tuples()]


def closure_by_id(closure_id):
    """The closure ``closure_id`` still in force, or None."""
    return (Closure.select().where((Closure.id == closure_id) & Closure.reopened_at.is_null())
            .first())

