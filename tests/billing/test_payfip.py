"""Online payment through PayFiP: eopayment's real client against the local simulator.

An invoice is paid only from the result read back from PayFiP; faults (forged
idOp, replayed notifications, mismatched amount, refusal, cancellation, a provider
that does not answer, forced browsing of the return URL) never pay twice or wrongly
and are never a 500.
"""
import re
import socket
import threading

import requests

from domain.billing.invoicing import due_cents_of
from models import Invoice, Payment
from tests.billing_support import OPERATIONS, choose, october_invoice, start_payment
from tests.planning_support import text_of


def test_paid_through_the_simulator_the_invoice_is_settled(client, auth, db, served):
    invoice = october_invoice()
    response, idop = start_payment(client, auth, invoice)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(
        served.url + "/simulateur-payfip/paiementws.web?idop=")
    operation = OPERATIONS[idop]
    assert (operation["montant"], operation["refdet"], operation["saisie"]) == (
        "4600", "F202600002", "T")
    assert operation["urlnotif"] == served.url + "/paiement/payfip/notification"
    page = client.get(f"/simulateur-payfip/paiementws.web?idop={idop}").get_data(as_text=True)
    assert "46,00" in page
    back = choose(client, idop, "payer")
    assert back.status_code == 303 and "/facturation/paiement/retour?idop=" in back.location
    result = client.get(back.location, follow_redirects=True)
    assert "Votre paiement de 46,00 € pour la facture N° F2026-00002 est enregistré" in \
        text_of(result.get_data(as_text=True))
    [payment] = Payment.select().where(Payment.transaction_id == idop)
    assert (payment.status, payment.amount_cents, payment.reference) == (
        Payment.PAID, 4600, operation["numauto"])
    assert payment.user.email == "famille.bernard@example.org"
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert due_cents_of(invoice.id)[1] == 0
    index = text_of(client.get("/facturation/").get_data(as_text=True))
    assert "Solde du compte : 0,00 €" in index and "aucune facture à payer" in index


def test_a_notification_replayed_ten_times_at_once_pays_once(client, auth, db, served):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    OPERATIONS[idop]["urlnotif"] = "http://127.0.0.1:9/"  # the simulator's own notice lost
    choose(client, idop, "payer")
    assert Payment.get(Payment.transaction_id == idop).status == Payment.PENDING
    statuses = []

    def notify():
        statuses.append(requests.post(served.url + "/paiement/payfip/notification",
                                      data={"idOp": idop}, timeout=30).status_code)

    threads = [threading.Thread(target=notify) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(3):  # and again, in sequence
        notify()
    assert statuses == [200] * 13
    paid = Payment.select().where((Payment.invoice == invoice) & (Payment.status == Payment.PAID))
    assert paid.count() == 1 and paid.get().amount_cents == 4600
    assert due_cents_of(invoice.id)[1] == 0


def test_a_forged_idop_pays_nothing(client, auth, db, served):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    forged = "0" * 32
    assert requests.post(served.url + "/paiement/payfip/notification",
                         data={"idOp": forged}, timeout=30).status_code == 404
    assert requests.post(served.url + "/paiement/payfip/notification",
                         data={"idOp": "x" * 5000}, timeout=30).status_code == 404
    assert client.get(f"/facturation/paiement/retour?idop={forged}").status_code == 404
    # Another family cannot look at (or settle) this attempt.
    auth.logout()
    auth.login("famille 16122")
    assert client.get(f"/facturation/paiement/retour?idop={idop}").status_code == 404
    payment = Payment.get(Payment.transaction_id == idop)
    assert client.get(f"/facturation/paiement/{payment.id}/resultat").status_code == 404
    assert Payment.select().where(Payment.status == Payment.PAID,
                                  Payment.invoice == invoice).count() == 0


def test_forced_browsing_of_the_return_url_before_paying_pays_nothing(client, auth, db, served):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    result = client.get(f"/facturation/paiement/retour?idop={idop}", follow_redirects=True)
    assert result.status_code == 200
    assert "en attente de confirmation" in text_of(result.get_data(as_text=True))
    assert Payment.get(Payment.transaction_id == idop).status == Payment.PENDING
    assert due_cents_of(invoice.id)[1] == 4600
    # POSTing to it (as some providers do) is no different.
    assert client.post(f"/facturation/paiement/retour?idop={idop}").status_code == 303
    assert Payment.get(Payment.transaction_id == idop).status == Payment.PENDING


def test_a_mismatched_amount_is_flagged_for_staff_not_paid(client, auth, db, served):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    OPERATIONS[idop]["montant"] = "100"  # the provider reports 1,00 € for this idOp
    back = choose(client, idop, "payer")
    result = client.get(back.location, follow_redirects=True)
    assert "doit être vérifié par nos services" in text_of(result.get_data(as_text=True))
    payment = Payment.get(Payment.transaction_id == idop)
    assert payment.status == Payment.ANOMALY and "montant" in payment.outcome
    assert due_cents_of(invoice.id)[1] == 4600
    auth.logout()
    auth.login("agent")
    page = text_of(client.get("/agents/facturation/").get_data(as_text=True))
    assert "Paiements à vérifier" in page and "F2026-00002" in page


def test_refused_and_cancelled_payments_leave_the_invoice_unpaid(client, auth, db, served):
    invoice = october_invoice()
    for choice, status, words in (("refuser", Payment.REFUSED, "refusé par votre banque"),
                                  ("annuler", Payment.CANCELLED, "Vous avez annulé")):
        _, idop = start_payment(client, auth, invoice)
        result = client.get(choose(client, idop, choice).location, follow_redirects=True)
        assert words in text_of(result.get_data(as_text=True))
        assert Payment.get(Payment.transaction_id == idop).status == status
        assert due_cents_of(invoice.id)[1] == 4600
        auth.logout()
    # Each attempt is recorded: who, when, amount, idOp, outcome.
    attempts = list(Payment.select().where(Payment.invoice == invoice).order_by(Payment.id))
    assert [a.status for a in attempts] == [Payment.REFUSED, Payment.CANCELLED]
    assert all(a.user_id and a.amount_cents == 4600 and "resultrans" in a.outcome
               for a in attempts)


def test_a_provider_that_does_not_answer_leaves_the_invoice_unpaid(app, client, auth, db):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never answers
    app.config.update(PAYFIP_SERVICE_URL=f"http://127.0.0.1:{silent.getsockname()[1]}/",
                      PAYFIP_TIMEOUT=1)
    try:
        invoice = october_invoice()
        response, idop = start_payment(client, auth, invoice)
    finally:
        silent.close()
    assert response.status_code == 503 and idop is None
    page = text_of(response.get_data(as_text=True))
    assert "ne répond pas pour le moment" in page and "réessayez plus tard" in page
    [attempt] = Payment.select().where(Payment.invoice == invoice)
    assert attempt.status == Payment.FAILED and "creerPaiementSecurise" in attempt.outcome
    assert due_cents_of(invoice.id)[1] == 4600


def test_an_abandoned_payment_expires_after_15_minutes(app, client, auth, db, served, runner):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    result = runner.invoke(args=["payfip-check"])
    assert "1 paiement(s)" in result.output
    assert Payment.get(Payment.transaction_id == idop).status == Payment.PENDING
    app.config["PORTAIL_TODAY"] = "2026-11-26T10:16"
    runner.invoke(args=["payfip-check"])
    assert Payment.get(Payment.transaction_id == idop).status == Payment.EXPIRED
    # A new attempt gets a new idOp.
    _, again = start_payment(client, auth, invoice, login=False)
    assert again and again != idop


def test_a_live_attempt_is_reused_and_less_than_one_euro_goes_to_the_regie(client, auth, db,
                                                                           served):
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    _, same = start_payment(client, auth, invoice, login=False)
    assert same == idop
    from domain import clock
    from domain.billing.adjustments import record_counter_payment
    with client.application.app_context():
        record_counter_payment(invoice.id, 4550, "especes", "", None, clock.now())
    page = text_of(client.get(f"/facturation/paiement?facture={invoice.id}")
                   .get_data(as_text=True))
    assert "Le paiement en ligne commence à 1,00 €" in page and "0,50 €" in page


def test_the_simulator_is_never_served_in_production(tmp_path, smtp_server):
    from app import create_app
    from domain.billing.payfip import settings_from_config
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ENV_NAME": "production",
                      "PUBLIC_URL": "https://portail.example.org",
                      "DATABASE_URL": "sqlite:///" + str(tmp_path / "p.db"),
                      "UPLOAD_DIR": str(tmp_path / "u")})
    assert "payfip_simulator" not in app.blueprints
    settings = settings_from_config(app.config)
    assert settings.service_url == "https://www.payfip.gouv.fr/tpa/services/securite"
    assert settings.payment_url.startswith("https://www.payfip.gouv.fr/")


def test_a_second_payment_of_a_settled_invoice_counts_and_is_flagged(client, auth, db, served):
    """Two tabs: both attempts paid at PayFiP. The money is taken twice: both count (the
    family has a credit) and staff see the second one, to refund it."""
    invoice = october_invoice()
    _, first = start_payment(client, auth, invoice)
    Payment.update(expires_at=Payment.created_at).where(
        Payment.transaction_id == first).execute()  # let a second attempt open
    _, second = start_payment(client, auth, invoice, login=False)
    assert first != second
    choose(client, first, "payer")
    choose(client, second, "payer")
    paid = list(Payment.select().where(Payment.status == Payment.PAID,
                                       Payment.invoice == invoice).order_by(Payment.id))
    assert [p.transaction_id for p in paid] == [first, second]
    assert paid[1].outcome.startswith("Facture déjà réglée : paiement en double")
    assert due_cents_of(invoice.id)[1] == -4600
    auth.logout()
    auth.login("agent")
    page = text_of(client.get("/agents/facturation/").get_data(as_text=True))
    assert "Paiements à vérifier" in page and second in page and first not in page


def test_an_invoice_settled_after_etape_suivante_is_refused_with_422(client, auth, db):
    """Paid at the régie while the family looked at ÉTAPE SUIVANTE: the click on « Payer »
    is refused (422, saying why) and no operation is opened at PayFiP."""
    from domain import clock
    from domain.billing.adjustments import record_counter_payment
    invoice = october_invoice()
    auth.login("famille 16123")
    page = client.get(f"/facturation/paiement?facture={invoice.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with client.application.app_context():
        record_counter_payment(invoice.id, 4600, "especes", "", None, clock.now())
    response = client.post(f"/facturation/paiement/{invoice.id}", data={"csrf_token": token})
    assert response.status_code == 422
    assert (f"La facture N° {invoice.number} est déjà réglée."
            in text_of(response.get_data(as_text=True)))
    assert not Payment.select().where((Payment.invoice == invoice)
                                      & (Payment.provider == Payment.ONLINE)).exists()
