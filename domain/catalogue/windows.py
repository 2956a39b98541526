"""Booking windows of the holiday periods (CLV, Vacances bus), as staff set them.

The guide's pattern (2025/2026: Automne until 01/10, Noël 03/11–03/12, Hiver
05/01–04/02, Printemps 09/03–01/04, Été 04/05–17/06): a window opens the day
school starts again after the previous holidays and closes 17 days before its
own period begins; the autumn one is open from the start of the year.
:func:`guide_windows` applies it to a year's holidays (the demo, and "Préparer
l'année suivante"); staff then change any window with :func:`save_window`.
"""
import datetime

from domain import audit
from domain.formats import date_fr
from domain.transactions import write_transaction
from models import BookingWindow

#: A window closes this many days before its holiday period begins.
CLOSES_BEFORE_DAYS = 17


class WindowError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def guide_windows(periods):
    """{period: (opens_on or None, closes_on)} for ``periods`` = {period: (first, last)}
    in the year's order (``domain.catalogue.school_calendar.holiday_periods``)."""
    windows, previous_last = {}, None
    for period, (first, last) in periods.items():
        opens = previous_last + datetime.timedelta(days=1) if previous_last else None
        windows[period] = (opens, first - datetime.timedelta(days=CLOSES_BEFORE_DAYS))
        previous_last = last
    return windows


def create_guide_windows(school_year, periods):
    """Create the year's windows by the guide's pattern."""
    for period, (opens, closes) in guide_windows(periods).items():
        BookingWindow.create(school_year=school_year, period=period, opens_on=opens,
                             closes_on=closes)


def windows_of(school_year):
    """The year's windows, in the order of the holidays."""
    return list(BookingWindow.select().where(BookingWindow.school_year == school_year)
                .order_by(BookingWindow.closes_on))


def save_window(window, opens_on, closes_on, actor):
    """Change a window (``opens_on`` None: open from the start of the year), audited."""
    if opens_on is not None and closes_on < opens_on:
        raise WindowError("closes_on", "La date de fin doit être après la date d'ouverture.")
    with write_transaction():
        before = {"ouverture": window.opens_on, "fin": window.closes_on}
        window.opens_on, window.closes_on = opens_on, closes_on
        window.save()
        audit.record(actor, None, audit.CATALOGUE_EDITED,
                     f"Fenêtre de réservation {window.period} {window.school_year.label} : "
                     f"{date_fr(opens_on) or 'dès la rentrée'} au {date_fr(closes_on)}",
                     before=before, after={"ouverture": opens_on, "fin": closes_on})
