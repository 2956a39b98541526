"""The calendar of PLANNING - RÉSERVATIONS: which lines, which days, in bulk.

A page shows, for each child and open line, the days of a range (a month, a
fortnight or a week). Everything is loaded with one query per table, whatever
the number of children, lines and days: lines (enrolment, child, family,
activity, school year and modalités joined), booking windows, staff overrides,
bookings (the family's and the counts for capacity in one grouped query) and
the family's pending changes.
"""
import datetime
from dataclasses import dataclass, field
from functools import cached_property

from peewee import JOIN, SQL, Case, fn

from domain.dates import add_months, first_of_month, month_end
from domain.booking.days import (CELL_STATE_LABELS, DayStatus, EditState, day_edit_state, edit_state_key,
                            is_full, overrides_for, range_edit_state,
                            split_overrides, windows_by_period)
from domain.clock import PARIS
from domain.formats import date_fr, month_fr
from domain.catalogue.opening import open_days
from domain.catalogue.school_calendar import is_covered
from models import (Activity, Booking, BookingWindow, Child, DayOverride, Enrolment, Family,
                    Modalite, PendingChange, SchoolYear)

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


def parse_range(view, start, today):
    """The range asked by the query string, defaulting to this month; never fails."""
    try:
        day = datetime.date.fromisoformat(start or "")
    except ValueError:
        day = today
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

    @property
    def key(self):
        """Stable id part of the line's calendar: ``<child id>-<activity id>``."""
        return f"{self.child.id}-{self.activity.id}"

    @property
    def modalite_ids(self):
        return {m.id for m in self.modalites}

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


def load_lines(family_id, day, child_id=None, activity_id=None):
    """(family, [Line]) of the open lines of the school year of ``day``, in one query;
    only one line's when ``child_id`` and ``activity_id`` are given."""
    query = (Enrolment.select(Enrolment, Child, Family, Activity, SchoolYear, Modalite)
             .join(Child).join(Family)
             .switch(Enrolment).join(Activity).join(SchoolYear)
             .switch(Activity).join(Modalite, JOIN.LEFT_OUTER,
                                    on=(Modalite.activity == Activity.id), attr="row_modalite")
             .where((Child.family == family_id)
                    & (Activity.school_year == school_year_of(day)))
             .order_by(Child.first_name, Child.id, Activity.position, Activity.id,
                       Modalite.position, Modalite.id))
    if child_id is not None:
        query = query.where((Child.id == child_id) & (Activity.id == activity_id))
    family, lines = None, {}
    for enrolment in query:
        child, activity = enrolment.child, enrolment.activity
        family = family or child.family
        line = lines.get((child.id, activity.id))
        if line is None:
            line = lines[(child.id, activity.id)] = Line(child, activity, [])
        modalite = getattr(activity, "row_modalite", None)
        if modalite is not None and modalite.id is not None:
            line.modalites.append(modalite)
    return family, list(lines.values())


def load_bookings(family_id, activity_ids, first, last):
    """({(activity id, date): count of bookings}, {(child id, activity id, date):
    modalité id of the family's bookings}), in one grouped query: the family's own
    rows are kept apart, everyone else's only counted."""
    own_children = Child.select(Child.id).where(Child.family == family_id)
    own = Case(None, [(Booking.child.in_(own_children), Booking.child)], None)
    own_modalite = Case(None, [(Booking.child.in_(own_children), Booking.modalite)], None)
    rows = (Booking.select(Booking.activity, Booking.date, own, own_modalite,
                           fn.COUNT(Booking.id))
            .where(Booking.activity.in_(activity_ids) & (Booking.date >= first)
                   & (Booking.date <= last))
            .group_by(SQL("1"), SQL("2"), SQL("3"), SQL("4"))
            .tuples())
    counts, booked = {}, {}
    for activity_id, day, child_id, modalite_id, count in rows:
        day = as_date(day)
        counts[(activity_id, day)] = counts.get((activity_id, day), 0) + count
        if child_id is not None:
            booked[(child_id, activity_id, day)] = modalite_id
    return counts, booked


def as_date(value):
    """A date from a grouped query (SQLite may hand back the ISO string)."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def load_overrides(activity_ids, first, last):
    """Staff overrides of the activities (and commune-wide ones) in a range, split by
    activity: see :func:`domain.booking.days.split_overrides`."""
    rows = DayOverride.select().where(
        (DayOverride.activity.in_(activity_ids) | DayOverride.activity.is_null())
        & (DayOverride.date >= first) & (DayOverride.date <= last))
    return split_overrides(rows)


def load_windows(school_year_ids):
    """{(school year id, period): BookingWindow} of the given years."""
    return windows_by_period(BookingWindow.select().where(
        BookingWindow.school_year.in_(list(school_year_ids))))


def load_pending(family_id):
    """{(child id, activity id, date): PendingChange} of the family (all months)."""
    return {(p.child_id, p.activity_id, p.date): p
            for p in PendingChange.select().where(PendingChange.family == family_id)}


def fill_days(lines, first, last, now, zone, pending):
    """Compute every line's DayStatus of ``first``..``last`` from bulk-loaded rows."""
    activity_ids = sorted({line.activity.id for line in lines})
    windows = load_windows({line.activity.school_year_id for line in lines})
    opening, places = load_overrides(activity_ids, first, last)
    counts, booked = load_bookings(lines[0].child.family_id, activity_ids, first, last)
    today, memo = now.astimezone(PARIS).date(), {}
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]

    def state_of(activity, day):
        key = (activity.id,) + edit_state_key(activity, day, today, zone)
        if key not in memo:
            memo[key] = day_edit_state(activity, day, now, windows, zone)
        return memo[key]

    for line in lines:
        activity = line.activity
        capacity_overrides = overrides_for(activity.id, places)
        open_set = set(open_days(activity, first, last, zone,
                                 overrides_for(activity.id, opening)))
        for day in days:
            key = (line.child.id, activity.id, day)
            change = pending.get(key)
            status = DayStatus(
                day=day, is_open=day in open_set, state=state_of(activity, day),
                full=is_full(activity, day, counts.get((activity.id, day), 0),
                             capacity_overrides),
                booked=booked.get(key), pending=change is not None)
            status.desired = (status.booked if change is None
                              else change.modalite_id if change.action == PendingChange.BOOK
                              else None)
            line.days[day] = status
        line.state = range_edit_state(activity, sorted(open_set), now, windows, zone,
                                      lambda day, activity=activity: state_of(activity, day))


def load_planning(family_id, day_range, now, zone, child_id=None, activity_id=None):
    """The Planning of a family for ``day_range`` (one line's when ids are given)."""
    family, lines = load_lines(family_id, day_range.last, child_id, activity_id)
    pending = load_pending(family_id)
    if lines:
        fill_days(lines, day_range.first, day_range.last, now, zone, pending)
    return Planning(family, day_range, lines, len(pending))
