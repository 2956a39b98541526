"""Calendar arithmetic in the commune's time zone (Europe/Paris)."""
import datetime

from domain.clock import PARIS


def paris_instant(day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """The aware instant ``day`` at ``hour:minute`` in Europe/Paris."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def paris_date(now: datetime.datetime) -> datetime.date:
    """The Paris calendar date of an aware ``now`` (a naive one is taken as Paris time)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=PARIS)
    return now.astimezone(PARIS).date()


def first_of_month(day: datetime.date) -> datetime.date:
    """The 1st of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The 1st of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    return add_months(day, 1) - datetime.timedelta(days=1)


#: The dates the portal reads from a form or a URL: past them, a day's month, week or
#: neighbour would leave Python's calendar (year 1 to 9999), so they are refused.
CALENDAR_FIRST = datetime.date(1900, 1, 1)
CALENDAR_LAST = datetime.date(2199, 12, 31)


def within_calendar(day: datetime.date) -> bool:
    """True when ``day`` is a date the portal works with (1900 to 2199)."""
    return CALENDAR_FIRST <= day <= CALENDAR_LAST
