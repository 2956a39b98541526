"""A family's booked days as a private iCalendar feed (RFC 5545), to subscribe to from a
phone's calendar.

The address holds a random token (256 bits) and nothing else: it reveals nothing
without it. A family has at most one live address; renewing it revokes the old one,
and a revoked address answers 410 Gone so that calendar apps stop asking. The feed
lists the committed bookings of the family's children from 60 days back to 13 months
ahead: the activity, the modalité and its hours when the modalité's name gives them
("Matin 7h30-8h20"), else the whole day, and the place.
"""
import datetime
import re
import secrets

from icalendar import Calendar, Event

from domain import clock
from domain.transactions import write_transaction
from models import Activity, Booking, CalendarFeed, Child, Modalite

PAST = datetime.timedelta(days=60)
AHEAD = datetime.timedelta(days=400)
#: "7h30-8h20", "11h00 - 12h30": the hours a modalité's name may give.
HOURS = re.compile(r"(\d{1,2})h(\d{2})?\s*[-–à]\s*(\d{1,2})h(\d{2})?")
#: Activities that happen at school: their place is the child's school.
AT_SCHOOL = (Activity.ALAE, Activity.RESTAURATION, Activity.GARDERIE)


class FeedGone(LookupError):
    """The address was revoked or renewed: 410."""


def live_feed(family_id):
    """The family's live feed, or None."""
    return (CalendarFeed.select().where((CalendarFeed.family == family_id)
                                        & CalendarFeed.revoked_at.is_null())
            .order_by(CalendarFeed.id.desc()).first())


def renew(family_id, now):
    """A new address for the family; the live one, if any, is revoked. Returns the feed."""
    with write_transaction():
        CalendarFeed.update(revoked_at=clock.as_stored(now)).where(
            (CalendarFeed.family == family_id) & CalendarFeed.revoked_at.is_null()).execute()
        return CalendarFeed.create(family=family_id, token=secrets.token_urlsafe(32),
                                   created_at=clock.as_stored(now))


def revoke(family_id, now):
    """Revoke the family's live address (no address any more); True if there was one."""
    return bool(CalendarFeed.update(revoked_at=clock.as_stored(now)).where(
        (CalendarFeed.family == family_id) & CalendarFeed.revoked_at.is_null()).execute())


def feed_by_token(token):
    """The live feed of ``token``; FeedGone when revoked, LookupError when unknown."""
    if not token or len(token) > 64:
        raise LookupError(token)
    feed = CalendarFeed.get_or_none(CalendarFeed.token == token)
    if feed is None:
        raise LookupError(token)
    if feed.revoked_at is not None:
        raise FeedGone(token)
    return feed


def hours_of(modalite_name):
    """(start, end) times a modalité's name gives, or None (a whole day)."""
    match = HOURS.search(modalite_name or "")
    if not match:
        return None
    start = datetime.time(int(match.group(1)), int(match.group(2) or 0))
    end = datetime.time(int(match.group(3)), int(match.group(4) or 0))
    return (start, end) if start < end else None


def booked_days(family_id, today):
    """The family's committed bookings in the feed's window, with child, activity, modalité."""
    return list(Booking.select(Booking, Child, Activity, Modalite)
                .join(Child).switch(Booking).join(Activity).switch(Booking).join(Modalite)
                .where((Child.family == family_id) & (Booking.date >= today - PAST)
                       & (Booking.date <= today + AHEAD))
                .order_by(Booking.date, Child.first_name, Activity.position))


def ical(family_id, commune_name, now):
    """The family's feed as iCalendar bytes."""
    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Réservations – {commune_name}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    stamp = now.astimezone(datetime.timezone.utc)
    for booking in booked_days(family_id, now.date()):
        child, activity, modalite = booking.child, booking.activity, booking.modalite
        event = Event()
        event.add("uid", f"reservation-{booking.id}@portail-famille")
        event.add("dtstamp", stamp)
        event.add("summary", f"{child.first_name} – {activity.name}")
        event.add("description", f"{activity.name} : {modalite.name}")
        hours = hours_of(modalite.name)
        if hours:
            event.add("dtstart", datetime.datetime.combine(booking.date, hours[0],
                                                           tzinfo=clock.PARIS))
            event.add("dtend", datetime.datetime.combine(booking.date, hours[1],
                                                         tzinfo=clock.PARIS))
        else:
            event.add("dtstart", booking.date)
            event.add("dtend", booking.date + datetime.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        place = child.school_name if activity.category in AT_SCHOOL and child.school_name \
            else commune_name
        event.add("location", place)
        calendar.add_component(event)
    return calendar.to_ical()
