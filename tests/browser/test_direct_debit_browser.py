"""A family signs a SEPA mandate on a phone and on a desktop: a wrong IBAN is said next to
the field and kept, the right one shows the mandate in force; an agent imports the bank's
return file of a collection (a garbled file is refused by the field, the dry run shows what
matches, then the rejection is recorded); axe-clean."""
import pytest
from playwright.sync_api import expect

import models
from models import DebitItem
from tests.billing.test_bank_returns import january_collection, pain002, sent_debits
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


def test_an_agent_imports_the_banks_return_file_after_its_dry_run(page, live_server, tmp_path):
    with live_server.app.app_context(), models.db.connection_context():
        collection = january_collection()
        e2e, amount = sent_debits(collection)[16123]
    garbled, report = tmp_path / "garbled.xml", tmp_path / "retour-banque.xml"
    garbled.write_bytes(b"<Document><CstmrPmtStsRpt>coupe au milieu")
    report.write_bytes(pain002(collection, [(e2e, amount, "AM04"), ("INCONNU-1", "9.00", "MS02")]))
    browser_login(page, live_server, "agent")
    page.goto(f"{live_server.url}/agents/facturation/prelevements/{collection.id}")
    field = page.get_by_label("Fichier de retour de la banque (XML pain.002 ou camt.054)*")
    field.set_input_files(str(garbled))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#fichier-error")).to_contain_text("n'est pas un fichier XML lisible")
    screenshot(page, "direct-debit-return-garbled")
    assert axe_violations(page) == []
    field.set_input_files(str(report))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_text("1 à enregistrer, 1 laissé(s) de côté")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=e2e)
    expect(row).to_contain_text("AM04 – Provision insuffisante")
    expect(row).to_contain_text("Sera enregistré")
    expect(page.get_by_role("row").filter(has_text="INCONNU-1")).to_contain_text(
        "Aucun débit ne porte cette référence")
    screenshot(page, "direct-debit-return-dry-run")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Enregistrer les rejets").click()
    expect(page.get_by_text("1 rejet(s) enregistré(s) depuis le fichier de la banque")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=e2e.split("-")[0])).to_contain_text("rejeté")
    screenshot(page, "direct-debit-return-recorded")
    assert axe_violations(page) == []
    assert page.csp_errors == []
    with live_server.app.app_context(), models.db.connection_context():
        assert DebitItem.get(DebitItem.end_to_end_id == e2e).status == "rejete"
