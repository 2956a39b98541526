"""The commune's calendar: school years, school holidays (zone) and public holidays.

School holidays come from ``vacances-scolaires-france`` (it ships its data),
public holidays from ``holidays`` (France). Nothing is hard-coded per year.
"""
import datetime
from functools import lru_cache

import holidays as public_holidays
from vacances_scolaires_france import SchoolHolidayDates

#: Holiday names of the package -> the guide's period names.
PERIOD_NAMES = {
    "Vacances de la Toussaint": "Automne",
    "Vacances de Noël": "Noël",
    "Vacances d'hiver": "Hiver",
    "Vacances de printemps": "Printemps",
    "Vacances d'été": "Été",
}
PERIOD_ORDER = ("Automne", "Noël", "Hiver", "Printemps", "Été")


class CalendarDataMissing(LookupError):
    """The holiday package has no data for a year yet (it ships a few years ahead):
    update ``vacances-scolaires-france``. Never guessed: holidays are not school days."""

    def __init__(self, year):
        super().__init__(f"No school-holiday data for {year}: update vacances-scolaires-france.")
        self.year = year


@lru_cache(maxsize=1)
def _holiday_dates():
    return SchoolHolidayDates()


@lru_cache(maxsize=1)
def covered_years():
    """(first, last) calendar years the holiday package has data for."""
    data = _holiday_dates().data
    return min(data).year, max(data).year


def is_covered(year):
    first, last = covered_years()
    return first <= year <= last


@lru_cache(maxsize=32)
def _holidays_of_year(year, zone):
    """{date: period name} of the school holidays of calendar ``year`` in ``zone``."""
    if not is_covered(year):
        raise CalendarDataMissing(year)
    key = f"vacances_zone_{zone.lower()}"
    days = _holiday_dates().holidays_for_year(year)
    return {day: PERIOD_NAMES.get(info["nom_vacances"], info["nom_vacances"])
            for day, info in days.items() if info.get(key)}


def holiday_period(day, zone):
    """The school-holiday period ``day`` falls in (``Noël``…), or None."""
    return _holidays_of_year(day.year, zone).get(day)


@lru_cache(maxsize=32)
def _public_holidays(year):
    return frozenset(public_holidays.France(years=year).keys())


def is_public_holiday(day):
    return day in _public_holidays(day.year)


def school_year_start(day):
    """The first year of the school year ``day`` belongs to (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(start_year):
    return f"{start_year}/{start_year + 1}"


@lru_cache(maxsize=16)
def school_year_bounds(start_year, zone):
    """(first school day, last school day) of the school year starting in ``start_year``."""
    summer_before = [d for d, p in _holidays_of_year(start_year, zone).items() if p == "Été"]
    summer_after = [d for d, p in _holidays_of_year(start_year + 1, zone).items() if p == "Été"]
    first = max(summer_before) + datetime.timedelta(days=1) if summer_before \
        else datetime.date(start_year, 9, 1)
    last = min(summer_after) - datetime.timedelta(days=1) if summer_after \
        else datetime.date(start_year + 1, 7, 4)
    return first, last


@lru_cache(maxsize=16)
def holiday_periods(start_year, zone):
    """{period: (first day, last day)} of the holidays of a school year, summer after it."""
    first, last = school_year_bounds(start_year, zone)
    periods = {}
    for year in (start_year, start_year + 1):
        for day, name in _holidays_of_year(year, zone).items():
            if first <= day <= last + datetime.timedelta(days=70) and name in PERIOD_ORDER:
                lo, hi = periods.get(name, (day, day))
                periods[name] = (min(lo, day), max(hi, day))
    return {name: periods[name] for name in PERIOD_ORDER if name in periods}
