"""Which days an activity runs: its weekdays, the school calendar and staff overrides."""
import datetime
from functools import lru_cache

from domain.catalogue.categories import WINDOWED
from domain.catalogue.school_calendar import holiday_period, is_public_holiday
from models import DayOverride


def weekdays_of(activity):
    """The ISO weekdays (1 = Monday) ``activity`` runs on."""
    return _parse_weekdays(activity.weekdays)


@lru_cache(maxsize=64)
def _parse_weekdays(text):
    return frozenset(int(x) for x in text.split(",") if x.strip())


def day_overrides(activity, first, last):
    """{date: is_open} set by staff for ``activity`` (or for every activity) in a range;
    an override of the activity wins over a commune-wide one."""
    rows = (DayOverride.select()
            .where(((DayOverride.activity == activity) | DayOverride.activity.is_null())
                   & (DayOverride.date >= first) & (DayOverride.date <= last)
                   & DayOverride.is_open.is_null(False) & DayOverride.school.is_null())
            .order_by(DayOverride.activity.is_null(False)))  # global first, then specific
    return {row.date: row.is_open for row in rows}


def runs_by_calendar(activity, day, zone):
    """Whether ``activity`` runs on ``day`` by its rule alone (no staff override)."""
    if day.isoweekday() not in weekdays_of(activity) or is_public_holiday(day):
        return False
    period = holiday_period(day, zone)
    if activity.category in WINDOWED:
        if period is None:
            return False
        return activity.holiday_period in (None, "", period)
    year = activity.school_year
    return period is None and year.start_date <= day <= year.end_date


def open_days(activity, first, last, zone, overrides=None):
    """Every day from ``first`` to ``last`` on which ``activity`` runs."""
    if overrides is None:
        overrides = day_overrides(activity, first, last)
    days = []
    day = first
    while day <= last:
        is_open = overrides.get(day)
        if is_open is None:
            is_open = runs_by_calendar(activity, day, zone)
        if is_open:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days
