"""The simulator's SOAP endpoint and payment page."""
import datetime
import re
import secrets
import threading
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import requests
from flask import Response, abort, redirect, render_template, request

from blueprints.common import public_base
from blueprints.payfip_simulator import bp
from domain import clock
from domain.formats import euros

NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
      "contrat_paiement_securise/PaiementSecuriseService")
LIFETIME = datetime.timedelta(minutes=15)

#: idOp -> the operation (what creerPaiementSecurise received, and the result).
OPERATIONS = {}
_lock = threading.Lock()


def _envelope(body):
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
        f"{body}</S:Body></S:Envelope>", content_type="text/xml; charset=utf-8")


def _fault(code, text):
    response = _envelope(
        "<S:Fault><faultcode>S:Server</faultcode>"
        "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
        f'</faultstring><detail><ns2:FonctionnelleErreur xmlns:ns2="{NS}">'
        f"<code>{escape(code)}</code><descriptif>{escape(text)}</descriptif>"
        f"<libelle>{escape(text)}</libelle><severite>2</severite>"
        "</ns2:FonctionnelleErreur></detail></S:Fault>")
    response.status_code = 500
    return response


def _children(element):
    """{local name: text} of the elements under ``arg0``."""
    arg = next((e for e in element.iter() if e.tag.rsplit("}", 1)[-1] == "arg0"), None)
    if arg is None:
        return {}
    return {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in arg}


@bp.route("/services/securite", methods=["POST"])
def soap():
    """The web service: dispatch on the operation in the SOAP body."""
    try:
        root = ElementTree.fromstring(request.get_data())
    except ElementTree.ParseError:
        return _fault("P0", "Message illisible")
    body = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Body"), None)
    operation = body[0] if body is not None and len(body) else None
    name = operation.tag.rsplit("}", 1)[-1] if operation is not None else ""
    fields = _children(operation) if operation is not None else {}
    if name == "creerPaiementSecurise":
        return _create(fields)
    if name == "recupererDetailPaiementSecurise":
        return _detail(fields.get("idOp", ""))
    return _fault("P0", f"Opération inconnue {name}")


def _create(fields):
    checks = (("numcli", r"\d{6}"), ("exer", r"\d{4}"), ("refdet", r"[A-Za-z0-9]{1,30}"),
              ("montant", r"\d{3,8}"), ("saisie", r"[TXW]"), ("mel", r".+@.+"),
              ("urlnotif", r"https?://.+"), ("urlredirect", r"https?://.+"))
    for name, pattern in checks:
        if not re.fullmatch(pattern, fields.get(name, "")):
            return _fault("R3", f"Paramètre {name} invalide")
    if int(fields["montant"]) < 100:
        return _fault("R3", "Montant inférieur à 1,00 €")
    for name, expected in (("urlnotif", NOTIFY_PATH), ("urlredirect", RETURN_PATH)):
        if not _portal_address(fields[name], expected):
            return _fault("R3", f"Paramètre {name} invalide : une adresse du portail")
    idop = secrets.token_hex(16)
    with _lock:
        OPERATIONS[idop] = dict(fields, idOp=idop, created=clock.utc_now(), resultrans=None)
    return _envelope(f'<ns2:creerPaiementSecuriseResponse xmlns:ns2="{NS}"><return>'
                     f"<idOp>{idop}</idOp></return></ns2:creerPaiementSecuriseResponse>")


def _detail(idop):
    operation = OPERATIONS.get(idop)
    if operation is None:
        return _fault("P1", "IdOp incorrect")
    if operation["resultrans"] is None:
        return _fault("P5", "Résultat de la transaction non connu")
    names = ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli",
             "objet", "refdet", "resultrans", "saisie")
    inner = "".join(f"<{n}>{escape(str(operation.get(n) or ''))}</{n}>" for n in names)
    return _envelope(f'<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2="{NS}">'
                     f"<return>{inner}</return></ns2:recupererDetailPaiementSecuriseResponse>")


#: The only addresses the simulator notifies and sends payers back to: the portal's.
NOTIFY_PATH = "/paiement/payfip/notification"
RETURN_PATH = "/facturation/paiement/retour"


def _portal_address(url, path):
    """True when ``url`` is this portal's ``path`` (same scheme, host and port as the
    portal's public address): the simulator is no open redirect nor a request relay."""
    own = urlsplit(public_base())
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path) == (own.scheme, own.netloc, path) \
        and not parts.query and not parts.fragment and not parts.username


def _operation_or_404():
    operation = OPERATIONS.get(request.values.get("idop", ""))
    if operation is None:
        abort(404)
    return operation


@bp.route("/paiementws.web", methods=["GET"])
def payment_page():
    """The payer's page: the amount, then Payer, Refuser (card refused) or Annuler."""
    operation = _operation_or_404()
    expired = clock.utc_now() - operation["created"] > LIFETIME
    return render_template("payfip_simulator/page.html", operation=operation,
                           amount=euros(int(operation["montant"])), expired=expired)


@bp.route("/paiementws.web", methods=["POST"])
def pay():
    """Record the payer's choice, notify the portal, send the payer back."""
    operation = _operation_or_404()
    choice = {"payer": "P", "refuser": "R", "annuler": "A"}.get(request.form.get("choix"))
    if choice is None or clock.utc_now() - operation["created"] > LIFETIME:
        abort(400)
    with _lock:
        if operation["resultrans"] is None:
            now = clock.now()
            operation.update(resultrans=choice, dattrans=now.strftime("%d%m%Y"),
                             heurtrans=now.strftime("%H%M"),
                             numauto=f"{secrets.randbelow(10**6):06d}" if choice == "P" else "")
    try:  # server to server, as PayFiP does; the portal must not depend on it
        requests.post(operation["urlnotif"], data={"idOp": operation["idOp"]}, timeout=10)
    except requests.RequestException:
        pass
    separator = "&" if "?" in operation["urlredirect"] else "?"
    return redirect(f"{operation['urlredirect']}{separator}idop={operation['idOp']}", code=303)
