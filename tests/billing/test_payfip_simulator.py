"""The PayFiP simulator (development only) notified and redirected to
any URL it was given; it now accepts the portal's own addresses only."""
import pytest

from blueprints.payfip_simulator.routes import NS, OPERATIONS

OWN_NOTIFY = "http://localhost/paiement/payfip/notification"
OWN_RETURN = "http://localhost/facturation/paiement/retour"


def create(client, urlnotif=OWN_NOTIFY, urlredirect=OWN_RETURN):
    fields = {"numcli": "000000", "exer": "2026", "refdet": "F202600002", "montant": "4600",
              "saisie": "T", "mel": "famille@example.org", "objet": "Facture",
              "urlnotif": urlnotif, "urlredirect": urlredirect}
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    body = (f'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
            f'<ns2:creerPaiementSecurise xmlns:ns2="{NS}"><arg0>{inner}</arg0>'
            "</ns2:creerPaiementSecurise></S:Body></S:Envelope>")
    return client.post("/simulateur-payfip/services/securite", data=body,
                       content_type="text/xml")


def test_the_portals_own_addresses_open_an_operation(client):
    response = create(client)
    assert response.status_code == 200 and "<idOp>" in response.get_data(as_text=True)


@pytest.mark.parametrize("field, url", [
    ("urlredirect", "https://evil.example/"),
    ("urlredirect", "http://localhost.evil.example/facturation/paiement/retour"),
    ("urlredirect", "http://localhost/facturation/paiement/retour?next=https://evil.example"),
    ("urlredirect", "http://localhost/connexion"),
    ("urlnotif", "http://169.254.169.254/latest/meta-data/"),
    ("urlnotif", "http://localhost:6379/"),
])
def test_any_other_address_is_refused(client, field, url):
    before = set(OPERATIONS)
    response = create(client, **{field: url})
    assert response.status_code == 500
    assert f"Paramètre {field} invalide" in response.get_data(as_text=True)
    assert set(OPERATIONS) == before
