"""Any settlement above what an invoice owes is flagged for refund in
« Paiements à vérifier » — a counter payment or a credit note recorded while the family
pays online, or a credit note on an invoice already paid."""
import datetime

from domain.billing.adjustments import issue_credit_note, record_counter_payment
from domain.billing.invoicing import due_cents_of
from models import Payment, User
from tests.billing_support import choose, october_invoice, start_payment
from tests.planning_support import text_of

NOW = datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.timezone.utc)


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def review_page(app):
    """The agent's FACTURATION page, in a browser of its own."""
    from tests.conftest import AuthActions
    staff = app.test_client()
    AuthActions(staff).login("agent")
    return text_of(staff.get("/agents/facturation/").get_data(as_text=True))


def assert_flagged_for_refund(app, balance_and_refund):
    """16123's October invoice (46,00 €) is listed under « Paiements à vérifier », in
    « Trop-perçus à rembourser », with its balance below zero and the sum to refund."""
    page = review_page(app)
    assert "Paiements à vérifier" in page and "Trop-perçus à rembourser" in page
    assert f"F2026-00002 16123 – BERNARD 46,00 € {balance_and_refund}" in page


def test_a_counter_payment_while_the_family_pays_online_is_flagged_for_refund(
        app, client, auth, db, served):
    invoice = october_invoice()  # 46,00 €
    _, idop = start_payment(client, auth, invoice)
    record_counter_payment(invoice.id, 1000, "especes", "", agent(), NOW)  # meanwhile
    choose(client, idop, "payer")  # the family pays the 46,00 € it was shown
    assert due_cents_of(invoice.id)[1] == -1000
    payment = Payment.get(Payment.transaction_id == idop)
    assert payment.status == Payment.PAID
    assert payment.outcome.startswith("Trop-perçu de 10,00\u00a0€ à rembourser.")
    assert_flagged_for_refund(app, "-10,00 € 10,00 €")


def test_a_credit_note_on_a_paid_invoice_is_flagged_for_refund(app, db):
    invoice = october_invoice()
    record_counter_payment(invoice.id, 4600, "especes", "", agent(), NOW)
    assert "Paiements à vérifier" not in review_page(app)
    issue_credit_note(invoice.id, 760, "Sortie annulée", agent(), NOW)
    assert_flagged_for_refund(app, "-7,60 € 7,60 €")


def test_an_invoice_paid_exactly_is_not_flagged(app, db):
    invoice = october_invoice()
    record_counter_payment(invoice.id, 4600, "cheque", "1234567", agent(), NOW)
    assert "Trop-perçus" not in review_page(app)
