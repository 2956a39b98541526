"""The booking rules of domain/booking.py, at their edges, with an injected "now".

Pure functions: no database, no app. Deadlines are Paris instants, so the
tests give "now" both in Paris time and in UTC across the daylight-saving changes.
"""
import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.booking.days import (FULL_TEXT, ONE_MODALITE_TEXT, ChoiceError, DayStatus, EditState,
                            booking_deadline, capacity_of, day_edit_state, is_full,
                            overrides_for, parse_day_tokens, range_edit_state, resolve_choices,
                            split_overrides, windows_by_period)
from models import Activity, BookingWindow, DayOverride, SchoolYear

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.timezone.utc
YEAR = SchoolYear(id=1, label="2026/2027", start_date=datetime.date(2026, 9, 1),
                  end_date=datetime.date(2027, 7, 2))


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
