"""Failed sign-ins counted per identifier in the database (so it holds across workers).

The same counting applies whether or not an account exists, so the answers
never tell. After 5 failures in a row each new try waits 1 minute, then 2, 4…
(at most 1 hour); after 25 failures in one day, sign-in waits until the next day.
"""
import datetime
import math

from peewee import IntegrityError

from models import LoginThrottle, db, utcnow

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


def _row(identifier):
    return LoginThrottle.get_or_none(LoginThrottle.identifier == normalize(identifier))


def wait_remaining(identifier, now=None):
    """How long a new try must wait (a timedelta), or None when it may go ahead."""
    now = now or utcnow()
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
    now = now or utcnow()
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
