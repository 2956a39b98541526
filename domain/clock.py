"""The portal's one clock: "now", injectable through the ``PORTAIL_TODAY`` setting.

``PORTAIL_TODAY`` may be a date (``2026-11-20``: that day, at the real time of
day) or a date and time (``2026-11-20T23:59``), both in Europe/Paris. Unset means
the real date. The app factory tells this module where to read the setting
(:func:`configure`), so the domain knows nothing of Flask. Every rule takes
``now`` as an argument; views get it from here, and every stored timestamp
(``clock.utc_now``) too.
"""
import datetime
from typing import Callable
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

#: Returns the configured ``PORTAIL_TODAY`` value (or None): set by the app factory.
_fixed_setting: Callable[[], object] = lambda: None


def configure(fixed_setting: Callable[[], object]) -> None:
    """Read the fixed "now" through ``fixed_setting`` (the app's ``PORTAIL_TODAY``)."""
    global _fixed_setting
    _fixed_setting = fixed_setting


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


def now() -> datetime.datetime:
    """The current aware datetime in Europe/Paris (fixed when configured)."""
    fixed = parse_fixed_now(_fixed_setting())
    return fixed if fixed is not None else datetime.datetime.now(PARIS)


def today() -> datetime.date:
    """The current date in Europe/Paris."""
    return now().date()


def utc_now() -> datetime.datetime:
    """The clock's "now" as a naive UTC timestamp: the storage convention."""
    return now().astimezone(datetime.timezone.utc).replace(tzinfo=None)


def to_paris(utc_naive):
    """A stored naive-UTC timestamp as an aware Paris datetime."""
    return utc_naive.replace(tzinfo=datetime.timezone.utc).astimezone(PARIS)


def paris_midnight_utc(day):
    """00h00 of ``day`` in Paris as a naive UTC timestamp (the storage convention)."""
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return start.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def stored_between(field, first, last):
    """The condition "``field`` (a stored naive-UTC timestamp) falls on a Paris day from
    ``first`` to ``last`` inclusive"."""
    return ((field >= paris_midnight_utc(first))
            & (field < paris_midnight_utc(last + datetime.timedelta(days=1))))


def as_stored(moment):
    """An aware datetime as a naive UTC timestamp: the storage convention."""
    return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
