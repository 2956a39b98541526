"""In Chromium, on a 360×740 phone and a desktop: the administrateur adds a régie for
the centre de loisirs from RÉGIES (under Facturation), a refused prefix said by its
field, and the list shows both régies. axe-clean, no CSP error; screenshots under
test-artifacts/screenshots/."""
import pytest
from playwright.sync_api import expect

import models
from models import Activity
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_the_administrateur_adds_a_regie_on_a_phone_and_a_desktop(page, live_server):
    server = live_server
    with server.app.app_context(), models.db.connection_context():
        centre = Activity.get(Activity.name == "CL Maternel Mercredis").id
    browser_login(page, server, "administrateur")
    page.goto(f"{server.url}/agents/admin/facturation/regies/")
    expect(page.get_by_role("heading", name="Régies", exact=True)).to_be_visible()
    expect(page.locator("#regie-1")).to_contain_text("Régie des accueils périscolaires")
    screenshot(page, "regies-list")
    page.get_by_role("link", name="Ajouter une régie").click()
    page.get_by_label("Nom de la régie*").fill("Régie extrascolaire")
    page.get_by_label("Préfixe des factures*").fill("F")
    page.get_by_label("Préfixe des avoirs*").fill("ACL")
    page.get_by_label("Numéro client PayFiP").fill("123456")
    page.locator(f'input[name="activities"][value="{centre}"]').check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#invoice_prefix-error")).to_contain_text("Le préfixe F est celui")
    assert page.get_by_label("Nom de la régie*").input_value() == "Régie extrascolaire"
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "regies-refused")
    assert axe_violations(page) == []
    page.get_by_label("Préfixe des factures*").fill("CL")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La régie « Régie extrascolaire » est enregistrée.")).to_be_visible()
    expect(page.locator("section.dossier-card", has_text="Régie extrascolaire")).to_contain_text(
        "CL Maternel Mercredis")
    screenshot(page, "regies-two")
    assert axe_violations(page) == []
    assert page.csp_errors == []
