"""The acceptance walkthrough in Chromium, on SQLite and PostgreSQL, phone and desktop:
LENA's four Wednesdays of janvier 2027 invoiced by ``flask --app app invoice 2027-01``
at 20,80 €; the family downloads the PDF (a real PDF whose text holds 20,80), pays it
through the PayFiP simulator (eopayment's real client), comes back, and sees it paid
with the balance at 0,00 €."""
import pypdf
import pytest
from playwright.sync_api import expect

import models
from models import Invoice, Payment
from tests.billing.test_billing_run import book
from tests.conftest import DEMO_LOGINS, axe_violations, screenshot
from tests.planning_support import CL, JANUARY, SANS, child, enrol

pytestmark = pytest.mark.browser


def sign_in(page, url):
    identifier, password = DEMO_LOGINS["famille 16122"]
    page.goto(url + "/connexion")
    page.get_by_label("N° de compte ou adresse email").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_lena_january_invoiced_downloaded_and_paid_online(app, db, served, page):
    enrol(child("LENA"), CL)
    book(child("LENA"), CL, SANS, JANUARY)
    db.close()
    # On 26/11/2026 January is not over: issued as a correction.
    result = app.test_cli_runner().invoke(args=["invoice", "2027-01", "--force"])
    assert result.exit_code == 0 and "facture(s) émise(s) pour janvier 2027" in result.output
    models.db.connect(reuse_if_open=True)
    invoice = Invoice.select().where((Invoice.period_month == 1)
                                     & (Invoice.total_cents == 2080)).get()
    db.close()

    sign_in(page, served.url)
    page.get_by_role("link", name="FACTURATION").first.click()
    expect(page.get_by_text("Solde du compte : 20,80")).to_be_visible()
    expect(page.get_by_label(f"Facture N° {invoice.number}")).to_be_checked()
    assert axe_violations(page) == []
    screenshot(page, "facturation-payer")

    page.get_by_role("link", name="Consulter mes factures").first.click()
    expect(page.get_by_text("4 × 5,20 € = 20,80 €")).to_be_visible()
    expect(page.get_by_text("Les 06, 13, 20, 27/01")).to_be_visible()
    if page.device == "phone":  # lists, not a wide table: nothing scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    screenshot(page, "facturation-factures")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger la facture N° {invoice.number} (PDF)").click()
    pdf = pypdf.PdfReader(download.value.path())
    text = pdf.pages[0].extract_text()
    assert "20,80" in text and "LENA" in text and invoice.number in text
    assert "Les 06, 13, 20, 27/01" in text

    page.get_by_role("link", name="Payer mes factures").first.click()
    page.get_by_role("button", name="ÉTAPE SUIVANTE").click()
    expect(page.locator("#montant-a-payer")).to_have_text("20,80\u00a0€")
    page.get_by_role("button", name="Payer 20,80 € par carte bancaire").click()
    expect(page.get_by_role("heading", name="PayFiP – simulateur de paiement")).to_be_visible()
    screenshot(page, "facturation-simulateur")
    page.get_by_role("button", name="Payer 20,80 €").click()
    expect(page.locator("#resultat-paiement")).to_contain_text(
        f"Votre paiement de 20,80 € pour la facture N° {invoice.number} est enregistré")
    screenshot(page, "facturation-paye")
    page.get_by_role("link", name="Retour à mes factures").click()
    expect(page.get_by_text("Solde du compte : 0,00")).to_be_visible()
    expect(page.get_by_text("Vous n'avez aucune facture à payer.")).to_be_visible()
    page.get_by_role("link", name="Consulter l'historique de mon compte").first.click()
    expect(page.get_by_text("Paiement en ligne – facture N° " + invoice.number)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "facturation-historique")
    assert page.csp_errors == []
    models.db.connect(reuse_if_open=True)
    [payment] = Payment.select().where(Payment.invoice == invoice.id)
    assert payment.status == Payment.PAID and payment.amount_cents == 2080


def test_staff_billing_pages_are_accessible(live_server, page):
    """The administrateur's run preview, the unpaid list and an invoice page: axe-clean."""
    identifier, password = DEMO_LOGINS["administrateur"]
    page.goto(live_server.url + "/connexion")
    page.get_by_label("N° de compte ou adresse email").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="FACTURATION").click()
    expect(page.get_by_role("heading", name="Factures impayées")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="F2026-00002").click()
    expect(page.get_by_role("heading", name="Enregistrer un paiement à la régie")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-facturation-facture")
    page.goto(live_server.url + "/agents/admin/facturation/emission?mois=2026-11")
    expect(page.get_by_role("button", name="Émettre")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-facturation-emission")
    assert page.csp_errors == []
