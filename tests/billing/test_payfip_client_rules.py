"""What the portal sends PayFiP when a family pays online, and what it does with the answer.

The debt reference is the invoice number's letters (either case) and digits, 30 at
most; the operation is titled "Facture <number>"; every call to PayFiP waits at most
the configured timeout; an answer without an idOp pays nothing and the family is told
to retry.
"""
import pytest

import domain.billing.payfip as payfip
from domain.billing.invoicing import due_cents_of
from domain.billing.payfip import PayFiPError, refdet_of, settings_from_config
from models import Payment
from tests.billing_support import OPERATIONS, choose, october_invoice, start_payment
from tests.planning_support import text_of


def test_the_debt_reference_keeps_letters_of_either_case_and_digits_only():
    assert refdet_of("F2026-00001") == "F202600001"
    assert refdet_of("f2026/ab_01 é") == "f2026ab01"


def test_the_debt_reference_is_cut_at_30_characters():
    number = "R" + "1234567890" * 4
    assert refdet_of(number) == ("R" + "1234567890" * 4)[:30]
    assert len(refdet_of(number)) == 30
    assert refdet_of("A-" + "9" * 29) == "A" + "9" * 29


def test_payfip_receives_the_invoice_as_object_with_its_amount_year_and_payer(client, auth, db,
                                                                              served):
    invoice = october_invoice()
    response, idop = start_payment(client, auth, invoice)
    assert response.status_code == 303 and idop
    sent = OPERATIONS[idop]
    assert sent["objet"] == f"Facture {invoice.number.replace('-', ' ')}"
    assert sent["refdet"] == invoice.number.replace("-", "")
    assert sent["montant"] == "4600" and sent["exer"] == str(invoice.issued_at.year)
    assert sent["numcli"] == "000000" and sent["saisie"] == "T"
    assert sent["urlnotif"] == served.url + "/paiement/payfip/notification"
    assert sent["urlredirect"] == served.url + "/facturation/paiement/retour"


def test_every_call_to_payfip_waits_at_most_the_configured_timeout(app, client, auth, db, served,
                                                                   monkeypatch):
    app.config["PAYFIP_TIMEOUT"] = "7.5"
    real_soap, timeouts = payfip._soap, []

    class Recording:
        def __init__(self, url):
            self.real = real_soap(url)

        def get_idop(self, **fields):
            timeouts.append(("creer", fields["timeout"]))
            return self.real.get_idop(**fields)

        def get_info_paiement(self, idop, timeout=None):
            timeouts.append(("lire", timeout))
            return self.real.get_info_paiement(idop, timeout=timeout)

    monkeypatch.setattr(payfip, "_soap", Recording)
    invoice = october_invoice()
    _, idop = start_payment(client, auth, invoice)
    choose(client, idop, "payer")
    assert due_cents_of(invoice.id)[1] == 0
    assert timeouts[0] == ("creer", 7.5)
    assert ("lire", 7.5) in timeouts and all(t == 7.5 for _, t in timeouts)


def test_the_timeout_is_15_seconds_unless_configured():
    config = {"PAYFIP_NUMCLI": "000000", "PAYFIP_SAISIE": "T", "PUBLIC_URL": "http://x.test"}
    assert settings_from_config(config).timeout == 15
    assert settings_from_config(dict(config, PAYFIP_TIMEOUT="2")).timeout == 2.0


@pytest.mark.parametrize("answer", [None, ""])
def test_an_answer_without_idop_pays_nothing_and_the_family_retries_later(client, auth, db,
                                                                          monkeypatch, answer):
    class Empty:
        def __init__(self, url):
            pass

        def get_idop(self, **fields):
            return answer

    monkeypatch.setattr(payfip, "_soap", Empty)
    invoice = october_invoice()
    response, idop = start_payment(client, auth, invoice)
    assert response.status_code == 503 and idop is None
    assert "réessayez plus tard" in text_of(response.get_data(as_text=True))
    [attempt] = Payment.select().where(Payment.invoice == invoice)
    assert attempt.status == Payment.FAILED
    assert attempt.outcome == "creerPaiementSecurise : vide PayFiP n'a pas donné d'idOp"
    assert due_cents_of(invoice.id)[1] == 4600


def test_an_answer_without_idop_is_a_payfip_error_named_vide(monkeypatch):
    class Empty:
        def __init__(self, url):
            pass

        def get_idop(self, **fields):
            return None

    monkeypatch.setattr(payfip, "_soap", Empty)
    config = {"PAYFIP_NUMCLI": "000000", "PAYFIP_SAISIE": "T", "PUBLIC_URL": "http://x.test"}
    with pytest.raises(PayFiPError) as raised:
        payfip.client_from_config(config).create_operation(4600, "F1", "a@b.fr", 2026, "Facture")
    assert raised.value.code == "vide" and raised.value.message == "PayFiP n'a pas donné d'idOp"


def test_a_regie_with_its_own_client_number_pays_under_it_with_the_same_settings():
    config = {"PAYFIP_NUMCLI": "000000", "PAYFIP_SAISIE": "T", "PUBLIC_URL": "http://x.test"}
    portal = payfip.client_from_config(config)
    assert portal.for_client(None) is portal and portal.for_client("") is portal
    assert portal.for_client("000000") is portal
    regie = portal.for_client("123456")
    assert regie.settings.numcli == "123456" and portal.settings.numcli == "000000"
    assert regie.settings.service_url == portal.settings.service_url
    assert regie.settings.notify_url == "http://x.test/paiement/payfip/notification"
    assert regie.payment_page("abc") == "http://x.test/simulateur-payfip/paiementws.web?idop=abc"


def test_outside_production_payfip_is_the_simulator_under_the_public_address():
    config = {"PAYFIP_NUMCLI": "000000", "PAYFIP_SAISIE": "T", "PUBLIC_URL": "http://x.test/"}
    settings = settings_from_config(config)
    assert settings.service_url == "http://x.test/simulateur-payfip/services/securite"
    assert settings.payment_url == "http://x.test/simulateur-payfip/paiementws.web"
    assert settings.notify_url == "http://x.test/paiement/payfip/notification"
    assert settings.return_url == "http://x.test/facturation/paiement/retour"
    unset = settings_from_config(dict(config, PUBLIC_URL=""))
    assert unset.notify_url == "http://127.0.0.1:5000/paiement/payfip/notification"
    assert settings_from_config(config, "https://y.test/").return_url == \
        "https://y.test/facturation/paiement/retour"
    assert settings_from_config(config, "https://y.test/PORTAILX").return_url == \
        "https://y.test/PORTAILX/facturation/paiement/retour"


def test_in_production_payfip_is_the_treasurys_own_service_unless_configured():
    config = {"PAYFIP_NUMCLI": "123456", "PAYFIP_SAISIE": "W", "ENV_NAME": "production",
              "PUBLIC_URL": "https://portail.test"}
    settings = settings_from_config(config)
    assert settings.service_url == "https://www.payfip.gouv.fr/tpa/services/securite"
    assert settings.payment_url == payfip.PAYMENT_URL
    assert settings.payment_url.startswith("https://www.payfip.gouv.fr/")
    assert (settings.numcli, settings.saisie) == ("123456", "W")
    configured = settings_from_config(dict(config, PAYFIP_SERVICE_URL="https://ws.test/s",
                                           PAYFIP_PAYMENT_URL="https://pay.test/p"))
    assert (configured.service_url, configured.payment_url) == \
        ("https://ws.test/s", "https://pay.test/p")
