"""A year's lines in Chromium: « Désinscrire » as a phone (360×740), the move-up review
as an administrateur on a desktop and on a 768 px tablet; axe-clean, no CSP error."""
import datetime
import re

import pytest
from playwright.sync_api import expect

import models
from domain.catalogue.opening import open_days
from tests import factories
from tests.conftest import axe_violations, browser_login, opened_page, screenshot
from tests.helpers import activity, demo_child

pytestmark = [pytest.mark.browser, pytest.mark.app_config(PORTAIL_TODAY="2027-01-15T10:00")]


def test_lena_desinscrit_cl_maternel_from_february_on_a_phone(browser, live_server,
                                                              smtp_server):
    with live_server.app.app_context(), models.db.connection_context():
        lena = demo_child("LENA")
        factories.enrolment(lena, "CL Maternel Mercredis")
        cl = activity("CL Maternel Mercredis")
        february = open_days(cl, datetime.date(2027, 2, 1), datetime.date(2027, 2, 28), "C")
        for day in february:
            factories.booking(lena, "CL Maternel Mercredis", day, price_cents=1040)
    with opened_page(browser, "phone") as page:
        browser_login(page, live_server, "famille 16122")
        page.goto(live_server.url + "/inscription/")
        lena_section = page.locator("section", has=page.get_by_role("heading",
                                                                  name="LENA DUPONT"))
        details = lena_section.locator("details", has_text="CL Maternel Mercredis")
        details.get_by_text("CL Maternel Mercredis", exact=True).click()  # its <summary>
        date = details.get_by_label("À partir du")
        assert date.input_value() == "2027-02-01"
        screenshot(page, "desinscrire-open")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Too early: the error is shown next to the date, nothing is cancelled.
        page.reload()
        details.get_by_text("CL Maternel Mercredis", exact=True).click()
        details.get_by_label("À partir du").fill("2027-01-20")
        details.get_by_role("button", name="Désinscrire").click()
        page.wait_for_load_state()
        error = details.locator("p.error", has_text="avant le 01/02/2027")
        expect(error).to_be_visible()  # its details is open again
        screenshot(page, "desinscrire-refused")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        details.get_by_label("À partir du").fill("2027-02-01")
        details.get_by_role("button", name="Désinscrire").click()
        page.wait_for_load_state()
        status = page.get_by_role("status").filter(has_text="est fermée à partir du 01/02/2027")
        expect(status).to_be_visible()
        assert f"{len(february)} jour(s) annulé(s)" in status.inner_text()
        screenshot(page, "desinscrire-done")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert axe_violations(page) == []
        assert page.csp_errors == []
    assert len(smtp_server.to("famille.dupont@example.org")) == 1


@pytest.mark.app_config(PORTAIL_TODAY="2027-03-15T10:00")
@pytest.mark.parametrize("device", ["desktop", "tablet"])
def test_the_administrateur_reviews_the_move_up_and_marks_a_maintien(browser, live_server,
                                                                     device):
    with opened_page(browser, device) as page:
        browser_login(page, live_server, "administrateur")
        page.goto(live_server.url + "/agents/admin/catalogue/")
        page.get_by_role("button", name="Préparer l'année suivante").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Passage de classe 2027/2028").click()
        page.wait_for_load_state()
        row = page.get_by_role("row").filter(has_text="CHLOE BERNARD")
        assert "CP – École élémentaire Jean Jaurès" in row.inner_text()
        screenshot(page, "passage-de-classe")
        if device == "tablet":
            assert page.evaluate("document.documentElement.scrollWidth") <= 768
        assert axe_violations(page) == []
        page.get_by_label("Passage de CHLOE BERNARD").select_option("maintien")
        page.get_by_role("button", name="Enregistrer le passage de classe").click()
        page.wait_for_load_state()
        expect(page.get_by_role("status").filter(has_text="1 maintien(s)")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="CHLOE BERNARD")
        assert "GS – École maternelle Jules Ferry" in row.inner_text()
        screenshot(page, "passage-de-classe-maintien")
        assert page.csp_errors == []


@pytest.mark.app_config(PORTAIL_TODAY="2026-11-26T10:00")
def test_soir_1_and_soir_2_are_refused_together_then_switched_at_a_date_on_a_phone(
        browser, live_server, smtp_server):
    with opened_page(browser, "phone") as page:
        browser_login(page, live_server, "famille 16122")
        page.goto(live_server.url + "/inscription/")
        lena = page.locator("section", has=page.get_by_role("heading", name="LENA DUPONT"))
        lena.get_by_role("checkbox", name="2026/2027 - ALAE Soir 1").check()
        lena.get_by_role("checkbox", name="2026/2027 - ALAE Soir 2").check()
        lena.get_by_role("button", name="ENREGISTRER").click()
        error = lena.locator("p.error", has_text="s'excluent")
        expect(error).to_be_visible()
        box = lena.get_by_role("checkbox", name="2026/2027 - ALAE Soir 2")
        assert error.get_attribute("id") in (box.get_attribute("aria-describedby") or "")
        screenshot(page, "soir-refused")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto(live_server.url + "/inscription/")
        lena.get_by_role("checkbox", name="2026/2027 - ALAE Soir 1").check()
        lena.get_by_role("button", name="ENREGISTRER").click()
        expect(page.get_by_role("status").filter(has_text="ALAE Soir 1")).to_be_visible()
        details = lena.locator("details", has_text="ALAE Soir 1")
        details.get_by_text("ALAE Soir 1", exact=True).click()
        details.get_by_label("Remplacer par").select_option(label="ALAE Soir 2")
        details.get_by_label("À partir du").nth(1).fill("2027-02-01")
        screenshot(page, "soir-switch")
        details.get_by_role("button", name="Changer pour cette ligne").click()
        status = page.get_by_role("status").filter(has_text="passe de « ALAE Soir 1 »")
        expect(status).to_be_visible()
        assert "à partir du 01/02/2027" in status.inner_text()
        opened = lena.locator("li.line-open", has_text="2026/2027 - ALAE Soir 2")
        expect(opened).to_be_visible()
        screenshot(page, "soir-switched")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert axe_violations(page) == []
        assert page.csp_errors == []


@pytest.mark.app_config(PORTAIL_TODAY="2026-11-26T10:00")
@pytest.mark.parametrize("device", ["desktop", "tablet"])
def test_an_agent_books_december_in_the_familys_own_calendar(browser, live_server,
                                                             smtp_server, device):
    """December is closed to the family since 21/11; the agent opens the family's calendar
    from its page, ticks two Wednesdays, VALIDER, gives the reason once, TERMINER."""
    with live_server.app.app_context(), models.db.connection_context():
        factories.enrolment(demo_child("LENA"), "CL Maternel Mercredis")
        family_id = demo_child("LENA").family_id
    sans = "Après-midi SANS repas"
    with opened_page(browser, device) as page:
        browser_login(page, live_server, "agent")
        page.goto(live_server.url + f"/agents/familles/{family_id}")
        page.get_by_role("link", name="Réserver pour la famille (son planning)").click()
        page.get_by_role("heading", name=re.compile("de la famille DUPONT")).wait_for()
        page.get_by_role("link", name="Période précédente").click()
        page.get_by_text("Décembre 2026", exact=True).wait_for()
        cl_line = page.locator("section.pl-line", has_text="CL Maternel Mercredis")
        cl_line.get_by_role("link", name=re.compile("MODIFIER")).click()
        grid = page.locator("form.pl-grid")
        grid.wait_for()
        for count, day in enumerate(("02", "09"), 1):
            with page.expect_response("**/planning/basculer"):
                grid.get_by_label(f"Me {day} : {sans}").check()
            page.get_by_text(f"({count} en attente)").wait_for()
        screenshot(page, "on-behalf-grid")
        assert axe_violations(page) == []
        grid.get_by_role("button", name="VALIDER").click()
        page.get_by_role("link", name=re.compile("TERMINER LES MODIFICATIONS")).click()
        page.get_by_role("heading", name="Validation des modifications").wait_for()
        page.get_by_role("button", name="TERMINER", exact=True).click()
        expect(page.locator("#motif-error")).to_be_visible()
        page.get_by_label("Motif des modifications").fill("Demande de la famille au guichet")
        screenshot(page, "on-behalf-recap")
        page.get_by_role("button", name="TERMINER", exact=True).click()
        expect(page.get_by_role("status").filter(has_text="récapitulatif")).to_be_visible()
        assert "/agents/familles/" in page.url
        screenshot(page, "on-behalf-done")
        assert page.csp_errors == []
    [mail] = smtp_server.to("famille.dupont@example.org")
    assert "(modifié par le service)" in mail["Subject"]
