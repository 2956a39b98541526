"""One live attempt per invoice, and the boundary tests of online payment: six parallel « Payer »
clicks open one PayFiP operation (a row lock on the invoice); an attempt is not reused
once the amount due has changed; an invoice due exactly 1,00 € can be paid online."""
import re
import threading

import pytest

import models
from blueprints.payfip_simulator.routes import OPERATIONS
from domain import clock
from domain.billing.adjustments import record_counter_payment
from domain.billing.payments import PaymentNotPossible, payable_online
from models import Payment
from tests.billing_support import october_invoice, start_payment
from tests.conftest import AuthActions, csrf_from
from tests.helpers import all_at_once


def test_six_parallel_payer_clicks_open_one_operation(app, db, served):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's one writer serialises them anyway")
    invoice = october_invoice()
    client = app.test_client()
    AuthActions(client).login("famille 16123")
    token = csrf_from(client.get(f"/facturation/paiement?facture={invoice.id}")
                      .get_data(as_text=True))
    before = set(OPERATIONS)
    models.db.close()
    models.init_database(app.config["DATABASE_URL"], pool_size=10)
    start = threading.Barrier(6)
    locations = [None] * 6

    def click(index):
        with app.app_context(), models.db.connection_context():
            start.wait()
            response = client.post(f"/facturation/paiement/{invoice.id}",
                                   data={"csrf_token": token})
            locations[index] = (response.status_code, response.headers.get("Location", ""))

    all_at_once(click, 6)
    assert [status for status, _ in locations] == [303] * 6, locations
    idops = {re.search(r"idop=(\w+)", location).group(1) for _, location in locations}
    assert len(idops) == 1
    assert len(set(OPERATIONS) - before) == 1
    assert Payment.select().where(Payment.invoice == invoice).count() == 1


def test_an_attempt_is_not_reused_once_the_amount_due_changed(client, auth, db, served):
    invoice = october_invoice()  # 46,00 €
    _, first = start_payment(client, auth, invoice)
    _, again = start_payment(client, auth, invoice, login=False)
    assert again == first  # same amount: the live attempt is reused
    record_counter_payment(invoice.id, 1000, "especes", "", None, clock.now())  # meanwhile
    _, second = start_payment(client, auth, invoice, login=False)
    assert second != first
    assert OPERATIONS[second]["montant"] == "3600"
    assert Payment.get(Payment.transaction_id == second).amount_cents == 3600


def test_an_invoice_due_exactly_one_euro_is_payable_online(app, db):
    invoice = october_invoice()
    with app.app_context():
        record_counter_payment(invoice.id, 4500, "especes", "", None, clock.now())
        assert payable_online(invoice.id, invoice.family_id)[1] == 100
        record_counter_payment(invoice.id, 1, "especes", "", None, clock.now())
        with pytest.raises(PaymentNotPossible, match="commence à 1,00 €"):
            payable_online(invoice.id, invoice.family_id)  # 0,99 €: at the counter
