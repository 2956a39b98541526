"""The portal's notion of "now", injectable through the ``PORTAIL_TODAY`` setting.

``PORTAIL_TODAY`` may be a date (``2026-11-20``: that day, at the real time of
day) or a date and time (``2026-11-20T23:59``), both in Europe/Paris. Unset means
the real date. Every rule takes ``now`` as an argument; views get it from here.
"""
import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

PARIS = ZoneInfo("Europe/Paris")


def parse_fixed_now(value):
    """Parse a ``PORTAIL_TODAY`` value into an aware Paris datetime, or None."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        fixed = value
    elif isinstance(value, datetime.date):
        real = datetime.datetime.now(PARIS)
        fixed = datetime.datetime.combine(value, real.time())
    elif "T" in value or " " in value.strip():
        fixed = datetime.datetime.fromisoformat(value.strip())
    else:
        real = datetime.datetime.now(PARIS)
        fixed = datetime.datetime.combine(datetime.date.fromisoformat(value.strip()), real.time())
    if fixed.tzinfo is None:
        fixed = fixed.replace(tzinfo=PARIS)
    return fixed.astimezone(PARIS)


def now():
    """The current aware datetime in Europe/Paris (fixed when configured)."""
    if has_app_context():
        fixed = parse_fixed_now(current_app.config.get("PORTAIL_TODAY"))
        if fixed is not None:
            return fixed
    return datetime.datetime.now(PARIS)


def today():
    """The current date in Europe/Paris."""
    return now().date()


def to_paris(utc_naive):
    """A stored naive-UTC timestamp as an aware Paris datetime."""
    return utc_naive.replace(tzinfo=datetime.timezone.utc).astimezone(PARIS)
