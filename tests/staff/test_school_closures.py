"""A strike closes one school for a day: the confirmation counts the
bookings first, only that school's families are emailed, its children cannot book the
day again, other schools' children keep theirs; "Rouvrir" gives the bookings back
(places permitting) and tells the families.
"""
import datetime

import pytest

from models import AuditLog, Booking, ClosedBooking, Closure, DayOverride, School
from tests import factories
from tests.conftest import MailBox
from tests.helpers import sign_in, text_of
from tests.planning_support import line_key, page_token, token

STRIKE = datetime.date(2027, 1, 14)  # a Thursday
FERRY, JAURES = "École maternelle Jules Ferry", "École élémentaire Jean Jaurès"
MEALS_M, MEALS_E = "Restauration Maternelle", "Restauration Élémentaire"

pytestmark = pytest.mark.app_config(PORTAIL_TODAY="2027-01-11T09:00")


@pytest.fixture
def schools(db):
    """Two families at Jules Ferry (one with two children), one at Jean Jaurès, each
    child with the canteen booked on the strike day and the day after."""
    def kid(account, first, school, level, activity):
        family = factories.family(account)
        child = factories.child(family, first, school_name=school, class_level=level)
        factories.enrolment(child, activity)
        for day in (STRIKE, STRIKE + datetime.timedelta(days=1)):
            factories.booking(child, activity, day, price_cents=330)
        return family, child

    ferry_1, anna = kid(91001, "ANNA", FERRY, "MS", MEALS_M)
    second = factories.child(ferry_1, "BASILE", school_name=FERRY, class_level="PS")
    factories.enrolment(second, MEALS_M)
    factories.booking(second, MEALS_M, STRIKE, price_cents=330)
    ferry_2, _ = kid(91002, "CLARA", FERRY, "GS", MEALS_M)
    jaures, _ = kid(91003, "DAVID", JAURES, "CE1", MEALS_E)
    return {"ferry": [ferry_1, ferry_2], "jaures": jaures, "anna": anna}


def post(client, path, **data):
    data["csrf_token"] = page_token(client, "/agents/fermetures/")
    return client.post(path, data=data)


def ferry_bookings_on(day):
    return (Booking.select().join_from(Booking, factories.Child)
            .where((Booking.date == day) & (factories.Child.school_name == FERRY)))


def test_a_strike_closes_one_school_confirmed_emailed_and_reopened(client, auth, schools,
                                                                   mailbox):
    ferry = School.get(School.name == FERRY)
    expected = ferry_bookings_on(STRIKE).count()
    assert expected >= 3  # the fixture's three children, plus the demo's own
    families = {b.child.family.account_number for b in ferry_bookings_on(STRIKE)}
    auth.login("agent")
    form = {"date": "14/01/2027", "ecole": str(ferry.id), "activite": "toutes",
            "motif": "Grève des ATSEM"}
    response = post(client, "/agents/fermetures/fermer", **form)
    assert response.status_code == 200
    page = text_of(response)
    assert "Confirmer la fermeture du 14/01/2027" in page
    assert (f"{expected} réservation(s) seront annulées (elles ne seront pas facturées) ; "
            f"{len(families)} famille(s) seront prévenues par email.") in page
    assert "FAMILLE91001 (91001) f91001@example.org" in page
    assert "14/01/2027 : BASILE – Restauration Maternelle – Repas" in page
    assert "91003" not in page  # Jean Jaurès is not closed
    assert ferry_bookings_on(STRIKE).count() == expected and mailbox.messages == []

    response = post(client, "/agents/fermetures/fermer", confirmer="1", **form)
    assert response.status_code == 303
    assert ferry_bookings_on(STRIKE).count() == 0
    assert Booking.select().where((Booking.date == STRIKE)
                                  & (Booking.child == schools["jaures"].children.get())).count() == 1
    assert ferry_bookings_on(STRIKE + datetime.timedelta(days=1)).count() >= 2
    emailed = {m.envelope_rcpt[0] for m in mailbox.messages}
    assert "f91001@example.org" in emailed and "f91002@example.org" in emailed
    assert "f91003@example.org" not in emailed
    assert len(mailbox.messages) == len(families)  # each family once
    letter = next(m for m in mailbox.messages if m.envelope_rcpt == ["f91001@example.org"])
    assert letter["Subject"] == ("Portail Famille : fermeture du 14/01/2027, vos réservations "
                                 "sont annulées")
    body = MailBox.text(letter)
    assert f"toutes les activités, {FERRY}" in body and "Motif : Grève des ATSEM" in body
    assert "- 14/01/2027 : ANNA – Restauration Maternelle – Repas" in body
    assert "- 14/01/2027 : BASILE – Restauration Maternelle – Repas" in body
    assert ClosedBooking.select().count() == expected
    assert AuditLog.select().where(AuditLog.action == "day.closed").count() == len(families) + 1

    # The school's children cannot book the day again; the other school's day is open.
    anna = schools["anna"]
    other = client.application.test_client()
    sign_in(other, schools["ferry"][0].users.get())
    forged = {"ligne": line_key(anna, MEALS_M), "vue": "mensuel", "du": "2027-01-01",
              "jours": [token(STRIKE, Booking.select().where(Booking.child == anna)
                              .get().modalite)],
              "csrf_token": page_token(other)}
    response = other.post("/planning/valider", data=forged)
    assert response.status_code == 422
    assert ferry_bookings_on(STRIKE).count() == 0

    # Rouvrir: the page says what comes back; the button restores and emails.
    mailbox.clear()
    closure = Closure.get()
    page = text_of(client.get(f"/agents/fermetures/{closure.id}/rouvrir"))
    assert (f"{expected} réservation(s) sur {expected} annulée(s) par la fermeture peuvent "
            f"être rétablies ({len(families)} famille(s) prévenue(s) par email).") in page
    response = post(client, f"/agents/fermetures/{closure.id}/rouvrir", retablir="1")
    assert response.status_code == 303
    assert ferry_bookings_on(STRIKE).count() == expected
    assert {b.price_cents for b in Booking.select().where(Booking.child == anna)} == {330}
    assert DayOverride.select().where(DayOverride.closure == closure).count() == 0
    assert {m.envelope_rcpt[0] for m in mailbox.messages} == {
        m for m in emailed}
    body = MailBox.text(next(m for m in mailbox.messages
                             if m.envelope_rcpt == ["f91001@example.org"]))
    assert "La fermeture du 14/01/2027 (toutes les activités, École maternelle Jules Ferry) " \
           "est levée" in body
    assert "- 14/01/2027 : ANNA – Restauration Maternelle – Repas" in body
    assert client.get(f"/agents/fermetures/{closure.id}/rouvrir").status_code == 404


def test_reopening_restores_only_within_the_places_left(client, auth, schools, mailbox):
    """A day that filled up meanwhile: the booking is not restored, and the family is
    told which one did not come back."""
    ferry = School.get(School.name == FERRY)
    auth.login("agent")
    form = {"date": "2027-01-14", "au": "2027-01-15", "ecole": str(ferry.id),
            "activite": "toutes", "motif": "Grève", "confirmer": "1"}
    assert post(client, "/agents/fermetures/fermer", **form).status_code == 303
    assert DayOverride.select().where(DayOverride.school == ferry).count() == 2
    closure = Closure.get()
    # Meanwhile the canteen is limited to what the other schools already have booked.
    meals = factories.activity_named(MEALS_M)
    booked = Booking.select().where((Booking.date == STRIKE)
                                    & (Booking.activity == meals)).count()
    response = post(client, "/agents/fermetures/places", date="2027-01-14",
                    activite=str(meals.id), places=str(booked))
    assert response.status_code == 303
    mailbox.clear()
    page = text_of(client.get(f"/agents/fermetures/{closure.id}/rouvrir"))
    assert "Non : Complet" in page
    post(client, f"/agents/fermetures/{closure.id}/rouvrir", retablir="1")
    assert ferry_bookings_on(STRIKE).where(Booking.activity == meals).count() == 0
    assert ferry_bookings_on(STRIKE + datetime.timedelta(days=1)).count() >= 2
    body = MailBox.text(next(m for m in mailbox.messages
                             if m.envelope_rcpt == ["f91001@example.org"]))
    assert "n'ont pas pu être rétablies" in body
    assert "- 14/01/2027 : ANNA – Restauration Maternelle – Repas (Complet)" in body
    assert "- 15/01/2027 : ANNA – Restauration Maternelle – Repas" in body


def test_closing_twice_and_a_range_backwards_are_refused_next_to_the_field(client, auth,
                                                                           schools):
    auth.login("agent")
    form = {"date": "2027-01-14", "ecole": "commune", "activite": "toutes", "motif": "Grève",
            "confirmer": "1"}
    assert post(client, "/agents/fermetures/fermer", **form).status_code == 303
    response = post(client, "/agents/fermetures/fermer", **form)
    assert response.status_code == 422
    assert 'id="fermer-date-error">Ces journées sont déjà fermées.' in response.get_data(
        as_text=True)
    response = post(client, "/agents/fermetures/fermer", **dict(form, au="2027-01-12"))
    assert 'id="fermer-au-error">La fin de la fermeture doit suivre son début.' in \
        response.get_data(as_text=True)
    response = post(client, "/agents/fermetures/fermer", **dict(form, ecole="424242"))
    assert "Choisissez une école de la liste" in response.get_data(as_text=True)
    assert Closure.select().count() == 1
