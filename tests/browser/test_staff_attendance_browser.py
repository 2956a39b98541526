"""The attendance register in Chromium: a 768 px tablet (touch) and a desktop, then
without JavaScript; axe-clean, no CSP error."""
import datetime

import pytest
from playwright.sync_api import expect

import models
from models import Attendance, Booking, Child, Modalite
from tests.conftest import axe_violations, book_lena, browser_login, screenshot

pytestmark = pytest.mark.browser
WEDNESDAY = datetime.date(2027, 1, 6)


def book_lena_today(server):
    """LENA booked on 06/01/2027, the day the register is ticked (a day to come is not)."""
    server.app.config["PORTAIL_TODAY"] = "2027-01-06T10:00"
    return book_lena(server, WEDNESDAY)[1]


def status_of(server):
    with server.app.app_context(), models.db.connection_context():
        row = Attendance.get_or_none()
        return row.status if row else None


def open_register(page, server, cl_id):
    browser_login(page, server, "agent")
    page.goto(f"{server.url}/agents/presences/?date=2027-01-06&activite={cl_id}")
    expect(page.get_by_role("heading", name="CL Maternel Mercredis – 06/01/2027")).to_be_visible()


def test_an_agent_ticks_lena_with_one_tap(staff_page, live_server):
    page = staff_page
    cl_id = book_lena_today(live_server)
    open_register(page, live_server, cl_id)
    row = page.locator(".att-row", has_text="LENA")
    expect(row.get_by_text("PAI", exact=True)).to_be_visible()
    expect(row.get_by_text("Allergie : Arachide")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    present = row.get_by_role("button", name="Présent : LENA DUPONT")
    if page.device == "tablet":
        present.tap()
    else:
        present.click()
    expect(page.locator(".att-row", has_text="LENA")
           .get_by_role("button", name="Présent : LENA DUPONT")).to_have_attribute(
        "aria-pressed", "true")
    assert page.evaluate("window.notReloaded") is True  # swapped by htmx, no reload
    assert status_of(live_server) == "present"
    box = page.locator(".att-row", has_text="LENA").get_by_role(
        "button", name="Excusé : LENA DUPONT").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    if page.device == "tablet":  # the row fits the tablet: no horizontal scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
    screenshot(page, "staff-attendance")
    assert axe_violations(page) == []
    assert page.csp_errors == []


def test_ticking_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    cl_id = book_lena_today(live_server)
    open_register(page, live_server, cl_id)
    page.locator(".att-row", has_text="LENA").get_by_role(
        "button", name="Absent : LENA DUPONT").click()
    page.wait_for_load_state()
    assert "#enfant-" in page.url
    expect(page.locator(".att-row", has_text="LENA").get_by_role(
        "button", name="Absent : LENA DUPONT")).to_have_attribute("aria-pressed", "true")
    assert status_of(live_server) == "absent"


def test_a_long_register_opens_on_its_groups_then_one_group(staff_page, live_server):
    """Past 150 children the register of every school lists its groups: the agent taps
    "Pointer" on her own group and ticks there."""
    from blueprints.staff.attendance import LONG_REGISTER
    from models import Family
    cl_id = book_lena_today(live_server)
    with live_server.app.app_context(), models.db.connection_context():
        sans = Modalite.get((Modalite.activity == cl_id)
                            & (Modalite.name == "Après-midi SANS repas"))
        for index in range(LONG_REGISTER):
            family = Family.create(account_number=80000 + index, name=f"FAMILLE{index}")
            kid = Child.create(family=family, first_name=f"ENFANT{index}", last_name="MARTIN",
                               class_level="CE1", school_name="École élémentaire Pasteur")
            Booking.create(child=kid, activity=cl_id, modalite=sans, date=WEDNESDAY,
                           price_cents=520)
    page = staff_page
    open_register(page, live_server, cl_id)
    expect(page.get_by_text("151 enfant(s) réservé(s) dans 2 groupe(s)")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-attendance-groups")
    page.get_by_role("link", name="Pointer : École maternelle Jules Ferry, maternelle").click()
    expect(page.get_by_role("heading", name="École maternelle Jules Ferry – maternelle (1)")
           ).to_be_visible()
    present = page.get_by_role("button", name="Présent : LENA DUPONT")
    present.click()
    expect(present).to_have_attribute("aria-pressed", "true")
    assert status_of(live_server) == Attendance.PRESENT
    assert page.csp_errors == []


def test_print_meals_occupancy_and_closures_pages_are_axe_clean(staff_page, live_server):
    page = staff_page
    cl_id = book_lena_today(live_server)
    browser_login(page, live_server, "agent")
    for path in (f"/agents/presences/imprimer?date=2027-01-06&activite={cl_id}",
                 "/agents/repas/?date=2027-01-04&periode=mois",
                 "/agents/occupation/?mois=2027-01", "/agents/fermetures/", "/agents/exports/"):
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path
    page.goto(live_server.url + f"/agents/presences/imprimer?date=2027-01-06&activite={cl_id}")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "staff-attendance-print")
    assert page.csp_errors == []


def test_catalogue_pages_are_axe_clean(staff_page, live_server):
    page = staff_page
    browser_login(page, live_server, "administrateur")
    page.goto(live_server.url + "/agents/admin/catalogue/")
    page.get_by_role("button", name="Préparer l'année suivante").click()
    expect(page.get_by_role("heading", name="Catalogue 2027/2028 (brouillon)")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-catalogue-year")
    page.get_by_role("link", name="Garderie Mercredi Scolaire").click()
    expect(page.get_by_role("heading", name="2027/2028 - Garderie Mercredi Scolaire")) \
        .to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Places par jour (vide : sans limite)").fill("beaucoup")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.get_by_text("Indiquez un nombre de places entre 1 et 999")).to_be_visible()
    assert axe_violations(page) == []
    assert page.csp_errors == []
