"""The calendar of PLANNING - RÉSERVATIONS: which lines, which days, in bulk.

A page shows, for each child and open line, the days of a range (a month, a
fortnight or a week). Everything is loaded with one query per table, whatever
the number of children, lines and days: lines (enrolment, child, family,
activity, school year and modalités joined), booking windows, staff overrides,
bookings (the family's, with its days declared ill, and the counts for capacity in
one grouped query, followed by the family's places on waiting lists) and the
family's pending changes.
"""
import datetime
from dataclasses import dataclass, field
from functools import cached_property

from peewee import JOIN

from domain.booking.days import (
    BY_INSCRIPTION,
    CELL_STATE_LABELS,
    PAST_DAY_TEXT,
    DayStatus,
    EditState,
    Waiting,
    closed_for_school,
    day_edit_state,
    edit_state_key,
    is_full,
    overrides_for,
    range_edit_state,
    split_overrides,
    split_school_closures,
    windows_by_period,
)
from domain.catalogue.opening import open_days
from domain.catalogue.school_calendar import is_covered
from domain.clock import PARIS
from domain.dates import add_months, first_of_month, month_end
from domain.fast_rows import attach, compiled_rows, model_instance
from domain.formats import date_fr, month_fr
from models import (
    Activity,
    Attendance,
    Booking,
    BookingWindow,
    Child,
    DayOverride,
    Enrolment,
    Family,
    Modalite,
    PendingChange,
    School,
    SchoolYear,
    WaitingListEntry,
)

VIEWS = ("mensuel", "quinzaine", "semaine")
VIEW_LABELS = {"mensuel": "MENSUEL", "quinzaine": "QUINZAINE", "semaine": "SEMAINE"}


@dataclass
class DayRange:
    """The displayed range of a view, with the starts of the previous and next ones."""

    view: str
    first: datetime.date
    last: datetime.date
    previous: datetime.date
    next: datetime.date

    @cached_property
    def label(self):
        """``Janvier 2027``, or ``Du 01/01/2027 au 15/01/2027``."""
        if self.view == "mensuel":
            return month_fr(self.first.year, self.first.month)
        return f"Du {date_fr(self.first)} au {date_fr(self.last)}"

    @property
    def days(self):
        return [self.first + datetime.timedelta(days=i)
                for i in range((self.last - self.first).days + 1)]


def display_range(view, start):
    """The range of ``view`` (mensuel, quinzaine, semaine) that contains ``start``."""
    if view == "semaine":
        first = start - datetime.timedelta(days=start.weekday())
        last = first + datetime.timedelta(days=6)
        return DayRange(view, first, last, first - datetime.timedelta(days=7),
                        first + datetime.timedelta(days=7))
    if view == "quinzaine":
        if start.day <= 15:
            first, last = start.replace(day=1), start.replace(day=15)
            previous = add_months(start, -1).replace(day=16)
            return DayRange(view, first, last, previous, start.replace(day=16))
        first, last = start.replace(day=16), month_end(start)
        return DayRange(view, first, last, start.replace(day=1), add_months(start, 1))
    first = first_of_month(start)
    return DayRange("mensuel", first, month_end(first), add_months(first, -1),
                    add_months(first, 1))


def parse_range(view, start, today, default=None):
    """The range asked by the query string, defaulting to ``default`` (else this month);
    never fails."""
    try:
        day = datetime.date.fromisoformat(start or "")
    except ValueError:
        day = default or today
    if not is_covered(day.year):  # outside the holiday data: back to today
        day = today
    return display_range(view if view in VIEWS else "mensuel", day)


@dataclass
class Line:
    """An open activity line of a child, with the days of the displayed range."""

    child: Child
    activity: Activity
    modalites: list
    days: dict = field(default_factory=dict)  # {date: DayStatus}
    state: EditState | None = None
    closed_from: datetime.date | None = None  # désinscrit from that day (no day bookable)

    @property
    def key(self):
        """Stable id part of the line's calendar: ``<child id>-<activity id>``."""
        return f"{self.child.id}-{self.activity.id}"

    @property
    def modalite_ids(self):
        return {m.id for m in self.modalites}

    def tick_all(self, modalite_id):
        """TOUT COCHER: ``{day: modalite_id}`` for every day of the range the family may
        change and where a place is left for the child."""
        return {day: modalite_id for day, status in self.days.items()
                if status.changeable and not status.full_for_child}

    def modalite(self, modalite_id):
        return next((m for m in self.modalites if m.id == modalite_id), None)

    @property
    def chosen_days(self):
        """[(DayStatus, modalité name, state)] of the days booked or changed in the range."""
        chosen = []
        for status in self.days.values():
            modalite_id = status.desired or status.booked
            if modalite_id is not None:
                modalite = self.modalite(modalite_id)
                chosen.append((status, modalite.name if modalite else "",
                               CELL_STATE_LABELS.get(status.css(modalite_id), "")))
        return chosen

    @property
    def has_waiting(self):
        """Whether a day of the range offers its waiting list or holds the child's rank."""
        return any(s.waiting is not None or s.can_wait for s in self.days.values())

    @property
    def desired(self):
        """{date: modalité id} the server holds now (pending change, else booking)."""
        return {day: status.desired for day, status in self.days.items()
                if status.desired is not None}


@dataclass
class Planning:
    """Every line of a family in a range, grouped by child, and its pending changes."""

    family: Family | None
    range: DayRange
    lines: list
    pending_count: int = 0

    @property
    def by_child(self):
        """[(child, [lines])] in display order."""
        groups = []
        for line in self.lines:
            if not groups or groups[-1][0].id != line.child.id:
                groups.append((line.child, []))
            groups[-1][1].append(line)
        return groups


def school_year_of(day):
    """Subquery: the school year a day belongs to for bookings — the latest one that
    started on or before it (summer holidays belong to the year they end)."""
    return (SchoolYear.select(SchoolYear.id).where(SchoolYear.start_date <= day)
            .order_by(SchoolYear.start_date.desc()).limit(1))


_CHILD = Child._meta.sorted_fields
_ACTIVITY = Activity._meta.sorted_fields
_YEAR = SchoolYear._meta.sorted_fields
_MODALITE = Modalite._meta.sorted_fields
_FAMILY = Family._meta.sorted_fields


def _lines_query(family_id, day, child_id=None, activity_id=None):
    """The statement of :func:`load_lines` (columns of child, activity, year, family,
    modalité)."""
    query = (Enrolment.select(*Child._meta.sorted_fields, *Activity._meta.sorted_fields,
                              *SchoolYear._meta.sorted_fields, *Family._meta.sorted_fields,
                              *Modalite._meta.sorted_fields, Enrolment.closed_from)
             .join(Child).join(Family)
             .switch(Enrolment).join(Activity).join(SchoolYear)
             .switch(Activity).join(Modalite, JOIN.LEFT_OUTER,
                                    on=(Modalite.activity == Activity.id))
             .where((Child.family == family_id) & Child.archived_at.is_null()
                    & (Activity.school_year == school_year_of(day)))
             .order_by(Child.first_name, Child.id, Activity.position, Activity.id,
                       Modalite.position, Modalite.id))
    if child_id is not None:
        query = query.where((Child.id == child_id) & (Activity.id == activity_id))
    return query


def load_lines(family_id, day, child_id=None, activity_id=None):
    """(family, [Line]) of the open lines of the school year of ``day``, in one query;
    only one line's when ``child_id`` and ``activity_id`` are given (``family`` None
    when there is no line).

    The rows (a line per modalité) come back as plain tuples and each child, activity,
    school year and modalité is built once: peewee's model-per-row joins were most of
    a page's time."""
    ends = [len(_CHILD)]
    ends += [ends[-1] + len(_ACTIVITY), ends[-1] + len(_ACTIVITY) + len(_YEAR)]
    ends.append(ends[-1] + len(_FAMILY))
    family, children, activities, years, lines = None, {}, {}, {}, {}
    if child_id is None:
        rows = compiled_rows("lines", _lines_query, family_id=family_id, day=day)
    else:
        rows = compiled_rows("line", _lines_query, family_id=family_id, day=day,
                             child_id=child_id, activity_id=activity_id)
    for row in rows:
        child_values, activity_values = row[:ends[0]], row[ends[0]:ends[1]]
        child = children.get(child_values[0])
        if child is None:
            child = children[child_values[0]] = model_instance(Child, _CHILD, child_values)
        activity = activities.get(activity_values[0])
        if activity is None:
            activity = activities[activity_values[0]] = model_instance(Activity, _ACTIVITY,
                                                                   activity_values)
            year_values = row[ends[1]:ends[2]]
            year = years.get(year_values[0])
            if year is None:
                year = years[year_values[0]] = model_instance(SchoolYear, _YEAR, year_values)
            attach(activity, school_year=year)
        if family is None:
            family = model_instance(Family, _FAMILY, row[ends[2]:ends[3]])
        attach(child, family=family)
        line = lines.get((child.id, activity.id))
        if line is None:
            line = lines[(child.id, activity.id)] = Line(child, activity, [],
                                                         closed_from=as_date(row[-1]))
        modalite_values = row[ends[3]:-1]
        if modalite_values[0] is not None:
            line.modalites.append(model_instance(Modalite, _MODALITE, modalite_values))
    return family, list(lines.values())


#: What the statement of :func:`load_bookings` puts in its illness column for a row that
#: is a waiting-list entry (its certificate column: the entry's id; its count: the rank).
WAITING_MARK = "liste"
# The family's (or, for a tick, one child's) waiting-list entries of the range, each with
# its rank (1 + the entries of the same day before it), WAITING_MARK in the illness column.
_WAITING_SQL = (
    "UNION ALL SELECT w.{w_activity}, w.{w_date}, w.{w_child}, w.{w_modalite}, "
    "'" + WAITING_MARK + "', w.{w_id}, 1 + (SELECT COUNT(*) FROM {waiting} AS x "
    "WHERE x.{w_activity} = w.{w_activity} AND x.{w_date} = w.{w_date} "
    "AND (x.{w_created} < w.{w_created} OR (x.{w_created} = w.{w_created} "
    "AND x.{w_id} < w.{w_id}))) "
    "FROM {waiting} AS w WHERE w.{w_owner} = {p} AND w.{w_date} >= {p} AND w.{w_date} <= {p}")
#: ``{owner}``: the column of the children's table that keeps a row apart: ``family`` (the
#: family's page) or the child's own id (one child's lines, a tick: fewer rows kept apart);
#: ``{w_owner}`` the same column of the waiting list.
_BOOKINGS_SQL = (
    "SELECT b.{activity}, b.{date}, "
    "CASE WHEN c.{owner} = {p} THEN b.{child} END, "
    "CASE WHEN c.{owner} = {p} THEN b.{modalite} END, "
    "a.{illness}, a.{certificate}, COUNT(*) "
    "FROM {booking} AS b JOIN {child_table} AS c ON c.{child_pk} = b.{child} "
    "LEFT JOIN {attendance} AS a ON c.{owner} = {p} AND a.{a_child} = b.{child} "
    "AND a.{a_activity} = b.{activity} AND a.{a_date} = b.{date} AND a.{illness} <> '' "
    "WHERE b.{activity} IN ({ids}) AND b.{date} >= {p} AND b.{date} <= {p} "
    "GROUP BY 1, 2, 3, 4, 5, 6 " + _WAITING_SQL)
#: The statement of :func:`load_bookings`, by number of activities and database.
_BOOKINGS_STATEMENTS: dict[tuple, str] = {}


def load_bookings(family_id, activity_ids, first, last, child_id=None):
    """({(activity id, date): count of bookings}, {(child id, activity id, date):
    modalité id of the family's bookings}, {(child id, activity id, date): (illness
    review state, whether a certificate was sent)} of the family's booked days declared
    ill, {(child id, activity id, date): Waiting} of the family's waiting-list entries
    with their rank), in one query: the family's own rows are kept apart (with their
    illness mark joined), everyone else's only counted, and the family's waiting-list
    entries follow (UNION ALL) — the page's query budget has no room for one more
    round trip. With ``child_id``, only that child's rows and entries are kept apart
    (the lines of one child, a tick: fewer rows). Written as SQL: peewee took longer
    to build this statement than the database to run it."""
    if not activity_ids:
        return {}, {}, {}, {}
    database = Booking._meta.database
    one_child = child_id is not None
    key = ("bookings", one_child, len(activity_ids), database.param,
           type(getattr(database, "obj", database)).__name__)
    sql = _BOOKINGS_STATEMENTS.get(key)
    if sql is None:
        sql = _BOOKINGS_STATEMENTS[key] = _bookings_sql(database, len(activity_ids), one_child)
    owner = child_id if one_child else family_id
    params = [owner, owner, owner, *activity_ids, first, last, owner, first, last]
    counts, booked, ill, waiting, dates = {}, {}, {}, {}, {}
    for activity_id, day, kid_id, modalite_id, illness, certificate_id, count in \
            database.execute_sql(sql, params):
        day = dates.get(day) or dates.setdefault(day, as_date(day))
        if illness == WAITING_MARK:
            waiting[(kid_id, activity_id, day)] = Waiting(certificate_id, modalite_id, count)
            continue
        counts[(activity_id, day)] = counts.get((activity_id, day), 0) + count
        if kid_id is not None:
            booked[(kid_id, activity_id, day)] = modalite_id
            if illness:
                ill[(kid_id, activity_id, day)] = (illness, certificate_id is not None)
    return counts, booked, ill, waiting


def _bookings_sql(database, id_count, one_child=False):
    """The statement of :func:`load_bookings` for ``id_count`` activities, the rows of
    one child kept apart (``one_child``) or the family's."""
    left, right = database.quote[0], database.quote[-1]

    def quote(name):
        return f"{left}{name}{right}"

    return _BOOKINGS_SQL.format(
        p=database.param, ids=", ".join([database.param] * id_count),
        booking=quote(Booking._meta.table_name), child_table=quote(Child._meta.table_name),
        attendance=quote(Attendance._meta.table_name),
        illness=quote(Attendance.illness.column_name),
        certificate=quote(Attendance.certificate.column_name),
        a_child=quote(Attendance.child.column_name),
        a_activity=quote(Attendance.activity.column_name),
        a_date=quote(Attendance.date.column_name),
        waiting=quote(WaitingListEntry._meta.table_name),
        w_id=quote(WaitingListEntry.id.column_name),
        w_owner=quote((WaitingListEntry.child if one_child
                       else WaitingListEntry.family).column_name),
        w_child=quote(WaitingListEntry.child.column_name),
        w_activity=quote(WaitingListEntry.activity.column_name),
        w_modalite=quote(WaitingListEntry.modalite.column_name),
        w_date=quote(WaitingListEntry.date.column_name),
        w_created=quote(WaitingListEntry.created_at.column_name),
        child_pk=quote(Child.id.column_name),
        owner=quote((Child.id if one_child else Child.family).column_name),
        activity=quote(Booking.activity.column_name), date=quote(Booking.date.column_name),
        child=quote(Booking.child.column_name), modalite=quote(Booking.modalite.column_name))


def as_date(value):
    """A date from a grouped query (SQLite may hand back the ISO string)."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _overrides_query(activity_ids, first, last):
    return DayOverride.select().where(
        (DayOverride.activity.in_(activity_ids) | DayOverride.activity.is_null())
        & (DayOverride.date >= first) & (DayOverride.date <= last))


def load_overrides(activity_ids, first, last):
    """Staff overrides of the activities (and commune-wide ones) in a range, split by
    activity: see :func:`domain.booking.days.split_overrides`."""
    return split_overrides(_override_rows(activity_ids, first, last))


def _override_rows(activity_ids, first, last):
    fields = DayOverride._meta.sorted_fields
    rows = compiled_rows("overrides", _overrides_query, activity_ids=list(activity_ids),
                         first=first, last=last)
    return [model_instance(DayOverride, fields, row) for row in rows]


def load_all_overrides(activity_ids, first, last):
    """(opening, places, school closures) of a range: :func:`load_overrides` plus the
    days closed for one school's children (a query more only when there are some)."""
    rows = _override_rows(activity_ids, first, last)
    opening, places = split_overrides(rows)
    school_ids = {row.school_id for row in rows if row.school_id is not None}
    names = (dict(School.select(School.id, School.name).where(School.id.in_(school_ids))
                  .tuples()) if school_ids else {})
    return opening, places, split_school_closures(rows, names)


def _windows_query(school_year_ids):
    return BookingWindow.select().where(BookingWindow.school_year.in_(school_year_ids))


def load_windows(school_year_ids):
    """{(school year id, period): BookingWindow} of the given years."""
    fields = BookingWindow._meta.sorted_fields
    rows = compiled_rows("windows", _windows_query, school_year_ids=sorted(school_year_ids))
    return windows_by_period([model_instance(BookingWindow, fields, row) for row in rows])


def _pending_query(family_id):
    return PendingChange.select().where(PendingChange.family == family_id)


def load_pending(family_id):
    """{(child id, activity id, date): PendingChange} of the family (all months)."""
    fields = PendingChange._meta.sorted_fields
    pending = [model_instance(PendingChange, fields, row)
               for row in compiled_rows("pending", _pending_query, family_id=family_id)]
    return {(p.child_id, p.activity_id, p.date): p for p in pending}


#: Staff acting for the family: every day not past can change, full or not.
STAFF_STATE = EditState(True)


def fill_days(lines, first, last, now, zone, pending, override=False):
    """Compute every line's DayStatus of ``first``..``last`` from bulk-loaded rows;
    ``override`` (staff booking on the family's behalf): no deadline, no place limit."""
    activity_ids = sorted({line.activity.id for line in lines})
    windows = load_windows({line.activity.school_year_id for line in lines})
    opening, places, school_closed = load_all_overrides(activity_ids, first, last)
    children = {line.child.id for line in lines}
    counts, booked, ill, waiting = load_bookings(
        lines[0].child.family_id, activity_ids, first, last,
        child_id=children.pop() if len(children) == 1 else None)
    today, memo = now.astimezone(PARIS).date(), {}
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]

    def state_of(activity, day):
        if override:
            return STAFF_STATE if day >= today else EditState(False, PAST_DAY_TEXT)
        key = (activity.id,) + edit_state_key(activity, day, today, zone)
        if key not in memo:
            memo[key] = day_edit_state(activity, day, now, windows, zone)
        return memo[key]

    # What depends on the activity only (opening, deadline, places) once per activity,
    # not once per child: a family's children share most of their activities.
    by_activity, range_states = {}, {}
    for activity in {line.activity.id: line.activity for line in lines}.values():
        capacity_overrides = overrides_for(activity.id, places)
        open_set = set(open_days(activity, first, last, zone,
                                 overrides_for(activity.id, opening)))
        by_activity[activity.id] = [
            (day, day in open_set, state_of(activity, day),
             not override and is_full(activity, day, counts.get((activity.id, day), 0),
                                      capacity_overrides))
            for day in days]
        range_states[activity.id] = range_edit_state(
            activity, sorted(open_set), now, windows, zone,
            lambda day, activity=activity: state_of(activity, day)) if not override \
            else STAFF_STATE
    book = PendingChange.BOOK
    for line in lines:
        child_id, activity_id = line.child.id, line.activity.id
        school = line.child.school_name
        for day, is_open, state, full in by_activity[activity_id]:
            if is_open and closed_for_school(school_closed, school, activity_id, day):
                is_open = False
            key = (child_id, activity_id, day)
            change, booked_id = pending.get(key), booked.get(key)
            desired = (booked_id if change is None
                       else change.modalite_id if change.action == book else None)
            if line.closed_from is not None and day >= line.closed_from:
                is_open = False  # the line is closed from that day
            line.days[day] = DayStatus(day, is_open, state, full, booked_id, desired,
                                       change is not None, ill.get(key), waiting.get(key))
        line.state = range_states[activity_id]


def load_planning(family_id, day_range, now, zone, child_id=None, activity_id=None,
                  override=False, only=None):
    """The Planning of a family for ``day_range`` (one line's when ids are given; only
    the lines whose (child id, activity id) is in ``only`` when given: their days alone
    are filled). ``override``: staff booking on behalf (no deadline nor place limit)."""
    family, lines = load_lines(family_id, day_range.last, child_id, activity_id)
    if only is not None:
        lines = [line for line in lines if (line.child.id, line.activity.id) in only]
    pending = load_pending(family_id)
    if lines:
        fill_days(lines, day_range.first, day_range.last, now, zone, pending, override)
    return Planning(family, day_range, lines, len(pending))


def load_twin_lines(family_id, line):
    """The family's other children's lines of ``line``'s activity or of its
    maternelle/élémentaire twin (same school year, kind and holiday period), days not
    filled: what "Appliquer aussi à" offers. One query (none for a line booked by the
    inscription)."""
    activity = line.activity
    if activity.category in BY_INSCRIPTION:
        return []
    period = (Activity.holiday_period == activity.holiday_period
              if activity.holiday_period is not None else Activity.holiday_period.is_null())
    query = (Enrolment.select(Enrolment, Child, Activity, SchoolYear)
             .join(Child).switch(Enrolment).join(Activity).join(SchoolYear)
             .where((Child.family == family_id) & (Child.id != line.child.id)
                    & (Activity.school_year == activity.school_year_id)
                    & (Activity.category == activity.category) & period)
             .order_by(Child.first_name, Child.id, Activity.position, Activity.id))
    return [Line(enrolment.child, enrolment.activity, []) for enrolment in query]


#: How far ahead PLANNING looks for a period that can still be changed.
LOOK_AHEAD_MONTHS = 13


def first_changeable_month(family_id, now, zone):
    """The first day of the first month, from this one, in which a day of one of the
    family's lines can still be booked or cancelled (deadline, booking window); this
    month when none can. Two queries (lines, booking windows); the opening of days
    is the activity's calendar without the staff's exceptions."""
    today = now.astimezone(PARIS).date()
    this_month = first_of_month(today)
    _, lines = load_lines(family_id, add_months(this_month, 1))
    activities = list({line.activity.id: line.activity for line in lines}.values())
    if not activities:
        return this_month
    windows = load_windows({activity.school_year_id for activity in activities})
    memo = {}
    for offset in range(LOOK_AHEAD_MONTHS):
        first = add_months(this_month, offset)
        for activity in activities:
            for day in open_days(activity, max(first, today), month_end(first), zone, {}):
                key = (activity.id,) + edit_state_key(activity, day, today, zone)
                if key not in memo:
                    memo[key] = day_edit_state(activity, day, now, windows, zone).allowed
                if memo[key]:
                    return first
    return this_month
