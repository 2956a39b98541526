"""In Chromium, on a 360 px phone and a 768 px tablet: the administrateur cancels a
collection the bank refused as a whole — « Annuler ce prélèvement » on its page, the
confirmation page asks the reason (a missing one is said next to the field), then the
collection reads « annulé » in the list. axe-clean, no CSP error, no horizontal scroll."""
import pytest
from playwright.sync_api import expect

import models
from models import DebitCollection
from tests.billing.test_bank_returns import january_collection
from tests.conftest import axe_violations, browser_login, opened_page, screenshot

pytestmark = pytest.mark.browser
REASON = "Fichier refusé par la banque le 03/02 (motif FF01)"


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_the_administrateur_cancels_a_refused_collection(browser, live_server, device):
    with live_server.app.app_context(), models.db.connection_context():
        collection = january_collection()
    with opened_page(browser, device) as page:
        browser_login(page, live_server, "administrateur")
        page.goto(f"{live_server.url}/agents/facturation/prelevements/{collection.id}")
        page.get_by_role("link", name="Annuler ce prélèvement").click()
        expect(page.get_by_role("heading", name="Annuler le prélèvement de janvier 2027")
               ).to_be_visible()
        button = page.get_by_role("button", name="Annuler ce prélèvement")
        box = button.bounding_box()
        assert box["height"] >= 44
        button.click()
        expect(page.locator("#reason-error")).to_contain_text("Indiquez le motif")
        assert axe_violations(page) == []
        assert fits(page)
        screenshot(page, "debit-cancel-no-reason")
        page.get_by_label("Motif de l'annulation").fill(REASON)
        page.get_by_role("button", name="Annuler ce prélèvement").click()
        expect(page.get_by_text("Prélèvement annulé : aucun débit n'aura lieu (1 facture(s)"
                                )).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Motif :")).to_contain_text(REASON)
        assert axe_violations(page) == []
        assert fits(page)
        screenshot(page, "debit-cancel-done")
        page.get_by_role("link", name="Tous les prélèvements").click()
        expect(page.get_by_role("row").filter(has_text="Janvier 2027")).to_contain_text("annulé")
        assert axe_violations(page) == []
        screenshot(page, "debit-cancel-list")
        assert page.csp_errors == []
    with live_server.app.app_context(), models.db.connection_context():
        assert DebitCollection.get_by_id(collection.id).cancel_reason == REASON
