"""A family signs a SEPA mandate on a phone and on a desktop: a wrong IBAN is said next to
the field and kept, the right one shows the mandate in force; axe-clean."""
import pytest
from playwright.sync_api import expect

from models import Mandate
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_a_family_signs_a_mandate_after_fixing_its_iban(page, live_server):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/facturation/")
    page.get_by_role("link", name="Payer par prélèvement automatique").click()
    expect(page.get_by_role("heading", name="Payer par prélèvement automatique")).to_be_visible()
    page.get_by_label("Titulaire du compte*", exact=True).fill("BERNARD Sophie")
    page.get_by_label("IBAN*", exact=True).fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_label("J'autorise la commune").check()
    page.get_by_role("button", name="SIGNER LE MANDAT").click()
    expect(page.locator("#iban-error")).to_contain_text("clé de contrôle")
    expect(page.get_by_label("Titulaire du compte*", exact=True)).to_have_value("BERNARD Sophie")
    screenshot(page, "direct-debit-wrong-iban")
    assert axe_violations(page) == []
    page.get_by_label("IBAN*", exact=True).fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("J'autorise la commune").check()
    page.get_by_role("button", name="SIGNER LE MANDAT").click()
    expect(page.get_by_text("Votre mandat de prélèvement PF-16123-1 est enregistré")).to_be_visible()
    expect(page.get_by_role("heading", name="Votre mandat de prélèvement")).to_be_visible()
    screenshot(page, "direct-debit-signed")
    assert axe_violations(page) == []
    assert page.csp_errors == []
