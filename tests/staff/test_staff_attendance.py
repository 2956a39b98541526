"""Espace agents: the attendance register, its CSV, the meal counts and the occupancy.

LENA (family 16122, peanut allergy with a PAI in the demo) books the four
Wednesdays of January 2027 at CL Maternel Mercredis as a family does (tick, then
TERMINER); an agent then opens the register of 06/01/2027.
"""
import csv
import datetime
import html
import io
import json
import re

import pytest

from domain import exports
from models import Attendance, AuditLog, Booking
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.planning_support import (CL, HTMX, JANUARY, SANS, activity, child, line_key,
                                    modalite, page_token, text_of, token)

WEDNESDAY = JANUARY[0]


def book_januarys_wednesdays(client, kid):
    data = {"ligne": line_key(kid, CL), "vue": "mensuel", "du": "2027-01-01",
            "jours": [token(day, modalite(CL, SANS)) for day in JANUARY],
            "csrf_token": page_token(client)}
    response = client.post("/planning/basculer", data=data,
                           headers={**HTMX, "X-CSRFToken": data.pop("csrf_token")})
    assert response.status_code == 200
    response = client.post("/planning/terminer", data={"csrf_token": page_token(client)})
    assert response.status_code == 303


@pytest.fixture
def booked(client, auth, lena):  # noqa: F811
    """LENA booked on January's Wednesdays; the client is then signed in as the agent."""
    book_januarys_wednesdays(client, lena)
    auth.logout()
    auth.login("agent")
    return lena


def register_url(**extra):
    args = {"date": WEDNESDAY.isoformat(), "activite": activity(CL).id}
    args.update(extra)
    return "/agents/presences/?" + "&".join(f"{k}={v}" for k, v in args.items())


def test_the_register_lists_lena_with_her_pai_allergy_and_pickup_people(client, booked):
    response = client.get(register_url())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "CL Maternel Mercredis – 06/01/2027" in text
    assert "DUPONT LENA" in text and "MS · Après-midi SANS repas" in text
    assert "PAI" in text and "Allergie : Arachide" in text
    # Guardians and the grandmother may pick her up, with their phones.
    assert "Julie DUPONT (Mère) – 06 12 34 56 78" in text
    assert "Monique DUPONT (Grand-mère) – 05 61 00 00 01" in text
    assert "1 enfant(s) réservé(s) : 0 présent(s), 0 absent(s), 0 excusé(s), 1 non pointé(s)" \
        in text
    # Another day's register does not list her.
    other = text_of(client.get(register_url(date="2027-01-07")).get_data(as_text=True))
    assert "LENA" not in other


def mark(client, kid, status, htmx=False):
    data = {"date": WEDNESDAY.isoformat(), "activite": activity(CL).id, "enfant": kid.id,
            "statut": status, "csrf_token": page_token(client, register_url())}
    headers = {}
    if htmx:
        headers = {**HTMX, "X-CSRFToken": data.pop("csrf_token")}
    return client.post("/agents/presences/pointer", data=data, headers=headers)


def test_ticking_by_htmx_returns_the_row_and_is_audited(client, booked):
    response = mark(client, booked, Attendance.PRESENT, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="att-row att-present" id="enfant-{booked.id}"')
    assert 'value="present" class="att-button att-button-present" aria-pressed="true"' in html
    assert "Présent à 10h00" in text_of(html)
    row = Attendance.get()
    assert (row.child_id, row.date, row.status) == (booked.id, WEDNESDAY, "present")
    # One tap changes it; the register's totals follow.
    mark(client, booked, Attendance.EXCUSED, htmx=True)
    assert Attendance.get().status == "excuse" and Attendance.select().count() == 1
    text = text_of(client.get(register_url()).get_data(as_text=True))
    assert "0 présent(s), 0 absent(s), 1 excusé(s), 0 non pointé(s)" in text
    logs = list(AuditLog.select().where(AuditLog.action == "attendance.marked")
                .order_by(AuditLog.id))
    assert [json.loads(log.details)["after"] for log in logs] == ["present", "excuse"]
    assert logs[0].family_id == booked.family_id


def test_ticking_without_javascript_redirects_back_to_the_register(client, booked):
    response = mark(client, booked, Attendance.ABSENT)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/agents/presences/?date=2027-01-06")
    assert response.headers["Location"].endswith(f"#enfant-{booked.id}")
    assert Attendance.get().status == "absent"


def test_a_child_not_booked_that_day_cannot_be_ticked(client, booked):
    hugo = child("HUGO")
    assert mark(client, hugo, Attendance.PRESENT).status_code == 404
    response = client.post("/agents/presences/pointer", data={
        "date": WEDNESDAY.isoformat(), "activite": activity(CL).id, "enfant": booked.id,
        "statut": "bof", "csrf_token": page_token(client, register_url())})
    assert response.status_code == 400
    assert Attendance.select().count() == 0


def test_a_bad_date_gets_a_french_message_next_to_the_field(client, booked):
    response = client.get("/agents/presences/?date=31/02/2027")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-describedby="date-error"' in html
    assert "Saisissez une date valide au format JJ/MM/AAAA." in html


def test_the_csv_opens_in_a_french_spreadsheet(client, booked):
    mark(client, booked, Attendance.PRESENT)
    response = client.get(register_url().replace("/agents/presences/?",
                                                 "/agents/presences/export.csv?"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Activité", "École"]
    assert rows[1][0] == "06/01/2027"
    assert rows[1][2] == "École maternelle Jules Ferry"  # "É" intact
    assert rows[1][5:9] == ["DUPONT", "LENA", "Après-midi SANS repas", "oui"]
    assert rows[1][9] == "Arachide" and rows[1][-1] == "Présent"
    assert "d'urgence" not in raw.decode("utf-8-sig")  # PAI details stay on screen


def test_the_print_view_has_one_section_per_group(client, booked):
    html = client.get(register_url().replace("/agents/presences/?",
                                             "/agents/presences/imprimer?")).get_data(as_text=True)
    assert html.count('class="print-group"') == 1
    assert "École maternelle Jules Ferry – maternelle" in text_of(html)
    assert "staff-school.css" in html


def test_families_never_reach_the_register(client, auth, lena):  # noqa: F811
    assert client.get(register_url()).status_code == 404
    assert client.get("/agents/repas/").status_code == 404


def meal_rows(client, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    response = client.get("/agents/repas/export.csv?" + query)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


def test_meal_counts_of_a_week_and_a_month(client, booked):
    month = meal_rows(client, date="2027-01-13", periode="mois")
    before = {row[0]: row for row in month[1:]}
    # LENA's Wednesdays are SANS repas: not counted. One of them AVEC repas is.
    Booking.update(modalite=modalite(CL, "Après-midi AVEC repas")).where(
        (Booking.child == booked) & (Booking.date == JANUARY[1])).execute()
    month = meal_rows(client, date="2027-01-13", periode="mois")
    after = {row[0]: row for row in month[1:]}
    school = month[0].index("École maternelle Jules Ferry")
    old = int(before["13/01/2027"][school]) if "13/01/2027" in before else 0
    assert int(after["13/01/2027"][school]) == old + 1
    assert int(after["13/01/2027"][-1]) == sum(int(c) for c in after["13/01/2027"][1:-1])
    week = meal_rows(client, date="2027-01-14", periode="semaine")  # Monday 11 to Sunday 17
    assert {row[0] for row in week[1:]} <= {f"{d:02d}/01/2027" for d in range(11, 18)}
    assert [row for row in week if row[0] == "13/01/2027"] == [after["13/01/2027"]]
    total = sum(int(row[-1]) for row in month[1:])
    text = text_of(client.get("/agents/repas/?date=2027-01-13&periode=mois")
                   .get_data(as_text=True))
    assert f"Du 01/01/2027 au 31/01/2027 : {total} repas" in text
    assert "Me 13/01" in text


def test_occupancy_shows_booked_over_capacity(client, booked):
    text = text_of(client.get("/agents/occupation/?mois=2027-01").get_data(as_text=True))
    assert "CL Maternel Mercredis" in text
    assert "06/01/2027 1 / 24 23 place(s)" in text
    bad = client.get("/agents/occupation/?mois=janvier")
    assert bad.status_code == 400
    assert "Saisissez un mois valide" in bad.get_data(as_text=True)


def test_csv_cells_are_neutralised_and_french():
    text = exports.csv_text(["Nom", "Montant", "Date"],
                            [["=HYPERLINK(\"x\")", exports.Cents(520), datetime.date(2027, 1, 6)],
                             ["@SUM(A1)", exports.Cents(-1234), None],
                             ["François; \"ç\"", 3, True]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "5,20", "06/01/2027"]
    assert rows[2] == ["'@SUM(A1)", "-12,34", ""]
    assert rows[3] == ["François; \"ç\"", "3", "oui"]


def test_a_long_register_first_lists_its_groups_each_with_its_own_list(client, booked):
    """2,000 children on one page made 3.5 MB: past 150, the register of every school
    and group lists the groups, each with a link to its own list (LENA is in moyenne
    section at Jules Ferry)."""
    from blueprints.staff.attendance import LONG_REGISTER
    from models import Child, Family
    cl, sans = activity(CL), modalite(CL, SANS)
    for index in range(LONG_REGISTER + 1):  # 76 at Pasteur in CE1, 75 at Jules Ferry in MS
        family = Family.create(account_number=80000 + index, name=f"FAMILLE{index}")
        kid = Child.create(family=family, first_name=f"ENFANT{index}", last_name="LONGUE",
                           class_level="MS" if index % 2 else "CE1",
                           school_name="École maternelle Jules Ferry" if index % 2
                           else "École élémentaire Pasteur")
        Booking.create(child=kid, activity=cl, modalite=sans, date=WEDNESDAY, price_cents=520)

    page = client.get(register_url())
    text = text_of(page)
    assert "152 enfant(s) réservé(s) dans 2 groupe(s) : choisissez le groupe à pointer." in text
    assert "LONGUE" not in text and "LENA" not in text  # no child listed yet
    assert ("École maternelle Jules Ferry maternelle 76 Pointer : École maternelle Jules Ferry, "
            "maternelle École élémentaire Pasteur élémentaire 76 Pointer : École élémentaire "
            "Pasteur, élémentaire") in text  # in the order of the register and its print view
    link = re.search(r'href="([^"]*ecole=[^"]*Jules[^"]*)"', page.get_data(as_text=True))
    group_page = client.get(html.unescape(link.group(1)))
    assert group_page.get_data(as_text=True).count('class="att-row') == 76
    assert "76 enfant(s) réservé(s)" in text_of(group_page)
    assert "LENA" in text_of(group_page)
    # Below the threshold (a group chosen, or a short day) the children are listed at once.
    assert "LENA" in text_of(client.get(register_url(groupe="maternel")))
