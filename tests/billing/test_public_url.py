"""``make run PORT=5001`` broke online payment and every emailed link,
PUBLIC_URL staying http://127.0.0.1:5000. In development without PUBLIC_URL the public
address is the host and port served; in production PUBLIC_URL is required."""
import re

import pytest

from app import create_app
from tests.conftest import csrf_from, make_demo_app


@pytest.fixture
def unset_public_url(database_url, tmp_path, smtp_server):
    """The demo app as ``make run`` starts it: no PUBLIC_URL."""
    app = make_demo_app(database_url, tmp_path, smtp_server.port, PUBLIC_URL=None)
    smtp_server.clear()
    return app


def test_an_emailed_link_follows_the_port_served(unset_public_url, mailbox):
    client = unset_public_url.test_client()
    base = {"base_url": "http://127.0.0.1:5001"}
    token = csrf_from(client.get("/mot-de-passe-oublie", **base).get_data(as_text=True))
    client.post("/mot-de-passe-oublie", data={"identifier": "16122", "csrf_token": token},
                **base)
    [mail] = mailbox.to("famille.dupont@example.org")
    assert re.search(r"http://127\.0\.0\.1:5001/reinitialiser/\S+", mailbox.text(mail))


def test_online_payment_calls_the_simulator_on_the_port_served(unset_public_url):
    from blueprints.common import public_base
    from domain.billing.payfip import settings_from_config
    with unset_public_url.test_request_context("/", base_url="http://127.0.0.1:5001"):
        settings = settings_from_config(unset_public_url.config, public_base())
    assert settings.service_url == "http://127.0.0.1:5001/simulateur-payfip/services/securite"
    assert settings.payment_url.startswith("http://127.0.0.1:5001/simulateur-payfip/")
    assert settings.notify_url == "http://127.0.0.1:5001/paiement/payfip/notification"


def test_production_requires_public_url(tmp_path):
    config = {"ENV_NAME": "production", "SECRET_KEY": "x" * 32, "PUBLIC_URL": None,
              "DATABASE_URL": "sqlite:///" + str(tmp_path / "p.db"),
              "UPLOAD_DIR": str(tmp_path / "u")}
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(config)


def test_a_family_pays_online_on_another_port_without_public_url(unset_public_url):
    """The whole path: the portal served on a free port, PayFiP's simulator called there."""
    import threading

    from werkzeug.serving import make_server

    from tests.billing_support import october_invoice
    server = make_server("127.0.0.1", 0, unset_public_url, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        client = unset_public_url.test_client()
        token = csrf_from(client.get("/connexion", base_url=base).get_data(as_text=True))
        client.post("/connexion", data={"identifier": "16123", "csrf_token": token,
                                        "password": "famille-bernard-16123"}, base_url=base)
        invoice = october_invoice()
        page = client.get(f"/facturation/paiement?facture={invoice.id}",
                          base_url=base).get_data(as_text=True)
        response = client.post(f"/facturation/paiement/{invoice.id}",
                               data={"csrf_token": csrf_from(page)}, base_url=base)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        assert response.headers["Location"].startswith(
            base + "/simulateur-payfip/paiementws.web?idop=")
    finally:
        server.shutdown()


def test_the_booking_recap_links_follow_the_port_served(unset_public_url, mailbox):
    """TERMINER without PUBLIC_URL: the bookings are made and the recap email's links
    lead to the portal on the port served (it was a 500 before the recap was sent)."""
    from tests.helpers import demo_child, modalite
    from tests.planning_support import CL, JANUARY, SANS, enrol, line_key, token
    base = {"base_url": "http://127.0.0.1:5001"}
    client = unset_public_url.test_client()
    with unset_public_url.app_context():
        kid = demo_child("LENA")
        enrol(kid, CL)
        line, day = line_key(kid, CL), token(JANUARY[0], modalite(CL, SANS))
    csrf = csrf_from(client.get("/connexion", **base).get_data(as_text=True))
    client.post("/connexion", data={"identifier": "16122", "csrf_token": csrf,
                                    "password": "famille-lena-16122"}, **base)
    csrf = csrf_from(client.get("/planning/recapitulatif", **base).get_data(as_text=True))
    client.post("/planning/basculer", data={"ligne": line, "vue": "mensuel",
                                            "du": "2027-01-01", "jours": [day],
                                            "csrf_token": csrf}, **base)
    response = client.post("/planning/terminer", data={"csrf_token": csrf}, **base)
    assert response.status_code == 303
    [mail] = mailbox.to("famille.dupont@example.org")
    assert "http://127.0.0.1:5001/planning/" in mailbox.text(mail)


def test_the_reminders_command_links_to_the_development_address_without_public_url(
        database_url, tmp_path, smtp_server, mailbox):
    """``flask deadline-reminders`` (cron, no request) without PUBLIC_URL: each reminder
    leads to the development address and its one-click unsubscribe link too (both read
    PUBLIC_URL directly before, and the command stopped on None)."""
    app = make_demo_app(database_url, tmp_path, smtp_server.port, PUBLIC_URL=None,
                        PORTAIL_TODAY="2026-12-17T08:00")
    smtp_server.clear()
    result = app.test_cli_runner().invoke(args=["deadline-reminders"])
    assert result.exit_code == 0, result.output
    mails = mailbox.to("famille.dupont@example.org")
    assert mails
    for mail in mails:
        assert "http://127.0.0.1:5000/planning/" in mailbox.text(mail)
        assert mail["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/desabonnement/")
