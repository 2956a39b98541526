"""Reminders a few days before the booking deadlines that matter to a family.

Two deadlines: the monthly cutoff (the commune's ``deadline_day`` of month M, for M+1) of the
family's open monthly lines when none of them is booked yet in M+1; and the closing of
a holiday booking window (``BookingWindow``) when the family has a line of that period
and no day booked in it. Sent by ``flask --app app deadline-reminders`` (cron, daily):
a reminder is due from ``days`` days before its deadline to the deadline itself, and
goes once — a ``DeadlineReminder`` row (unique family, kind, deadline) is written in
the same transaction as the email, so a second run, or two at once, sends nothing more.
A family that refused reminders (``domain.email_prefs``) gets none and none is
recorded (should it accept them again, the next run sends what is still due).
"""
import datetime
from dataclasses import dataclass, field

from peewee import IntegrityError

from domain import commune, email_prefs, notifications
from domain.catalogue.categories import MONTHLY, WINDOWED
from domain.dates import add_months, month_end
from domain.family.contact import family_email_address
from domain.formats import date_fr, month_fr
from models import (
    Activity,
    Booking,
    BookingWindow,
    Child,
    DeadlineReminder,
    Enrolment,
    Family,
    SchoolYear,
    db,
)

#: Days before a deadline the reminder goes (the ``DEADLINE_REMINDER_DAYS`` setting).
DEFAULT_DAYS = 3
MONTHLY_KIND = "mois"


@dataclass
class Due:
    """A reminder due to one family: its kind, deadline and what is left to book."""

    family: Family
    kind: str
    deadline: datetime.date
    subject: str
    intro: str
    lines: list = field(default_factory=list)


def _open_lines(activities):
    """{family id: [(child, activity)]} of the children's open lines of ``activities``."""
    lines: dict = {}
    query = (Enrolment.select(Enrolment, Child, Activity).join(Child)
             .switch(Enrolment).join(Activity)
             .where(Enrolment.activity.in_(activities) & Child.archived_at.is_null())
             .order_by(Child.first_name, Activity.position))
    for enrolment in query:
        lines.setdefault(enrolment.child.family_id, []).append(
            (enrolment.child, enrolment.activity))
    return lines


def _families_with_bookings(activities, first, last):
    """Ids of the families with a booked day of ``activities`` from ``first`` to ``last``."""
    query = (Booking.select(Child.family).join(Child)
             .where(Booking.activity.in_(activities) & (Booking.date >= first)
                    & (Booking.date <= last)).distinct())
    return {row.child.family_id for row in query}


def _monthly(today, days):
    """The monthly cutoff's reminders due on ``today``."""
    day = commune.deadline_day()
    deadline = today.replace(day=day) if today.day <= day else None
    if deadline is None or (deadline - today).days > days:
        return []
    first = add_months(today, 1)
    last = month_end(first)
    activities = list(Activity.select(Activity.id).join(SchoolYear).where(
        Activity.category.in_(MONTHLY) & SchoolYear.is_published
        & (SchoolYear.start_date <= last) & (SchoolYear.end_date >= first)))
    if not activities:
        return []
    booked = _families_with_bookings(activities, first, last)
    month = month_fr(first.year, first.month).lower()
    due = []
    for family_id, lines in _open_lines(activities).items():
        if family_id not in booked:
            due.append(Due(Family.get_by_id(family_id), MONTHLY_KIND, deadline,
                           f"Rappel : réservez {month} avant le {date_fr(deadline)}",
                           f"Aucun jour de {month} n'est encore réservé pour vos enfants "
                           "sur ces activités :",
                           [f"{child.first_name} – {act.name}" for child, act in lines]))
    return due


def _windows(today, days):
    """The holiday windows' reminders due on ``today``."""
    due = []
    windows = (BookingWindow.select(BookingWindow, SchoolYear).join(SchoolYear)
               .where(SchoolYear.is_published & (BookingWindow.closes_on >= today)
                      & (BookingWindow.closes_on <= today + datetime.timedelta(days=days))
                      & (BookingWindow.opens_on.is_null() | (BookingWindow.opens_on <= today))))
    for window in windows:
        activities = list(Activity.select(Activity.id).where(
            (Activity.school_year == window.school_year) & Activity.category.in_(WINDOWED)
            & (Activity.holiday_period == window.period)))
        if not activities:
            continue
        booked = _families_with_bookings(activities, window.school_year.start_date,
                                         window.school_year.end_date)
        for family_id, lines in _open_lines(activities).items():
            if family_id not in booked:
                due.append(Due(Family.get_by_id(family_id), f"fenetre:{window.period}",
                               window.closes_on,
                               f"Rappel : les réservations des vacances ({window.period}) "
                               f"ferment le {date_fr(window.closes_on)}",
                               f"Aucun jour des vacances ({window.period}) n'est encore "
                               "réservé pour vos enfants sur ces activités :",
                               [f"{child.first_name} – {act.name}" for child, act in lines]))
    return due


def due_reminders(today, days=DEFAULT_DAYS):
    """Every reminder due on ``today`` (sent or not yet)."""
    return _monthly(today, days) + _windows(today, days)


def send_due(today, link, days=DEFAULT_DAYS):
    """Send each due reminder not sent before to a family that accepts reminders;
    returns the number sent. ``link``: PLANNING's address, for the email."""
    sent = 0
    for item in due_reminders(today, days):
        address = family_email_address(item.family)
        if not address or not email_prefs.wanted(address, email_prefs.REMINDERS):
            continue
        try:
            with db.atomic():
                DeadlineReminder.create(family=item.family, kind=item.kind,
                                        deadline=item.deadline)
                notifications.deadline_reminder(
                    address, item.family, item.subject, item.deadline,
                    {"intro": item.intro, "lines": item.lines}, link)
        except IntegrityError:
            continue  # sent by an earlier run (or one running now)
        sent += 1
    return sent
