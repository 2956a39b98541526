"""PLANNING - RÉSERVATIONS over HTTP: a first booking step by step, the recap, TERMINER,
the email.

The demo family 16122 (LENA) with `CL Maternel Mercredis` opened (as INSCRIPTION
would) and the test "now" 26/11/2026 10:00: December is closed, January open.
"""
import re
from urllib.parse import parse_qs, urlsplit


from models import Booking, OutgoingEmail, PendingChange
from tests.conftest import MailBox
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.planning_support import (AVEC, CL, HTMX, JANUARY, SANS, activity, child, enrol,
                                    line_key, modalite, page_token, text_of, token)



def grid_data(client, kid, days, name=SANS, **extra):
    data = {"ligne": line_key(kid, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": [token(day, modalite(CL, name)) for day in days],
            "csrf_token": page_token(client)}
    data.update(extra)
    return data


def tick(client, kid, days, name=SANS):
    """An htmx toggle: the whole month's ticked boxes, as the grid form sends them."""
    data = grid_data(client, kid, days, name)
    return client.post("/planning/basculer", data=data,
                       headers={**HTMX, "X-CSRFToken": data.pop("csrf_token")})


def finish(client):
    return client.post("/planning/terminer", data={"csrf_token": page_token(client)})


def pending(kid):
    return list(PendingChange.select().where(PendingChange.child == kid)
                .order_by(PendingChange.date))


def bookings(kid, activity_name=CL):
    return list(Booking.select().where((Booking.child == kid)
                                       & (Booking.activity == activity(activity_name)))
                .order_by(Booking.date))


# --- The calendar -------------------------------------------------------------------


def test_calendar_shows_each_open_line_with_days_modalites_and_closed_days(client, lena):
    html = client.get("/planning/?du=2027-01-01").get_data(as_text=True)
    text = text_of(html)
    assert "LENA" in text and "2026/2027 - CL Maternel Mercredis" in text
    assert "2026/2027 - Restauration Maternelle" in text
    assert '<th scope="col">Me 06</th>' in html
    assert '<th scope="col" class="x">Je 07<span class="visually-hidden"> fermé</span></th>' \
        in html
    assert f'<th scope="row">{AVEC}</th>' in html and f'<th scope="row">{SANS}</th>' in html
    assert "Modifications possibles jusqu'au 20/12/2026 à 23h59." in text
    assert text.count("MODIFIER") == 2
    for label in ("MENSUEL", "QUINZAINE", "SEMAINE"):
        assert label in text
    # Arrows to the previous and next months.
    assert 'href="/planning/?vue=mensuel&amp;du=2026-12-01"' in html
    assert 'href="/planning/?vue=mensuel&amp;du=2027-02-01"' in html


def test_a_closed_month_says_why_since_when_and_links_to_the_messagerie(client, lena):
    html = client.get("/planning/?du=2026-12-01").get_data(as_text=True)
    text = text_of(html)
    assert "MODIFIER" not in text
    assert ("Les réservations de décembre 2026 ne sont plus modifiables depuis le 21/11/2026 "
            "à 00h00 : la date limite était le 20/11/2026 à 23h59") in text
    assert "Écrire au service" in text
    link = re.findall(r'href="(/messagerie/[^"]*)">Écrire au service</a>', html)
    assert len(link) == 2  # Restauration and CL
    query = parse_qs(urlsplit(link[1].replace("&amp;", "&")).query)
    assert query["service"] == ["Centres de Loisirs"] and query["theme"] == ["Modifications"]
    assert query["subject"] == ["Réservations Décembre 2026 - LENA - 2026/2027 - CL Maternel "
                                "Mercredis"]
    assert parse_qs(urlsplit(link[0].replace("&amp;", "&")).query)["service"] == \
        ["ALAE - Restauration"]
    assert client.get(link[1].replace("&amp;", "&")).status_code == 200


def test_views_quinzaine_and_semaine_show_their_days(client, lena):
    html = client.get("/planning/?vue=quinzaine&du=2027-01-20").get_data(as_text=True)
    assert "Du 16/01/2027 au 31/01/2027" in html
    assert "Me 20" in html and "Me 13" not in html
    assert 'du=2027-01-01' in html and 'du=2027-02-01' in html  # previous / next fortnights
    html = client.get("/planning/?vue=semaine&du=2027-01-14").get_data(as_text=True)
    assert "Du 11/01/2027 au 17/01/2027" in html
    assert "Lu 11" in html and "Di 17" in html and "Lu 18" not in html


def test_a_nonsense_range_falls_back_to_this_month(client, lena):
    for query in ("du=2027-13-45", "du=9999-12-31", "vue=annuel&du=x"):
        response = client.get(f"/planning/?{query}")
        assert response.status_code == 200
        assert "Novembre 2026" in response.get_data(as_text=True)


def test_modifier_opens_the_edit_grid_and_the_phone_day_form(client, lena):
    key = line_key(lena, CL)
    url = f"/planning/?vue=mensuel&du=2027-01-01&ligne={key}&modifier=1"
    html = client.get(url).get_data(as_text=True)
    sans = modalite(CL, SANS)
    assert f'id="cell-{key}-{sans.id}-2027-01-06"' in html
    assert f'value="{sans.id}:2027-01-06" aria-label="Me 06 : {SANS}"' in html
    assert 'value="{}:2027-01-07"'.format(sans.id) not in html  # closed day: no box
    assert 'aria-label="Cocher toutes les dates du mois : Après-midi SANS repas"' in html
    assert "VALIDER" in html and f'action="/planning/valider#ligne-{key}"' in html
    # The phone list: one radio group per open day, a "Pas de réservation" choice each.
    assert html.count('<li id="jour-') == 4
    assert f'name="j-2027-01-06" value="{sans.id}"' in html
    assert 'name="j-2027-01-06" value="0" checked>Pas de réservation' in html
    assert 'name="j-2027-01-07"' not in html  # closed day: not in the list
    assert f'id="tout-{key}-{sans.id}"' in html and "Tout cocher : Après-midi SANS repas" in html
    # Under htmx, only that line's fragment.
    fragment = client.get(url, headers=HTMX)
    assert "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith(f'<section class="pl-line pl-editing" id="ligne-{key}"')
    assert "<html" not in body
    # A boosted navigation gets the whole page.
    boosted = client.get(url, headers={**HTMX, "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<html" in boosted


# --- A first booking, step by step --------------------------------------------------------


def test_walkthrough_four_wednesdays_recap_terminer_email_then_a_cancellation(
        client, lena, mailbox):
    for count in range(1, 5):
        response = tick(client, lena, JANUARY[:count])
        assert response.status_code == 200
    assert [p.date for p in pending(lena)] == JANUARY
    assert bookings(lena) == []  # nothing booked before TERMINER

    recap = client.get("/planning/recapitulatif").get_data(as_text=True)
    text = text_of(recap)
    assert "Validation des modifications" in text
    for day in ("06/01/2027", "13/01/2027", "20/01/2027", "27/01/2027"):
        assert (f"{day} LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas "
                "à l'unité 5,20 €") in text
    assert "4 modifications à l'unité : 20,80 €" in text
    for button in ("TOUT SUPPRIMER", "RETOUR", "TERMINER"):
        assert button in text

    response = finish(client)
    assert response.status_code == 303 and response.headers["Location"] == "/planning/terminee"
    done = text_of(client.get("/planning/terminee").get_data(as_text=True))
    assert "VOTRE RESERVATION EST TERMINEE" in done
    assert ("LENA : Janvier 2027 2026/2027 - CL Maternel Mercredis Coût de la période : "
            "20,80 €") in done
    assert [(b.date, b.modalite.name, b.price_cents) for b in bookings(lena)] == \
        [(day, SANS, 520) for day in JANUARY]
    assert pending(lena) == []

    assert len(mailbox.messages) == 1
    email = mailbox.messages[0]
    assert email["Subject"] == "Récapitulatif de vos réservations du 26/11/2026 à 10h00"
    assert email.envelope_rcpt == ["famille.dupont@example.org"]
    plain, html = MailBox.text(email), MailBox.html(email)
    assert "Jour | Enfant | Activité | Réservation / annulation | Montant | Tarif" in plain
    for day in ("06", "13", "20", "27"):
        assert (f"Mer. {day}/01/2027 | LENA | CL Maternel Mercredis - Après-midi SANS repas | "
                f"Réservation | 5,20\u00a0€ | CENTRE DE LOISIRS DEMI-JOURNEE") in plain
    assert html.count("<tr><td>Mer. ") == 4 and "<th scope=\"col\">Tarif</th>" in html

    # The calendar now marks the four days booked.
    page = client.get("/planning/?du=2027-01-01").get_data(as_text=True)
    assert page.count('<td class="b"><span class="visually-hidden">réservé</span></td>') == 4

    # Cancel one day: untick 20/01 and see an "annulation" line.
    mailbox.clear()
    tick(client, lena, [JANUARY[0], JANUARY[1], JANUARY[3]])
    text = text_of(client.get("/planning/recapitulatif").get_data(as_text=True))
    assert ("20/01/2027 annulation LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS "
            "repas à l'unité -5,20 €") in text
    assert "1 modification à l'unité : -5,20 €" in text
    assert finish(client).status_code == 303
    assert [b.date for b in bookings(lena)] == [JANUARY[0], JANUARY[1], JANUARY[3]]
    plain = MailBox.text(mailbox.messages[0])
    assert "Mer. 20/01/2027 | LENA | CL Maternel Mercredis - Après-midi SANS repas | " \
           "Annulation | -5,20\u00a0€" in plain


def test_switching_modalite_of_a_booked_day_is_a_cancellation_and_a_booking(client, lena):
    tick(client, lena, JANUARY[:1])
    finish(client)
    tick(client, lena, JANUARY[:1], name=AVEC)
    text = text_of(client.get("/planning/recapitulatif").get_data(as_text=True))
    assert "06/01/2027 annulation LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS " \
           "repas à l'unité -5,20 €" in text
    assert "06/01/2027 LENA - 2026/2027 - CL Maternel Mercredis - Après-midi AVEC repas " \
           "à l'unité 10,40 €" in text
    assert "2 modifications à l'unité : 5,20 €" in text
    finish(client)
    assert [(b.date, b.modalite.name, b.price_cents) for b in bookings(lena)] == \
        [(JANUARY[0], AVEC, 1040)]


# --- The toggle -----------------------------------------------------------------------


def test_toggle_answers_only_the_day_s_cells_and_ticking_avec_unticks_sans(client, lena):
    key, sans, avec = line_key(lena, CL), modalite(CL, SANS), modalite(CL, AVEC)
    first = tick(client, lena, JANUARY[:1])
    body = first.get_data(as_text=True)
    assert len(first.data) <= 1024
    cells = re.findall(r'<td id="(cell-[^"]+)"', body)
    assert cells == [f"cell-{key}-{avec.id}-2027-01-06", f"cell-{key}-{sans.id}-2027-01-06"]
    assert 'data-hx-swap-oob="true"' in body
    assert f'value="{sans.id}:2027-01-06" aria-label="Me 06 : {SANS}" checked' in body
    assert "TERMINER LES MODIFICATIONS" in body and "(1 en attente)" in body
    # The browser now sends both boxes of 06/01: the new one (AVEC) wins.
    data = grid_data(client, lena, [], jours=[token(JANUARY[0], sans), token(JANUARY[0], avec)])
    second = client.post("/planning/basculer", data=data, headers=HTMX)
    body = second.get_data(as_text=True)
    assert f'value="{avec.id}:2027-01-06" aria-label="Me 06 : {AVEC}" checked' in body
    assert f'value="{sans.id}:2027-01-06" aria-label="Me 06 : {SANS}">' in body
    assert [(p.date, p.modalite_id) for p in pending(lena)] == [(JANUARY[0], avec.id)]
    # Unticking the only box drops the pending change.
    tick(client, lena, [])
    assert pending(lena) == []


def test_toggle_without_javascript_redirects_back_to_the_edit_grid(client, lena):
    response = client.post("/planning/basculer", data=grid_data(client, lena, JANUARY[:2]))
    assert response.status_code == 303
    assert "modifier=1" in response.headers["Location"]
    assert len(pending(lena)) == 2


def test_valider_keeps_the_month_s_choice_and_redirects(client, lena):
    response = client.post("/planning/valider", data=grid_data(client, lena, JANUARY))
    assert response.status_code == 303
    assert response.headers["Location"] == \
        f"/planning/?vue=mensuel&du=2027-01-01#ligne-{line_key(lena, CL)}"
    assert [p.date for p in pending(lena)] == JANUARY
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "vos choix (Janvier 2027) sont gardés" in page
    assert "TERMINER LES MODIFICATIONS (4 en attente)" in page


def test_valider_refuses_two_modalites_on_a_day_and_keeps_what_was_ticked(client, lena):
    sans, avec = modalite(CL, SANS), modalite(CL, AVEC)
    data = grid_data(client, lena, [], jours=[token(JANUARY[0], sans), token(JANUARY[0], avec),
                                              token(JANUARY[1], sans)])
    response = client.post("/planning/valider", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Me 06 (06/01/2027) : Une seule modalité d'accueil par jour." in text_of(html)
    assert f'value="{sans.id}:2027-01-13" aria-label="Me 13 : {SANS}" checked' in html
    assert f'value="{avec.id}:2027-01-06" aria-label="Me 06 : {AVEC}" checked' in html
    assert pending(lena) == []


def test_tick_all_icon_ticks_every_open_day_of_the_month(client, lena):
    data = grid_data(client, lena, [], cocher=str(modalite(CL, SANS).id))
    response = client.post("/planning/cocher", data=data)
    assert response.status_code == 303
    assert [(p.date, p.modalite.name) for p in pending(lena)] == [(d, SANS) for d in JANUARY]


def list_data(client, kid, choices, **extra):
    """The phone list's form: {date: modalité name, or None for "Pas de réservation"}."""
    data = {"ligne": line_key(kid, CL), "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
            "csrf_token": page_token(client)}
    for day, name in choices.items():
        data[f"j-{day.isoformat()}"] = str(modalite(CL, name).id) if name else "0"
    data.update(extra)
    return data


def test_phone_list_each_tap_is_kept_and_answers_only_that_day_s_state(client, lena):
    key = line_key(lena, CL)
    choices = {day: None for day in JANUARY}
    choices[JANUARY[1]] = SANS
    response = client.post("/planning/basculer", data=list_data(client, lena, choices),
                           headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) <= 1024
    assert [(p.date, p.modalite.name) for p in pending(lena)] == [(JANUARY[1], SANS)]
    assert re.findall(r'id="(etat-[^"]+)"', body) == [f"etat-{key}-2027-01-13"]
    assert ">réservation en attente</span>" in body and "1 modification en attente" in body
    assert 'data-hx-swap-oob="innerHTML:.pl-pending"' in body
    # "Pas de réservation" drops it again; a day the form did not show is never touched.
    tick(client, lena, JANUARY[2:3])
    choices[JANUARY[1]] = None
    del choices[JANUARY[2]]
    client.post("/planning/basculer", data=list_data(client, lena, choices), headers=HTMX)
    assert [p.date for p in pending(lena)] == [JANUARY[2]]


def test_phone_list_without_javascript_valider_then_terminer_goes_to_the_recap(client, lena):
    key = line_key(lena, CL)
    response = client.post("/planning/valider",
                           data=list_data(client, lena, {JANUARY[0]: SANS, JANUARY[1]: AVEC}))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#ligne-{key}")
    response = client.post("/planning/valider", data=list_data(
        client, lena, {JANUARY[0]: SANS, JANUARY[1]: AVEC, JANUARY[2]: SANS}, terminer="1"))
    assert response.status_code == 303 and response.headers["Location"] == \
        "/planning/recapitulatif"
    assert [(p.date, p.modalite.name) for p in pending(lena)] == \
        [(JANUARY[0], SANS), (JANUARY[1], AVEC), (JANUARY[2], SANS)]
    # A forged modalité (another activity's) is refused next to the line, nothing changes.
    data = list_data(client, lena, {JANUARY[3]: SANS})
    data["j-2027-01-27"] = str(modalite("CL Élémentaire Mercredis", SANS).id)
    response = client.post("/planning/valider", data=data)
    assert response.status_code == 422
    assert "cette modalité n'appartient pas à cette activité" in text_of(
        response.get_data(as_text=True))
    assert len(pending(lena)) == 3


def test_tick_all_under_htmx_answers_the_line_in_place(client, lena):
    key = line_key(lena, CL)
    data = list_data(client, lena, {}, cocher=str(modalite(CL, SANS).id))
    response = client.post("/planning/cocher", data=data, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<section class="pl-line pl-editing" id="ligne-{key}"')
    assert "4 jour(s) cochés pour « Après-midi SANS repas »" in text_of(body)
    assert body.count(f'value="{modalite(CL, SANS).id}" checked') == 4
    assert "4 modifications en attente" in body


# --- Keeping, dropping ----------------------------------------------------------------


def test_pending_changes_survive_a_sign_out(client, auth, lena):
    tick(client, lena, JANUARY[:2])
    auth.logout()
    auth.login("famille 16122")
    text = text_of(client.get("/planning/recapitulatif").get_data(as_text=True))
    assert "2 modifications à l'unité : 10,40 €" in text


def test_tout_supprimer_and_retirer(client, lena):
    tick(client, lena, JANUARY[:3])
    first = pending(lena)[0]
    response = client.post(f"/planning/retirer/{first.id}",
                           data={"csrf_token": page_token(client)})
    assert response.status_code == 303 and len(pending(lena)) == 2
    response = client.post("/planning/tout-supprimer", data={"csrf_token": page_token(client)})
    assert response.status_code == 303
    assert pending(lena) == [] and bookings(lena) == []
    assert "2 modification(s) en attente supprimée(s)" in text_of(
        client.get("/planning/").get_data(as_text=True))


def test_posts_without_csrf_token_are_refused(client, lena):
    data = grid_data(client, lena, JANUARY)
    del data["csrf_token"]
    for path in ("/planning/valider", "/planning/basculer", "/planning/terminer"):
        response = client.post(path, data=data)
        assert response.status_code == 400
        assert "Formulaire expiré" in response.get_data(as_text=True)
    assert pending(lena) == []


def test_every_planning_page_is_fit_for_the_strict_csp(client, lena):
    from tests.helpers import PageAudit
    tick(client, lena, JANUARY[:2])
    key = line_key(lena, CL)
    paths = ["/planning/", "/planning/?du=2027-01-01",
             f"/planning/?du=2027-01-01&ligne={key}&modifier=1",
             "/planning/?vue=semaine&du=2027-01-04", "/planning/recapitulatif"]
    finish(client)
    paths.append("/planning/terminee")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        audit = PageAudit()
        audit.feed(response.get_data(as_text=True))
        assert audit.problems == [] and audit.has_title, path
        duplicates = {i for i in audit.ids if audit.ids.count(i) > 1}
        assert not duplicates, f"{path} repeats ids {duplicates}"


def test_terminer_sends_no_email_when_nothing_is_pending(client, lena, mailbox):
    response = finish(client)
    assert response.status_code == 303
    assert "Aucune modification en attente" in text_of(
        client.get(response.headers["Location"]).get_data(as_text=True))
    assert mailbox.messages == [] and OutgoingEmail.select().count() == 0


def test_prices_follow_the_family_s_validated_bracket(client, auth, db):
    """Family 16124 has no validated QF: the highest bracket (6,50 €) applies."""
    tom = child("TOM")
    enrol(tom, "CL Élémentaire Mercredis")
    auth.login("famille 16124")
    act = activity("CL Élémentaire Mercredis")
    sans = modalite("CL Élémentaire Mercredis", SANS)
    client.post("/planning/valider", data={
        "ligne": f"{tom.id}-{act.id}", "vue": "mensuel", "du": "2027-01-01",
        "jours": [token(day, sans) for day in JANUARY], "csrf_token": page_token(client)})
    assert "4 modifications à l'unité : 26,00 €" in text_of(
        client.get("/planning/recapitulatif").get_data(as_text=True))
    finish(client)
    assert {b.price_cents for b in Booking.select().where(Booking.child == tom)} == {650}
