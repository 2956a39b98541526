"""Moving up a class: « Préparer l'année suivante » computes each child's next level and
school, staff review the exceptions and apply them, next year's INSCRIPTION offers the
lines of the new level while the current year stays as it is."""
import re

import pytest

from domain import audit
from domain.catalogue import moving_up
from models import AuditLog, Child, SchoolYear
from tests import factories
from tests.family.test_inscription import labels, section
from tests.helpers import demo_child, demo_family, error_of, text_of, unescaped

pytestmark = pytest.mark.app_config(PORTAIL_TODAY="2027-03-15T10:00")

JULES_FERRY, JEAN_JAURES = "École maternelle Jules Ferry", "École élémentaire Jean Jaurès"


def prepare_and_publish(client, auth):
    """The administrateur prepares 2027/2028 from 2026/2027 and publishes it."""
    auth.login("administrateur")
    current = SchoolYear.get(SchoolYear.label == "2026/2027")
    token = auth.csrf("/agents/admin/catalogue/")
    assert client.post(f"/agents/admin/catalogue/{current.id}/preparer",
                       data={"csrf_token": token}).status_code == 303
    new = SchoolYear.get(SchoolYear.label == "2027/2028")
    assert client.post(f"/agents/admin/catalogue/{new.id}/publier",
                       data={"csrf_token": token, "confirmer": "1"}).status_code == 303
    return new


def year_labels(fragment, year_label):
    return [name for name in re.findall(re.escape(year_label) + r" - ([^<]+?)\s*<", fragment)]


def test_next_levels_follow_the_school_ladder_and_the_school_mapping(client, auth, db):
    noe = factories.child(demo_family(16122), "NOE", class_level="CM2",
                          school_name=JEAN_JAURES)
    new = prepare_and_publish(client, auth)
    moves = {m.child.first_name: m for m in moving_up.review(new)}
    assert (moves["CHLOE"].next_level, moves["CHLOE"].next_school) == ("CP", JEAN_JAURES)
    assert (moves["LENA"].next_level, moves["LENA"].next_school) == ("GS", JULES_FERRY)
    assert (moves["HUGO"].next_level, moves["HUGO"].next_school) == ("CM1", JEAN_JAURES)
    assert moves["NOE"].leaves and moves["NOE"].next_level_label == "quitte l'école"
    # The current year is untouched: CHLOE is still in GS at Jules Ferry.
    chloe = Child.get_by_id(demo_child("CHLOE").id)
    assert (chloe.class_level, chloe.school_name) == ("GS", JULES_FERRY)
    assert moving_up.level_in(chloe, new) == "CP"
    assert moving_up.level_in(Child.get_by_id(noe.id), new) is None


def test_after_moving_up_chloe_is_offered_elementary_lines_and_a_maintien_stays_in_gs(
        client, auth, db):
    """On 15/03/2027: CHLOE (GS) gets 2027/2028's élémentaire lines and no maternelle one;
    ZOE, marked « maintien » by staff, stays in GS and keeps the maternelle lines."""
    zoe = factories.child(demo_family(16123), "ZOE", class_level="GS", school_name=JULES_FERRY)
    new = prepare_and_publish(client, auth)
    page = client.get(f"/agents/admin/catalogue/{new.id}/passage")
    assert page.status_code == 200
    text = text_of(page)
    assert "CHLOE BERNARD" in text and "CP – École élémentaire Jean Jaurès" in text
    token = auth.csrf(f"/agents/admin/catalogue/{new.id}/passage")
    # "Autre école" without a school: refused next to the child, nothing changes.
    response = client.post(f"/agents/admin/catalogue/{new.id}/passage",
                           data={"csrf_token": token, f"choix-{zoe.id}": "autre_ecole"})
    assert response.status_code == 422
    assert "Choisissez l'école de ZOE" in error_of(response, f"choix-{zoe.id}")
    assert Child.get_by_id(zoe.id).next_class_level == "CP"
    response = client.post(f"/agents/admin/catalogue/{new.id}/passage",
                           data={"csrf_token": token, f"choix-{zoe.id}": "maintien",
                                 f"choix-{demo_child('CHLOE').id}": "passage"})
    assert response.status_code == 303
    zoe = Child.get_by_id(zoe.id)
    assert (zoe.class_level, zoe.next_class_level, zoe.next_school_name) == (
        "GS", "GS", JULES_FERRY)
    row = AuditLog.get(AuditLog.action == audit.CLASSES_MOVED_UP)
    assert "1 maintien(s)" in audit.details_of(row)["summary"]
    auth.logout()
    auth.login("famille 16123")
    next_page = unescaped(client.get(f"/inscription/?annee={new.id}"))
    chloe_lines = year_labels(section(next_page, demo_child("CHLOE")), "2027/2028")
    assert "Restauration Élémentaire" in chloe_lines
    assert "CL Élémentaire Mercredis" in chloe_lines
    assert not [name for name in chloe_lines if "Maternel" in name]
    assert "En 2027/2028 : CP · élémentaire · École élémentaire Jean Jaurès" in \
        text_of(section(next_page, demo_child("CHLOE")))
    zoe_lines = year_labels(section(next_page, zoe), "2027/2028")
    assert "Restauration Maternelle" in zoe_lines
    assert "Restauration Élémentaire" not in zoe_lines
    # This year's page still shows CHLOE in GS with her maternelle lines.
    this_year = unescaped(client.get("/inscription/"))
    chloe_now = section(this_year, demo_child("CHLOE"))
    assert "Restauration Maternelle" in labels(chloe_now)
    assert "GS · maternelle" in text_of(chloe_now)


def test_the_new_year_makes_the_next_level_current(client, auth, db):
    new = prepare_and_publish(client, auth)
    assert moving_up.start_year(new) >= 3
    chloe = Child.get_by_id(demo_child("CHLOE").id)
    assert (chloe.class_level, chloe.school_name, chloe.next_year_id) == ("CP", JEAN_JAURES,
                                                                          None)


def test_the_start_year_command_waits_for_the_year_to_begin(app, client, auth, db, runner):
    new = prepare_and_publish(client, auth)
    result = runner.invoke(args=["start-year"])
    assert "Aucun passage de classe" in result.output
    assert Child.get_by_id(demo_child("CHLOE").id).class_level == "GS"
    app.config["PORTAIL_TODAY"] = new.start_date.isoformat() + "T07:00"
    result = runner.invoke(args=["start-year"])
    assert "Année 2027/2028 commencée" in result.output
    chloe = Child.get_by_id(demo_child("CHLOE").id)
    assert (chloe.class_level, chloe.school_name) == ("CP", JEAN_JAURES)
    assert "Aucun passage de classe" in runner.invoke(args=["start-year"]).output


def test_another_school_and_leaving_are_kept_and_shown(client, auth, db):
    new = prepare_and_publish(client, auth)
    hugo, lena = demo_child("HUGO"), demo_child("LENA")
    url = f"/agents/admin/catalogue/{new.id}/passage"
    token = auth.csrf(url)
    response = client.post(url, data={
        "csrf_token": token, f"choix-{hugo.id}": "autre_ecole",
        f"ecole-{hugo.id}": "École Sainte-Marie", f"choix-{lena.id}": "sortie"})
    assert response.status_code == 303
    hugo, lena = Child.get_by_id(hugo.id), Child.get_by_id(lena.id)
    assert (hugo.next_class_level, hugo.next_school_name) == ("CM1", "École Sainte-Marie")
    assert lena.next_class_level == Child.LEAVES and moving_up.level_in(lena, new) is None
    page = unescaped(client.get(url))
    assert '<option value="École Sainte-Marie" selected>' in page
    moves = {m.child.first_name: m.choice for m in moving_up.review(new)}
    assert moves == {"CHLOE": "passage", "HUGO": "autre_ecole", "LENA": "sortie",
                     "TOM": "passage"}
    auth.logout()
    auth.login("famille 16122")
    next_page = unescaped(client.get(f"/inscription/?annee={new.id}"))
    lena_part = section(next_page, lena)
    assert "Ne sera plus scolarisé dans les écoles de la commune en 2027/2028" in \
        text_of(lena_part)
    assert year_labels(lena_part, "2027/2028") == []
