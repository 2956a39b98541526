"""The two pricing rules, each written once in domain/catalogue/pricing.py: which
bracket a quotient falls in, and which validated quotient is in force on a day."""
import datetime
from types import SimpleNamespace

from domain.catalogue.pricing import bracket_among, in_force_among

D = datetime.date


def _bracket(position, low, high):
    return SimpleNamespace(position=position, min_qf=low, max_qf=high)


BRACKETS = [_bracket(1, 0, 500), _bracket(2, 501, 1000), _bracket(3, 1001, None)]


def test_a_quotient_falls_in_the_bracket_whose_bounds_hold_it_bounds_included():
    assert bracket_among(BRACKETS, 0).position == 1
    assert bracket_among(BRACKETS, 500).position == 1
    assert bracket_among(BRACKETS, 501).position == 2
    assert bracket_among(BRACKETS, 1000).position == 2
    assert bracket_among(BRACKETS, 5000).position == 3


def test_no_validated_quotient_pays_the_highest_bracket_and_no_bracket_prices_nothing():
    assert bracket_among(BRACKETS, None).position == 3
    assert bracket_among([], 300) is None


def _declaration(id, quotient, effective_from, reviewed_at=datetime.datetime(2026, 9, 1)):
    return SimpleNamespace(id=id, quotient=quotient, effective_from=effective_from,
                           reviewed_at=reviewed_at)


def test_a_quotient_validated_from_a_date_prices_the_days_from_that_date_only():
    older = _declaration(1, 900, D(2026, 9, 1))
    newer = _declaration(2, 400, D(2026, 12, 1))
    assert in_force_among([older, newer], D(2026, 11, 30)) is older
    assert in_force_among([older, newer], D(2026, 12, 1)) is newer
    assert in_force_among([older, newer], D(2026, 8, 31)) is None
    assert in_force_among([older, newer]) is newer  # no day: the latest effective


def test_a_dated_validation_wins_over_an_undated_one_then_the_latest_reviewed():
    undated = _declaration(1, 900, None, datetime.datetime(2026, 10, 5))
    dated = _declaration(2, 400, D(2026, 9, 1), datetime.datetime(2026, 9, 2))
    assert in_force_among([undated, dated], D(2026, 10, 10)) is dated
    assert in_force_among([undated, dated], D(2026, 8, 10)) is undated
    first = _declaration(3, 700, D(2026, 9, 1), datetime.datetime(2026, 9, 3))
    assert in_force_among([dated, first], D(2026, 10, 10)) is first
