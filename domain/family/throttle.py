"""Failed sign-ins counted in the database (so it holds across workers), and daily limits.

Failures are counted per account (:func:`sign_in_key`: the same count whether the
account is named by its number or its email), and per identifier for unknown
ones, so the answers never tell whether an account exists. After 5 failures in a
row each new try waits 1 minute, then 2, 4… (at most 1 hour); after 25 failures
in one day, sign-in waits until the next day. A password checked again on a form
(password or email change) is counted under its own key the same way.

:func:`allow` counts uses of something sent by email (reset links, email change
links) against a daily limit, per account and per client.
"""
import datetime
import math

from peewee import IntegrityError

from domain.clock import utc_now
from models import LoginThrottle, db

FREE_FAILURES = 5
MAX_FAILURES_PER_DAY = 25
FIRST_DELAY = datetime.timedelta(minutes=1)
MAX_DELAY = datetime.timedelta(hours=1)


def normalize(identifier):
    """The key failures are counted under: one per account, however it is spelled
    (``016122`` is account 16122, so leading zeros cannot dodge the count)."""
    key = identifier.strip().lower()
    if key.isascii() and key.isdigit():
        key = key.lstrip("0") or "0"
    return key[:200]


def account_key(user):
    """The key every failure on ``user``'s account is counted under."""
    return f"compte:{user.id}"


def sign_in_key(identifier, user):
    """Sign-in failures: per account when ``identifier`` names one (number or email,
    however spelled), else per identifier."""
    return account_key(user) if user is not None else normalize(identifier)


def _row(identifier):
    return LoginThrottle.get_or_none(LoginThrottle.identifier == normalize(identifier))


def wait_remaining(identifier, now=None):
    """How long a new try must wait (a timedelta), or None when it may go ahead."""
    now = now or utc_now()
    row = _row(identifier)
    if row is None or row.last_failure_at is None:
        return None
    if row.day == now.date() and row.day_failures >= MAX_FAILURES_PER_DAY:
        tomorrow = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                             datetime.time())
        return tomorrow - now
    if row.consecutive_failures < FREE_FAILURES:
        return None
    delay = min(FIRST_DELAY * 2 ** (row.consecutive_failures - FREE_FAILURES), MAX_DELAY)
    remaining = row.last_failure_at + delay - now
    return remaining if remaining > datetime.timedelta(0) else None


def record_failure(identifier, now=None):
    """Count one failed try, atomically."""
    now = now or utc_now()
    key = normalize(identifier)
    with db.atomic():
        try:
            with db.atomic():
                LoginThrottle.create(identifier=key, day=now.date())
        except IntegrityError:
            pass
        LoginThrottle.update(
            day_failures=LoginThrottle.day_failures + 1,
        ).where((LoginThrottle.identifier == key) & (LoginThrottle.day == now.date())).execute()
        LoginThrottle.update(day=now.date(), day_failures=1).where(
            (LoginThrottle.identifier == key)
            & ((LoginThrottle.day != now.date()) | LoginThrottle.day.is_null())
        ).execute()
        LoginThrottle.update(
            consecutive_failures=LoginThrottle.consecutive_failures + 1, last_failure_at=now,
        ).where(LoginThrottle.identifier == key).execute()


def record_success(identifier):
    LoginThrottle.update(consecutive_failures=0).where(
        LoginThrottle.identifier == normalize(identifier)).execute()


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


def allow(key, per_day, now=None):
    """Count one use of ``key`` today; False once it is past ``per_day`` uses today.

    The count is taken before the check, atomically, so that concurrent requests
    never let more than ``per_day`` through (at worst one more is refused)."""
    now = now or utc_now()
    record_failure(key, now)
    row = _row(key)
    return row is not None and row.day == now.date() and row.day_failures <= per_day
