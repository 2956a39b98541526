"""Espace agents: closing a day and lowering the places of a day.

LENA (family 16122) books January's Wednesdays at CL Maternel Mercredis the families'
way; an agent then closes 06/01/2027 (the booking is cancelled, not billed, the
family emailed, PLANNING shows the day closed) or lowers the places of a day to
what is booked (the next family sees "complet" and cannot book, even forged).
"""
import json

from models import AuditLog, Booking, DayOverride, PendingChange
from tests.conftest import MailBox
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.planning_support import (CL, JANUARY, SANS, activity, line_key, modalite, new_family,
                                    page_token, sign_in, text_of, token)
from tests.staff.test_staff_attendance import book_januarys_wednesdays

WEDNESDAY = JANUARY[0]


def staff_post(client, path, **data):
    data["csrf_token"] = page_token(client, "/agents/fermetures/")
    return client.post(path, data=data)


def test_closing_a_booked_wednesday_cancels_emails_and_shows_closed(client, auth, lena,  # noqa
                                                                     mailbox):
    book_januarys_wednesdays(client, lena)
    mailbox.clear()
    auth.logout()
    auth.login("agent")
    response = staff_post(client, "/agents/fermetures/fermer", date="2027-01-06",
                          activite=str(activity(CL).id), motif="Grève des animateurs")
    assert response.status_code == 303
    page = text_of(client.get("/agents/fermetures/").get_data(as_text=True))
    assert ("Journée du 06/01/2027 fermée : 1 réservation(s) annulée(s), 1 famille(s) "
            "prévenue(s) par email.") in page
    assert "06/01/2027 2026/2027 - CL Maternel Mercredis Fermée Grève des animateurs" in page
    # Cancelled by deletion: a "committed bookings" query (billing) no longer sees the day.
    assert sorted(b.date for b in Booking.select().where(Booking.child == lena)) == JANUARY[1:]
    assert DayOverride.get(DayOverride.date == WEDNESDAY).is_open is False
    # The family is emailed.
    assert len(mailbox.messages) == 1
    email = mailbox.messages[0]
    assert email.envelope_rcpt == ["famille.dupont@example.org"]
    assert email["Subject"] == ("Portail Famille : fermeture du 06/01/2027, vos réservations "
                                "sont annulées")
    body = MailBox.text(email)
    assert "Motif : Grève des animateurs" in body
    assert "- LENA – CL Maternel Mercredis – Après-midi SANS repas" in body
    assert "ne vous seront pas facturées" in body
    # Audited: per family with the booking as it was, and once for the day.
    logs = list(AuditLog.select().where(AuditLog.action == "day.closed").order_by(AuditLog.id))
    assert [log.family_id for log in logs] == [lena.family_id, None]
    assert json.loads(logs[0].details)["before"][0]["prix"] == 520
    # PLANNING shows the day closed.
    auth.logout()
    auth.login("famille 16122")
    html = client.get("/planning/?du=2027-01-01").get_data(as_text=True)
    assert '<th scope="col" class="x">Me 06<span class="visually-hidden"> fermé</span></th>' \
        in html


def test_closing_all_activities_also_drops_pending_changes(client, auth, lena):  # noqa: F811
    data = {"ligne": line_key(lena, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": [token(WEDNESDAY, modalite(CL, SANS))], "csrf_token": page_token(client)}
    client.post("/planning/valider", data=data)
    assert PendingChange.select().count() == 1
    auth.logout()
    auth.login("agent")
    response = staff_post(client, "/agents/fermetures/fermer", date="2027-01-06",
                          activite="toutes", motif="Élections")
    assert response.status_code == 303
    assert PendingChange.select().count() == 0
    assert DayOverride.get(DayOverride.date == WEDNESDAY).activity_id is None


def test_bad_closure_input_gets_french_messages_next_to_the_fields(client, auth):
    auth.login("agent")
    response = staff_post(client, "/agents/fermetures/fermer", date="2026-11-02",
                          activite=str(activity(CL).id), motif="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="fermer-date-error">Une journée passée ne peut pas être fermée.' in html
    response = staff_post(client, "/agents/fermetures/fermer", date="2027-01-06",
                          activite="99999", motif="")
    html = response.get_data(as_text=True)
    assert "Choisissez une activité de la liste." in html
    response = staff_post(client, "/agents/fermetures/fermer", date="2027-01-06",
                          activite=str(activity(CL).id), motif="  ")
    html = response.get_data(as_text=True)
    assert 'aria-describedby="fermer-motif-error"' in html
    assert "Indiquez le motif de la fermeture" in html
    response = staff_post(client, "/agents/fermetures/places", date="2027-01-06",
                          activite=str(activity(CL).id), places="douze")
    assert response.status_code == 422
    assert "Indiquez un nombre de places entre 0 et 999" in response.get_data(as_text=True)
    assert DayOverride.select().where(DayOverride.date == WEDNESDAY).count() == 0


def test_a_day_lowered_to_what_is_booked_is_complet_even_for_a_forged_request(
        app, client, auth, lena, mailbox):  # noqa: F811
    book_januarys_wednesdays(client, lena)
    auth.logout()
    auth.login("agent")
    day = JANUARY[2]
    booked_now = Booking.select().where((Booking.activity == activity(CL))
                                        & (Booking.date == day)).count()
    response = staff_post(client, "/agents/fermetures/places", date=day.isoformat(),
                          activite=str(activity(CL).id), places=str(booked_now))
    assert response.status_code == 303
    assert "0 place(s) restante" not in text_of(client.get("/agents/fermetures/")
                                                .get_data(as_text=True))
    assert AuditLog.select().where(AuditLog.action == "day.capacity_set").count() == 1
    occupancy = text_of(client.get("/agents/occupation/?mois=2027-01").get_data(as_text=True))
    assert f"20/01/2027 {booked_now} / {booked_now} complet" in occupancy

    _, user, (kid,) = new_family(90001, children=1, lines=2)
    other = app.test_client()
    sign_in(other, user)
    edit = f"/planning/?du=2027-01-01&ligne={line_key(kid, CL)}&modifier=1"
    html = other.get(edit).get_data(as_text=True)
    assert "Me 20 <small>complet</small>" in html
    forged = {"ligne": line_key(kid, CL), "vue": "mensuel", "du": "2027-01-01",
              "jours": [token(day, modalite(CL, SANS))], "csrf_token": page_token(other)}
    response = other.post("/planning/valider", data=forged)
    assert response.status_code == 422
    assert "Complet" in text_of(response.get_data(as_text=True))
    assert Booking.select().where((Booking.child == kid) & (Booking.date == day)).count() == 0


def test_agents_may_close_families_may_not(client, auth, lena):  # noqa: F811
    assert client.get("/agents/fermetures/").status_code == 404
    auth.logout()
    auth.login("agent")
    assert client.get("/agents/fermetures/").status_code == 200
