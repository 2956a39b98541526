"""The booking rules of domain/booking.py, at their edges, with an injected "now".

Pure functions: no database, no app. Deadlines are Paris instants, so the
tests give "now" both in Paris time and in UTC across the daylight-saving changes.
"""
import datetime

import pytest

from domain.booking.days import (
    BY_INSCRIPTION_TEXT,
    FULL_TEXT,
    ONE_MODALITE_TEXT,
    ChoiceError,
    DayStatus,
    EditState,
    booking_deadline,
    capacity_of,
    closed_for_school,
    day_edit_state,
    edit_state_key,
    is_full,
    overrides_for,
    parse_day_tokens,
    radio_tokens,
    range_edit_state,
    resolve_choices,
    split_overrides,
    split_school_closures,
    windows_by_period,
)
from models import Activity, BookingWindow, DayOverride
from tests.helpers import GUIDE_YEAR, PARIS

pytestmark = pytest.mark.usefixtures("guide_commune")  # no database: the guide's deadline

UTC = datetime.timezone.utc
YEAR = GUIDE_YEAR


def paris(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=PARIS)


def utc(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_activity(category, period=None, capacity=None):
    return Activity(id=7, school_year=YEAR, name="X", category=category, weekdays="1,2,3,4,5",
                    holiday_period=period, capacity=capacity)


CL = make_activity(Activity.CL_MERCREDI)
CANTEEN = make_activity(Activity.RESTAURATION)
# The holiday booking windows, as staff set them for 2026/2027 in the demo.
WINDOWS = windows_by_period([
    BookingWindow(school_year=YEAR, period="Automne", opens_on=None,
                  closes_on=datetime.date(2026, 10, 1)),
    BookingWindow(school_year=YEAR, period="Noël", opens_on=datetime.date(2026, 11, 2),
                  closes_on=datetime.date(2026, 12, 2)),
    BookingWindow(school_year=YEAR, period="Hiver", opens_on=datetime.date(2027, 1, 5),
                  closes_on=datetime.date(2027, 2, 4)),
])


def state(activity, day, now):
    return day_edit_state(activity, day, now, WINDOWS, "C")


# --- The monthly rule: until the 20th of month M, 23:59 Paris, for M+1 ----------------


def test_monthly_deadline_is_the_21st_at_midnight_paris_of_the_month_before():
    assert booking_deadline(CL, datetime.date(2027, 1, 6)) == paris("2026-12-21T00:00")
    assert booking_deadline(CL, datetime.date(2027, 1, 31)) == paris("2026-12-21T00:00")
    assert booking_deadline(CANTEEN, datetime.date(2026, 12, 1)) == paris("2026-11-21T00:00")
    assert booking_deadline(make_activity(Activity.CLV, "Noël"), datetime.date(2026, 12, 21)) \
        is None


@pytest.mark.parametrize("activity", [CL, CANTEEN, make_activity(Activity.GARDERIE),
                                      make_activity(Activity.BUS_MERCREDI)])
def test_20th_at_2359_is_open_and_21st_at_0000_is_closed(activity):
    day = datetime.date(2027, 1, 13)
    last_minute = state(activity, day, paris("2026-12-20T23:59"))
    assert last_minute.allowed
    assert last_minute.describe() == "Modifications possibles jusqu'au 20/12/2026 à 23h59."
    closed = state(activity, day, paris("2026-12-21T00:00"))
    assert not closed.allowed
    assert closed.reason == (
        "Les réservations de janvier 2027 ne sont plus modifiables depuis le 21/12/2026 à "
        "00h00 : la date limite était le 20/12/2026 à 23h59 (le 20 de chaque mois pour le "
        "mois suivant).")
    assert closed.closes_at == paris("2026-12-21T00:00")


def test_month_m_itself_is_closed_even_before_the_20th():
    # On 05/01/2027, January is closed (its deadline was 20/12), February is open.
    now = paris("2027-01-05T09:00")
    assert not state(CL, datetime.date(2027, 1, 27), now).allowed
    assert state(CL, datetime.date(2027, 2, 3), now).allowed
    # ...and later months of the year too.
    assert state(CL, datetime.date(2027, 6, 30), now).allowed


def test_march_edge_before_the_spring_dst_change_in_utc_and_paris():
    # 20/03/2027 is in winter time (UTC+1); DST starts on 28/03/2027.
    day = datetime.date(2027, 4, 7)
    assert state(CL, day, utc("2027-03-20T22:59")).allowed  # 23:59 in Paris
    assert not state(CL, day, utc("2027-03-20T23:00")).allowed  # 00:00 in Paris
    assert state(CL, day, paris("2027-03-20T23:59:59")).allowed
    assert not state(CL, day, paris("2027-03-21T00:00")).allowed


def test_october_edge_in_summer_time_then_the_autumn_dst_change():
    # 20/10/2026 is in summer time (UTC+2): midnight in Paris is 22:00 UTC, not 23:00.
    day = datetime.date(2026, 11, 18)
    assert state(CL, day, utc("2026-10-20T21:59")).allowed
    assert not state(CL, day, utc("2026-10-20T22:00")).allowed
    assert not state(CL, day, utc("2026-10-20T22:30")).allowed  # open if read as UTC: wrong
    # After the switch of 25/10/2026 (winter time, UTC+1), the November edge is 23:00 UTC.
    day = datetime.date(2026, 12, 16)
    assert state(CL, day, utc("2026-11-20T22:59")).allowed
    assert not state(CL, day, utc("2026-11-20T23:00")).allowed


def test_a_past_day_is_never_changed():
    now = paris("2026-11-26T10:00")
    refused = state(CL, datetime.date(2026, 11, 25), now)
    assert not refused.allowed and "passé" in refused.reason
    clv = make_activity(Activity.CLV, "Noël")
    WIDE = windows_by_period([BookingWindow(school_year=YEAR, period="Noël",
                                            opens_on=None, closes_on=datetime.date(2027, 1, 3))])
    assert not day_edit_state(clv, datetime.date(2026, 12, 21), paris("2026-12-22T08:00"),
                              WIDE, "C").allowed


def test_alae_lines_are_booked_by_the_inscription_not_here():
    result = state(make_activity(Activity.ALAE), datetime.date(2027, 1, 12),
                   paris("2026-11-26T10:00"))
    assert not result.allowed
    assert "inscription" in result.reason and "messagerie" in result.reason


# --- CLV windows ---------------------------------------------------------------------


NOEL = make_activity(Activity.CLV, "Noël")
NOEL_DAY = datetime.date(2026, 12, 21)


def test_clv_window_first_day_opens_at_midnight_paris():
    before = state(NOEL, NOEL_DAY, paris("2026-11-01T23:59"))
    assert not before.allowed
    assert before.reason == ("Les réservations des vacances de Noël ouvrent le 02/11/2026 "
                             "(période de réservation : du 02/11/2026 au 02/12/2026).")
    assert before.opens_at == paris("2026-11-02T00:00")
    assert state(NOEL, NOEL_DAY, paris("2026-11-02T00:00")).allowed
    assert not state(NOEL, NOEL_DAY, utc("2026-11-01T22:59")).allowed  # 23:59 in Paris


def test_clv_window_last_day_is_open_until_2359_paris():
    last = state(NOEL, NOEL_DAY, paris("2026-12-02T23:59"))
    assert last.allowed
    assert last.describe() == "Modifications possibles jusqu'au 02/12/2026 à 23h59."
    after = state(NOEL, NOEL_DAY, paris("2026-12-03T00:00"))
    assert not after.allowed
    assert after.reason == ("Les réservations des vacances de Noël sont closes depuis le "
                            "03/12/2026 (période de réservation : du 02/11/2026 au 02/12/2026).")


def test_clv_window_without_opening_date_is_open_until_it_closes():
    automne = make_activity(Activity.CLV, "Automne")
    day = datetime.date(2026, 10, 19)
    assert state(automne, day, paris("2026-09-02T08:00")).allowed
    assert state(automne, day, paris("2026-10-01T23:59")).allowed
    closed = state(automne, day, paris("2026-10-02T00:00"))
    assert not closed.allowed and "jusqu'au 01/10/2026" in closed.reason


def test_a_period_without_window_says_its_dates_are_not_set():
    printemps = make_activity(Activity.CLV, "Printemps")
    result = state(printemps, datetime.date(2027, 4, 5), paris("2026-11-26T10:00"))
    assert not result.allowed
    assert result.reason == "Les dates de réservation des vacances de Printemps ne sont pas " \
                            "encore fixées."


def test_vacances_bus_follows_the_window_of_the_day_s_period():
    bus = make_activity(Activity.BUS_VACANCES)
    now = paris("2026-11-26T10:00")
    assert state(bus, datetime.date(2026, 12, 21), now).allowed  # Noël: open until 02/12
    hiver = state(bus, datetime.date(2027, 2, 8), now)  # Hiver: opens 05/01
    assert not hiver.allowed and "vacances d'Hiver ouvrent le 05/01/2027" in hiver.reason
    assert state(bus, datetime.date(2027, 2, 8), paris("2027-01-05T00:00")).allowed


def test_range_state_allows_if_any_day_can_change_and_says_when_none_can():
    now = paris("2026-12-21T00:00")
    days = [datetime.date(2026, 12, 30), datetime.date(2027, 1, 6)]
    assert not range_edit_state(CL, days, now, WINDOWS, "C").allowed
    assert range_edit_state(CL, days + [datetime.date(2027, 2, 3)], now, WINDOWS, "C").allowed
    empty = range_edit_state(CL, [], now, WINDOWS, "C")
    assert not empty.allowed and empty.reason == "Pas d'accueil sur cette période."


# --- Capacity ------------------------------------------------------------------------


def test_capacity_is_the_activity_s_unless_staff_override_the_day():
    act = make_activity(Activity.CL_MERCREDI, capacity=24)
    day, other = datetime.date(2027, 1, 13), datetime.date(2027, 1, 20)
    opening, places = split_overrides([
        DayOverride(activity=act, date=day, capacity=2),
        DayOverride(activity=None, date=other, is_open=False),
        DayOverride(activity=act, date=other, is_open=True),
    ])
    overrides = overrides_for(act.id, places)
    assert capacity_of(act, day, overrides) == 2
    assert capacity_of(act, other, overrides) == 24
    assert not is_full(act, day, 1, overrides) and is_full(act, day, 2, overrides)
    assert not is_full(make_activity(Activity.RESTAURATION), day, 500, {})  # unlimited
    # The activity's own override wins over the commune-wide one.
    assert overrides_for(act.id, opening) == {other: True}


# --- Choices of a month --------------------------------------------------------------

OPEN = EditState(True)
D1, D2, D3 = datetime.date(2027, 1, 6), datetime.date(2027, 1, 13), datetime.date(2027, 1, 7)


def days(**overrides):
    statuses = {D1: DayStatus(D1, True, OPEN), D2: DayStatus(D2, True, OPEN),
                D3: DayStatus(D3, False, OPEN)}
    for name, value in overrides.items():
        day, attribute = name.split("_", 1)
        setattr(statuses[{"d1": D1, "d2": D2, "d3": D3}[day]], attribute, value)
    return statuses


def test_tokens_of_another_activity_or_forged_dates_are_refused():
    statuses = days()
    assert parse_day_tokens(["10:2027-01-06", "10:2027-01-06"], {9, 10}, statuses) == {D1: [10]}
    for forged, message in [
        ("10:2027-02-30", "Choix invalide"),
        ("abc", "Choix invalide"),
        ("99:2027-01-06", "n'appartient pas à cette activité"),
        ("10:2027-02-03", "n'est pas dans la période affichée"),
    ]:
        with pytest.raises(ChoiceError) as error:
            parse_day_tokens([forged], {9, 10}, statuses)
        assert message in error.value.messages[0]


def test_one_modalite_per_day_a_new_tick_replaces_the_old_one_under_htmx():
    statuses = days(d1_desired=10)
    assert resolve_choices({D1: [10, 9]}, statuses, {D1: 10}, prefer_new=True) == \
        {D1: 9, D2: None}
    with pytest.raises(ChoiceError) as error:
        resolve_choices({D1: [10, 9]}, statuses, {D1: 10}, prefer_new=False)
    assert ONE_MODALITE_TEXT in error.value.messages[0]


def test_closed_day_ticked_is_refused_and_untouched_closed_days_keep_their_state():
    with pytest.raises(ChoiceError) as error:
        resolve_choices({D3: [10]}, days(), {}, prefer_new=False)
    assert "Je 07 (07/01/2027) : Pas d'accueil ce jour-là." == error.value.messages[0]
    past = EditState(False, "Ce jour est passé : il ne peut plus être modifié.")
    # A booked day that can no longer change is absent from the form: it stays booked.
    statuses = days(d1_state=past, d1_booked=10, d1_desired=10)
    assert resolve_choices({}, statuses, {D1: 10}, prefer_new=False) == {D2: None}


def test_a_full_day_cannot_be_taken_but_a_booked_child_may_switch_modalite():
    with pytest.raises(ChoiceError) as error:
        resolve_choices({D2: [10]}, days(d2_full=True), {}, prefer_new=False)
    assert FULL_TEXT in error.value.messages[0]
    statuses = days(d2_full=True, d2_booked=10, d2_desired=10)
    assert resolve_choices({D2: [9]}, statuses, {D2: 10}, prefer_new=False)[D2] == 9
    assert resolve_choices({}, statuses, {D2: 10}, prefer_new=False)[D2] is None  # cancel


# --- The edges the first tests left open --------------------------------------------


def test_a_closed_month_describes_why_not_its_last_minute():
    closed = state(CL, datetime.date(2027, 1, 13), paris("2026-12-21T00:00"))
    assert closed.describe() == closed.reason
    assert closed == EditState(False, closed.reason, closes_at=paris("2026-12-21T00:00"))


def test_today_is_not_past_while_its_window_is_open():
    wide = windows_by_period([BookingWindow(school_year=YEAR, period="Noël", opens_on=None,
                                            closes_on=datetime.date(2027, 1, 3))])
    today = datetime.date(2026, 12, 21)
    assert day_edit_state(NOEL, today, paris("2026-12-21T08:00"), wide, "C").allowed


def test_a_day_is_past_from_midnight_in_paris_not_in_utc():
    wide = windows_by_period([BookingWindow(school_year=YEAR, period="Noël", opens_on=None,
                                            closes_on=datetime.date(2027, 1, 3))])
    # 23:30 UTC on the 21st is 00:30 on the 22nd in Paris: the 21st is over.
    result = day_edit_state(NOEL, datetime.date(2026, 12, 21), utc("2026-12-21T23:30"), wide, "C")
    assert result == EditState(False, "Ce jour est passé : il ne peut plus être modifié.")


def test_refusals_say_false_and_their_reason_exactly():
    now = paris("2026-11-26T10:00")
    alae = make_activity(Activity.ALAE)
    assert state(alae, datetime.date(2027, 1, 12), now) == EditState(False, BY_INSCRIPTION_TEXT)
    assert range_edit_state(alae, [datetime.date(2027, 1, 12)], now, WINDOWS, "C") == \
        EditState(False, BY_INSCRIPTION_TEXT)
    assert range_edit_state(CL, [], now, WINDOWS, "C") == \
        EditState(False, "Pas d'accueil sur cette période.")
    unknown = make_activity("atelier")
    assert state(unknown, datetime.date(2027, 1, 12), now) == \
        EditState(False, "Cette activité ne se réserve pas sur le portail.")


def test_a_holiday_line_on_a_school_day_says_its_period_dates_are_not_set():
    bus = make_activity(Activity.BUS_VACANCES)
    result = state(bus, datetime.date(2027, 1, 12), paris("2026-11-26T10:00"))
    assert result == EditState(
        False, "Les dates de réservation de cette période ne sont pas encore fixées.")


def test_window_states_carry_both_bounds_before_during_and_after():
    opens, closes = paris("2026-11-02T00:00"), paris("2026-12-03T00:00")
    for now, allowed in [("2026-11-01T23:59", False), ("2026-11-15T12:00", True),
                         ("2026-12-03T00:00", False)]:
        result = state(NOEL, NOEL_DAY, paris(now))
        assert (result.allowed, result.opens_at, result.closes_at) == (allowed, opens, closes)
        assert result.allowed is allowed


def test_a_range_is_open_if_one_day_is_even_when_its_last_day_is_not():
    bus = make_activity(Activity.BUS_VACANCES)
    now = paris("2026-11-26T10:00")
    noel, hiver = datetime.date(2026, 12, 21), datetime.date(2027, 2, 8)
    result = range_edit_state(bus, [noel, hiver], now, WINDOWS, "C")
    assert result.allowed and result.closes_at == paris("2026-12-03T00:00")


def test_a_range_none_can_change_gives_the_reason_of_its_last_day():
    bus = make_activity(Activity.BUS_VACANCES)
    now = paris("2026-11-26T10:00")
    days_ = [datetime.date(2026, 11, 25), datetime.date(2027, 2, 8), datetime.date(2027, 4, 12)]
    result = range_edit_state(bus, days_, now, WINDOWS, "C")
    assert result.reason == ("Les dates de réservation des vacances de Printemps ne sont pas "
                             "encore fixées.")


def test_days_of_one_key_share_their_state():
    today = datetime.date(2026, 11, 26)
    bus = make_activity(Activity.BUS_VACANCES)
    assert edit_state_key(CL, datetime.date(2026, 11, 25), today, "C") == ("past",)
    assert edit_state_key(CL, today, today, "C") == (2026, 11)
    assert edit_state_key(CL, datetime.date(2027, 1, 13), today, "C") == (2027, 1)
    assert edit_state_key(bus, datetime.date(2026, 12, 21), today, "C") == ("period", "Noël")
    assert edit_state_key(NOEL, datetime.date(2027, 2, 8), today, "C") == ("period", "Noël")
    assert edit_state_key(make_activity(Activity.ALAE), today, today, "C") == ()


def test_school_closures_are_kept_apart_from_the_commune_s_overrides():
    act = make_activity(Activity.CL_MERCREDI, capacity=24)
    day, other = datetime.date(2027, 1, 13), datetime.date(2027, 1, 20)
    rows = [DayOverride(activity=act, date=day, is_open=False, school_id=3),
            DayOverride(activity=act, date=other, is_open=False),
            DayOverride(activity=act, date=other, capacity=5)]
    assert split_overrides(rows) == ({7: {other: False}}, {7: {other: 5}})


def test_a_school_s_closure_closes_the_day_for_its_children_only():
    act_id, day, other = 7, datetime.date(2027, 1, 13), datetime.date(2027, 1, 20)
    rows = [DayOverride(activity=None, date=day, is_open=False, school_id=3),
            DayOverride(activity_id=act_id, date=other, is_open=False, school_id=3),
            DayOverride(activity_id=act_id, date=other, is_open=True, school_id=4),
            DayOverride(activity=None, date=other, is_open=False, school_id=99),
            DayOverride(activity=None, date=other, is_open=False)]
    closed = split_school_closures(rows, {3: "Jules Ferry", 4: "Pasteur"})
    assert closed == {("Jules Ferry", None): {day}, ("Jules Ferry", act_id): {other}}
    assert closed_for_school(closed, "Jules Ferry", act_id, day)  # every activity
    assert closed_for_school(closed, "Jules Ferry", act_id, other)  # this activity
    assert not closed_for_school(closed, "Jules Ferry", 8, other)
    assert not closed_for_school(closed, "Pasteur", act_id, day)
    assert not closed_for_school(closed, "", act_id, day)
    assert not closed_for_school({}, "Jules Ferry", act_id, day)


def test_an_activity_without_overrides_gets_the_commune_s():
    day = datetime.date(2027, 1, 13)
    assert overrides_for(8, {None: {day: False}, 7: {day: True}}) == {day: False}


def test_calendar_cell_classes():
    def cell(**fields):
        return DayStatus(D1, fields.pop("is_open", True), OPEN, **fields)
    assert cell(is_open=False, booked=10, desired=10).css(10) == "x"
    assert cell(booked=10, desired=10).css(10) == "b"
    assert cell(desired=10).css(10) == "p"
    assert cell(booked=10).css(10) == "c"
    assert cell(booked=10, desired=9).css(10) == "c"
    assert cell(booked=10, desired=9).css(9) == "p"
    assert cell(full=True).css(10) == "f"
    assert cell().css(10) == ""


def test_choice_errors_join_their_messages():
    assert str(ChoiceError(["Un.", "Deux."])) == "Un.; Deux."


def test_every_forged_token_is_reported_each_with_its_day():
    with pytest.raises(ChoiceError) as error:
        parse_day_tokens(["x" * 60, "abc", "99:2027-01-06", "10:2027-02-03"], {9, 10}, days())
    assert error.value.messages == [
        f"Choix invalide : « {'x' * 40} ».", "Choix invalide : « abc ».",
        "Le 06/01/2027 : cette modalité n'appartient pas à cette activité.",
        "Le 03/02/2027 n'est pas dans la période affichée."]


def test_every_refused_day_is_reported_with_its_date():
    with pytest.raises(ChoiceError) as error:
        resolve_choices({D1: [10, 9], D2: [10, 9]}, days(), {}, prefer_new=False)
    assert error.value.messages == [f"Me 06 (06/01/2027) : {ONE_MODALITE_TEXT}",
                                    f"Me 13 (13/01/2027) : {ONE_MODALITE_TEXT}"]
    # A pending booking on a day now full may not move to another modalité (it would
    # take a second place): each such day is refused, with its date.
    pending = days(d1_full=True, d1_desired=10, d2_full=True, d2_desired=10)
    with pytest.raises(ChoiceError) as error:
        resolve_choices({D1: [9], D2: [9]}, pending, {D1: 10, D2: 10}, prefer_new=False)
    assert error.value.messages == [f"Me 06 (06/01/2027) : {FULL_TEXT}",
                                    f"Me 13 (13/01/2027) : {FULL_TEXT}"]


def test_a_pending_booking_on_a_day_now_full_may_be_kept_or_withdrawn():
    statuses = days(d2_full=True, d2_desired=10, d2_pending=True)
    assert resolve_choices({D2: [10]}, statuses, {D2: 10}, prefer_new=False)[D2] == 10
    assert resolve_choices({}, statuses, {D2: 10}, prefer_new=False)[D2] is None


def test_phone_radios_give_tokens_and_the_days_shown():
    items = [("csrf_token", "t"), ("j-2027-01-06", "10"), ("j-2027-01-13", "0"),
             ("j-2027-01-20", "9")]
    assert radio_tokens(items) == (["10:2027-01-06", "9:2027-01-20"],
                                   ["2027-01-06", "2027-01-13", "2027-01-20"])
