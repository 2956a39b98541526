"""Inscription: opening activity lines (lignes d'activité) for a child.

A line is offered to the children it fits (maternel / élémentaire; families of
private or outside schools get the centres de loisirs lines only). Opening a
line validates it at once; an ALAE line also books every open school day of
the year from the day the line takes effect. Closing a line (« Désinscrire ») and
switching between lines that exclude each other are in ``domain.booking.closing``;
a closed line ticked again is reopened.

The inscription periods, for the lines of one school year:

* the main period, from 10 March 00:00 to 20 August 23:59 (Paris) of the year
  the school year starts in: a line opened then takes effect on the first day
  of the school year;
* the monthly period, from the end of the main period to the end of the school
  year: until the 20th of month M (23:59 Paris) a line takes effect on the 1st
  of month M+1, from the 21st on the 1st of month M+2 (so on 26/11/2026 it takes
  effect in January 2027, on 20/11/2026 at 23:59 in December 2026);
* no period before 10 March of the start year, nor once the month a line would
  take effect in begins after the last day of the school year.
"""
from collections import namedtuple

from peewee import IntegrityError, chunked

from domain import audit, commune
from domain.catalogue.categories import GROUPS, main_inscription_period
from domain.catalogue.moving_up import level_in
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import day_prices
from domain.dates import add_months, paris_date
from domain.family.dossier import is_dossier_validated
from domain.formats import date_fr, euros
from models import (
    Activity,
    Booking,
    BookingWindow,
    Child,
    Enrolment,
    Modalite,
    SchoolYear,
    db,
    parse_id,
)

Line = namedtuple("Line", "activity enrolment ended")
LineGroup = namedtuple("LineGroup", "title service lines")
InscriptionState = namedtuple("InscriptionState", "is_open reason effective_from deadline")
OpenedLine = namedtuple("OpenedLine", "activity booked_days first_day price_cents")


class InscriptionRefused(Exception):
    """A request to open lines that cannot be honoured; ``str()`` is the French reason."""


class InscriptionClosed(InscriptionRefused):
    """No line can be opened at all now (dossier not validated, outside any period)."""


# --- Periods (pure functions of ``now``) -------------------------------------


def monthly_effective_month(now):
    """The 1st of the month a line opened at ``now`` takes effect by the monthly rule.

    Until the commune's deadline day (the guide's 20th) at 23:59 (Paris) it is the next
    month, from the day after the one after.
    """
    today = paris_date(now)
    return add_months(today, 1 if today.day <= commune.deadline_day() else 2)


def inscription_effective_from(school_year, now):
    """The first day a line of ``school_year`` opened at ``now`` takes effect, or None.

    None means no inscription period is open for that school year at ``now``.
    """
    today = paris_date(now)
    opens, closes = main_inscription_period(school_year)
    if today < opens:
        return None
    if today <= closes:
        return school_year.start_date
    effective = max(monthly_effective_month(now), school_year.start_date)
    return effective if effective <= school_year.end_date else None


def inscription_deadline(school_year, now):
    """The last day (until 23:59 Paris) to open a line taking effect as it would at ``now``."""
    effective = inscription_effective_from(school_year, now)
    if effective is None:
        return None
    opens, closes = main_inscription_period(school_year)
    if opens <= paris_date(now) <= closes:
        return closes
    return commune.monthly_deadline(effective)


def inscription_state(family, school_year, now):
    """Whether the family may open lines of ``school_year`` at ``now``, and from when.

    ``reason`` is ``"annee"`` (no school year), ``"dossier"`` (the dossier is not
    validated for the year) or ``"periode"`` (outside any period) when closed.
    """
    if school_year is None:
        return InscriptionState(False, "annee", None, None)
    if not is_dossier_validated(family, school_year):
        return InscriptionState(False, "dossier", None, None)
    effective = inscription_effective_from(school_year, now)
    if effective is None:
        return InscriptionState(False, "periode", None, None)
    return InscriptionState(True, None, effective, inscription_deadline(school_year, now))


# --- Which lines fit which child ---------------------------------------------


def misfit_reason(activity, child):
    """Why ``activity`` cannot be opened for ``child`` (French), or None when it fits.
    The child's class level is the one of the activity's school year (moving up)."""
    level = level_in(child, activity.school_year_id)
    if level is None:
        return "l'enfant ne sera plus scolarisé dans les écoles de la commune cette année-là"
    group = Child.group_of(level)
    if activity.audience == Activity.FOR_MATERNEL and group != "maternel":
        return "elle est réservée aux enfants de maternelle"
    if activity.audience == Activity.FOR_ELEMENTAIRE and group != "elementaire":
        return "elle est réservée aux enfants d'élémentaire"
    if child.school_type != Child.SCHOOL_PUBLIC and not activity.open_to_other_schools:
        return "elle est réservée aux enfants des écoles publiques de la commune"
    return None


def fits_child(activity, child):
    """Whether ``activity`` may be offered to ``child`` (group and school type)."""
    return misfit_reason(activity, child) is None


def booking_windows(school_year):
    """{period: BookingWindow} of ``school_year`` (one query)."""
    return {w.period: w for w in BookingWindow.select().where(
        BookingWindow.school_year == school_year)}


def period_ended(activity, today, windows):
    """Whether a holiday-centre (CLV) line can no longer be opened.

    Its days are booked only inside the booking window of its period,
    so once that window has closed there is nothing left to book: the line is no
    longer offered. Before that it can be opened whatever the monthly rule says
    (on 26/11 the Noël line opens, its window runs until early December).
    """
    if not activity.holiday_period:
        return False
    window = windows.get(activity.holiday_period)
    return window is not None and window.closes_on < today


def year_activities(school_year):
    """Every activity of ``school_year`` in the catalogue's order, its year joined."""
    return list(Activity.select(Activity, SchoolYear).join(SchoolYear)
                .where(Activity.school_year == school_year)
                .order_by(Activity.position, Activity.id))


def child_lines(children, school_year, today=None):
    """{child id: [LineGroup]}: the lines that fit each child, and those already open.

    A holiday line whose booking window closed before ``today`` is marked ``ended``.
    Three or four queries whatever the number of children and lines.
    """
    windows = booking_windows(school_year) if today else {}
    activities = year_activities(school_year)
    enrolments = {(e.child_id, e.activity_id): e for e in Enrolment.select().where(
        Enrolment.child.in_([c.id for c in children])
        & Enrolment.activity.in_([a.id for a in activities]))} if children and activities else {}
    result = {}
    for child in children:
        groups = []
        for title, categories, service in GROUPS:
            lines = [Line(a, enrolments.get((child.id, a.id)),
                          bool(today) and period_ended(a, today, windows))
                     for a in activities
                     if a.category in categories
                     and ((child.id, a.id) in enrolments or fits_child(a, child))]
            if lines:
                groups.append(LineGroup(title, service, lines))
        result[child.id] = groups
    return result


# --- Opening lines -----------------------------------------------------------


def chosen_activities(child, raw_ids, school_year):
    """The activities behind the submitted ids, each checked; raises InscriptionRefused."""
    ids = []
    for raw in raw_ids:
        activity_id = parse_id(raw)
        if activity_id is None:
            raise InscriptionRefused("Cette activité n'existe pas : rechargez la page et "
                                     "recommencez.")
        if activity_id not in ids:
            ids.append(activity_id)
    if not ids:
        raise InscriptionRefused("Cochez au moins une activité à ouvrir.")
    found = {a.id: a for a in Activity.select(Activity, SchoolYear).join(SchoolYear)
             .where(Activity.id.in_(ids))}
    for activity_id in ids:
        activity = found.get(activity_id)
        if activity is None:
            raise InscriptionRefused("Cette activité n'existe pas : rechargez la page et "
                                     "recommencez.")
        if activity.school_year_id != school_year.id:
            raise InscriptionRefused(f"« {activity.full_label} » n'est pas une activité de "
                                     f"l'année scolaire {school_year.label}.")
        reason = misfit_reason(activity, child)
        if reason:
            raise InscriptionRefused(f"« {activity.full_label} » ne peut pas être ouverte pour "
                                     f"{child.first_name} : {reason}.")
    return [found[i] for i in ids]


def check_periods_not_ended(activities, today, school_year):
    """Refuse a CLV line whose booking window has closed."""
    if not any(a.holiday_period for a in activities):
        return
    windows = booking_windows(school_year)
    for activity in activities:
        if period_ended(activity, today, windows):
            window = windows[activity.holiday_period]
            raise InscriptionRefused(f"« {activity.full_label} » ne peut plus être ouverte : "
                                     f"les réservations de ces vacances sont closes depuis le "
                                     f"{date_fr(window.closes_on)}.")


def check_exclusive(child, activities, effective_from):
    """Refuse two lines of one exclusive group (ALAE Soir 1 and Soir 2) together, or one
    whose group already has a line open for ``child`` on ``effective_from``."""
    groups = {}
    for activity in activities:
        if activity.exclusive_group:
            groups.setdefault(activity.exclusive_group, []).append(activity)
    for chosen in groups.values():
        if len(chosen) > 1:
            names = " et ".join(f"« {a.name} »" for a in chosen)
            raise InscriptionRefused(f"{names} s'excluent : cochez l'une ou l'autre pour "
                                     f"{child.first_name}.")
    if not groups:
        return
    for other in (Enrolment.select(Enrolment, Activity).join(Activity)
                  .where((Enrolment.child == child)
                         & Activity.exclusive_group.in_(list(groups))
                         & (Activity.school_year == activities[0].school_year_id)
                         & (Enrolment.closed_from.is_null()
                            | (Enrolment.closed_from > effective_from)))):
        chosen = groups[other.activity.exclusive_group][0]
        if chosen.id == other.activity_id:
            continue
        raise InscriptionRefused(
            f"« {chosen.name} » et « {other.activity.name} » s'excluent : "
            f"« {other.activity.name} » est déjà ouverte pour {child.first_name}. Pour passer "
            f"de l'une à l'autre à une date, utilisez « Changer pour {chosen.name} » sous "
            f"« {other.activity.name} ».")


def open_lines(user, child, raw_ids, school_year, now):
    """Open (and validate) the chosen lines for ``child``; returns [OpenedLine].

    Everything is checked first (period, dossier, each activity); then all the
    lines are opened in one transaction. A line already open (a double submit)
    is skipped, not duplicated. Raises InscriptionRefused with nothing changed.
    """
    state = inscription_state(child.family, school_year, now)
    if not state.is_open:
        raise InscriptionClosed(closed_message(state))
    activities = chosen_activities(child, raw_ids, school_year)
    already = {e.activity_id for e in Enrolment.select(Enrolment.activity).where(
        (Enrolment.child == child) & Enrolment.activity.in_([a.id for a in activities])
        & Enrolment.closed_from.is_null())}
    zone = commune.holiday_zone()
    check_periods_not_ended(activities, paris_date(now), school_year)
    check_exclusive(child, [a for a in activities if a.id not in already],
                    state.effective_from)
    opened = []
    with db.atomic():
        for activity in activities:
            if activity.id in already:
                continue
            try:
                with db.atomic():  # a savepoint: a concurrent duplicate only skips its line
                    opened.append(_open_line(user, child, activity, state.effective_from, zone))
            except IntegrityError:
                continue
    return opened


def _open_line(user, child, activity, effective_from, zone):
    """Create the enrolment (first: a write opens the SQLite write lock) or reopen a
    closed one, book, log."""
    reopened = (Enrolment.update(closed_from=None, closed_reason="", created_by=user)
                .where((Enrolment.child == child) & (Enrolment.activity == activity)
                       & Enrolment.closed_from.is_null(False)).execute())
    if not reopened:
        Enrolment.create(child=child, activity=activity, created_by=user)
    opened = OpenedLine(activity, 0, None, None)
    if activity.category == Activity.ALAE:
        opened = book_school_days(child, activity, effective_from, zone)
    details = f"{child.first_name} {child.last_name} : {activity.full_label} ouverte"
    if opened.booked_days:
        details += (f", {opened.booked_days} jours réservés du {date_fr(opened.first_day)} au "
                    f"{date_fr(activity.school_year.end_date)} à {euros(opened.price_cents)}")
    audit.record(user, child.family_id, audit.INSCRIPTION_OPENED, details)
    return opened


def book_school_days(child, activity, effective_from, zone):
    """Book every open day of an ALAE line from ``effective_from`` to the year's end.

    Each day at the family's bracket that day, one bulk insert; days already booked are kept.
    """
    year = activity.school_year
    modalite = (Modalite.select().where(Modalite.activity == activity)
                .order_by(Modalite.position, Modalite.id).first())
    booked = {b.date for b in Booking.select(Booking.date).where(
        (Booking.child == child) & (Booking.activity == activity)
        & (Booking.date >= effective_from))}
    days = [d for d in open_days(activity, effective_from, year.end_date, zone)
            if d not in booked]
    # Each day at the bracket in force that day (a quotient may apply from a later date).
    priced = days or [effective_from]
    prices = day_prices(child.family_id, year, [(modalite.id, day) for day in priced]) \
        if modalite else {}
    if len(prices) < len(priced):
        raise InscriptionRefused(f"Le tarif de « {activity.full_label} » n'est pas encore "
                                 "défini : écrivez au service par la messagerie.")
    price = prices[(modalite.id, priced[0])]
    rows = [{"child": child.id, "activity": activity.id, "modalite": modalite.id, "date": day,
             "price_cents": prices[(modalite.id, day)]} for day in days]
    for batch in chunked(rows, 200):
        Booking.insert_many(batch).execute()
    return OpenedLine(activity, len(days), days[0] if days else None, price)


def closed_message(state):
    """The French reason why lines cannot be opened (for a refused request)."""
    if state.reason == "annee":
        return "Aucune année scolaire n'est ouverte aux inscriptions."
    if state.reason == "dossier":
        return ("Votre dossier famille n'est pas encore validé pour cette année scolaire : "
                "actualisez-le dans MON DOSSIER avant d'inscrire vos enfants.")
    return ("La période d'inscription est terminée : toute modification se fait via la "
            "messagerie du portail.")
