"""Helpers of the billing tests: the app served over HTTP, so that eopayment's real
SOAP client talks to the PayFiP simulator and the simulator notifies the portal."""
import re
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from blueprints.payfip_simulator.routes import OPERATIONS
from models import Family, Invoice


@pytest.fixture
def served(app):
    """``app`` (SQLite or PostgreSQL) on a free local port; PUBLIC_URL points at it,
    and so do the PayFiP addresses (the simulator)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.shutdown()


def october_invoice():
    """Family 16123's unpaid invoice of the demo (46,00 €)."""
    return (Invoice.select().join(Family).where((Family.account_number == 16123)
                                                & (Invoice.period_month == 10)).get())


def start_payment(client, auth, invoice, login=True):
    """Sign in as 16123, choose the invoice, ÉTAPE SUIVANTE, pay: returns the
    response (a redirect to the simulator's page) and the idOp."""
    if login:
        auth.login("famille 16123")
    page = client.get(f"/facturation/paiement?facture={invoice.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/facturation/paiement/{invoice.id}", data={"csrf_token": token})
    match = re.search(r"idop=([0-9a-f]+)", response.headers.get("Location", ""))
    return response, match.group(1) if match else None


def choose(client, idop, choice):
    """The payer's choice on the simulator's page (payer, refuser, annuler): the
    simulator notifies the portal, then sends the payer back to the return URL
    (``.location``: its path, for the test client)."""
    response = client.post("/simulateur-payfip/paiementws.web",
                           data={"idop": idop, "choix": choice})
    parts = urlsplit(response.location)
    response.location = f"{parts.path}?{parts.query}"
    return response


__all__ = ["OPERATIONS", "served", "october_invoice", "start_payment", "choose"]
