"""A family's private calendar address: the feed parses with ``icalendar`` and holds exactly
the family's booked days; renewed, the old address answers 410; unknown, 404."""
import datetime

from icalendar import Calendar

from domain import clock
from domain.booking import calendar_feed
from models import Booking, CalendarFeed, Child, Family
from tests.helpers import csrf_from
from tests.billing.test_billing_run import book
from tests.planning_support import CL, JANUARY, SANS, child, enrol


def events(body):
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def family_id(number):
    return Family.get(Family.account_number == number).id


def test_16123s_feed_holds_exactly_its_booked_days(client, auth, db):
    auth.login("famille 16123")
    page = client.get("/planning/agenda").get_data(as_text=True)
    client.post("/planning/agenda/renouveler", data={"renouveler-csrf_token": csrf_from(page)})
    feed = CalendarFeed.get(CalendarFeed.family == family_id(16123))
    assert feed.token in client.get("/planning/agenda").get_data(as_text=True)
    auth.logout()  # a calendar app has no session
    response = client.get(f"/agenda/{feed.token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    found = events(response.data)
    today = clock.today()
    expected = (Booking.select().join(Child)
                .where((Child.family == family_id(16123))
                       & (Booking.date >= today - calendar_feed.PAST)
                       & (Booking.date <= today + calendar_feed.AHEAD)))
    assert sorted(str(e["uid"]) for e in found) == sorted(
        f"reservation-{b.id}@portail-famille" for b in expected)
    assert len(found) > 0
    children = {c.first_name for c in Child.select().where(Child.family == family_id(16123))}
    assert all(str(e["summary"]).split(" – ")[0] in children for e in found)


def test_the_hours_come_from_the_modalite_and_the_place_from_the_school(db):
    lena = child("LENA")
    enrol(lena, CL)
    book(lena, CL, SANS, JANUARY)
    feed = calendar_feed.renew(lena.family_id, clock.now())
    body = calendar_feed.ical(feed.family_id, "Commune de Saint-Exemple", clock.now())
    wednesdays = [e for e in events(body) if CL in str(e["summary"])]
    assert sorted(e.decoded("dtstart") for e in wednesdays) == JANUARY  # whole days
    assert calendar_feed.hours_of("Matin 7h30-8h20") == (datetime.time(7, 30),
                                                          datetime.time(8, 20))
    assert calendar_feed.hours_of("Garderie 11h00-12h30") == (datetime.time(11, 0),
                                                              datetime.time(12, 30))
    assert calendar_feed.hours_of("Journée AVEC repas") is None
    other = calendar_feed.ical(family_id(16123), "Commune", clock.now())
    assert not any("LENA" in str(e["summary"]) for e in events(other))


def test_a_renewed_address_answers_410_and_an_unknown_one_404(client, db):
    first = calendar_feed.renew(family_id(16122), clock.now())
    second = calendar_feed.renew(family_id(16122), clock.now())
    assert client.get(f"/agenda/{first.token}.ics").status_code == 410
    assert client.get(f"/agenda/{second.token}.ics").status_code == 200
    assert client.get("/agenda/pas-un-jeton.ics").status_code == 404
    calendar_feed.revoke(family_id(16122), clock.now())
    assert client.get(f"/agenda/{second.token}.ics").status_code == 410
    assert len(second.token) >= 43  # 256 random bits
