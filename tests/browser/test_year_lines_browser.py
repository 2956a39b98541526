"""A year's lines in Chromium: « Désinscrire » as a phone (360×740), the move-up review
as an administrateur on a desktop and on a 768 px tablet; axe-clean, no CSP error."""
import datetime

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
