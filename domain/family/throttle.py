"""Failed sign-ins counted in the database (so it holds across workers), and daily limits.

Two policies. :data:`SOURCE` (per account *and* source, or per unknown identifier):
after 5 failures in a row each new try waits 1 minute, then 2, 4… (at most 1 hour),
and after 25 failures in one day that source waits until the next day.
:data:`ACCOUNT` (the account as a whole, failures from every source that is not a
device the owner signed in from): a delay only, never a lock until tomorrow — 5
free, then 1 minute, 2, 4… at most 2 hours. A stranger's failures thus slow the
guessing of everybody who has never signed in to the account, but never shut the
owner out: their own device is counted on its own (``sign_in``), a completed reset
clears every count of the account (:func:`clear_account`), and a reset link still
arrives when others used up the day's (:func:`allow_reset_link`).

:func:`claim` records an attempt *before* it is made, in one transaction that
locks the row (PostgreSQL) or takes SQLite's write lock, then decides: 40 tries
sent at once get 5, not 17. A right answer then gives the attempt back
(:func:`record_success`).

:func:`allow` counts uses of something sent by email (reset links, email change
links) against a daily limit, per account and per client.
"""
import datetime
import ipaddress
import math
from dataclasses import dataclass

from peewee import Case

from domain.clock import utc_now
from domain.transactions import is_sqlite, write_transaction
from models import LoginThrottle


@dataclass(frozen=True)
class Policy:
    """How failures under one key slow the next tries down."""

    free_failures: int
    first_delay: datetime.timedelta
    max_delay: datetime.timedelta
    max_per_day: int | None  # None: a delay only, never a wait until tomorrow


SOURCE = Policy(5, datetime.timedelta(minutes=1), datetime.timedelta(hours=1), 25)
ACCOUNT = Policy(5, datetime.timedelta(minutes=1), datetime.timedelta(hours=2), None)

FREE_FAILURES = SOURCE.free_failures
MAX_FAILURES_PER_DAY = SOURCE.max_per_day
FIRST_DELAY = SOURCE.first_delay
MAX_DELAY = SOURCE.max_delay


def normalize(identifier):
    """The key failures are counted under: one per account, however it is spelled
    (``016122`` is account 16122, so leading zeros cannot dodge the count)."""
    key = identifier.strip().lower()
    if key.isascii() and key.isdigit():
        key = key.lstrip("0") or "0"
    return key[:200]


def account_key(user):
    """The key every failure on ``user``'s account as a whole is counted under."""
    return f"compte:{user.id}"


def source_of(address):
    """The source a client address stands for: the address itself in IPv4, its /64
    network in IPv6 (one subscriber gets a whole /64: 2^64 addresses are one source)."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "inconnue"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def source_key(user, source):
    """The key of ``user``'s account tried from ``source`` (an address or a device)."""
    return f"{account_key(user)}@{source}"


def sign_in_key(identifier, user):
    """Sign-in failures: per account when ``identifier`` names one (number or email,
    however spelled), else per identifier."""
    return account_key(user) if user is not None else normalize(identifier)


def _row(identifier):
    return LoginThrottle.get_or_none(LoginThrottle.identifier == normalize(identifier))


def _wait(row, now, policy):
    if row is None or row.last_failure_at is None:
        return None
    if policy.max_per_day is not None and row.day == now.date() \
            and row.day_failures >= policy.max_per_day:
        tomorrow = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                             datetime.time())
        return tomorrow - now
    if row.consecutive_failures < policy.free_failures:
        return None
    delay = min(policy.first_delay * 2 ** (row.consecutive_failures - policy.free_failures),
                policy.max_delay)
    remaining = row.last_failure_at + delay - now
    return remaining if remaining > datetime.timedelta(0) else None


def wait_remaining(identifier, now=None, policy=SOURCE):
    """How long a new try must wait (a timedelta), or None when it may go ahead."""
    return _wait(_row(identifier), now or utc_now(), policy)


def _locked_rows(keys, now):
    """The rows of ``keys`` (created when missing), locked until the transaction ends.
    One statement when they all exist (a returning user); else the missing ones
    created in one statement, then all read again."""
    rows = _lock(keys)
    missing = [key for key in keys if key not in rows]
    if missing:  # one statement; a row another worker just made is left as it is
        LoginThrottle.insert_many(
            [{"identifier": key, "day": now.date()} for key in missing]
        ).on_conflict_ignore().execute()
    return _lock(keys) if missing else rows


def _lock(keys):
    """{identifier: row} of the existing rows of ``keys``, locked (PostgreSQL)."""
    query = LoginThrottle.select().where(LoginThrottle.identifier.in_(keys)) \
        .order_by(LoginThrottle.identifier)
    if not is_sqlite():
        query = query.for_update()
    return {row.identifier: row for row in query}


def _count(key, now):
    """One failure more under ``key`` (or each of a list of keys): today's count
    (starting over on a new day) and the failures in a row, in one statement."""
    today = now.date()
    keys = key if isinstance(key, list) else [key]
    LoginThrottle.update(
        day_failures=Case(None, [(LoginThrottle.day == today,
                                  LoginThrottle.day_failures + 1)], 1),
        day=today, consecutive_failures=LoginThrottle.consecutive_failures + 1,
        last_failure_at=now,
    ).where(LoginThrottle.identifier.in_(keys)).execute()


def claim(keys, now=None):
    """Record one attempt under every key of ``keys`` ({key: policy}), atomically, and
    decide: the longest wait (nothing counted) or None (the attempt is counted as a
    failure until :func:`record_success` gives it back)."""
    now = now or utc_now()
    keys = {normalize(key): policy for key, policy in keys.items()}
    with write_transaction():
        rows = _locked_rows(sorted(keys), now)
        waits = [wait for key, policy in keys.items()
                 if (wait := _wait(rows.get(key), now, policy))]
        if waits:
            return max(waits)
        _count(sorted(keys), now)  # every key in one statement
    return None


def record_failure(identifier, now=None):
    """Count one failed try, atomically."""
    now = now or utc_now()
    key = normalize(identifier)
    with write_transaction():
        _locked_rows([key], now)
        _count(key, now)


def record_success(identifier, claimed=False):
    """The right answer: the failures in a row start over (``claimed``: the attempt
    :func:`claim` counted is given back to the day's count too). ``identifier``: a key,
    or a list of keys (one statement for all)."""
    keys = [normalize(key) for key in identifier] if isinstance(identifier, list) \
        else [normalize(identifier)]
    query = LoginThrottle.update(consecutive_failures=0)
    if claimed:
        query = LoginThrottle.update(consecutive_failures=0,
                                     day_failures=LoginThrottle.day_failures - 1)
    query.where(LoginThrottle.identifier.in_(keys)
                & (LoginThrottle.day_failures > 0 if claimed else True)).execute()


def clear_account(user):
    """A completed password reset: every count of the account (all sources) is gone."""
    prefix = account_key(user)
    LoginThrottle.delete().where((LoginThrottle.identifier == prefix)
                                 | LoginThrottle.identifier.startswith(prefix + "@")).execute()


def describe_wait(remaining):
    """``Réessayez dans 2 minutes.`` in French."""
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return f"Réessayez dans {hours} heures."
    return f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."


#: Daily limits of what a form sends by email.
RESET_LINKS_PER_ACCOUNT = 3
RESET_REQUESTS_PER_CLIENT = 8
EMAIL_CHANGE_LINKS_PER_USER = 3
#: Once an account's links of the day are used up, one more an hour (a link lives an
#: hour, so the owner's mailbox always holds a fresh one): at most 27 mails a day.
RESET_LINK_SPACING = datetime.timedelta(hours=1)


def allow(key, per_day, now=None):
    """Count one use of ``key`` today; False once it is past ``per_day`` uses today.

    The count is taken before the check, atomically, so that concurrent requests
    never let more than ``per_day`` through (at worst one more is refused)."""
    now = now or utc_now()
    record_failure(key, now)
    row = _row(key)
    return row is not None and row.day == now.date() and row.day_failures <= per_day


def allow_reset_link(user, source, trusted=False, now=None):
    """May a reset link be sent to ``user`` for a request from ``source``? (counts it)

    Per account and source, 3 a day; per account, 3 a day from anyone, then one an hour
    — except for a device the owner signed in from (``trusted``), held by its own 3."""
    now = now or utc_now()
    if not allow(f"reset-{source_key(user, source)}", RESET_LINKS_PER_ACCOUNT, now):
        return False
    key = "reset-" + account_key(user)
    with write_transaction():
        row = _locked_rows([key], now)[key]
        used = row.day_failures if row.day == now.date() else 0
        spaced = row.last_failure_at is None or row.last_failure_at + RESET_LINK_SPACING <= now
        if trusted or used < RESET_LINKS_PER_ACCOUNT or spaced:
            _count(key, now)
            return True
    return False
