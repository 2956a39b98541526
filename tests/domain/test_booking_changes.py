"""The recap's sums and the confirmation's "Coût de la période", at their edges, and
how a choice maps onto a brother's or sister's line (rows built in memory); then what
TERMINER checks, row by row, on the database's rows."""
import datetime
import json

import pytest
from peewee import fn

from domain import audit, fast_rows
from domain.booking import changes
from domain.booking.calendar import Line, as_date
from domain.booking.changes import (
    _BOOKED_FIELDS,
    _PENDING_FIELDS,
    ANNULATION,
    NO_PRICE_TEXT,
    NO_TWIN_TEXT,
    NOT_ENROLLED_TEXT,
    RESERVATION,
    Recap,
    RecapLine,
    _bookings_query,
    _counts_query,
    _days_query,
    _month_span,
    _pending_rows_query,
    commit_pending,
    finish,
    finish_on_behalf,
    is_twin,
    load_recap,
    mirror_choices,
    period_costs,
    save_choices,
    twin_modalite,
)
from domain.booking.days import (
    CLOSED_DAY_TEXT,
    FULL_TEXT,
    PAST_DAY_TEXT,
    ChoiceError,
    DayStatus,
    EditState,
)
from domain.catalogue.pricing import day_prices
from domain.clock import PARIS
from domain.formats import date_fr, day_label, euros, time_fr
from models import (
    Activity,
    AuditLog,
    Booking,
    Child,
    DayOverride,
    Enrolment,
    Modalite,
    OutgoingEmail,
    PendingChange,
    School,
    SchoolYear,
    User,
)
from tests import factories
from tests.helpers import activity, demo_family, modalite
from tests.planning_support import AVEC, CL as CL_NAME, JANUARY, SANS

YEAR = SchoolYear(id=1, label="2026/2027")
OTHER_YEAR = SchoolYear(id=2, label="2027/2028")
LENA = Child(id=1, first_name="LENA")
TOM = Child(id=2, first_name="TOM")
CL = Activity(id=7, school_year=YEAR, name="CL Maternel Mercredis", position=2,
              category=Activity.CL_MERCREDI, tariff_label="Tarif A")
CANTEEN = Activity(id=8, school_year=YEAR, name="Restauration", position=1,
                   category=Activity.RESTAURATION)
APRES_MIDI = Modalite(id=10, name="Après-midi SANS repas")
JOURNEE = Modalite(id=11, name="Journée AVEC repas")


def line(day, action=RESERVATION, amount=520, child=LENA, activity=CL, pending_id=1,
         problem="", modalite=APRES_MIDI):
    return RecapLine(day=day, child=child, activity=activity, modalite=modalite, action=action,
                     amount_cents=amount, pending_id=pending_id, problem=problem)


def booking(id_, day, price, child=LENA, activity=CL):
    return Booking(id=id_, child=child.id, activity=activity.id, date=day, price_cents=price)


def test_the_period_cost_is_every_day_of_the_month_once_committed():
    jan6, jan13, jan20, feb3 = (datetime.date(2027, 1, 6), datetime.date(2027, 1, 13),
                                datetime.date(2027, 1, 20), datetime.date(2027, 2, 3))
    recap = Recap(lines=[line(jan13, ANNULATION, -480), line(jan20)])
    recap.month_bookings = {
        (1, 7, jan6): booking(100, jan6, 520),  # kept
        (1, 7, jan13): booking(101, jan13, 480),  # cancelled by the recap
        (1, 7, feb3): booking(102, feb3, 700),  # another month: not touched
        (2, 7, jan6): booking(103, jan6, 300, child=TOM),  # another child
        (1, 8, jan6): booking(104, jan6, 350, activity=CANTEEN),  # another line
    }
    recap.removed_booking_ids = [101]
    recap.new_bookings = [{"child": 1, "activity": 7, "date": jan20, "price_cents": 610},
                          {"child": 1, "activity": 7, "date": jan6, "price_cents": None}]
    assert period_costs(recap) == [{
        "child": "LENA", "child_id": 1, "activity_id": 7,
        "line": "2026/2027 - CL Maternel Mercredis", "month": "Janvier 2027",
        "first": "2027-01-01", "cost": 520 + 610}]


def test_period_costs_come_by_month_then_child_then_line_position():
    jan6, feb3 = datetime.date(2027, 1, 6), datetime.date(2027, 2, 3)
    recap = Recap(lines=[line(feb3, child=LENA), line(jan6, child=TOM),
                         line(jan6, child=LENA, activity=CL),
                         line(jan6, child=LENA, activity=CANTEEN)])
    recap.new_bookings = [
        {"child": 1, "activity": 7, "date": feb3, "price_cents": 1},
        {"child": 2, "activity": 7, "date": jan6, "price_cents": 2},
        {"child": 1, "activity": 7, "date": jan6, "price_cents": 3},
        {"child": 1, "activity": 8, "date": jan6, "price_cents": 4}]
    costs = period_costs(recap)
    assert [(c["month"], c["child"], c["activity_id"], c["cost"]) for c in costs] == [
        ("Janvier 2027", "LENA", 8, 4), ("Janvier 2027", "LENA", 7, 3),
        ("Janvier 2027", "TOM", 7, 2), ("Février 2027", "LENA", 7, 1)]
    assert period_costs(Recap()) == []


def test_the_recap_sums_signed_amounts_and_says_how_many():
    jan6 = datetime.date(2027, 1, 6)
    one = Recap(lines=[line(jan6, amount=520)])
    assert one.summary == "1 modification à l'unité : 5,20\u00a0€"
    recap = Recap(lines=[line(jan6, ANNULATION, -520, pending_id=3),
                         line(jan6, amount=610, pending_id=3),
                         line(datetime.date(2027, 1, 13), amount=None, pending_id=4,
                              problem="Aucun tarif")],
                  idle_ids=[9, 2])
    assert (recap.count, recap.total_cents) == (3, 90)
    assert recap.summary == "3 modifications à l'unité : 0,90\u00a0€"
    assert recap.pending_ids == [2, 3, 4, 9]
    assert [p.day for p in recap.problems] == [datetime.date(2027, 1, 13)]
    assert recap.email_rows() == [
        ("Mer. 06/01/2027", "LENA", "CL Maternel Mercredis - Après-midi SANS repas",
         "Annulation", "-5,20\u00a0€", "Tarif A"),
        ("Mer. 06/01/2027", "LENA", "CL Maternel Mercredis - Après-midi SANS repas",
         "Réservation", "6,10\u00a0€", "Tarif A"),
        ("Mer. 13/01/2027", "LENA", "CL Maternel Mercredis - Après-midi SANS repas",
         "Réservation", "", "Tarif A")]
    assert recap.lines[0].element == \
        "LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas"
    zero = Recap(lines=[line(jan6, amount=0)])
    assert zero.email_rows()[0][4] == "0,00\u00a0€"


def test_a_month_span_runs_from_the_first_to_the_last_day_of_the_months():
    assert _month_span([datetime.date(2027, 2, 17), datetime.date(2027, 1, 6)]) == \
        (datetime.date(2027, 1, 1), datetime.date(2027, 2, 28))
    assert _month_span([datetime.date(2026, 12, 31)]) == \
        (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert _month_span([datetime.date(2028, 2, 1)]) == \
        (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))


def twin_line(child, activity, modalites):
    return Line(child=child, activity=activity, modalites=modalites)


def test_a_twin_is_another_child_s_line_of_the_same_kind_year_and_period():
    lena = twin_line(LENA, CL, [APRES_MIDI])
    elementaire = Activity(id=9, school_year=YEAR, name="CL Elémentaire Mercredis",
                           category=Activity.CL_MERCREDI)
    assert is_twin(lena, twin_line(TOM, elementaire, []))
    assert not is_twin(lena, twin_line(LENA, elementaire, []))  # the same child
    assert not is_twin(lena, twin_line(TOM, CANTEEN, []))  # another kind
    next_year = Activity(id=12, school_year=OTHER_YEAR, category=Activity.CL_MERCREDI)
    assert not is_twin(lena, twin_line(TOM, next_year, []))
    noel = Activity(id=13, school_year=YEAR, category=Activity.CLV, holiday_period="Noël")
    hiver = Activity(id=14, school_year=YEAR, category=Activity.CLV, holiday_period="Hiver")
    assert is_twin(twin_line(LENA, noel, []), twin_line(TOM, noel, []))
    assert not is_twin(twin_line(LENA, noel, []), twin_line(TOM, hiver, []))
    alae = Activity(id=15, school_year=YEAR, category=Activity.ALAE)
    assert not is_twin(twin_line(LENA, alae, []), twin_line(TOM, alae, []))


def test_a_twin_modalite_is_the_one_of_the_same_name_else_of_the_same_rank():
    lena = twin_line(LENA, CL, [JOURNEE, APRES_MIDI])
    same_names = twin_line(TOM, CL, [Modalite(id=20, name="Après-midi SANS repas"),
                                     Modalite(id=21, name="Journée AVEC repas")])
    assert twin_modalite(lena, 10, same_names) == 20
    assert twin_modalite(lena, 11, same_names) == 21
    other_names = twin_line(TOM, CL, [Modalite(id=30, name="Matin"),
                                      Modalite(id=31, name="Soir")])
    assert twin_modalite(lena, 11, other_names) == 30
    assert twin_modalite(lena, 10, other_names) == 31
    shorter = twin_line(TOM, CL, [Modalite(id=40, name="Matin")])
    assert twin_modalite(lena, 10, shorter) is None  # rank 1 does not exist
    assert twin_modalite(lena, 99, same_names) is None


# --- What TERMINER checks, row by row (the database's rows) ------------------------

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)


def _kid(family, name="VERIF", **fields):
    kid = factories.child(family, name, family.name, class_level="MS", **fields)
    factories.enrolment(kid, CL_NAME)
    return kid


def _pending(family, kid, day, action=PendingChange.BOOK):
    return PendingChange.create(family=family, child=kid, activity=activity(CL_NAME),
                                modalite=modalite(CL_NAME, SANS), date=day, action=action)


def _problems(family, now=NOW, override=False):
    recap = load_recap(family.id, now, "C", override=override)
    return [(line.child.first_name, line.day, line.problem) for line in recap.lines]


def test_the_recap_reads_the_family_s_own_pending_changes(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    _pending(family, kid, JANUARY[1])
    assert _problems(family) == [("VERIF", JANUARY[1], "")]


def test_places_taken_by_the_same_terminer_count_against_the_last_ones(app, db):
    family = demo_family(16123)
    cl = activity(CL_NAME)
    day = JANUARY[1]
    Booking.delete().where((Booking.activity == cl) & (Booking.date == day)).execute()
    DayOverride.create(activity=cl, date=day, capacity=2)
    for name in ("UN", "DEUX", "TROIS"):
        _pending(family, _kid(family, name), day)
    # Checked in the recap's order (day, then first name): the third finds the day full.
    assert _problems(family) == [("DEUX", day, ""), ("TROIS", day, ""), ("UN", day, FULL_TEXT)]


def test_a_line_closed_from_a_day_refuses_that_day_not_the_one_before(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    Enrolment.update(closed_from=JANUARY[1]).where(Enrolment.child == kid).execute()
    _pending(family, kid, JANUARY[0])
    _pending(family, kid, JANUARY[1])
    assert _problems(family) == [("VERIF", JANUARY[0], ""),
                                 ("VERIF", JANUARY[1], NOT_ENROLLED_TEXT)]


def test_a_change_on_a_line_never_opened_is_refused(app, db):
    family = demo_family(16123)
    kid = factories.child(family, "SANSLIGNE", family.name, class_level="MS")
    _pending(family, kid, JANUARY[0])
    assert _problems(family) == [("SANSLIGNE", JANUARY[0], NOT_ENROLLED_TEXT)]


def test_a_day_staff_closed_or_closed_for_the_child_s_school_is_refused(app, db):
    family = demo_family(16123)
    school = School.create(name="École des Tests")
    pupil = _kid(family, "ELEVE", school_name=school.name)
    other = _kid(family, "AUTRE", school_name="Ailleurs")
    DayOverride.create(activity=None, date=JANUARY[0], is_open=False, school=school)
    DayOverride.create(activity=activity(CL_NAME), date=JANUARY[1], is_open=False)
    DayOverride.create(activity=activity(CL_NAME), date=JANUARY[2], is_open=False, school=school)
    for kid in (pupil, other):
        for day in JANUARY[:3]:
            _pending(family, kid, day)
    assert sorted(_problems(family)) == [
        ("AUTRE", JANUARY[0], ""), ("AUTRE", JANUARY[1], CLOSED_DAY_TEXT),
        ("AUTRE", JANUARY[2], ""),
        ("ELEVE", JANUARY[0], CLOSED_DAY_TEXT), ("ELEVE", JANUARY[1], CLOSED_DAY_TEXT),
        ("ELEVE", JANUARY[2], CLOSED_DAY_TEXT)]


def test_staff_change_today_and_past_the_deadline_but_never_a_past_day(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    today = JANUARY[1]
    now = datetime.datetime.combine(today, datetime.time(9), tzinfo=PARIS)
    _pending(family, kid, JANUARY[0])
    _pending(family, kid, today)
    _pending(family, kid, JANUARY[2])
    assert _problems(family, now, override=True) == [
        ("VERIF", JANUARY[0], PAST_DAY_TEXT), ("VERIF", today, ""), ("VERIF", JANUARY[2], "")]


def test_each_row_is_checked_against_its_own_month_or_holiday_window(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    bus, noel = activity("Vacances bus CL"), activity("CLV Élémentaire ou maternel Noël")
    for line_activity in (bus, noel):
        Enrolment.get_or_create(child=kid, activity=line_activity)
    december, christmas = datetime.date(2026, 12, 2), datetime.date(2026, 12, 21)
    _pending(family, kid, december)  # its deadline was 20/11: closed
    _pending(family, kid, JANUARY[0])  # open until 20/12
    for line_activity in (bus, noel):  # the Noël window is open until 02/12
        PendingChange.create(family=family, child=kid, activity=line_activity,
                             modalite=line_activity.modalites.first(), date=christmas,
                             action=PendingChange.BOOK)
    winter = datetime.date(2027, 2, 8)  # the bus's Hiver window is not open yet
    PendingChange.create(family=family, child=kid, activity=bus, modalite=bus.modalites.first(),
                         date=winter, action=PendingChange.BOOK)
    recap = load_recap(family.id, NOW, "C")
    problems = {(line.activity.name, line.day): line.problem for line in recap.lines}
    assert problems.pop((CL_NAME, december)).startswith(
        "Les réservations de décembre 2026 ne sont plus modifiables")
    assert problems.pop((bus.name, winter)).startswith(
        "Les réservations des vacances d'Hiver ouvrent le ")
    assert problems == {(CL_NAME, JANUARY[0]): "", (bus.name, christmas): "",
                        (noel.name, christmas): ""}


def test_a_day_is_past_for_staff_from_midnight_in_paris(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    _pending(family, kid, JANUARY[1])  # Wednesday 13/01
    half_past_midnight = datetime.datetime(2027, 1, 14, 0, 30, tzinfo=PARIS)  # 23:30 UTC
    assert _problems(family, half_past_midnight, override=True) == \
        [("VERIF", JANUARY[1], PAST_DAY_TEXT)]


def test_terminer_s_period_cost_adds_the_month_s_other_days_at_the_family_s_tariff(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    factories.booking(kid, CL_NAME, JANUARY[0], modalite=SANS, price_cents=777)
    _pending(family, kid, JANUARY[1])
    result = commit_pending(family.id, NOW, "C")
    assert result.committed
    sans = modalite(CL_NAME, SANS)
    price = day_prices(family.id, activity(CL_NAME).school_year_id,
                       [(sans.id, JANUARY[1])])[(sans.id, JANUARY[1])]
    assert [line.amount_cents for line in result.recap.lines] == [price]
    assert [cost["cost"] for cost in period_costs(result.recap)] == [777 + price]


def test_committing_chosen_changes_leaves_the_others_pending(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    chosen = _pending(family, kid, JANUARY[1])
    left = _pending(family, kid, JANUARY[2])
    result = commit_pending(family.id, NOW, "C", only_ids=[chosen.id])
    assert result.committed and [line.day for line in result.recap.lines] == [JANUARY[1]]
    assert [p.id for p in PendingChange.select().where(PendingChange.child == kid)] == [left.id]


def test_cancellations_give_their_price_back_take_no_place_and_keep_their_deadline(app, db):
    family = demo_family(16123)
    cl, sans = activity(CL_NAME), modalite(CL_NAME, SANS)
    Booking.delete().where((Booking.activity == cl) & (Booking.date == JANUARY[1])).execute()
    DayOverride.create(activity=cl, date=JANUARY[1], capacity=2)
    anna, lena, tomy = _kid(family, "ANNA"), _kid(family, "LENA2"), _kid(family, "TOMY")
    december = datetime.date(2026, 12, 2)
    for day, price in ((december, 500), (JANUARY[0], 640), (JANUARY[1], 600)):
        factories.booking(lena, CL_NAME, day, modalite=SANS, price_cents=price)
        _pending(family, lena, day, PendingChange.CANCEL)
    idle = _pending(family, anna, JANUARY[0], PendingChange.CANCEL)  # nothing to cancel
    _pending(family, tomy, JANUARY[1])  # the place LENA2 leaves is not needed: 1 of 2
    untariffed = Modalite.create(activity=cl, name="Sans tarif", position=99)
    PendingChange.create(family=family, child=tomy, activity=cl, modalite=untariffed,
                         date=JANUARY[2], action=PendingChange.BOOK)
    recap = load_recap(family.id, NOW, "C")
    assert recap.idle_ids == [idle.id]
    rows = [(line.day, line.child.first_name, line.action, line.modalite.name,
             line.amount_cents, line.problem[:40]) for line in recap.lines]
    price = day_prices(family.id, cl.school_year_id, [(sans.id, JANUARY[1])])[
        (sans.id, JANUARY[1])]
    assert rows == [
        (december, "LENA2", ANNULATION, SANS, -500, "Les réservations de décembre 2026 ne son"),
        (JANUARY[0], "LENA2", ANNULATION, SANS, -640, ""),
        (JANUARY[1], "LENA2", ANNULATION, SANS, -600, ""),
        (JANUARY[1], "TOMY", RESERVATION, SANS, price, ""),
        (JANUARY[2], "TOMY", RESERVATION, "Sans tarif", None, NO_PRICE_TEXT[:40])]


# --- The rows each query of the recap selects (built once per process: asked here) ---

BOOKING_NAMES = [f.name for f in _BOOKED_FIELDS]  # the columns the statements read
MODALITE_NAMES = [f.name for f in Modalite._meta.sorted_fields]


def _booked(query, kids):
    """(child's first name, date, modalité's name) of each booking row of ``kids``."""
    names = {kid.id: kid.first_name for kid in kids}
    split = len(BOOKING_NAMES)
    rows = [(names.get(row[BOOKING_NAMES.index("child")]),
             as_date(row[BOOKING_NAMES.index("date")]),
             row[split + MODALITE_NAMES.index("name")]) for row in query.tuples()]
    return sorted(row for row in rows if row[0] is not None)


def test_a_month_s_bookings_are_the_family_s_own_on_its_lines_first_to_last_day(app, db):
    family, other = demo_family(16123), demo_family(16122)
    kid, stranger = _kid(family, "MOIS"), _kid(other, "VOISIN")
    first, last = datetime.date(2027, 1, 1), datetime.date(2027, 1, 31)
    for day in (datetime.date(2026, 12, 31), first, JANUARY[1], last, datetime.date(2027, 2, 1)):
        factories.booking(kid, CL_NAME, day, modalite=SANS)
    factories.booking(stranger, CL_NAME, JANUARY[1], modalite=SANS)
    canteen = factories.booking(kid, "Restauration Maternelle", JANUARY[2])
    query = _bookings_query(family.id, [activity(CL_NAME).id], first, last)
    assert _booked(query, [kid, stranger]) == [
        ("MOIS", first, SANS), ("MOIS", JANUARY[1], SANS), ("MOIS", last, SANS)]
    both = _bookings_query(family.id, [activity(CL_NAME).id, canteen.activity_id], first, last)
    assert ("MOIS", JANUARY[2], canteen.modalite.name) in _booked(both, [kid])


def test_a_day_s_bookings_are_the_family_s_own_on_its_lines_those_days_only(app, db):
    family, other = demo_family(16123), demo_family(16122)
    kid, stranger = _kid(family, "JOURS"), _kid(other, "VOISIN")
    for day in JANUARY:
        factories.booking(kid, CL_NAME, day, modalite=SANS)
        factories.booking(stranger, CL_NAME, day, modalite=SANS)
    factories.booking(kid, "Restauration Maternelle", JANUARY[1])
    query = _days_query(family.id, [activity(CL_NAME).id], [JANUARY[1], JANUARY[3]])
    assert _booked(query, [kid, stranger]) == [("JOURS", JANUARY[1], SANS),
                                               ("JOURS", JANUARY[3], SANS)]


def test_the_places_taken_count_every_family_s_bookings_of_each_line_and_day(app, db):
    cl, canteen = activity(CL_NAME), activity("Restauration Maternelle")
    for act in (cl, canteen):
        Booking.delete().where((Booking.activity == act) & Booking.date.in_(JANUARY)).execute()
    first, second = _kid(demo_family(16123), "UN"), _kid(demo_family(16122), "DEUX")
    for kid in (first, second):
        factories.booking(kid, CL_NAME, JANUARY[0], modalite=SANS)
        factories.booking(kid, "Restauration Maternelle", JANUARY[0])
    factories.booking(first, CL_NAME, JANUARY[1], modalite=SANS)
    factories.booking(first, CL_NAME, JANUARY[2], modalite=SANS)
    factories.booking(_kid(demo_family(16124), "TROIS"), CL_NAME, JANUARY[0], modalite=SANS)
    counts = {(activity_id, as_date(day)): count for activity_id, day, count
              in _counts_query([cl.id, canteen.id], [JANUARY[0], JANUARY[1]]).tuples()}
    assert counts == {(cl.id, JANUARY[0]): 3, (canteen.id, JANUARY[0]): 2,
                      (cl.id, JANUARY[1]): 1}


def test_the_pending_rows_are_the_family_s_own_by_day_name_and_line_with_the_line_s_end(app, db):
    family, other = demo_family(16123), demo_family(16122)
    zoe, anna, unlined = _kid(family, "ZOE"), _kid(family, "ANNA"), _kid(family, "NOLINE")
    Enrolment.update(closed_from=JANUARY[3]).where(Enrolment.child == zoe).execute()
    Enrolment.delete().where(Enrolment.child == unlined).execute()
    later = _pending(family, zoe, JANUARY[1])
    zoe_first = _pending(family, zoe, JANUARY[0])
    anna_first = _pending(family, anna, JANUARY[0])
    unopened = _pending(family, unlined, JANUARY[2])
    _pending(other, _kid(other, "VOISIN"), JANUARY[0])
    names = [f.name for group in _PENDING_FIELDS for f in group] + ["closed_from", "line"]

    def read(ids=None):
        return [(row[names.index("first_name")], row[0], as_date(row[-2]), row[-1] is not None)
                for row in _pending_rows_query(family.id, ids).tuples()]

    assert read() == [("ANNA", anna_first.id, None, True), ("ZOE", zoe_first.id, JANUARY[3], True),
                      ("ZOE", later.id, JANUARY[3], True), ("NOLINE", unopened.id, None, False)]
    assert read([later.id, unopened.id]) == [("ZOE", later.id, JANUARY[3], True),
                                             ("NOLINE", unopened.id, None, False)]


# --- Keeping choices, and TERMINER's outcome -------------------------------------------

def _line(kid, booked_by_day):
    """The kid's CL line over ``booked_by_day``'s days ({date: committed modalité id})."""
    cl = activity(CL_NAME)
    days = {day: DayStatus(day=day, is_open=True, state=None, booked=booked, desired=booked)
            for day, booked in booked_by_day.items()}
    return Line(child=kid, activity=cl, modalites=list(cl.modalites), days=days)


def _kept(kid):
    return [(p.date, p.action, p.modalite_id) for p in
            PendingChange.select().where(PendingChange.child == kid).order_by(PendingChange.date)]


def test_a_kept_choice_books_or_cancels_and_going_back_to_the_booking_forgets_it(app, db):
    family = demo_family(16123)
    kid, sans = _kid(family), modalite(CL_NAME, SANS).id
    line = _line(kid, {JANUARY[0]: None, JANUARY[1]: sans, JANUARY[2]: None})
    changed = save_choices(family.id, line, {JANUARY[0]: None, JANUARY[1]: None,
                                             JANUARY[2]: sans})
    assert changed == [JANUARY[1], JANUARY[2]]  # the day left as it was is no change
    assert _kept(kid) == [(JANUARY[1], PendingChange.CANCEL, sans),
                          (JANUARY[2], PendingChange.BOOK, sans)]
    assert [(s.desired, s.pending) for s in line.days.values()] == [
        (None, False), (None, True), (sans, True)]
    assert save_choices(family.id, line, {JANUARY[1]: sans, JANUARY[2]: None}) == \
        [JANUARY[1], JANUARY[2]]
    assert _kept(kid) == []
    assert [(s.desired, s.pending) for s in line.days.values()] == [
        (None, False), (sans, False), (None, False)]


def test_a_day_changed_at_once_from_another_screen_asks_to_reload(app, db, monkeypatch):
    family = demo_family(16123)
    kid, sans = _kid(family), modalite(CL_NAME, SANS).id
    line = _line(kid, {JANUARY[0]: None})
    save_choices(family.id, line, {JANUARY[0]: sans})
    line = _line(kid, {JANUARY[0]: None})  # the other screen's line, shown before
    monkeypatch.setattr(changes, "_delete_pending_days", lambda *args: None)
    with pytest.raises(ChoiceError) as refused:
        save_choices(family.id, line, {JANUARY[0]: sans})
    assert refused.value.messages == ["Ces jours viennent d'être modifiés depuis un autre "
                                      "écran : rechargez la page et recommencez."]
    assert (line.days[JANUARY[0]].desired, line.days[JANUARY[0]].pending) == (None, False)


def test_terminer_says_when_nothing_waits_or_nothing_holds_and_commits_nothing(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    empty = commit_pending(family.id, NOW, "C")
    assert (empty.committed, empty.message) == (
        False, "Aucune modification en attente : rien n'a été enregistré.")
    _pending(family, kid, datetime.date(2026, 12, 2))  # past December's deadline
    refused = commit_pending(family.id, NOW, "C")
    assert refused.committed is False and refused.message == (
        "Aucune modification n'a été enregistrée : certaines ne sont plus possibles.")
    staff = commit_pending(family.id, NOW, "C", override=True)  # staff: no deadline
    assert (staff.committed, staff.message) == (True, "")
    assert Booking.select().where(Booking.child == kid).count() == 1


def test_terminer_books_as_who_made_each_change_and_audits_the_family_s_own(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    user = factories.family_user(family, "parent.terminer@example.org")
    partner = factories.family_user(family, "autre.parent@example.org")
    _pending(family, kid, JANUARY[0])  # kept before who made it was recorded
    made = _pending(family, kid, JANUARY[1])
    PendingChange.update(made_by=partner).where(PendingChange.id == made.id).execute()
    assert commit_pending(family.id, NOW, "C", actor=user).committed
    assert [(b.date, b.booked_by_id) for b in
            Booking.select().where(Booking.child == kid).order_by(Booking.date)] == [
        (JANUARY[0], user.id), (JANUARY[1], partner.id)]
    assert [(row.user_id, row.family_id) for row in AuditLog.select().where(
        AuditLog.action == audit.BOOKING_COMMITTED)] == [(user.id, family.id)]
    _pending(family, kid, JANUARY[2])
    assert commit_pending(family.id, NOW, "C").committed  # no actor: no audit row
    assert AuditLog.select().where(AuditLog.action == audit.BOOKING_COMMITTED).count() == 1


def test_a_day_booked_at_once_from_another_screen_leaves_terminer_undone(app, db, monkeypatch):
    family = demo_family(16123)
    kid = _kid(family)
    pending = _pending(family, kid, JANUARY[1])
    checked = changes.load_recap

    def another_screen_books_meanwhile(*args, **kwargs):
        recap = checked(*args, **kwargs)
        factories.booking(kid, CL_NAME, JANUARY[1], modalite=SANS)
        return recap

    monkeypatch.setattr(changes, "load_recap", another_screen_books_meanwhile)
    result = commit_pending(family.id, NOW, "C")
    assert (result.committed, result.message) == (
        False, "Ces jours viennent d'être réservés depuis un autre écran : rien n'a été "
               "enregistré, vérifiez votre planning.")
    assert [line.day for line in result.recap.lines] == [JANUARY[1]]
    assert [p.id for p in PendingChange.select().where(PendingChange.child == kid)] == [
        pending.id]


def test_the_pending_rows_of_one_day_come_by_first_name_child_then_line_position(app, db):
    family, cl = demo_family(16123), activity(CL_NAME)
    zoe, twin = _kid(family, "ZOE"), _kid(family, "ZOE")
    same = Activity.create(school_year=cl.school_year, name="Même rang", position=cl.position,
                           category=cl.category)
    before = Activity.create(school_year=cl.school_year, name="Avant", position=cl.position - 1,
                             category=cl.category)
    for kid, line in ((twin, cl), (zoe, same), (zoe, cl), (zoe, before)):
        PendingChange.create(family=family, child=kid, activity=line,
                             modalite=Modalite.create(activity=line, name=f"M{kid.id}"),
                             date=JANUARY[1], action=PendingChange.BOOK)
    rows = [(row.child_id, row.activity_id) for row in _pending_rows_query(family.id)]
    assert rows == [(zoe.id, before.id), (zoe.id, cl.id), (zoe.id, same.id), (twin.id, cl.id)]


# --- TERMINER's email and audit, by the family or by staff ------------------------------

def _mails(since):
    return [(m.recipient, m.subject, m.body_text) for m in
            OutgoingEmail.select().where(OutgoingEmail.id > since).order_by(OutgoingEmail.id)]


def _last_mail_id():
    return OutgoingEmail.select(fn.MAX(OutgoingEmail.id)).scalar() or 0


def test_the_recap_email_goes_once_committed_to_the_address_given_and_only_then(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    user = factories.family_user(family, "parent.fin@example.org")
    since = _last_mail_id()
    with app.app_context():
        assert not finish(family.id, "parent.fin@example.org", NOW, "C").committed  # nothing
        _pending(family, kid, datetime.date(2026, 12, 2))  # past December's deadline
        assert not finish(family.id, "parent.fin@example.org", NOW, "C").committed
        PendingChange.delete().where(PendingChange.child == kid).execute()
        _pending(family, kid, JANUARY[1])
        assert finish(family.id, "parent.fin@example.org", NOW, "C", actor=user).committed
        _pending(family, kid, JANUARY[2])
        assert finish(family.id, "", NOW, "C").committed  # no address: no email
    subject = f"Récapitulatif de vos réservations du {date_fr(NOW)} à {time_fr(NOW)}"
    assert [(to, title) for to, title, _ in _mails(since)] == [("parent.fin@example.org",
                                                                subject)]
    assert [(row.user_id, row.family_id) for row in AuditLog.select().where(
        AuditLog.action == audit.BOOKING_COMMITTED)] == [(user.id, family.id)]


def test_staff_finishing_for_the_family_passes_the_deadline_audits_why_and_tells_it(app, db,
                                                                                  mailbox):
    family = demo_family(16123)
    kid = _kid(family)
    staff = factories.staff_user("agent.terminer@example.org")
    since = _last_mail_id()
    with app.app_context():
        idle = finish_on_behalf(family.id, staff, "Appel", NOW, "C", "parent.fin@example.org")
        assert not idle.committed
        _pending(family, kid, datetime.date(2026, 11, 25))  # yesterday: refused even to staff
        assert not finish_on_behalf(family.id, staff, "Trop tard", NOW, "C",
                                    "parent.fin@example.org").committed
        PendingChange.delete().where(PendingChange.child == kid).execute()
        _pending(family, kid, datetime.date(2026, 12, 2))  # past December's deadline
        result = finish_on_behalf(family.id, staff, "Appel de la famille", NOW, "C",
                                  "parent.fin@example.org")
        _pending(family, kid, JANUARY[1])
        _pending(family, kid, JANUARY[2])
        both = finish_on_behalf(family.id, staff, "Sans adresse", NOW, "C", "")
    assert result.committed
    line = result.recap.lines[0]
    rows = list(AuditLog.select().where(AuditLog.action == audit.BOOKING_ON_BEHALF)
                .order_by(AuditLog.id))
    assert [(row.user_id, row.family_id) for row in rows] == [(staff.id, family.id)] * 2
    assert both.committed and json.loads(rows[1].details)["summary"] == "; ".join(
        f"Réservation {line.email_day} : {line.element} ({euros(line.amount_cents)})"
        for line in both.recap.lines)
    assert json.loads(rows[0].details) == {
        "summary": f"Réservation {line.email_day} : {line.element} "
                   f"({euros(line.amount_cents)})",
        "after": {"modifications": 1}, "reason": "Appel de la famille"}
    mails = _mails(since)
    assert [(to, title) for to, title, _ in mails] == [(
        "parent.fin@example.org", f"Récapitulatif de vos réservations du {date_fr(NOW)} à "
                                  f"{time_fr(NOW)} (modifié par le service)")]
    assert ["Appel de la famille" in mailbox.text(m)
            for m in mailbox.to("parent.fin@example.org")] == [True]


# --- "Appliquer aussi à": the same days for a brother's or sister's line ----------------

def _status(day, booked=None, desired=None, is_open=True, allowed=True, full=False):
    return DayStatus(day=day, is_open=is_open, state=EditState(allowed, "" if allowed else "Délai"),
                     full=full, booked=booked, desired=desired)


def test_a_twin_gets_the_days_changed_and_booked_unless_its_own_rules_refuse_them(app, db):
    family, cl = demo_family(16123), activity(CL_NAME)
    anna, tom = _kid(family, "ANNA"), _kid(family, "TOM")
    sans = modalite(CL_NAME, SANS).id
    feb3, feb10, feb17, feb24 = (datetime.date(2027, 2, day) for day in (3, 10, 17, 24))
    user = factories.family_user(family, "parent.jumeaux@example.org")
    line = Line(child=anna, activity=cl, modalites=list(cl.modalites), days={
        JANUARY[0]: _status(JANUARY[0], desired=sans),  # ticked now
        JANUARY[1]: _status(JANUARY[1], sans, sans),  # booked, untouched: copied
        JANUARY[2]: _status(JANUARY[2], sans, None),  # unticked now
        JANUARY[3]: _status(JANUARY[3], desired=sans),
        feb3: _status(feb3, desired=sans), feb10: _status(feb10, desired=sans),
        feb17: _status(feb17, sans, sans),  # not among the twin's days
        feb24: _status(feb24, desired=sans)})  # changed, not among the twin's days
    twin = Line(child=tom, activity=cl, modalites=list(cl.modalites), days={
        JANUARY[0]: _status(JANUARY[0]), JANUARY[1]: _status(JANUARY[1]),
        JANUARY[2]: _status(JANUARY[2], sans, sans),
        JANUARY[3]: _status(JANUARY[3], is_open=False),  # closed for TOM
        feb3: _status(feb3, full=True),  # no place left for TOM
        feb10: _status(feb10, sans, sans, allowed=False)})  # already as wanted
    done, refusals = mirror_choices(family.id, line, [JANUARY[0], JANUARY[2], JANUARY[3],
                                                      feb3, feb10, feb24],
                                    list(line.days), [twin], made_by=user.id)
    assert done == [(twin, [JANUARY[0], JANUARY[1], JANUARY[2]])]
    assert refusals == [f"TOM – {day_label(JANUARY[3])} ({date_fr(JANUARY[3])}) : "
                        f"{CLOSED_DAY_TEXT}",
                        f"TOM – {day_label(feb3)} ({date_fr(feb3)}) : {FULL_TEXT}",
                        f"TOM – {day_label(feb24)} ({date_fr(feb24)}) : {CLOSED_DAY_TEXT}"]
    assert {p.made_by_id for p in PendingChange.select().where(PendingChange.child == tom)} \
        == {user.id}
    assert _kept(tom) == [(JANUARY[0], PendingChange.BOOK, sans),
                          (JANUARY[1], PendingChange.BOOK, sans),
                          (JANUARY[2], PendingChange.CANCEL, sans)]


def test_a_twin_refuses_a_modalite_it_lacks_and_a_full_day_it_has_pending_otherwise(app, db):
    family, cl = demo_family(16123), activity(CL_NAME)
    anna, tom, leo = _kid(family, "ANNA"), _kid(family, "TOM"), _kid(family, "LEO")
    sans, avec = modalite(CL_NAME, SANS), modalite(CL_NAME, AVEC)
    first, second = JANUARY[0], JANUARY[1]
    _pending(family, leo, first)  # LEO's day kept « SANS repas » before it became full
    line = Line(child=anna, activity=cl, modalites=[sans, avec], days={
        first: _status(first, desired=avec.id), second: _status(second, desired=sans.id)})
    only_sans = Line(child=tom, activity=cl, modalites=[sans], days={  # no « AVEC repas »
        first: _status(first), second: _status(second)})
    full = Line(child=leo, activity=cl, modalites=[sans, avec], days={
        first: _status(first, desired=sans.id, full=True), second: _status(second)})
    done, refusals = mirror_choices(family.id, line, [first, second], list(line.days),
                                    [only_sans, full])
    assert done == [(only_sans, [second]), (full, [second])]
    assert refusals == [f"TOM – {day_label(first)} ({date_fr(first)}) : {NO_TWIN_TEXT}",
                        f"LEO – {day_label(first)} ({date_fr(first)}) : {FULL_TEXT}"]
    assert _kept(tom) == [(second, PendingChange.BOOK, sans.id)]
    assert _kept(leo) == [(first, PendingChange.BOOK, sans.id),  # left as it was
                          (second, PendingChange.BOOK, sans.id)]


def test_a_twin_s_day_changed_at_once_from_another_screen_is_named_and_left(app, db,
                                                                             monkeypatch):
    family, cl = demo_family(16123), activity(CL_NAME)
    anna, tom = _kid(family, "ANNA"), _kid(family, "TOM")
    sans = modalite(CL_NAME, SANS)
    day = JANUARY[0]
    line = Line(child=anna, activity=cl, modalites=[sans],
                days={day: _status(day, desired=sans.id)})
    twin = Line(child=tom, activity=cl, modalites=[sans], days={day: _status(day)})
    _pending(family, tom, day)  # kept meanwhile from another screen, after TOM's line was read
    monkeypatch.setattr(changes, "_delete_pending_days", lambda *args: None)
    done, refusals = mirror_choices(family.id, line, [day], [day], [twin])
    assert (done, refusals) == ([], ["TOM : Ces jours viennent d'être modifiés depuis un "
                                     "autre écran : rechargez la page et recommencez."])
    assert (twin.days[day].desired, twin.days[day].pending) == (None, False)


def _many(count, made_by=None, by=""):
    """``count`` recap lines, one a day from 4 January 2027, the last a cancellation."""
    first = datetime.date(2027, 1, 4)
    return [RecapLine(day=first + datetime.timedelta(days=n), child=LENA, activity=CL,
                      modalite=APRES_MIDI, amount_cents=520, pending_id=n,
                      action=ANNULATION if n == count - 1 else RESERVATION,
                      made_by=made_by if n == 0 else None, by=by if n == 0 else "")
            for n in range(count)]


def test_the_family_s_audit_row_names_twenty_changes_and_who_else_made_them(app, db):
    family = demo_family(16123)
    user = factories.family_user(family, "parent.audit@example.org")
    partner = factories.family_user(family, "autre.audit@example.org")
    for count in (20, 21):
        changes._audit_family_commit(user, family.id, Recap(lines=_many(count, partner.id,
                                                                         "Nadia BERNARD")))
    changes._audit_family_commit(user, family.id, Recap(lines=_many(2, user.id, "Moi")))
    rows = [json.loads(row.details) for row in AuditLog.select().where(
        AuditLog.action == audit.BOOKING_COMMITTED).order_by(AuditLog.id)]
    twenty, more, own = (row["summary"] for row in rows)
    assert [row["after"] for row in rows] == [{"reservees": 19, "annulations": 1},
                                              {"reservees": 20, "annulations": 1},
                                              {"reservees": 1, "annulations": 1}]
    first = _many(1)[0]
    assert twenty.startswith(f"19 réservation(s), 1 annulation(s) : Réservation "
                             f"{first.email_day} : {first.element} (par Nadia BERNARD); "
                             f"Réservation ")
    assert twenty.count("; ") == 19 and twenty.endswith(f"Annulation {_many(20)[-1].email_day}"
                                                        f" : {first.element}")
    assert more.count("; ") == 19 and more.endswith(f"{first.element} …")
    assert own == (f"1 réservation(s), 1 annulation(s) : Réservation {first.email_day} : "
                   f"{first.element}; Annulation {_many(2)[1].email_day} : {first.element}")


def test_the_confirmation_lists_twenty_changes_and_counts_the_others(app):
    lines = _many(22, 5, "Nadia BERNARD")
    shown = changes.done_changes(Recap(lines=lines))
    assert shown["more"] == 2 and len(shown["lines"]) == 20
    assert shown["lines"][0] == {"day": lines[0].email_day, "element": lines[0].element,
                                 "action": RESERVATION, "by": "Nadia BERNARD"}
    assert changes.done_changes(Recap(lines=lines[:3])) == {"lines": [
        {"day": line.email_day, "element": line.element, "action": line.action, "by": line.by}
        for line in lines[:3]], "more": 0}


def test_the_pending_count_is_the_family_s_own(app, db):
    family, other = demo_family(16123), demo_family(16122)
    for day in JANUARY[:2]:
        _pending(family, _kid(family, f"K{day.day}"), day)
    _pending(other, _kid(other, "AUTRE"), JANUARY[0])
    assert (changes.pending_count(family.id), changes.pending_count(other.id)) == (2, 1)


def test_the_recap_s_queries_are_built_again_in_a_fresh_process(app, db, monkeypatch):
    family = demo_family(16123)
    kid = _kid(family)
    factories.booking(kid, CL_NAME, JANUARY[0], modalite=SANS, price_cents=777)
    chosen = _pending(family, kid, JANUARY[1])
    _pending(family, kid, JANUARY[2])
    monkeypatch.setattr(fast_rows, "_COMPILED", {})  # no statement kept from another test
    assert _problems(family) == [("VERIF", JANUARY[1], ""), ("VERIF", JANUARY[2], "")]
    result = commit_pending(family.id, NOW, "C", only_ids=[chosen.id])
    assert [line.day for line in result.recap.lines] == [JANUARY[1]]
    assert [cost["cost"] for cost in period_costs(result.recap)] == [
        777 + result.recap.lines[0].amount_cents]


def test_each_recap_line_names_the_guardian_who_made_it(app, db):
    family = demo_family(16123)
    kid = _kid(family)
    guardian = User.select().where(User.family == family.id).order_by(User.id).first()
    made = _pending(family, kid, JANUARY[0])
    made.made_by = guardian
    made.save()
    _pending(family, kid, JANUARY[1])  # made before the portal kept who made it
    recap = load_recap(family.id, NOW, "C")
    lines = {line.day: line for line in recap.lines}
    assert (lines[JANUARY[0]].made_by, lines[JANUARY[0]].by) == (guardian.id, "Nadia BERNARD")
    assert lines[JANUARY[1]].made_by is None and not lines[JANUARY[1]].by


def test_a_family_whose_id_is_also_a_child_s_and_a_line_s_reads_each_row_s_own(app, db):
    """The recap builds each child and line once, by its own id, never by the family id
    its row also holds: here BOB's and his line's id are the family's."""
    shared = 900_001  # far past the demo's ids, so that no other row has it
    family = factories.family(90001, id=shared)
    anna = _kid(family, "ANNA")
    bob = factories.child(family, "BOB", id=shared)
    Enrolment.create(id=shared, child=bob, activity=activity(CL_NAME), closed_from=JANUARY[0])
    clara = _kid(family, "CLARA")
    DayOverride.create(activity=activity(CL_NAME), date=JANUARY[1], capacity=99)  # room for all
    for kid in (anna, bob, clara):
        _pending(family, kid, JANUARY[1])
    assert _problems(family) == [("ANNA", JANUARY[1], ""),
                                 ("BOB", JANUARY[1], NOT_ENROLLED_TEXT),
                                 ("CLARA", JANUARY[1], "")]


def test_terminer_of_no_chosen_change_commits_none(app, db):
    """An empty choice commits nothing, not even the change of id 1."""
    family = demo_family(16123)
    kid = _kid(family)
    PendingChange.delete().where(PendingChange.id == 1).execute()
    PendingChange.create(id=1, family=family, child=kid, activity=activity(CL_NAME),
                         modalite=modalite(CL_NAME, SANS), date=JANUARY[1],
                         action=PendingChange.BOOK)
    result = commit_pending(family.id, NOW, "C", only_ids=[])
    assert (result.committed, result.message, result.recap.lines) == (
        False, "Aucune modification en attente : rien n'a été enregistré.", [])
    assert _kept(kid) == [(JANUARY[1], PendingChange.BOOK, modalite(CL_NAME, SANS).id)]
    assert Booking.select().where(Booking.child == kid).count() == 0
