"""Helpers of the billing tests: the app served over HTTP, so that eopayment's real
SOAP client talks to the PayFiP simulator and the simulator notifies the portal."""
import re
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

import models
from blueprints.payfip_simulator.routes import OPERATIONS
from domain.billing.run import issue_month
from models import Family, Invoice
from tests.helpers import all_at_once


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


def race_billing_runs(app, now):
    """Two runs of January 2027 and two of February, all at once (each its own
    connection, started together): ``(results, errors)``, the invoices each run
    issued and what any raised."""
    db = models.db
    db.close()
    if app.config["DATABASE_URL"].startswith("postgresql"):
        models.init_database(app.config["DATABASE_URL"], pool_size=10)
    months = ((2027, 1), (2027, 1), (2027, 2), (2027, 2))
    results, errors = [], []
    start = threading.Barrier(len(months))

    def run(index):
        try:
            with app.app_context(), db.connection_context():
                start.wait()
                results.append(issue_month(*months[index], "C", now, force=True))
        except Exception as error:  # pragma: no cover - reported by the tests
            errors.append(error)

    all_at_once(run, len(months), timeout=120)
    return results, errors
