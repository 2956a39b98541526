"""A family's first booking in Chromium, step by step: LENA, CL Maternel Mercredis, the four
Wednesdays of January 2027 `Après-midi SANS repas` -> recap 20,80 € -> TERMINER -> the
confirmation and one recap email; then a cancellation. On a desktop (the grid, htmx), on
a desktop with JavaScript disabled. The phone (360x740) is in test_planning_phone_browser.py."""
import re

import pytest
from playwright.sync_api import expect

import models
from tests.conftest import MailBox, browser_login, screenshot
from tests.planning_support import CL, SANS, child, enrol
from tests.conftest import axe_violations

pytestmark = pytest.mark.browser

WEDNESDAYS = ("06", "13", "20", "27")


@pytest.fixture
def lena_line(live_server):
    """LENA's `CL Maternel Mercredis` opened (what INSCRIPTION does)."""
    with live_server.app.app_context(), models.db.connection_context():
        enrol(child("LENA"), CL)


def to_january(page, live_server):
    """From the tab: PLANNING opens on January 2027, the first month still open (December
    is closed since 21/11, as the previous arrow shows)."""
    page.get_by_role("navigation", name="Onglets du portail").get_by_role(
        "link", name="PLANNING - RÉSERVATIONS").click()
    page.wait_for_url("**/planning/")
    page.get_by_text("Janvier 2027", exact=True).wait_for()
    page.get_by_role("link", name="Période précédente").click()
    page.get_by_text("Décembre 2026", exact=True).wait_for()
    cl_line = page.locator("section.pl-line", has_text="CL Maternel Mercredis")
    assert "ne sont plus modifiables depuis le 21/11/2026 à 00h00" in cl_line.inner_text()
    assert cl_line.get_by_role("link", name="Écrire au service").is_visible()
    assert cl_line.get_by_role("link", name=re.compile("MODIFIER")).count() == 0
    screenshot(page, "planning-december-closed")
    page.get_by_role("link", name="Période suivante").click()
    page.get_by_text("Janvier 2027", exact=True).wait_for()
    return page.locator("section.pl-line", has_text="CL Maternel Mercredis")


def recap_then_finish(page, mailbox, name, open_recap=True):
    if open_recap:
        page.get_by_role("link", name=re.compile("TERMINER LES MODIFICATIONS")).click()
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    rows = page.locator("table.pl-recap tbody tr")
    assert rows.count() == 4
    for day in WEDNESDAYS:
        assert rows.filter(has_text=f"{day}/01/2027").filter(
            has_text="LENA - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas"
        ).filter(has_text="à l'unité").filter(has_text="5,20").count() == 1
    assert page.get_by_text(re.compile(r"4 modifications à l'unité : 20,80\s€")).is_visible()
    for button in ("TOUT SUPPRIMER", "TERMINER"):
        assert page.get_by_role("button", name=button, exact=True).is_visible()
    assert page.get_by_role("link", name="RETOUR").is_visible()
    screenshot(page, f"planning-recap-{name}")
    page.get_by_role("button", name="TERMINER", exact=True).click()
    page.get_by_role("heading", name="VOTRE RESERVATION EST TERMINEE").wait_for()
    done = page.locator("main").inner_text()
    assert "LENA : Janvier 2027" in done and re.search(r"Coût de la période : 20,80\s€", done)
    screenshot(page, f"planning-done-{name}")
    assert len(mailbox.messages) == 1
    plain = MailBox.text(mailbox.messages[0])
    assert mailbox.messages[0]["Subject"] == \
        "Récapitulatif de vos réservations du 26/11/2026 à 10h00"
    for day in WEDNESDAYS:
        assert f"Mer. {day}/01/2027 | LENA | CL Maternel Mercredis - Après-midi SANS repas | " \
               "Réservation | 5,20" in plain


@pytest.mark.parametrize("device", ["desktop"])
def test_desktop_walkthrough_with_the_grid_then_a_cancellation(page, live_server, lena_line,
                                                               mailbox):
    browser_login(page, live_server)
    cl_line = to_january(page, live_server)
    cl_line.get_by_role("link", name=re.compile("MODIFIER")).click()
    grid = page.locator("form.pl-grid")
    grid.wait_for()
    assert "modifier=1" in page.url  # pushed: a reload keeps the edit mode
    assert grid.get_by_role("button", name=f"Cocher toutes les dates du mois : {SANS}") \
        .is_visible()
    for count, day in enumerate(WEDNESDAYS, 1):
        with page.expect_response("**/planning/basculer") as answer:
            grid.get_by_label(f"Me {day} : {SANS}").check()
        assert answer.value.status == 200 and len(answer.value.body()) <= 1024
        page.get_by_text(f"({count} en attente)").wait_for()
    # One modalité per day: AVEC on the 6th unticks SANS there, SANS again puts it back.
    with page.expect_response("**/planning/basculer"):
        grid.get_by_label("Me 06 : Après-midi AVEC repas").check()
    # Waits with a locator: a string for wait_for_function is eval, refused by the CSP.
    expect(page.locator('input[aria-label="Me 06 : Après-midi SANS repas"]')).not_to_be_checked()
    with page.expect_response("**/planning/basculer"):
        grid.get_by_label(f"Me 06 : {SANS}").check()
    expect(page.locator('input[aria-label="Me 06 : Après-midi AVEC repas"]')).not_to_be_checked()
    screenshot(page, "planning-edit-grid")
    assert axe_violations(page) == []
    grid.get_by_role("button", name="VALIDER").click()
    page.get_by_text("vos choix (Janvier 2027) sont gardés").wait_for()
    recap_then_finish(page, mailbox, "desktop")
    assert page.csp_errors == []

    # Cancel one day: the recap shows an "annulation" line.
    mailbox.clear()
    page.get_by_role("link", name="Retour au planning").click()
    page.get_by_text("Janvier 2027", exact=True).wait_for()
    cl_line = page.locator("section.pl-line", has_text="CL Maternel Mercredis")
    assert cl_line.locator("td.b").count() == 4
    cl_line.get_by_role("link", name=re.compile("MODIFIER")).click()
    with page.expect_response("**/planning/basculer"):
        page.locator("form.pl-grid").get_by_label(f"Me 20 : {SANS}").uncheck()
    page.get_by_role("link", name=re.compile("TERMINER LES MODIFICATIONS")).click()
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    row = page.locator("table.pl-recap tbody tr")
    assert row.count() == 1
    assert "annulation" in row.inner_text().lower() and "20/01/2027" in row.inner_text()
    assert page.get_by_text(re.compile(r"1 modification à l'unité : -5,20\s€")).is_visible()
    screenshot(page, "planning-recap-cancellation")
    page.get_by_role("button", name="TERMINER", exact=True).click()
    page.get_by_role("heading", name="VOTRE RESERVATION EST TERMINEE").wait_for()
    assert len(mailbox.messages) == 1
    assert "Annulation" in MailBox.text(mailbox.messages[0])


def test_without_javascript_plain_forms_do_the_same(page_without_js, live_server, lena_line,
                                                    mailbox):
    page = page_without_js
    browser_login(page, live_server)
    to_january(page, live_server)
    page.locator("section.pl-line", has_text="CL Maternel Mercredis").get_by_role(
        "link", name=re.compile("MODIFIER")).click()
    grid = page.locator("form.pl-grid")
    grid.get_by_role("button", name=f"Cocher toutes les dates du mois : {SANS}").click()
    page.get_by_text("4 jour(s) cochés").wait_for()
    grid = page.locator("form.pl-grid")
    for day in WEDNESDAYS:
        assert grid.get_by_label(f"Me {day} : {SANS}").is_checked()
    # Two modalités on one day are refused by VALIDER, what was ticked is kept.
    grid.get_by_label("Me 13 : Après-midi AVEC repas").check()
    grid.get_by_role("button", name="VALIDER").click()
    page.get_by_text("Me 13 (13/01/2027) : Une seule modalité d'accueil par jour.").wait_for()
    grid = page.locator("form.pl-grid")
    assert grid.get_by_label("Me 13 : Après-midi AVEC repas").is_checked()
    grid.get_by_label("Me 13 : Après-midi AVEC repas").uncheck()
    grid.get_by_role("button", name="VALIDER").click()
    page.get_by_text("vos choix (Janvier 2027) sont gardés").wait_for()
    screenshot(page, "planning-pending-nojs")
    recap_then_finish(page, mailbox, "nojs")
