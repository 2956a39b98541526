"""The throttle's small rules, one by one (domain.family.throttle): written for the
mutants mutmut left alive in it (README, "Mutation testing")."""
import datetime

from domain.family import throttle
from models import Family, LoginThrottle, User

NOW = datetime.datetime(2026, 12, 1, 10, 0)


def test_a_source_is_the_address_or_its_ipv6_64():
    assert throttle.source_of("192.0.2.7") == "192.0.2.7"
    assert throttle.source_of(" 192.0.2.7 ") == "192.0.2.7"
    assert throttle.source_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert throttle.source_of("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert throttle.source_of("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle.source_of("pas une adresse") == "inconnue"
    assert throttle.source_of(None) == "inconnue" and throttle.source_of("") == "inconnue"


def test_the_wait_is_said_in_minutes_then_hours():
    assert throttle.describe_wait(datetime.timedelta(seconds=10)) == "Réessayez dans 1 minute."
    assert throttle.describe_wait(datetime.timedelta(seconds=61)) == "Réessayez dans 2 minutes."
    assert throttle.describe_wait(datetime.timedelta(minutes=119)) == \
        "Réessayez dans 119 minutes."
    assert throttle.describe_wait(datetime.timedelta(minutes=120)) == "Réessayez dans 2 heures."
    assert throttle.describe_wait(datetime.timedelta(minutes=121)) == "Réessayez dans 3 heures."


def row(key):
    return LoginThrottle.get(LoginThrottle.identifier == key)


def test_a_right_answer_gives_the_claimed_attempt_back(db):
    for _ in range(3):
        assert throttle.claim({"k": throttle.SOURCE, "other": throttle.SOURCE}, NOW) is None
    throttle.record_success("k", claimed=True)
    assert (row("k").consecutive_failures, row("k").day_failures) == (0, 2)
    assert (row("other").consecutive_failures, row("other").day_failures) == (3, 3)
    throttle.record_success("other")  # not claimed: the day's count stays
    assert (row("other").consecutive_failures, row("other").day_failures) == (0, 3)
    LoginThrottle.update(day_failures=0).where(LoginThrottle.identifier == "k").execute()
    throttle.record_success("k", claimed=True)  # never below zero
    assert row("k").day_failures == 0


def test_a_failure_counts_today_anew_and_in_a_row_without_end(db):
    next_day = NOW + datetime.timedelta(days=1)
    for _ in range(2):
        assert throttle.claim({"k": throttle.SOURCE}, NOW) is None
    assert (row("k").day, row("k").day_failures, row("k").consecutive_failures) == \
        (NOW.date(), 2, 2)
    assert row("k").last_failure_at == NOW
    throttle.claim({"k": throttle.SOURCE}, next_day)
    assert (row("k").day, row("k").day_failures, row("k").consecutive_failures) == \
        (next_day.date(), 1, 3)
    assert row("k").last_failure_at == next_day
    LoginThrottle.update(day=None).where(LoginThrottle.identifier == "k").execute()
    throttle.claim({"k": throttle.SOURCE}, next_day + datetime.timedelta(hours=1))
    assert (row("k").day, row("k").day_failures) == (next_day.date(), 1)


def test_reset_links_three_per_source_then_one_an_hour_but_always_to_the_owners_device(db):
    user = User.get(User.family == Family.get(Family.account_number == 16122))
    allow = throttle.allow_reset_link
    assert [allow(user, "10.0.0.1", now=NOW) for _ in range(4)] == [True, True, True, False]
    assert allow(user, "10.0.0.2", now=NOW) is False  # the account's three are used
    assert allow(user, "10.0.0.2", trusted=True, now=NOW) is True
    later = NOW + datetime.timedelta(minutes=59)
    assert allow(user, "10.0.0.3", now=later) is False
    later = NOW + datetime.timedelta(hours=1)
    assert allow(user, "10.0.0.3", now=later) is True
    assert allow(user, "10.0.0.4", now=later) is False  # one an hour
    tomorrow = NOW + datetime.timedelta(days=1)
    assert allow(user, "10.0.0.5", now=tomorrow) is True


def test_a_daily_limit_counts_uses_per_key_and_day(db):
    assert [throttle.allow("x", 2, NOW) for _ in range(3)] == [True, True, False]
    assert throttle.allow("y", 2, NOW) is True
    assert throttle.allow("x", 2, NOW + datetime.timedelta(days=1)) is True
