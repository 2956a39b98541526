"""Who comes, who came: attendance registers, meal counts and occupancy (SPEC §3).

The register of a day lists the children booked on an activity, with what the
people looking after them must know (PAI, allergies, medical diet, who may
pick them up) and the status ticked by staff: présent / absent / excusé. Every
function loads its rows in a constant number of queries, whatever the number
of children (see ``bench/attendance.py``).
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, fn

from domain import audit
from domain.booking.calendar import as_date, load_overrides
from domain.booking.days import capacity_of, overrides_for
from domain.catalogue.opening import open_days
from domain.transactions import write_transaction
from domain.clock import utc_now
from models import (Activity, Attendance, Booking, Child, Family, Guardian, HealthRecord,
                    Modalite, PickupPerson)

#: The statuses in the order of the buttons.
STATUSES = (Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED)


class NotBooked(Exception):
    """The child is not booked on that activity that day: nothing to tick."""


@dataclass
class RegisterRow:
    """One booked child on the register of a day."""

    child: Child
    family: Family
    modalite: Modalite
    health: HealthRecord | None
    pickup: list = field(default_factory=list)  # (name, relationship, phone)
    status: str = ""
    marked_at: datetime.datetime | None = None

    @property
    def has_pai(self):
        return bool(self.health and self.health.has_pai)

    @property
    def allergies(self):
        return (self.health.allergies or "").strip() if self.health else ""

    @property
    def diet(self):
        return (self.health.diet or "").strip() if self.health else ""

    @property
    def status_label(self):
        return Attendance.LABELS.get(self.status, "Non pointé")

    @property
    def group_key(self):
        """(school, group label): the print view starts a page per group."""
        return (self.child.school_name or "Sans école", self.child.group_label)


def schools():
    """The school names children are registered at, sorted (for the filters)."""
    rows = (Child.select(Child.school_name).where(Child.school_name != "")
            .distinct().order_by(Child.school_name).tuples())
    return [name for (name,) in rows]


def register(activity, day, school="", group=""):
    """[RegisterRow] of ``activity`` on ``day``, by school, group and name; ``school``
    and ``group`` ("maternel" / "elementaire") narrow it. Four queries."""
    query = (Booking.select(Booking, Child, Family, Modalite, HealthRecord)
             .join(Child).join(Family)
             .switch(Booking).join(Modalite)
             .switch(Child).join(HealthRecord, JOIN.LEFT_OUTER,
                                 on=(HealthRecord.child == Child.id), attr="health")
             .where((Booking.activity == activity) & (Booking.date == day)
                    & Child.archived_at.is_null())
             .order_by(Child.school_name, Child.last_name, Child.first_name, Child.id))
    if school:
        query = query.where(Child.school_name == school)
    if group == "maternel":
        query = query.where(Child.class_level.in_(Child.MATERNELLE_LEVELS))
    elif group == "elementaire":
        query = query.where(Child.class_level.not_in(Child.MATERNELLE_LEVELS))
    rows = []
    for booking in query:
        child = booking.child
        health = getattr(child, "health", None)
        if health is not None and health.id is None:
            health = None
        rows.append(RegisterRow(child=child, family=child.family, modalite=booking.modalite,
                                health=health))
    if not rows:
        return rows
    family_ids = {row.family.id for row in rows}
    pickup = defaultdict(list)
    for guardian in (Guardian.select().where(Guardian.family.in_(family_ids))
                     .order_by(Guardian.position, Guardian.id)):
        pickup[guardian.family_id].append((f"{guardian.first_name} {guardian.last_name}",
                                           guardian.relationship, guardian.phone_mobile
                                           or guardian.phone_home or guardian.phone_work))
    for person in (PickupPerson.select().where(PickupPerson.family.in_(family_ids))
                   .order_by(PickupPerson.id)):
        pickup[person.family_id].append((f"{person.first_name} {person.last_name}",
                                         person.relationship, person.phone))
    marks = {a.child_id: a for a in Attendance.select().where(
        (Attendance.activity == activity) & (Attendance.date == day)
        & Attendance.child.in_([row.child.id for row in rows]))}
    for row in rows:
        row.pickup = pickup[row.family.id]
        mark = marks.get(row.child.id)
        if mark is not None:
            row.status, row.marked_at = mark.status, mark.marked_at
    rows.sort(key=lambda r: (r.group_key, r.child.last_name, r.child.first_name, r.child.id))
    return rows


def group_counts(activity, day):
    """[(school, group, group label, children booked)] of ``activity`` on ``day``, in the
    register's order: its table of contents when it is too long to show at once. One
    query."""
    counts = defaultdict(int)
    for school, level, count in (Booking.select(Child.school_name, Child.class_level,
                                                fn.COUNT(Booking.id))
                                 .join(Child)
                                 .where((Booking.activity == activity) & (Booking.date == day))
                                 .group_by(Child.school_name, Child.class_level).tuples()):
        counts[(school or "Sans école", Child.group_of(level))] += count
    return [(school, group, Child.GROUP_LABELS[group], count)
            for (school, group), count in sorted(counts.items())]


def by_group(rows):
    """[(school, group label, [RegisterRow])] in the order of ``rows``."""
    groups = []
    for row in rows:
        if not groups or groups[-1][:2] != row.group_key:
            groups.append((*row.group_key, []))
        groups[-1][2].append(row)
    return groups


def totals(rows):
    """{status or "": count} of a register, for its summary line."""
    counts = {status: 0 for status in (*STATUSES, "")}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def mark(activity, child_id, day, status, actor):
    """Tick ``status`` for a booked child (présent / absent / excusé; "" clears it),
    audited. Returns the register row as it now stands; raises :class:`NotBooked`."""
    if status not in (*STATUSES, ""):
        raise ValueError(status)
    with write_transaction():
        booking = (Booking.select(Booking, Child).join(Child)
                   .where((Booking.activity == activity) & (Booking.child == child_id)
                          & (Booking.date == day)).first())
        if booking is None:
            raise NotBooked()
        child = booking.child
        previous = (Attendance.select().where((Attendance.activity == activity)
                                              & (Attendance.child == child_id)
                                              & (Attendance.date == day)).first())
        before = previous.status if previous else ""
        if status == "":
            if previous:
                previous.delete_instance()
        elif previous:
            previous.status, previous.marked_by, previous.marked_at = status, actor, utc_now()
            previous.save()
        else:
            Attendance.create(child=child, activity=activity, date=day, status=status,
                              marked_by=actor)
        if before != status:
            audit.record(actor, child.family_id, audit.ATTENDANCE_MARKED,
                         f"{child.first_name} {child.last_name}, {activity.name}, "
                         f"{day.strftime('%d/%m/%Y')} : "
                         f"{Attendance.LABELS.get(status, 'non pointé')}",
                         before=before, after=status)
    return status


# --- Meal counts ---------------------------------------------------------------


def is_meal(activity, modalite):
    """Whether a booking of ``modalite`` is a meal the caterer delivers: every canteen
    booking, and the centres' modalités "AVEC repas" / "Journée AVEC repas"."""
    if activity.category == Activity.RESTAURATION:
        return True
    return "avec repas" in modalite.name.lower()


def meal_counts(first, last):
    """The meals to order per day and school from ``first`` to ``last``:
    (days, schools, {(day, school): count}, {day: total}). Two queries."""
    meal_modalites = {}
    for modalite in Modalite.select(Modalite, Activity).join(Activity):
        meal_modalites[modalite.id] = is_meal(modalite.activity, modalite)
    ids = [mid for mid, meal in meal_modalites.items() if meal]
    if not ids:
        return [], [], {}, {}
    rows = (Booking.select(Booking.date, Child.school_name, fn.COUNT(Booking.id))
            .join(Child)
            .where(Booking.modalite.in_(ids) & (Booking.date >= first) & (Booking.date <= last))
            .group_by(Booking.date, Child.school_name)
            .tuples())
    counts, per_day, school_names = {}, defaultdict(int), set()
    for day, school, count in rows:
        day = as_date(day)
        school = school or "Sans école"
        counts[(day, school)] = counts.get((day, school), 0) + count
        per_day[day] += count
        school_names.add(school)
    return sorted(per_day), sorted(school_names), counts, dict(per_day)


# --- Occupancy -----------------------------------------------------------------


@dataclass(frozen=True)
class Occupancy:
    booked: int
    capacity: int | None

    @property
    def is_full(self):
        return self.capacity is not None and self.booked >= self.capacity

    @property
    def label(self):
        return f"{self.booked} / {self.capacity if self.capacity is not None else '∞'}"


def occupancy(school_year, first, last, zone):
    """Per activity with bookings by the day (ALAE aside): its open days of
    ``first``..``last`` and {day: Occupancy}. Three queries."""
    activities = list(Activity.select().where((Activity.school_year == school_year)
                                              & (Activity.category != Activity.ALAE))
                      .order_by(Activity.position, Activity.id))
    if not activities:
        return []
    ids = [a.id for a in activities]
    opening, places = load_overrides(ids, first, last)
    counts = {}
    for activity_id, day, count in (Booking.select(Booking.activity, Booking.date,
                                                   fn.COUNT(Booking.id))
                                    .where(Booking.activity.in_(ids) & (Booking.date >= first)
                                           & (Booking.date <= last))
                                    .group_by(Booking.activity, Booking.date).tuples()):
        counts[(activity_id, as_date(day))] = count
    result = []
    for activity in activities:
        activity.school_year = school_year  # open_days reads its dates: no extra query
        days = open_days(activity, first, last, zone, overrides_for(activity.id, opening))
        if not days:
            continue
        capacities = overrides_for(activity.id, places)
        result.append((activity, [(day, Occupancy(counts.get((activity.id, day), 0),
                                                  capacity_of(activity, day, capacities)))
                                  for day in days]))
    return result


def activities_of_day(school_year, day, zone):
    """The activities (ALAE included) that run on ``day``, for the register's picker."""
    activities = list(Activity.select().where(Activity.school_year == school_year)
                      .order_by(Activity.position, Activity.id))
    ids = [a.id for a in activities]
    opening, _ = load_overrides(ids, day, day)
    running = []
    for activity in activities:
        activity.school_year = school_year
        if open_days(activity, day, day, zone, overrides_for(activity.id, opening)):
            running.append(activity)
    return running

