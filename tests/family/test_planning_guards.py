"""What the server refuses, whatever the page showed: deadlines at their edges (with the
injectable "now"), CLV windows, places, all-or-nothing TERMINER, forged input, other
families, replays and expired sessions. Each refusal says why and changes nothing."""
import re

import pytest

from models import Booking, DayOverride, OutgoingEmail, PendingChange, User
from tests.helpers import HTMX, activity, demo_child as child, modalite, sign_in, text_of
from tests.planning_support import (
    CL,
    JANUARY,
    SANS,
    enrol,
    line_key,
    new_family,
    page_token,
    token,
)

NOEL = "CLV Élémentaire ou maternel Noël"



def post_days(client, kid, tokens, path="/planning/valider", activity_name=CL, du="2027-01-01",
              headers=None):
    data = {"ligne": line_key(kid, activity_name), "vue": "mensuel", "du": du, "jours": tokens,
            "csrf_token": page_token(client)}
    return client.post(path, data=data, headers=headers or {})


def sans_days(days, activity_name=CL):
    return [token(day, modalite(activity_name, SANS)) for day in days]


def finish(client):
    return client.post("/planning/terminer", data={"csrf_token": page_token(client)})


def pending_count():
    return PendingChange.select().count()


def booked(kid):
    return sorted(b.date for b in Booking.select().where(Booking.child == kid))


# --- Deadlines with the injectable date ------------------------------------------------


@pytest.mark.parametrize("now, open_", [("2026-12-20T23:59", True), ("2026-12-21T00:00", False)])
def test_january_until_20_december_2359_paris(app, client, lena, now, open_):
    app.config["PORTAIL_TODAY"] = now
    text = text_of(client.get("/planning/?du=2027-01-01").get_data(as_text=True))
    response = post_days(client, lena, sans_days(JANUARY[:1]))
    if open_:
        assert "Modifications possibles jusqu'au 20/12/2026 à 23h59." in text
        assert response.status_code == 303 and pending_count() == 1
    else:
        assert ("Les réservations de janvier 2027 ne sont plus modifiables depuis le "
                "21/12/2026 à 00h00") in text
        assert response.status_code == 422 and pending_count() == 0
        assert "ne sont plus modifiables" in text_of(response.get_data(as_text=True))


@pytest.mark.parametrize("now, open_", [
    ("2026-10-20T23:59", True), ("2026-10-20T21:59Z", True),  # summer time: UTC+2
    ("2026-10-20T22:00Z", False), ("2026-10-21T00:00", False),
])
def test_november_edge_across_the_end_of_summer_time(app, client, lena, now, open_):
    app.config["PORTAIL_TODAY"] = now
    response = post_days(client, lena, sans_days([JANUARY[0].replace(month=11, day=18)
                                                  .replace(year=2026)]), du="2026-11-01")
    assert (response.status_code == 303) is open_
    assert pending_count() == (1 if open_ else 0)


@pytest.mark.parametrize("now, message", [
    ("2026-11-01T23:59", "Les réservations des vacances de Noël ouvrent le 02/11/2026"),
    ("2026-11-02T00:00", None),
    ("2026-12-02T23:59", None),
    ("2026-12-03T00:00", "Les réservations des vacances de Noël sont closes depuis le 03/12/2026"),
])
def test_clv_noel_window_first_and_last_day(app, client, lena, now, message):
    enrol(lena, NOEL)
    app.config["PORTAIL_TODAY"] = now
    text = text_of(client.get("/planning/?du=2026-12-01").get_data(as_text=True))
    day = [token(__import__("datetime").date(2026, 12, 21), modalite(NOEL, "Matin SANS repas"))]
    response = post_days(client, lena, day, activity_name=NOEL, du="2026-12-01")
    if message is None:
        assert "Modifications possibles jusqu'au 02/12/2026 à 23h59." in text
        assert response.status_code == 303 and pending_count() == 1
    else:
        assert message in text and "(période de réservation : du 02/11/2026 au 02/12/2026)" in text
        assert response.status_code == 422 and pending_count() == 0


def test_terminer_checks_the_deadline_again(app, client, lena, mailbox):
    app.config["PORTAIL_TODAY"] = "2026-12-20T23:58"
    post_days(client, lena, sans_days(JANUARY))
    app.config["PORTAIL_TODAY"] = "2026-12-21T00:00"
    response = finish(client)
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert "Aucune modification n'a été enregistrée : certaines ne sont plus possibles." in text
    assert text.count("ne sont plus modifiables depuis le 21/12/2026 à 00h00") == 4
    assert booked(lena) == [] and pending_count() == 4
    assert mailbox.messages == []


def test_terminer_is_all_or_nothing_then_works_without_the_refused_line(client, lena, mailbox):
    post_days(client, lena, sans_days(JANUARY))
    # Staff close 20/01 after the family chose it.
    DayOverride.create(activity=activity(CL), date=JANUARY[2], is_open=False,
                       reason="Formation des animateurs")
    response = finish(client)
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert "20/01/2027 LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas " \
           "Pas d'accueil ce jour-là." in text
    assert booked(lena) == [] and mailbox.messages == []
    refused = PendingChange.get(PendingChange.date == JANUARY[2])
    client.post(f"/planning/retirer/{refused.id}", data={"csrf_token": page_token(client)})
    assert finish(client).status_code == 303
    assert booked(lena) == [JANUARY[0], JANUARY[1], JANUARY[3]]
    assert len(mailbox.messages) == 1


# --- Places -----------------------------------------------------------------------------


def test_the_last_place_goes_to_the_first_terminer_and_the_day_then_shows_complet(
        app, client, lena, auth, mailbox):
    last_place = JANUARY[1]  # the demo leaves one place on the 2nd Wednesday of January
    post_days(client, lena, sans_days([last_place]))
    _, user, (kid,) = new_family(90001, children=1, lines=2)
    other = app.test_client()
    sign_in(other, user)
    post_days(other, kid, sans_days([last_place]))
    assert finish(other).status_code == 303  # the other family commits first: gets it
    response = finish(client)
    assert response.status_code == 409
    assert "Complet : il n'y a plus de place ce jour-là." in text_of(
        response.get_data(as_text=True))
    assert booked(lena) == []
    # Her pending tick can still be unticked; once dropped, the full day has no box.
    key = line_key(lena, CL)
    edit = f"/planning/?du=2027-01-01&ligne={key}&modifier=1"
    assert f'value="{token(last_place, modalite(CL, SANS))}"' in client.get(edit).get_data(
        as_text=True)
    client.post("/planning/tout-supprimer", data={"csrf_token": page_token(client)})
    html = client.get(edit).get_data(as_text=True)
    assert "Me 13 <small>complet</small>" in html
    assert token(last_place, modalite(CL, SANS)) not in html
    # A forged tick of the full day is refused.
    response = post_days(client, lena, sans_days([last_place]))
    assert response.status_code == 422
    assert "Complet" in text_of(response.get_data(as_text=True)) and pending_count() == 0


# --- Forged input -------------------------------------------------------------------------


@pytest.mark.parametrize("forged, message", [
    ("{sans}:2027-02-30", "Choix invalide"),
    ("{sans}:2027-01-07", "Je 07 (07/01/2027) : Pas d'accueil ce jour-là."),
    ("{sans}:2027-02-03", "n'est pas dans la période affichée"),
    ("{other}:2027-01-06", "cette modalité n'appartient pas à cette activité"),
    ("{sans}:2026-11-25", "n'est pas dans la période affichée"),
])
def test_forged_days_are_refused_with_a_message_and_nothing_changes(client, lena, forged,
                                                                    message):
    values = {"sans": modalite(CL, SANS).id,
              "other": modalite("CL Élémentaire Mercredis", SANS).id}
    tokens = sans_days(JANUARY[:1]) + [forged.format(**values)]
    response = post_days(client, lena, tokens)
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True))
    # Under htmx: 200 (htmx swaps only 2xx), the message in the line's status region.
    response = post_days(client, lena, tokens, path="/planning/basculer", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'<p id="msg-{line_key(lena, CL)}" data-hx-swap-oob="innerHTML">' in body
    assert message in text_of(body)
    assert pending_count() == 0


def test_another_family_s_child_or_line_is_a_404(client, lena):
    chloe = child("CHLOE")  # family 16123
    key = line_key(chloe, CL)
    assert client.get(f"/planning/?du=2027-01-01&ligne={key}&modifier=1",
                      headers=HTMX).status_code == 404
    for path in ("/planning/valider", "/planning/basculer", "/planning/cocher", "/planning/jour"):
        data = {"ligne": key, "vue": "mensuel", "du": "2027-01-01", "jour": "2027-01-06",
                "modalite": str(modalite(CL, SANS).id), "cocher": str(modalite(CL, SANS).id),
                "jours": sans_days(JANUARY), "csrf_token": page_token(client)}
        response = client.post(path, data=data)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.get_data(as_text=True)
    # A line LENA has not opened, and nonsense keys.
    for bad in (line_key(lena, "CL Élémentaire Mercredis"), "abc", "1-", ""):
        response = client.post("/planning/valider", data={
            "ligne": bad, "jours": [], "csrf_token": page_token(client)})
        assert response.status_code == 404
    assert pending_count() == 0


def test_another_family_s_pending_change_cannot_be_dropped(client, lena):
    chloe = child("CHLOE")
    theirs = PendingChange.create(family=chloe.family, child=chloe, activity=activity(CL),
                                  modalite=modalite(CL, SANS), date=JANUARY[0],
                                  action=PendingChange.BOOK)
    response = client.post(f"/planning/retirer/{theirs.id}",
                           data={"csrf_token": page_token(client)})
    assert response.status_code == 404
    client.post("/planning/tout-supprimer", data={"csrf_token": page_token(client)})
    assert PendingChange.get_or_none(PendingChange.id == theirs.id) is not None


def test_phone_list_refuses_a_closed_day_and_another_activity_s_modalite(client, lena):
    key = line_key(lena, CL)
    base = {"ligne": key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
            "csrf_token": page_token(client)}
    for day, modalite_id, message in [
        ("2027-01-07", modalite(CL, SANS).id, "Je 07 (07/01/2027) : Pas d'accueil ce jour-là."),
        ("2027-01-06", modalite("CL Élémentaire Mercredis", SANS).id,
         "Le 06/01/2027 : cette modalité n'appartient pas à cette activité."),
        ("2027-13-06", modalite(CL, SANS).id, "Choix invalide"),
    ]:
        response = client.post("/planning/valider", data={**base, f"j-{day}": str(modalite_id)})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in text_of(html)
        assert f'<p id="msg-{key}" class="pl-msg" role="status">' in html
    assert pending_count() == 0


def test_alae_lines_are_read_only_here(client, auth, db):
    auth.login("famille 16123")
    hugo = child("HUGO")
    text = text_of(client.get("/planning/?du=2027-01-01").get_data(as_text=True))
    assert "Cette ligne est réservée pour toute l'année par l'inscription" in text
    before = booked(hugo)
    assert len(before) > 100
    response = post_days(client, hugo, [], activity_name="ALAE Matin")  # untick everything
    assert response.status_code == 422
    assert "réservée pour toute l'année par l'inscription" in text_of(
        response.get_data(as_text=True))
    assert booked(hugo) == before and pending_count() == 0


# --- Replays and expired sessions -------------------------------------------------------


def test_a_replayed_terminer_changes_nothing_and_sends_no_second_email(client, lena, mailbox):
    post_days(client, lena, sans_days(JANUARY))
    csrf = page_token(client)
    assert client.post("/planning/terminer", data={"csrf_token": csrf}).status_code == 303
    replay = client.post("/planning/terminer", data={"csrf_token": csrf})
    assert replay.status_code == 303
    text = text_of(client.get(replay.headers["Location"]).get_data(as_text=True))
    assert "Aucune modification en attente : rien n'a été enregistré." in text
    assert booked(lena) == JANUARY
    assert len(mailbox.messages) == 1 and OutgoingEmail.select().count() == 1


@pytest.mark.parametrize("how", ["signed out elsewhere", "no session cookie"])
def test_expired_session_during_an_htmx_toggle_redirects_the_whole_page(app, client, lena,
                                                                         how):
    data = {"ligne": line_key(lena, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": sans_days(JANUARY[:1])}
    headers = {**HTMX, "X-CSRFToken": page_token(client)}
    if how == "signed out elsewhere":
        User.update(session_token="rotated").where(User.family == lena.family_id).execute()
    else:
        client = app.test_client()
    response = client.post("/planning/basculer", data=data, headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/connexion?next=")
    assert response.get_data() == b""  # no sign-in page inside a calendar cell
    assert pending_count() == 0


# --- Review: odd query strings under htmx ------------------------------------------------


@pytest.mark.parametrize("query", ["ligne={key}", "ligne={key}&modifier=0",
                                   "ligne=0{key}&modifier=1"])
def test_an_htmx_line_without_edit_mode_or_with_a_padded_key_is_that_line(client, lena, query):
    key = line_key(lena, CL)
    response = client.get(f"/planning/?du=2027-01-01&{query.format(key=key)}", headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<section class="pl-line') and f'id="ligne-{key}"' in html
    assert ("VALIDER" in html) is query.endswith("modifier=1")


def test_tick_all_racing_another_screen_says_so_and_keeps_nothing(client, lena, monkeypatch):
    from peewee import IntegrityError

    def clash(*args, **kwargs):  # what the unique index says when another screen won the race
        raise IntegrityError("UNIQUE constraint failed: pendingchange.child_id")

    from domain.booking import changes
    monkeypatch.setattr(changes, "insert_rows", clash)
    response = client.post("/planning/cocher", data={
        "ligne": line_key(lena, CL), "vue": "mensuel", "du": "2027-01-01",
        "cocher": str(modalite(CL, SANS).id), "csrf_token": page_token(client)})
    assert response.status_code == 422
    assert "viennent d'être modifiés depuis un autre écran" in text_of(
        response.get_data(as_text=True))
    assert pending_count() == 0
    # The page shows what is stored: no day ticked.
    html = response.get_data(as_text=True)
    assert re.search(r'name="jours" value="[^"]*"[^>]* checked', html) is None
    assert html.count(" checked>") == html.count('value="0" checked>Pas de réservation') == 4


def test_terminer_with_only_changes_already_made_claims_no_email(client, lena, mailbox):
    post_days(client, lena, sans_days(JANUARY[:1]))
    # Meanwhile the service booked that very day with that very modalité.
    Booking.create(child=lena, activity=activity(CL), modalite=modalite(CL, SANS),
                   date=JANUARY[0], price_cents=520)
    response = finish(client)
    assert response.status_code == 303
    text = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "VOTRE RESERVATION EST TERMINEE" not in text
    assert "e-mail récapitulatif de vos réservations vous a été envoyé" not in text
    assert "déjà enregistrées" in text
    assert pending_count() == 0 and mailbox.messages == []
