"""The commune's calendar from maintained packages: nothing hard-coded per year."""
import datetime

from domain.catalogue.opening import open_days
from domain.catalogue.school_calendar import holiday_period, holiday_periods, is_public_holiday
from models import Activity, DayOverride


def test_zone_c_holidays_and_public_holidays():
    assert holiday_period(datetime.date(2026, 12, 24), "C") == "Noël"
    assert holiday_period(datetime.date(2027, 2, 10), "C") == "Hiver"
    assert holiday_period(datetime.date(2027, 2, 10), "A") is None  # zone A is not off then
    assert is_public_holiday(datetime.date(2026, 11, 11))
    assert holiday_periods(2025, "C")["Noël"][0] == datetime.date(2025, 12, 20)


def test_wednesday_centre_runs_on_school_wednesdays_only(db):
    cl = Activity.get(Activity.name == "CL Maternel Mercredis")
    november = open_days(cl, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), "C")
    # 11/11 is a public holiday.
    assert november == [datetime.date(2026, 11, d) for d in (4, 18, 25)]
    december = open_days(cl, datetime.date(2026, 12, 1), datetime.date(2026, 12, 31), "C")
    assert december == [datetime.date(2026, 12, d) for d in (2, 9, 16)]


def test_holiday_centre_runs_only_in_its_period(db):
    clv = Activity.get(Activity.name == "CLV Élémentaire ou maternel Noël")
    days = open_days(clv, datetime.date(2026, 12, 1), datetime.date(2027, 1, 10), "C")
    assert days[0] == datetime.date(2026, 12, 21)
    assert datetime.date(2026, 12, 25) not in days and datetime.date(2027, 1, 1) not in days
    assert days[-1] == datetime.date(2026, 12, 31)


def test_staff_can_close_or_open_extra_days(db):
    cl = Activity.get(Activity.name == "CL Maternel Mercredis")
    DayOverride.create(activity=cl, date=datetime.date(2026, 12, 9), is_open=False,
                       reason="Journée pédagogique")
    DayOverride.create(activity=None, date=datetime.date(2026, 12, 16), is_open=False,
                       reason="Fermeture de la commune")
    DayOverride.create(activity=cl, date=datetime.date(2026, 12, 23), is_open=True,
                       reason="Ouverture exceptionnelle")
    days = open_days(cl, datetime.date(2026, 12, 1), datetime.date(2026, 12, 31), "C")
    assert days == [datetime.date(2026, 12, 2), datetime.date(2026, 12, 23)]
