"""French formats for dates, times and amounts (SPEC §4), through babel."""
import datetime

from babel.dates import format_date
from babel.numbers import format_decimal

from domain.clock import to_paris

WEEKDAY_ABBR = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")


def euros(cents):
    """``520`` -> ``5,20 €`` (non-breaking spaces as French typography wants)."""
    amount = format_decimal(cents / 100, format="#,##0.00", locale="fr_FR")
    return f"{amount}\u00a0€"


def date_fr(value):
    """``DD/MM/YYYY``; a stored datetime is shown in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = to_paris(value) if value.tzinfo is None else value
        value = value.date()
    return value.strftime("%d/%m/%Y")


def time_fr(value):
    """``HHhMM``; a naive datetime is taken as stored UTC."""
    if value.tzinfo is None:
        value = to_paris(value)
    return value.strftime("%Hh%M")


def month_fr(year, month):
    """``Janvier 2027``."""
    return format_date(datetime.date(year, month, 1), "LLLL y", locale="fr_FR").capitalize()


def day_label(day):
    """Column header of a calendar: ``Me 01``."""
    return f"{WEEKDAY_ABBR[day.weekday()]} {day.day:02d}"


def register(app):
    """Make the formats Jinja filters."""
    app.add_template_filter(euros)
    app.add_template_filter(date_fr)
    app.add_template_filter(time_fr)
    app.add_template_filter(day_label)
