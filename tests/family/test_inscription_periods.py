"""Inscription periods as pure functions of ``now`` (no database, no app)."""
import datetime

import pytest

from domain.booking.inscription import (
    inscription_deadline,
    inscription_effective_from,
    monthly_effective_month,
)
from domain.catalogue.categories import main_inscription_period
from models import SchoolYear
from tests.helpers import GUIDE_YEAR, PARIS

pytestmark = pytest.mark.usefixtures("guide_commune")  # no database: the guide's periods

UTC = datetime.timezone.utc
D = datetime.date
YEAR = GUIDE_YEAR


def paris(*args):
    """An aware Europe/Paris datetime."""
    return datetime.datetime(*args, tzinfo=PARIS)


def test_main_period_is_10_march_to_20_august_of_the_start_year():
    assert main_inscription_period(YEAR) == (D(2026, 3, 10), D(2026, 8, 20))


@pytest.mark.parametrize("now, expected", [
    (paris(2026, 3, 9, 23, 59, 59), None),              # the day before: closed
    (paris(2026, 3, 10, 0, 0), D(2026, 9, 1)),          # first minute: from the rentrée
    (paris(2026, 6, 15, 12, 0), D(2026, 9, 1)),
    (paris(2026, 8, 20, 23, 59, 59), D(2026, 9, 1)),    # last minute of the main period
    (paris(2026, 8, 21, 0, 0), D(2026, 10, 1)),         # monthly rule: after the 20th, M+2
    (paris(2026, 9, 20, 23, 59), D(2026, 10, 1)),
    (paris(2026, 9, 21, 0, 0), D(2026, 11, 1)),
])
def test_main_period_edges(now, expected):
    assert inscription_effective_from(YEAR, now) == expected


@pytest.mark.parametrize("now, expected", [
    (paris(2026, 11, 20, 23, 59, 59), D(2026, 12, 1)),  # until the 20th: next month
    (paris(2026, 11, 21, 0, 0), D(2027, 1, 1)),         # from the 21st: the month after
    (paris(2026, 11, 26, 10, 0), D(2027, 1, 1)),        # the tests' fixed "now"
    (paris(2026, 12, 20, 23, 59), D(2027, 1, 1)),
    (paris(2026, 12, 21, 0, 0), D(2027, 2, 1)),         # across the new year
    (paris(2027, 3, 20, 23, 59), D(2027, 4, 1)),
    (paris(2027, 5, 20, 23, 59), D(2027, 6, 1)),
    (paris(2027, 5, 21, 0, 0), D(2027, 7, 1)),          # July 1st and 2nd still school days
    (paris(2027, 6, 20, 23, 59), D(2027, 7, 1)),
    (paris(2027, 6, 21, 0, 0), None),                   # August: after the last school day
])
def test_monthly_period_edges(now, expected):
    assert inscription_effective_from(YEAR, now) == expected


@pytest.mark.parametrize("now, expected", [
    # 20/11 23:30 Paris is 22:30 UTC: still the 20th in Paris.
    (datetime.datetime(2026, 11, 20, 22, 30, tzinfo=UTC), D(2026, 12, 1)),
    # 20/11 23:00 UTC is already 21/11 00:00 in Paris (winter time, UTC+1).
    (datetime.datetime(2026, 11, 20, 23, 0, tzinfo=UTC), D(2027, 1, 1)),
    # Summer time (UTC+2): 20/08 21:59 UTC is 23:59 Paris, 22:00 UTC is the 21st.
    (datetime.datetime(2026, 8, 20, 21, 59, tzinfo=UTC), D(2026, 9, 1)),
    (datetime.datetime(2026, 8, 20, 22, 0, tzinfo=UTC), D(2026, 10, 1)),
])
def test_edges_are_taken_in_paris_time_whatever_the_timezone_of_now(now, expected):
    assert inscription_effective_from(YEAR, now) == expected


def test_monthly_rule_alone():
    assert monthly_effective_month(paris(2026, 1, 20, 23, 59)) == D(2026, 2, 1)
    assert monthly_effective_month(paris(2026, 1, 21, 0, 0)) == D(2026, 3, 1)
    assert monthly_effective_month(paris(2026, 12, 31, 12, 0)) == D(2027, 2, 1)


def test_a_past_school_year_and_a_far_coming_one_are_closed():
    past = SchoolYear(label="2025/2026", start_date=D(2025, 9, 1), end_date=D(2026, 7, 3))
    far = SchoolYear(label="2027/2028", start_date=D(2027, 9, 1), end_date=D(2028, 7, 7))
    now = paris(2026, 11, 26, 10, 0)
    assert inscription_effective_from(past, now) is None
    assert inscription_effective_from(far, now) is None
    assert inscription_effective_from(far, paris(2027, 3, 10, 0, 0)) == D(2027, 9, 1)


@pytest.mark.parametrize("now, expected", [
    (paris(2026, 4, 2, 9, 0), D(2026, 8, 20)),      # main period: until 20 August
    (paris(2026, 11, 20, 9, 0), D(2026, 11, 20)),   # for December: until 20 November
    (paris(2026, 11, 26, 10, 0), D(2026, 12, 20)),  # for January: until 20 December
    (paris(2026, 8, 25, 10, 0), D(2026, 9, 20)),    # for October: until 20 September
    (paris(2027, 6, 21, 0, 0), None),
])
def test_deadline_for_the_date_a_line_would_take_effect(now, expected):
    assert inscription_deadline(YEAR, now) == expected
