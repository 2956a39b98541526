"""Who comes, who came: attendance registers, meal counts and occupancy.

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

from domain import audit, clock
from domain.booking.calendar import as_date, load_overrides
from domain.booking.days import capacity_of, overrides_for
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import day_prices
from domain.clock import utc_now
from domain.formats import euros
from domain.transactions import write_transaction
from models import (
    Activity,
    Attendance,
    Booking,
    Child,
    Enrolment,
    Family,
    Guardian,
    HealthRecord,
    Modalite,
    PickupPerson,
)

#: The statuses in the order of the buttons.
STATUSES = (Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED)


#: The longest justification kept for an excused absence.
JUSTIFICATION_MAX = 200


class NotBooked(Exception):
    """The child is not booked on that activity that day: nothing to tick."""


class FutureDay(Exception):
    """The day has not come yet: nobody can say who came."""

    def __str__(self):
        return "On ne pointe pas un jour à venir : revenez le jour même."


class CannotAdd(Exception):
    """A child cannot be added as present; the French reason is the message."""


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
    justification: str = ""
    added_on_site: bool = False
    illness: str = ""  # declared by the family: Attendance.ILLNESS_* ("" if not)
    mark_id: int | None = None
    certificate_id: int | None = None

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
        if self.illness:
            return "Absent (malade)"
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
            row.justification, row.added_on_site = mark.justification, mark.added_on_site
            row.illness, row.mark_id = mark.illness, mark.id
            row.certificate_id = mark.certificate_id
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


def is_future(day):
    """Whether ``day`` is after the portal's today (such a day cannot be ticked)."""
    return day > clock.today()


def mark(activity, child_id, day, status, actor, justification=""):
    """Tick ``status`` for a booked child (présent / absent / excusé; "" clears it),
    audited; ``justification`` (what excuses the absence) is kept with "Excusé" only.
    Returns the status; raises :class:`NotBooked`, :class:`FutureDay`."""
    if status not in (*STATUSES, ""):
        raise ValueError(status)
    if is_future(day):
        raise FutureDay()
    justification = " ".join((justification or "").split())[:JUSTIFICATION_MAX] \
        if status == Attendance.EXCUSED else ""
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
        before_note = previous.justification if previous else ""
        if status == "":
            if previous:
                previous.delete_instance()
        elif previous:
            previous.status, previous.marked_by, previous.marked_at = status, actor, utc_now()
            previous.justification = justification
            previous.save()
        else:
            Attendance.create(child=child, activity=activity, date=day, status=status,
                              marked_by=actor, justification=justification)
        if (before, before_note) != (status, justification):
            label = Attendance.LABELS.get(status, "non pointé")
            if justification:
                label += f" (justificatif : {justification})"
            audit.record(actor, child.family_id, audit.ATTENDANCE_MARKED,
                         f"{child.first_name} {child.last_name}, {activity.name}, "
                         f"{day.strftime('%d/%m/%Y')} : {label}",
                         before=before, after=status)
    return status


def addable_children(activity, day):
    """[Child] enrolled on ``activity`` (its line open) but not booked on ``day``, by
    name: those an agent may add as present. One query."""
    booked = Booking.select(Booking.child).where((Booking.activity == activity)
                                                 & (Booking.date == day))
    return list(Child.select().join(Enrolment)
                .where((Enrolment.activity == activity) & Child.id.not_in(booked))
                .order_by(Child.last_name, Child.first_name, Child.id))


def add_present(activity, child_id, modalite_id, day, actor):
    """A child came without a booking: book the day (at the family's tariff of that day,
    billed as any booked day) and tick it present, flagged "ajouté sur place" for staff;
    audited. Raises :class:`FutureDay`, :class:`CannotAdd`."""
    if is_future(day):
        raise FutureDay()
    modalite = Modalite.get_or_none((Modalite.id == modalite_id)
                                    & (Modalite.activity == activity))
    if modalite is None:
        raise CannotAdd("Choisissez la modalité de l'accueil.")
    with write_transaction():
        child = (Child.select().join(Enrolment)
                 .where((Child.id == child_id) & (Enrolment.activity == activity)).first())
        if child is None:
            raise CannotAdd("Cet enfant n'est pas inscrit à cette activité : inscrivez-le "
                            "d'abord depuis sa fiche.")
        if Booking.select().where((Booking.child == child) & (Booking.activity == activity)
                                  & (Booking.date == day)).exists():
            raise CannotAdd("Cet enfant est déjà réservé ce jour-là : pointez-le dans la liste.")
        price = day_prices(child.family_id, activity.school_year_id,
                           [(modalite.id, day)]).get((modalite.id, day))
        if price is None:
            raise CannotAdd("Cette modalité n'a pas de tarif pour la tranche de la famille.")
        Booking.create(child=child, activity=activity, modalite=modalite, date=day,
                       price_cents=price)
        Attendance.delete().where((Attendance.child == child) & (Attendance.activity == activity)
                                  & (Attendance.date == day)).execute()
        Attendance.create(child=child, activity=activity, date=day, status=Attendance.PRESENT,
                          marked_by=actor, added_on_site=True)
        audit.record(actor, child.family_id, audit.ATTENDANCE_ADDED,
                     f"{child.first_name} {child.last_name} présent sans réservation, "
                     f"{activity.name} - {modalite.name}, {day.strftime('%d/%m/%Y')} : "
                     f"journée réservée et facturée ({euros(price)})",
                     after={"modalité": modalite.name, "prix": price})
    return child


# --- Meal counts ---------------------------------------------------------------


def is_meal(activity, modalite):
    """Whether a booking of ``modalite`` is a meal the caterer delivers: every canteen
    booking, and the centres' modalités "AVEC repas" / "Journée AVEC repas"."""
    if activity.category == Activity.RESTAURATION:
        return True
    return "avec repas" in modalite.name.lower()


@dataclass
class MealCount:
    """The meals of one school on one day: all of them, those of children with a
    medical diet, those of children with a PAI (a child may be in both)."""

    meals: int = 0
    diet: int = 0
    pai: int = 0

    def add(self, count, diet, pai):
        self.meals += count
        self.diet += count if diet else 0
        self.pai += count if pai else 0


#: The meal counts' CSV columns, the same whatever the period's schools (a caterer's
#: import reads them by position).
MEAL_COLUMNS = ("Date", "École", "Repas", "dont régime particulier", "dont PAI")


def meal_counts(first, last):
    """The meals to order per day and school from ``first`` to ``last``, split by diet
    and PAI: (days, schools, {(day, school): MealCount}, {day: MealCount}). Two
    queries."""
    meal_modalites = {}
    for modalite in Modalite.select(Modalite, Activity).join(Activity):
        meal_modalites[modalite.id] = is_meal(modalite.activity, modalite)
    ids = [mid for mid, meal in meal_modalites.items() if meal]
    if not ids:
        return [], [], {}, {}
    has_diet = fn.COALESCE(HealthRecord.diet, "") != ""
    has_pai = fn.COALESCE(HealthRecord.has_pai, False)
    # A day the family declared the child ill ("mon enfant est malade") needs no meal.
    ill = ((Attendance.child == Booking.child) & (Attendance.activity == Booking.activity)
           & (Attendance.date == Booking.date) & (Attendance.illness != ""))
    rows = (Booking.select(Booking.date, Child.school_name, has_diet, has_pai,
                           fn.COUNT(Booking.id))
            .join(Child)
            .join(HealthRecord, JOIN.LEFT_OUTER, on=(HealthRecord.child == Child.id))
            .switch(Booking).join(Attendance, JOIN.LEFT_OUTER, on=ill)
            .where(Booking.modalite.in_(ids) & (Booking.date >= first) & (Booking.date <= last)
                   & Attendance.id.is_null())
            .group_by(Booking.date, Child.school_name, has_diet, has_pai)
            .tuples())
    counts, per_day, school_names = {}, {}, set()
    for day, school, diet, pai, count in rows:
        day = as_date(day)
        school = school or "Sans école"
        counts.setdefault((day, school), MealCount()).add(count, bool(diet), bool(pai))
        per_day.setdefault(day, MealCount()).add(count, bool(diet), bool(pai))
        school_names.add(school)
    return sorted(per_day), sorted(school_names), counts, per_day


def meal_rows(days, schools, counts):
    """The CSV's rows (:data:`MEAL_COLUMNS`): one per day and school with meals."""
    return [[day, school, c.meals, c.diet, c.pai]
            for day in days for school in schools
            for c in [counts.get((day, school))] if c is not None]


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

