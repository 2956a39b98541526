"""The throttle's small rules, one by one (domain.family.throttle): written for the
mutants mutmut left alive in it (README, "Mutation testing")."""
import datetime

from domain.family import throttle
from models import Family, LoginThrottle, User
from tests.planning_support import QueryCounter

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


def test_a_first_claim_creates_its_missing_rows_in_one_statement(db):
    """The rush's first sign-in of the day: the missing rows are created together (no
    savepoint per row), a row that exists is kept as it is, and each counts the try."""
    throttle.claim({"kept": throttle.SOURCE}, NOW)
    with QueryCounter() as counter:
        assert throttle.claim({"kept": throttle.SOURCE, "new 1": throttle.SOURCE,
                               "new 2": throttle.ACCOUNT}, NOW) is None
    inserts = [sql for sql in counter.statements if sql.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and not any("SAVEPOINT" in sql for sql in counter.statements)
    assert len(counter.statements) == 4  # locked read, insert, locked read, the count
    assert [(row(key).day, row(key).day_failures) for key in ("kept", "new 1", "new 2")] == \
        [(NOW.date(), 2), (NOW.date(), 1), (NOW.date(), 1)]


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


def test_an_identifier_is_counted_however_it_is_spelled():
    assert throttle.normalize(" 016122 ") == "16122"
    assert throttle.normalize("000") == "0"
    assert throttle.normalize(" Camille@Example.ORG ") == "camille@example.org"
    assert throttle.normalize("0١٢") == "0١٢"  # digits of another script keep their zeros
    assert throttle.normalize("a" * 250) == "a" * 200


def test_sign_in_failures_go_to_the_account_when_the_identifier_names_one():
    user = User(id=42)
    assert throttle.sign_in_key("016122", user) == "compte:42"
    assert throttle.sign_in_key(" 016122 ", None) == "16122"
    assert throttle.source_key(user, "192.0.2.7") == "compte:42@192.0.2.7"


def test_a_completed_reset_clears_every_count_of_that_account_only(db):
    for key in ["compte:5", "compte:5@192.0.2.7", "compte:5@dispositif", "compte:50",
                "compte:50@192.0.2.7", "reset-compte:5", "compte:5x"]:
        LoginThrottle.create(identifier=key, day=NOW.date(), consecutive_failures=9)
    throttle.clear_account(User(id=5))
    left = sorted(r.identifier for r in LoginThrottle.select()
                  .where(LoginThrottle.identifier.contains("compte:5")))
    assert left == ["compte:50", "compte:50@192.0.2.7", "compte:5x", "reset-compte:5"]


def wait_for(db_row, policy=throttle.SOURCE, now=NOW):
    LoginThrottle.delete().where(LoginThrottle.identifier == "w").execute()
    LoginThrottle.create(identifier="w", **db_row)
    return throttle.wait_remaining("w", now, policy)


def test_five_failures_in_a_row_are_free_then_1_2_4_minutes_at_most_an_hour(db):
    minute = datetime.timedelta(minutes=1)
    last = NOW - datetime.timedelta(seconds=30)
    assert wait_for({"consecutive_failures": 4, "last_failure_at": last}) is None
    assert wait_for({"consecutive_failures": 5, "last_failure_at": last}) == minute / 2
    assert wait_for({"consecutive_failures": 5, "last_failure_at": NOW - minute}) is None
    assert wait_for({"consecutive_failures": 7, "last_failure_at": NOW}) == 4 * minute
    assert wait_for({"consecutive_failures": 11, "last_failure_at": NOW}) == 60 * minute
    assert wait_for({"consecutive_failures": 11, "last_failure_at": NOW},
                    throttle.ACCOUNT) == 64 * minute
    assert wait_for({"consecutive_failures": 30, "last_failure_at": NOW},
                    throttle.ACCOUNT) == 120 * minute
    assert wait_for({"consecutive_failures": 9, "last_failure_at": None}) is None
    assert throttle.wait_remaining("personne", NOW) is None


def test_the_25th_failure_of_the_day_waits_until_midnight_for_a_source_only(db):
    midnight = datetime.datetime(2026, 12, 2)
    today = {"day": NOW.date(), "last_failure_at": NOW, "consecutive_failures": 0}
    assert wait_for(dict(today, day_failures=24)) is None
    assert wait_for(dict(today, day_failures=25)) == midnight - NOW
    yesterday = dict(today, day=NOW.date() - datetime.timedelta(days=1), day_failures=25)
    assert wait_for(yesterday) is None
    assert wait_for(dict(today, day_failures=80), throttle.ACCOUNT) is None


def test_a_new_day_counts_its_first_failure_as_one(db):
    for _ in range(3):
        throttle.record_failure("k", NOW)
    throttle.record_failure("k", NOW + datetime.timedelta(days=1))
    assert (row("k").day, row("k").day_failures, row("k").consecutive_failures) == \
        (datetime.date(2026, 12, 2), 1, 4)


def test_a_right_answer_starts_the_row_over_even_with_no_failure_left_today(db):
    LoginThrottle.create(identifier="k", day=NOW.date(), day_failures=0,
                         consecutive_failures=4, last_failure_at=NOW)
    throttle.record_success("k")
    assert row("k").consecutive_failures == 0
    assert throttle.claim({"j": throttle.SOURCE}, NOW) is None
    throttle.record_success("j", claimed=True)  # the day's only attempt is given back
    assert (row("j").consecutive_failures, row("j").day_failures) == (0, 0)


def test_a_source_s_three_reset_links_come_back_the_next_day(db):
    user = User.get(User.family == Family.get(Family.account_number == 16122))
    allow = throttle.allow_reset_link
    assert [allow(user, "10.0.0.1", trusted=True, now=NOW) for _ in range(4)] == \
        [True, True, True, False]
    tomorrow = NOW + datetime.timedelta(days=1)
    assert allow(user, "10.0.0.1", trusted=True, now=tomorrow) is True


def test_a_new_day_gives_the_account_three_links_without_spacing(db):
    user = User.get(User.family == Family.get(Family.account_number == 16122))
    allow = throttle.allow_reset_link
    late = datetime.datetime(2026, 12, 1, 23, 30)
    assert [allow(user, f"10.0.1.{n}", now=late) for n in range(4)] == [True, True, True, False]
    tomorrow = datetime.datetime(2026, 12, 2, 0, 10)  # not an hour after the last one
    assert [allow(user, f"10.0.2.{n}", now=tomorrow) for n in range(4)] == \
        [True, True, True, False]
