"""Pending changes, the recap and TERMINER.

A family's choices are kept on the server as PendingChange rows until
TERMINER commits them all in one transaction (or TOUT SUPPRIMER drops them).
TERMINER checks every change again under a lock — the deadline, the opening
of the day, the places left — and applies all of them or none; the recap
email leaves only once the transaction is committed.

Staff change days on a family's behalf in the family's own calendar, through the same
path (:func:`finish_on_behalf`): the pending changes committed with the staff override
(no deadline, no capacity limit), audited with one reason, and the usual recap email
marked "modifié par le service".
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, IntegrityError, fn

from domain import audit, notifications
from domain.booking import waiting_list
from domain.booking.calendar import as_date, load_all_overrides, load_windows
from domain.booking.days import (
    BY_INSCRIPTION,
    CLOSED_DAY_TEXT,
    FULL_TEXT,
    NOT_ENROLLED_TEXT,
    PAST_DAY_TEXT,
    ChoiceError,
    capacity_of,
    closed_for_school,
    day_edit_state,
    edit_state_key,
    overrides_for,
)
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import day_prices
from domain.clock import PARIS, utc_now
from domain.family import guardian_access
from domain.fast_rows import attach, compiled_rows, insert_rows, model_instance
from domain.formats import date_fr, day_label, euros, month_fr
from domain.transactions import lock_rows, write_transaction
from models import (
    Activity,
    AuditLog,
    Booking,
    Child,
    Enrolment,
    Family,
    Modalite,
    PendingChange,
    SchoolYear,
    WaitingListEntry,
    db,
)

WEEKDAYS_EMAIL = ("Lun.", "Mar.", "Mer.", "Jeu.", "Ven.", "Sam.", "Dim.")
RESERVATION, ANNULATION = "Réservation", "annulation"
NO_PRICE_TEXT = "Aucun tarif n'est fixé pour cette modalité : écrivez au service."
NO_TWIN_TEXT = "cette modalité n'existe pas pour cette activité."


# --- Keeping choices -----------------------------------------------------------


def save_choices(family_id, line, wanted_by_day, made_by=None):
    """Keep the wanted modalité (or None) of each day of ``line`` as pending changes,
    made by the user id ``made_by`` (the recap names them).

    A day whose wish equals the committed booking has no pending change. The
    line's DayStatus objects are updated in place; returns the changed dates.
    """
    changed, rows = [], []
    for day, wanted in sorted(wanted_by_day.items()):
        status = line.days[day]
        if wanted == status.desired:
            continue
        changed.append(day)
        if wanted == status.booked:
            continue
        action = PendingChange.CANCEL if wanted is None else PendingChange.BOOK
        rows.append((family_id, line.child.id, line.activity.id,
                     wanted if wanted is not None else status.booked, day, action, made_by))
    if not changed:
        return changed
    try:
        with db.atomic():
            _delete_pending_days(line.child.id, line.activity.id, changed)
            insert_rows(PendingChange, _PENDING_COLUMNS, rows)
    except IntegrityError:  # the same day changed at once from another screen
        raise ChoiceError(["Ces jours viennent d'être modifiés depuis un autre écran : "
                           "rechargez la page et recommencez."])
    for day in changed:  # only once stored: a refused change leaves the line as it was
        line.days[day].desired, line.days[day].pending = wanted_by_day[day], False
    for row in rows:
        line.days[row[4]].pending = True
    return changed


#: The columns of a pending change that :func:`save_choices` writes (``created_at``: its
#: default, the clock's now).
_PENDING_COLUMNS = ("family", "child", "activity", "modalite", "date", "action", "made_by")


def _delete_pending_days(child_id, activity_id, days):
    """The pending changes of one line on ``days``, deleted. Written directly: for a
    tick, peewee took longer to build the statement than the database to run it."""
    table, fields = PendingChange._meta.table_name, PendingChange._meta.fields
    marks = ", ".join([db.param] * len(days))
    db.execute_sql(f'DELETE FROM "{table}" WHERE "{fields["child"].column_name}" = {db.param} '
                   f'AND "{fields["activity"].column_name}" = {db.param} '
                   f'AND "{fields["date"].column_name}" IN ({marks})',
                   [child_id, activity_id] + [fields["date"].db_value(d) for d in days])


def pending_count(family_id):
    """How many changes of the family wait for TERMINER."""
    return PendingChange.select().where(PendingChange.family == family_id).count()


def drop_all(family_id):
    """TOUT SUPPRIMER: forget every pending change of the family; returns how many."""
    return PendingChange.delete().where(PendingChange.family == family_id).execute()


def drop_one(family_id, pending_id):
    """Forget one pending change of the family (never another family's)."""
    return PendingChange.delete().where((PendingChange.family == family_id)
                                        & (PendingChange.id == pending_id)).execute()


# --- "Appliquer aussi à": the same days for the family's other children ------------


def is_twin(line, other):
    """Whether ``other`` is another child's line of the same activity or of its
    maternelle/élémentaire twin (same school year, kind and holiday period)."""
    a, b = line.activity, other.activity
    return (other.child.id != line.child.id and a.category not in BY_INSCRIPTION
            and a.school_year_id == b.school_year_id and a.category == b.category
            and a.holiday_period == b.holiday_period)


def twin_modalite(line, modalite_id, twin):
    """The modalité of ``twin`` matching ``modalite_id`` of ``line``: the same name
    ("Après-midi SANS repas"), else the same rank; None when there is none."""
    source = line.modalite(modalite_id)
    if source is None:
        return None
    same_name = next((m.id for m in twin.modalites if m.name == source.name), None)
    if same_name is not None:
        return same_name
    rank = line.modalites.index(source)
    return twin.modalites[rank].id if rank < len(twin.modalites) else None


def mirror_choices(family_id, line, changed, shown, twins, made_by=None):
    """Copy what ``line`` now wants to each twin line: the ``changed`` days as they are
    now (booked or not), and every other ``shown`` day booked for ``line`` that the twin
    does not have yet (never cancelling a twin's day the family did not touch). Each
    child's own rules are checked (open line, opening, deadline, places): a day refused
    for one child is listed with that child's name and changes nothing for that child.

    Returns ``([(twin, changed days)], [refusals])``.
    """
    done, refusals = [], []
    for twin in twins:
        wanted = {}
        days = sorted(set(changed) | {
            day for day in shown if line.days[day].desired is not None
            and day in twin.days and twin.days[day].desired is None})
        for day in days:
            status = twin.days.get(day)
            source = line.days[day].desired
            target = twin_modalite(line, source, twin) if source is not None else None
            where = f"{twin.child.first_name} – {day_label(day)} ({date_fr(day)})"
            if status is None or not status.changeable:
                if status is None or status.desired != target:
                    refusals.append(f"{where} : {status.why_not if status else CLOSED_DAY_TEXT}")
                continue
            if source is not None and target is None:
                refusals.append(f"{where} : {NO_TWIN_TEXT}")
            elif target is not None and target != status.desired and status.full_for_child:
                refusals.append(f"{where} : {FULL_TEXT}")
            else:
                wanted[day] = target
        try:
            done.append((twin, save_choices(family_id, twin, wanted, made_by)))
        except ChoiceError as error:
            refusals.extend(f"{twin.child.first_name} : {m}" for m in error.messages)
    return done, refusals


# --- The recap -----------------------------------------------------------------


@dataclass
class RecapLine:
    """One line of the recap and of the email: a booking or a cancellation."""

    day: datetime.date
    child: Child
    activity: Activity
    modalite: Modalite
    action: str  # RESERVATION or ANNULATION
    amount_cents: int | None  # signed: a cancellation gives back its price
    pending_id: int
    problem: str = ""
    made_by: int | None = None  # the user who made the change
    by: str = ""  # their name: « Nadia BERNARD »

    @property
    def element(self):
        """``LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas``."""
        return f"{self.child.first_name} - {self.activity.full_label} - {self.modalite.name}"

    @property
    def email_day(self):
        """``Mer. 06/01/2027``."""
        return f"{WEEKDAYS_EMAIL[self.day.weekday()]} {date_fr(self.day)}"


@dataclass
class Recap:
    """Every pending change of a family, priced, with what would stop TERMINER."""

    lines: list = field(default_factory=list)
    # Pending rows that need no work (already as wished): dropped at TERMINER.
    idle_ids: list = field(default_factory=list)
    new_bookings: list = field(default_factory=list)
    removed_booking_ids: list = field(default_factory=list)
    # {(child id, activity id, date): Booking} of the rows' whole months, before the commit.
    month_bookings: dict = field(default_factory=dict)

    @property
    def count(self):
        return len(self.lines)

    @property
    def total_cents(self):
        return sum(line.amount_cents or 0 for line in self.lines)

    @property
    def summary(self):
        """``4 modifications à l'unité : 20,80 €``."""
        plural = "s" if self.count > 1 else ""
        return f"{self.count} modification{plural} à l'unité : {euros(self.total_cents)}"

    def email_rows(self):
        """The email's table as plain strings: (day, child, activity - modalité, action,
        amount, tariff), computed once for its HTML and text parts."""
        return [(line.email_day, line.child.first_name,
                 f"{line.activity.name} - {line.modalite.name}", line.action.capitalize(),
                 euros(line.amount_cents or 0) if line.amount_cents is not None else "",
                 line.activity.tariff_label) for line in self.lines]

    @property
    def problems(self):
        return [line for line in self.lines if line.problem]

    @property
    def pending_ids(self):
        return sorted({line.pending_id for line in self.lines} | set(self.idle_ids))


#: The columns read for the recap and TERMINER: not a pending change's ``created_at`` nor
#: a booking's ``created_at`` and ``booked_by`` (a timestamp parsed per row, never used).
_PENDING_FIELDS = [[f for f in PendingChange._meta.sorted_fields if f.name != "created_at"],
                   Child._meta.sorted_fields,
                   Activity._meta.sorted_fields, SchoolYear._meta.sorted_fields,
                   Modalite._meta.sorted_fields]


def _pending_rows_query(family_id, ids=None):
    query = (PendingChange.select(*[f for group in _PENDING_FIELDS for f in group],
                                  Enrolment.closed_from, Enrolment.id)
            .join(Child).switch(PendingChange).join(Activity).join(SchoolYear)
            .switch(PendingChange).join(Modalite)
            .switch(PendingChange).join(Enrolment, JOIN.LEFT_OUTER,
                                        on=((Enrolment.child == PendingChange.child)
                                            & (Enrolment.activity == PendingChange.activity)))
            .where(PendingChange.family == family_id)
            .order_by(PendingChange.date, Child.first_name, Child.id, Activity.position,
                      Activity.id))
    if ids is not None:
        query = query.where(PendingChange.id.in_(ids))
    return query


def _pending_rows(family_id, ids=None):
    """The family's pending changes (only ``ids`` when given) with child, activity, year,
    modalité and whether the line is still open (``row.enrolment`` None when not), in
    one query. The rows come
    back raw and each child, activity, year and modalité is built once (peewee's
    model-per-row join was a third of the recap's time)."""
    fields = _PENDING_FIELDS
    names = fields
    ends, end = [], 0
    for group in names:
        end += len(group)
        ends.append(end)
    built = {Child: {}, Activity: {}, SchoolYear: {}, Modalite: {}}
    enrolments = {}

    def once(model, values, group):
        cache = built[model]
        instance = cache.get(values[0])
        if instance is None:
            instance = cache[values[0]] = model_instance(model, group, values)
        return instance

    rows = []
    if ids is None:
        found = compiled_rows("pending rows", _pending_rows_query, family_id=family_id)
    else:
        found = compiled_rows("pending rows of ids", _pending_rows_query, family_id=family_id,
                              ids=sorted(ids) or [0])
    for row in found:
        pending = model_instance(PendingChange, names[0], row[:ends[0]])
        child = once(Child, row[ends[0]:ends[1]], names[1])
        activity = once(Activity, row[ends[1]:ends[2]], names[2])
        attach(activity, school_year=once(SchoolYear, row[ends[2]:ends[3]], names[3]))
        attach(pending, child=child, activity=activity,
               modalite=once(Modalite, row[ends[3]:ends[4]], names[4]))
        pending.enrolment = enrolments.get(row[-1]) if row[-1] is not None else None
        if row[-1] is not None and pending.enrolment is None:  # one per line, not per day
            pending.enrolment = enrolments[row[-1]] = model_instance(
                Enrolment, [Enrolment.closed_from, Enrolment.id], (as_date(row[-2]), row[-1]))
        rows.append(pending)
    return rows


_BOOKED_FIELDS = [f for f in Booking._meta.sorted_fields if f.name not in ("created_at",
                                                                          "booked_by")]


def _bookings_query(family_id, activity_ids, first, last):
    return (Booking.select(*_BOOKED_FIELDS, *Modalite._meta.sorted_fields)
            .join(Modalite)
            .where(Booking.child.in_(Child.select(Child.id).where(Child.family == family_id))
                   & Booking.activity.in_(activity_ids)
                   & (Booking.date >= first) & (Booking.date <= last)))


def _month_span(days):
    """(first day of the first month, last day of the last month) of ``days``."""
    first, last = min(days).replace(day=1), max(days).replace(day=28)
    return first, (last + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def _days_query(family_id, activity_ids, days):
    return (Booking.select(*_BOOKED_FIELDS, *Modalite._meta.sorted_fields)
            .join(Modalite)
            .where(Booking.child.in_(Child.select(Child.id).where(Child.family == family_id))
                   & Booking.activity.in_(activity_ids) & Booking.date.in_(days)))


def _bookings_of(family_id, rows, whole_months=False):
    """{(child id, activity id, date): Booking (with modalité)} under the pending rows
    (of their lines' activities); with ``whole_months``, every booking of their months,
    which the confirmation's "Coût de la période" adds up (:func:`period_costs`).
    One query."""
    if not rows:
        return {}
    booking_names = _BOOKED_FIELDS
    modalite_names = Modalite._meta.sorted_fields
    modalites, bookings = {}, {}
    split = len(booking_names)
    activity_ids = sorted({r.activity_id for r in rows})
    if whole_months:
        first, last = _month_span([r.date for r in rows])
        found = compiled_rows("bookings of months", _bookings_query, family_id=family_id,
                              activity_ids=activity_ids, first=first, last=last)
    else:
        found = compiled_rows("bookings of days", _days_query, family_id=family_id,
                              activity_ids=activity_ids, days=sorted({r.date for r in rows}))
    for row in found:
        booking = model_instance(Booking, booking_names, row[:split])
        modalite = modalites.get(row[split])
        if modalite is None:
            modalite = modalites[row[split]] = model_instance(Modalite, modalite_names,
                                                              row[split:])
        attach(booking, modalite=modalite)
        booking.date = as_date(booking.date)
        bookings[(booking.child_id, booking.activity_id, booking.date)] = booking
    return bookings


def _counts_query(activity_ids, days):
    return (Booking.select(Booking.activity, Booking.date, fn.COUNT(Booking.id))
            .where(Booking.activity.in_(activity_ids) & Booking.date.in_(days))
            .group_by(Booking.activity, Booking.date))


def _counts_of(rows):
    """{(activity id, date): committed bookings} for the days of the pending rows."""
    if not rows:
        return {}
    query = compiled_rows("counts of", _counts_query,
                          activity_ids=sorted({r.activity_id for r in rows}),
                          days=sorted({r.date for r in rows}))
    return {(activity_id, as_date(day)): count for activity_id, day, count in query}


def _prices_of(family_id, rows):
    """{(modalité id, date): price in cents} at the family's bracket on each day of
    service, year by year (:func:`domain.catalogue.pricing.day_prices`)."""
    by_year = defaultdict(list)
    for row in rows:
        by_year[row.activity.school_year_id].append((row.modalite_id, row.date))
    prices = {}
    for year_id, wanted in sorted(by_year.items()):
        prices.update(day_prices(family_id, year_id, wanted))
    return prices


def load_recap(family_id, now, zone, rows=None, override=False, whole_months=False):
    """The recap of the family's pending changes, checked against the rules at ``now``
    (a hint on the page; TERMINER checks again under a lock). ``override``: staff
    acting for the family, past the deadlines and the places (see :class:`_Checker`).
    ``whole_months``: ``recap.month_bookings`` holds every booking of the rows' months
    (TERMINER's, for :func:`period_costs`), not only those under the rows."""
    rows = _pending_rows(family_id) if rows is None else rows
    recap = Recap()
    if not rows:
        return recap
    bookings = recap.month_bookings = _bookings_of(family_id, rows, whole_months)
    to_book = [row for row in rows if row.action == PendingChange.BOOK]
    prices = _prices_of(family_id, to_book) if to_book else {}  # a cancellation gives back
    checker = _Checker(rows, now, zone, override, to_book)     # its booking's own price
    names = guardian_access.names_of(row.made_by_id for row in rows)
    for row in rows:
        booking = bookings.get((row.child_id, row.activity_id, row.date))
        base = dict(day=row.date, child=row.child, activity=row.activity, pending_id=row.id,
                    made_by=row.made_by_id, by=names.get(row.made_by_id, ""))
        if row.action == PendingChange.CANCEL or booking is not None:
            if booking is None or (row.action == PendingChange.BOOK
                                   and booking.modalite_id == row.modalite_id):
                recap.idle_ids.append(row.id)  # nothing to cancel, or already as wished
                continue
            problem = checker.problem(row, takes_place=False)
            recap.lines.append(RecapLine(modalite=booking.modalite, action=ANNULATION,
                                         amount_cents=-booking.price_cents, problem=problem,
                                         **base))
            recap.removed_booking_ids.append(booking.id)
            if row.action == PendingChange.CANCEL:
                continue
        price = prices.get((row.modalite_id, row.date))
        problem = checker.problem(row, takes_place=booking is None) or (
            NO_PRICE_TEXT if price is None else "")
        recap.lines.append(RecapLine(modalite=row.modalite, action=RESERVATION,
                                     amount_cents=price, problem=problem, **base))
        recap.new_bookings.append({"child": row.child_id, "activity": row.activity_id,
                                   "modalite": row.modalite_id, "date": row.date,
                                   "price_cents": price, "booked_by": row.made_by_id})
    return recap


class _Checker:
    """The rules of every pending change, with the rows they need loaded in bulk.

    With ``override`` (staff acting for the family) only three rules hold: the line
    is open, the activity runs that day and the day is not past; deadlines, booking
    windows, "by inscription" lines and places do not stop staff.
    """

    def __init__(self, rows, now, zone, override=False, to_book=None):
        self.now, self.zone, self.override = now, zone, override
        self.first, self.last = min(r.date for r in rows), max(r.date for r in rows)
        self.windows = load_windows({r.activity.school_year_id for r in rows})
        self.opening, self.places, self.school_closed = load_all_overrides(
            sorted({r.activity_id for r in rows}), self.first, self.last)
        # Places are counted only for the days a booking is made on.
        self.counts = _counts_of(rows if to_book is None else to_book)
        self.taken = defaultdict(int)  # places taken by this very commit
        self.today = now.astimezone(PARIS).date()
        self._overrides, self._states = {}, {}  # per activity, per (activity, deadline)
        self._open = {}  # per activity: its open days from the first row's to the last's

    def _overrides_of(self, activity_id):
        """(opening, places) overrides of one activity, merged once."""
        if activity_id not in self._overrides:
            self._overrides[activity_id] = (overrides_for(activity_id, self.opening),
                                            overrides_for(activity_id, self.places))
        return self._overrides[activity_id]

    def _runs_on(self, activity, day, opening):
        """Whether ``activity`` runs on ``day``: its open days computed once per activity
        for the whole span of the rows, not once per row."""
        days = self._open.get(activity.id)
        if days is None:
            days = self._open[activity.id] = set(open_days(activity, self.first, self.last,
                                                           self.zone, opening))
        return day in days

    def _state(self, activity, day):
        """day_edit_state, once per activity and deadline (see edit_state_key)."""
        key = (activity.id,) + edit_state_key(activity, day, self.today, self.zone)
        if key not in self._states:
            self._states[key] = day_edit_state(activity, day, self.now, self.windows, self.zone)
        return self._states[key]


    def problem(self, row, takes_place):
        """Why ``row`` cannot be committed now ("" if it can)."""
        activity, day = row.activity, row.date
        enrolment = getattr(row, "enrolment", None)
        if enrolment is None or enrolment.id is None:
            return NOT_ENROLLED_TEXT
        if enrolment.closed_from is not None and day >= enrolment.closed_from:
            return NOT_ENROLLED_TEXT  # désinscrit from that day
        opening, places_overrides = self._overrides_of(activity.id)
        if (not self._runs_on(activity, day, opening)
                or closed_for_school(self.school_closed, row.child.school_name, activity.id,
                                     day)):
            return CLOSED_DAY_TEXT
        if self.override:
            return PAST_DAY_TEXT if day < self.today else ""
        state = self._state(activity, day)
        if not state.allowed:
            return state.reason
        if takes_place:
            places = capacity_of(activity, day, places_overrides)
            key = (activity.id, day)
            if places is not None and self.counts.get(key, 0) + self.taken[key] >= places:
                return FULL_TEXT
            self.taken[key] += 1
        return ""


# --- TERMINER ------------------------------------------------------------------


@dataclass
class CommitResult:
    """What TERMINER did: the committed recap, or the refused one (nothing applied)."""

    recap: Recap
    committed: bool
    message: str = ""
    promoted: list = field(default_factory=list)  # (family id, Recap) from waiting lists
    audit_id: int | None = None  # the audit row of a family's commit (its changes listed)


class _Refused(Exception):
    """Raised inside the transaction to roll it back."""


def commit_pending(family_id, now, zone, only_ids=None, override=False, actor=None):
    """TERMINER: apply every pending change of the family in one transaction, or none.

    Deadlines, opening and places are checked again after taking the locks; a
    change that no longer holds is listed with its reason and nothing is applied.
    ``only_ids`` commits those pending changes only; ``override`` is staff's (see
    :class:`_Checker`). With ``actor`` (the family's user), the commit is audited in
    the same transaction, so staff read the family's own bookings and cancellations in
    the audit log.
    """
    recap, message, audit_id = Recap(), "", None
    try:
        with write_transaction():
            lock_rows(Family, [family_id])
            rows = _pending_rows(family_id, only_ids)
            if not rows:
                return CommitResult(recap, False, "Aucune modification en attente : "
                                                  "rien n'a été enregistré.")
            lock_rows(Activity, [r.activity_id for r in rows])
            recap = load_recap(family_id, now, zone, rows, override, whole_months=True)
            if recap.problems:
                raise _Refused()
            if actor is not None:  # a change kept before who made it was recorded
                for booking in recap.new_bookings:
                    booking["booked_by"] = booking["booked_by"] or actor.id
            _apply(recap)
            if actor is not None:
                audit_id = _audit_family_commit(actor, family_id, recap).id
            promoted = promote_waiting(
                {(line.activity.id, line.day) for line in recap.lines
                 if line.action == ANNULATION}, now, zone, locked=True)
    except _Refused:
        return CommitResult(recap, False, "Aucune modification n'a été enregistrée : "
                                          "certaines ne sont plus possibles.")
    except IntegrityError:
        return CommitResult(recap, False, "Ces jours viennent d'être réservés depuis un autre "
                                          "écran : rien n'a été enregistré, vérifiez votre "
                                          "planning.")
    return CommitResult(recap, True, message, promoted, audit_id)


def promote_waiting(freed, now, zone, locked=False):
    """Give the places freed on ``freed`` days ({(activity id, date)}) to the families
    waiting for them, first arrived first, while places are left: each is booked at its
    tariff if the booking rules still allow (the same checks as TERMINER), taken off the
    list and emailed through the outbox; the others move up. Runs inside the caller's
    transaction, after locking the activities (PostgreSQL), so two places freed at once
    never go to the same family twice nor beyond the capacity. Returns
    [(family id, Recap)] of the families booked. ``locked``: the caller holds the
    activities' locks already (TERMINER)."""
    promoted = []
    if not freed:
        return promoted
    if not locked:
        lock_rows(Activity, [activity_id for activity_id, _ in freed])
    waiting = waiting_list.entries_of_days(freed)  # one query, whatever the days
    for key in sorted(waiting):
        for entry in waiting[key]:
            recap = _promote_one(entry, now, zone)
            if recap is None:
                continue
            if any(line.problem == FULL_TEXT for line in recap.problems):
                break  # no place left: the others keep their rank
            if recap.problems:
                continue  # the rules refuse this family now; it keeps its place in line
            promoted.append((entry.family_id, recap))
    return promoted


def _promote_one(entry, now, zone):
    """Book ``entry``'s day if the rules allow; returns the checked Recap (with its
    problems when refused), or None when the child was booked meanwhile (the entry
    goes)."""
    key = ((Booking.child == entry.child_id) & (Booking.activity == entry.activity_id)
           & (Booking.date == entry.date))
    if Booking.select().where(key).exists():
        entry.delete_instance()
        return None
    PendingChange.delete().where((PendingChange.child == entry.child_id)
                                 & (PendingChange.activity == entry.activity_id)
                                 & (PendingChange.date == entry.date)).execute()
    pending = PendingChange.create(family=entry.family_id, child=entry.child_id,
                                   activity=entry.activity_id, modalite=entry.modalite_id,
                                   date=entry.date, action=PendingChange.BOOK)
    recap = load_recap(entry.family_id, now, zone, _pending_rows(entry.family_id, [pending.id]))
    if recap.problems or not recap.new_bookings:
        pending.delete_instance()
        return recap
    _apply(recap)
    WaitingListEntry.delete().where(WaitingListEntry.id == entry.id).execute()
    for address in waiting_list.family_addresses(entry.family_id):
        notifications.waiting_list_booked(address, recap)
    return recap


def _apply(recap):
    """The writes of a checked recap: cancellations, bookings, then the pending rows."""
    if recap.removed_booking_ids:
        _delete_ids(Booking, recap.removed_booking_ids)
    if recap.new_bookings:
        stamp = utc_now()
        Booking.insert_many([dict(row, created_at=stamp)
                             for row in recap.new_bookings]).execute()
    _delete_ids(PendingChange, recap.pending_ids)


def _delete_ids(model, ids):
    """``DELETE FROM <model> WHERE id IN (ids)``, written directly: for a family's whole
    month peewee took longer to build the statement than the database to run it."""
    if not ids:
        return
    database = model._meta.database
    marks = ", ".join([database.param] * len(ids))
    database.execute_sql(f'DELETE FROM "{model._meta.table_name}" WHERE "id" IN ({marks})',
                         list(ids))


def _audit_family_commit(actor, family_id, recap):
    """One audit row for a family's TERMINER: what it booked and cancelled, each change
    naming who made it when another guardian did (both share the pending changes), and
    what the confirmation page shows (:func:`confirmation`). Returns the row."""
    booked = [line for line in recap.lines if line.action == RESERVATION]
    cancelled = [line for line in recap.lines if line.action != RESERVATION]
    return audit.record(actor, family_id, audit.BOOKING_COMMITTED,
                 f"{len(booked)} réservation(s), {len(cancelled)} annulation(s) : "
                 + "; ".join(f"{line.action.capitalize()} {line.email_day} : {line.element}"
                             + (f" (par {line.by})" if line.by and line.made_by != actor.id
                                else "")
                             for line in recap.lines[:20])
                 + (" …" if len(recap.lines) > 20 else ""),
                 after={"reservees": len(booked), "annulations": len(cancelled)},
                 listed={"periods": period_costs(recap), "changes": done_changes(recap)})


def finish(family_id, address, now, zone, actor=None):
    """TERMINER and, once committed, the recap email to ``address``; audited as
    ``actor``'s (the family's user) when given."""
    result = commit_pending(family_id, now, zone, actor=actor)
    if result.committed and result.recap.lines and address:
        notifications.booking_recap(address, result.recap, now)
    return result


#: How many changes the confirmation lists by name (kept in TERMINER's audit row).
DONE_CHANGES_SHOWN = 20


def done_changes(recap):
    """The first committed changes as plain values for the confirmation page (kept in
    TERMINER's audit row, at most :data:`DONE_CHANGES_SHOWN`): ``{"lines": [{"day",
    "element", "action", "by"}], "more": how many are not listed}``, ``by`` naming who
    made each."""
    return {"lines": [{"day": line.email_day, "element": line.element, "action": line.action,
                       "by": line.by} for line in recap.lines[:DONE_CHANGES_SHOWN]],
            "more": max(0, len(recap.lines) - DONE_CHANGES_SHOWN)}


def confirmation(family_id, audit_id):
    """What the confirmation page shows of the family's TERMINER audited as row
    ``audit_id``, read back from that row (the session cookie keeps only its id):
    ``{"periods": period_costs, "changes": done_changes}``; None when that row is not
    one of the family's commits."""
    row = AuditLog.select(AuditLog.details).where(
        (AuditLog.id == audit_id) & (AuditLog.family == family_id)
        & (AuditLog.action == audit.BOOKING_COMMITTED)).first() if audit_id else None
    return audit.details_of(row).get("listed") if row is not None else None


def period_costs(recap):
    """The confirmation's "Coût de la période": for each child, line and month touched by
    a committed ``recap``, the cost of every day booked in that month once it is
    committed (not the sum of the changes). No query: the months' bookings were loaded
    by TERMINER (``recap.month_bookings``), less what it cancelled, plus what it booked.

    Returns ``[{"child", "child_id", "activity_id", "line", "month", "first", "cost"}]``
    (plain values: kept in the session for the confirmation page).
    """
    periods = {}
    for line in recap.lines:
        first = line.day.replace(day=1)
        key = (line.child.id, line.activity.id, first)
        periods.setdefault(key, (line.child, line.activity))
    if not periods:
        return []
    removed = set(recap.removed_booking_ids)
    costs = defaultdict(int)
    committed = [(b.child_id, b.activity_id, b.date, b.price_cents)
                 for b in recap.month_bookings.values() if b.id not in removed]
    committed += [(b["child"], b["activity"], b["date"], b["price_cents"])
                  for b in recap.new_bookings]
    for child_id, activity_id, day, price in committed:
        key = (child_id, activity_id, day.replace(day=1))
        if key in periods:
            costs[key] += price or 0
    ordered = sorted(periods.items(), key=lambda item: (
        item[0][2], item[1][0].first_name, item[1][0].id, item[1][1].position, item[1][1].id))
    return [{"child": child.first_name, "child_id": child.id, "activity_id": activity.id,
             "line": activity.full_label, "month": month_fr(first.year, first.month),
             "first": first.isoformat(), "cost": costs[key]}
            for key, (child, activity) in ordered for first in (key[2],)]


# --- On behalf of the family (staff) ---------------------------------------------


def finish_on_behalf(family_id, staff_user, reason, now, zone, address):
    """Staff's TERMINER in the family's calendar: every pending change of the family
    (the recap staff confirmed), committed with the override, audited once with the
    ``reason``; then the family's recap email « modifié par le service »."""
    with write_transaction():
        result = commit_pending(family_id, now, zone, override=True)
        if result.committed and result.recap.lines:
            audit.record(staff_user, family_id, audit.BOOKING_ON_BEHALF,
                         summary="; ".join(f"{line.action.capitalize()} {line.email_day} : "
                                           f"{line.element} ({euros(line.amount_cents)})"
                                           for line in result.recap.lines),
                         after={"modifications": len(result.recap.lines)}, reason=reason)
    if result.committed and result.recap.lines and address:
        notifications.booking_recap(address, result.recap, now, by_service=True,
                                    reason=reason)
    return result
