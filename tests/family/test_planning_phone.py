"""PLANNING on a phone and for several children over HTTP: unique ids with two
lines in edit mode, the confirmation's period cost, "Appliquer aussi à", the first period
that can still be changed, one ALAE notice per child, the recap email's links.

Family 16123 (BERNARD): CHLOE (GS) with `CL Maternel Mercredis`, HUGO (CE2) to whom the
tests open `CL Élémentaire Mercredis`, its élémentaire twin. "Now" is 26/11/2026 10:00.
"""
import collections
import re

import pytest

from models import Booking, DayOverride, PendingChange
from tests.conftest import MailBox
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.planning_support import (CL, HTMX, JANUARY, SANS, activity, child, enrol, line_key,
                                    modalite, page_token, text_of, token)

CL_ELEM = "CL Élémentaire Mercredis"


@pytest.fixture
def bernard(db, client, auth):
    """Signed in as family 16123; HUGO's `CL Élémentaire Mercredis` opened."""
    enrol(child("HUGO"), CL_ELEM)
    auth.login("famille 16123")
    return child("CHLOE"), child("HUGO")


def ids_of(html):
    return re.findall(r'\sid="([^"]+)"', html)


def edit_url(key):
    return f"/planning/?vue=mensuel&du=2027-01-01&ligne={key}&modifier=1"


def test_two_lines_in_edit_mode_never_repeat_an_id(client, bernard):
    """The issue's case: MODIFIER on CHLOE's line (page), then on HUGO's (htmx fragment
    swapped into that page): every id of the resulting page is unique."""
    chloe, hugo = bernard
    chloe_key, hugo_key = line_key(chloe, CL), line_key(hugo, CL_ELEM)
    page = client.get(edit_url(chloe_key)).get_data(as_text=True)
    fragment = client.get(edit_url(hugo_key), headers=HTMX).get_data(as_text=True)
    start = page.index(f'<section class="pl-line" id="ligne-{hugo_key}"')
    end = page.index("</section>", start) + len("</section>")
    both = page[:start] + fragment + page[end:]
    assert both.count('class="pl-line pl-editing"') == 2
    repeated = [i for i, n in collections.Counter(ids_of(both)).items() if n > 1]
    assert repeated == []
    # Every label wraps its own radio: no "for" pointing at another line's control.
    assert 'for="' not in both[both.index('<section class="pl-line pl-editing"'):]
    # And each line's radios are named per day inside its own form only.
    assert both.count('name="j-2027-01-06"') == 2 * 3  # two lines x (2 modalités + none)


def test_every_planning_state_has_unique_ids(client, lena):
    key = line_key(lena, CL)
    client.post("/planning/valider", data={
        "ligne": key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
        "j-2027-01-06": str(modalite(CL, SANS).id), "csrf_token": page_token(client)})
    for url in ("/planning/", "/planning/?du=2027-01-01", edit_url(key),
                "/planning/?vue=semaine&du=2027-01-04&ligne=" + key + "&modifier=1",
                "/planning/recapitulatif"):
        html = client.get(url).get_data(as_text=True)
        assert [i for i, n in collections.Counter(ids_of(html)).items() if n > 1] == [], url


def test_confirmation_shows_the_period_s_cost_after_removing_one_of_four_wednesdays(
        client, lena, mailbox):
    key, sans = line_key(lena, CL), modalite(CL, SANS)
    base = {"ligne": key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste"}
    client.post("/planning/valider", data={
        **base, **{f"j-{d.isoformat()}": str(sans.id) for d in JANUARY},
        "csrf_token": page_token(client)})
    client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    done = text_of(client.get("/planning/terminee").get_data(as_text=True))
    assert "Coût de la période : 20,80 €" in done
    # Remove the 20th: the period now costs 3 x 5,20 €, not "-5,20 €".
    client.post("/planning/valider", data={
        **base, **{f"j-{d.isoformat()}": str(sans.id) for d in JANUARY},
        "j-2027-01-20": "0", "csrf_token": page_token(client)})
    client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    html = client.get("/planning/terminee").get_data(as_text=True)
    done = text_of(html)
    assert ("LENA : Janvier 2027 2026/2027 - CL Maternel Mercredis Coût de la période : "
            "15,60 €") in done
    assert "-5,20" not in done
    # Then the month's calendar of that line, three days booked.
    assert html.count('<td class="b"><span class="visually-hidden">réservé</span></td>') == 3
    assert '<th scope="col">Me 06</th>' in html
    # The email links to the portal and gives the service's contact.
    plain = MailBox.text(mailbox.messages[-1])
    assert "http://localhost/planning/" in plain and "http://localhost/messagerie/" in plain
    assert "enfance@mairie.example.org" in plain
    assert 'href="http://localhost/planning/"' in MailBox.html(mailbox.messages[-1])


def test_appliquer_aussi_a_books_the_same_wednesdays_for_both_children_in_one_recap(
        client, bernard, mailbox):
    chloe, hugo = bernard
    chloe_key, hugo_key = line_key(chloe, CL), line_key(hugo, CL_ELEM)
    html = client.get(edit_url(chloe_key)).get_data(as_text=True)
    assert "Appliquer aussi à" in html
    assert f'name="aussi" value="{hugo_key}"' in html and "HUGO (CL Élémentaire Mercredis)" \
        in text_of(html)
    # Tout cocher under htmx, with HUGO ticked: both children get the four Wednesdays.
    response = client.post("/planning/cocher", headers=HTMX, data={
        "ligne": chloe_key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
        "aussi": hugo_key, "cocher": str(modalite(CL, SANS).id),
        "csrf_token": page_token(client)})
    assert response.status_code == 200
    assert "Aussi pour HUGO : 4 jour(s) modifié(s)." in text_of(response.get_data(as_text=True))
    assert "8 modifications en attente" in response.get_data(as_text=True)
    pend = PendingChange.select().order_by(PendingChange.child, PendingChange.date)
    assert sorted((p.child.first_name, p.date, p.modalite.name, p.activity.name)
                  for p in pend) == sorted(
        [("CHLOE", d, SANS, CL) for d in JANUARY] + [("HUGO", d, SANS, CL_ELEM) for d in JANUARY])
    recap = text_of(client.get("/planning/recapitulatif").get_data(as_text=True))
    # CHLOE's 13/01 was booked AVEC repas (demo): switching it is a cancellation + a booking.
    assert "9 modifications à l'unité : 23,40 €" in recap
    client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    assert len(mailbox.messages) == 1
    plain = MailBox.text(mailbox.messages[0])
    assert plain.count("| CHLOE |") == 5 and plain.count("| HUGO |") == 4
    done = text_of(client.get("/planning/terminee").get_data(as_text=True))
    assert ("CHLOE : Janvier 2027 2026/2027 - CL Maternel Mercredis Coût de la période : "
            "15,60 €") in done
    assert ("HUGO : Janvier 2027 2026/2027 - CL Élémentaire Mercredis Coût de la période : "
            "15,60 €") in done


def test_appliquer_aussi_a_checks_each_child_s_own_rules(client, bernard):
    """A day full for HUGO's activity is refused for HUGO only, with his name; CHLOE keeps it."""
    chloe, hugo = bernard
    chloe_key, hugo_key = line_key(chloe, CL), line_key(hugo, CL_ELEM)
    DayOverride.create(activity=activity(CL_ELEM), date=JANUARY[1], capacity=0)
    sans = modalite(CL, SANS)
    response = client.post("/planning/basculer", headers=HTMX, data={
        "ligne": chloe_key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
        "aussi": hugo_key, **{f"j-{d.isoformat()}": str(sans.id) for d in JANUARY[:2]},
        "csrf_token": page_token(client)})
    text = text_of(response.get_data(as_text=True))
    assert "HUGO – Me 13 (13/01/2027) : Complet : il n'y a plus de place ce jour-là." in text
    assert "Aussi pour HUGO : 1 jour(s) modifié(s)." in text
    mine = sorted((p.child.first_name, p.date) for p in PendingChange.select())
    assert mine == [("CHLOE", JANUARY[0]), ("CHLOE", JANUARY[1]), ("HUGO", JANUARY[0])]
    # Another family's line, or a line that is no twin, is never touched.
    lena_key = f"{child('LENA').id}-{activity(CL).id}"
    client.post("/planning/basculer", headers=HTMX, data={
        "ligne": chloe_key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
        "aussi": [lena_key, line_key(hugo, "Restauration Élémentaire")],
        "j-2027-01-20": str(sans.id), "csrf_token": page_token(client)})
    assert PendingChange.select().where(PendingChange.child == hugo).count() == 1


def test_planning_opens_on_the_first_month_that_can_still_be_changed(client, lena):
    text = text_of(client.get("/planning/").get_data(as_text=True))
    assert "Janvier 2027" in text and "Modifications possibles jusqu'au 20/12/2026" in text
    # An explicit month is still shown as asked.
    assert "Novembre 2026" in text_of(client.get("/planning/?du=2026-11-01")
                                      .get_data(as_text=True))


def test_euros_and_month_fr_say_what_babel_says():
    """The formats computed without babel (for speed) give babel's fr_FR output."""
    import datetime
    from babel.dates import format_date
    from babel.numbers import format_decimal
    from domain.formats import euros, month_fr
    for cents in (0, 5, 520, -520, 123456, -123456789, 100000000, 99999):
        assert euros(cents) == format_decimal(cents / 100, format="#,##0.00",
                                              locale="fr_FR") + "\u00a0€"
    for month in range(1, 13):
        assert month_fr(2027, month) == format_date(
            datetime.date(2027, month, 1), "LLLL y", locale="fr_FR").capitalize()


def test_one_alae_notice_per_child(client, bernard):
    text = text_of(client.get("/planning/?du=2027-01-01").get_data(as_text=True))
    assert text.count("Cette ligne est réservée pour toute l'année par l'inscription") == 2
    assert text.count("Réservée pour l'année par l'inscription (voir plus haut).") == 2


def test_phone_edit_page_and_a_tap_s_answer_fit_their_byte_budgets(app, db):
    """A 4 children x 4 lines family, one line in edit mode (grid and phone list in the
    page): <= 14 KB gzipped; a tap of the phone list answers <= 1 KB."""
    from tests.planning_support import FOUR_LINES, gzipped_size, new_family, sign_in
    import datetime
    family, user, kids = new_family(95001, 4, 4, book_month=datetime.date(2027, 1, 1))
    client = app.test_client()
    sign_in(client, user)
    key = line_key(kids[0], FOUR_LINES[0])
    page = client.get(edit_url(key)).get_data()
    assert gzipped_size(page) <= 14 * 1024, gzipped_size(page)
    html = page.decode()
    days = re.findall(rf'<li id="jour-{key}-(\d{{4}}-\d\d-\d\d)"', html)
    assert len(days) > 15  # every open school day of January
    data = {"ligne": key, "vue": "mensuel", "du": "2027-01-01", "forme": "liste",
            "csrf_token": page_token(client)}
    checked = dict(re.findall(r'name="j-([\d-]+)" value="(\d+)" checked', html))
    data.update({f"j-{day}": value for day, value in checked.items()})
    data[f"j-{days[0]}"] = "0"  # "Pas de réservation" on the first day
    answer = client.post("/planning/basculer", data=data, headers=HTMX)
    assert answer.status_code == 200 and len(answer.data) <= 1024, len(answer.data)
    assert "annulation en attente" in answer.get_data(as_text=True)
