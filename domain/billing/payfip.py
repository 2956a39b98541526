"""PayFiP, the public treasury's online payment, through eopayment's web-service client.

``eopayment.payfip_ws.PayFiP`` speaks SOAP (zeep, over the WSDL eopayment ships):
``creerPaiementSecurise`` gives an ``idOp``, the payer goes to the payment page
with it, and ``recupererDetailPaiementSecurise`` reads the result back. eopayment
keeps the production address of the service in its WSDL; :class:`PayFiPClient`
binds the same WSDL to ``PAYFIP_SERVICE_URL`` (the local simulator by default,
outside production) and builds the payment page's address from
``PAYFIP_PAYMENT_URL``.
"""
import re
import threading
from dataclasses import dataclass, replace

import zeep
from eopayment.payfip_ws import PAYMENT_URL, PayFiP, PayFiPError, normalize_objet

__all__ = ["PayFiPClient", "PayFiPError", "PayFiPSettings", "client_from_config", "refdet_of"]

BINDING = ("{http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
           "contrat_paiement_securise/PaiementSecuriseService}PaiementSecuriseServicePortBinding")
#: PayFiP's own addresses (eopayment's), the defaults in production.
PAYFIP_SERVICE = "https://www.payfip.gouv.fr/tpa/services/securite"
PAYFIP_PAGE = PAYMENT_URL
#: Where the simulator answers, under PUBLIC_URL (outside production).
SIMULATOR_SERVICE_PATH = "/simulateur-payfip/services/securite"
SIMULATOR_PAYMENT_PATH = "/simulateur-payfip/paiementws.web"


def refdet_of(invoice_number):
    """PayFiP's debt reference for an invoice: 1 to 30 letters and digits
    (``F2026-00001`` -> ``F202600001``)."""
    return re.sub(r"[^A-Za-z0-9]", "", invoice_number)[:30]


@dataclass(frozen=True)
class PayFiPSettings:
    numcli: str
    saisie: str
    service_url: str
    payment_url: str
    notify_url: str
    return_url: str
    timeout: float = 15


def settings_from_config(config, public=None):
    """The PayFiP settings of the app's config, for the site served at ``public``
    (default ``PUBLIC_URL``). Unset addresses are PayFiP's own in production, the local
    simulator's elsewhere."""
    public = (public or config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    if config.get("ENV_NAME") == "production":
        service, page = PAYFIP_SERVICE, PAYFIP_PAGE
    else:
        service, page = public + SIMULATOR_SERVICE_PATH, public + SIMULATOR_PAYMENT_PATH
    return PayFiPSettings(
        numcli=config["PAYFIP_NUMCLI"], saisie=config["PAYFIP_SAISIE"],
        service_url=config.get("PAYFIP_SERVICE_URL") or service,
        payment_url=config.get("PAYFIP_PAYMENT_URL") or page,
        notify_url=public + "/paiement/payfip/notification",
        return_url=public + "/facturation/paiement/retour",
        timeout=float(config.get("PAYFIP_TIMEOUT", 15)))


def client_from_config(config, public=None):
    """The PayFiP client of the app's config, for the site served at ``public``."""
    return PayFiPClient(settings_from_config(config, public))


class _BoundPayFiP(PayFiP):
    """eopayment's client with its (shipped) WSDL bound to our service address."""

    @property
    def client(self):
        if not hasattr(self, "_client"):
            try:
                client = zeep.Client(self.wsdl_url, **(self.zeep_client_kwargs or {}))
                client._default_service = client.create_service(BINDING, self.service_url)
            except Exception as error:
                raise PayFiPError("init", "Could not initialize the SOAP client", error)
            self._client = client
        return self._client


_clients: dict[str, "_BoundPayFiP"] = {}
_clients_lock = threading.Lock()


def _soap(service_url):
    """One eopayment client per address, shared (parsing the WSDL costs; every call
    uses the same timeout, the only setting a call changes)."""
    with _clients_lock:
        if service_url not in _clients:
            client = _BoundPayFiP(service_url=service_url)
            client.client  # noqa: B018 (parse the WSDL once, under the lock)
            _clients[service_url] = client
        return _clients[service_url]


class PayFiPClient:
    """The two operations the portal needs, with the portal's settings."""

    def __init__(self, settings):
        self.settings = settings

    def for_client(self, numcli):
        """The same client for another PayFiP client number (a régie's own)."""
        if not numcli or numcli == self.settings.numcli:
            return self
        return PayFiPClient(replace(self.settings, numcli=numcli))

    def create_operation(self, amount_cents, refdet, email, exer, objet):
        """``creerPaiementSecurise``: the ``idOp`` of a new payment (PayFiPError if the
        service refuses or does not answer within the timeout)."""
        s = self.settings
        idop = _soap(s.service_url).get_idop(
            numcli=s.numcli, saisie=s.saisie, exer=str(exer), refdet=refdet,
            montant=str(amount_cents), mel=email, objet=normalize_objet(objet) or None,
            url_notification=s.notify_url, url_redirect=s.return_url, timeout=s.timeout)
        if not idop:
            raise PayFiPError("vide", "PayFiP n'a pas donné d'idOp")
        return str(idop)

    def payment_page(self, idop):
        """Where the payer pays the operation."""
        return f"{self.settings.payment_url}?idop={idop}"

    def read_result(self, idop):
        """``recupererDetailPaiementSecurise``: the operation's details (resultrans,
        montant, refdet, numcli, numauto...). PayFiPError P5: no result yet."""
        return _soap(self.settings.service_url).get_info_paiement(
            idop, timeout=self.settings.timeout)
