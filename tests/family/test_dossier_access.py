"""Another family's child, vaccine, pick-up person, document or QF attestation: 404 everywhere."""
import pytest

import models
from domain.files import store_bytes
from domain.pdf import simple_document
from models import Child, Document, Family, HealthRecord, PickupPerson, QFDeclaration, Vaccination


@pytest.fixture
def others(app):
    """Objects of family 16123 (BERNARD), as family 16122 (DUPONT) would aim at them."""
    with app.app_context(), models.db.connection_context():
        bernard = Family.get(Family.account_number == 16123)
        hugo = Child.get(Child.first_name == "HUGO")
        lena = Child.get(Child.first_name == "LENA")
        pdf = simple_document("Confidentiel", ["Famille BERNARD"])
        document = Document.create(
            family=bernard, category="facture", title="Facture BERNARD",
            file=store_bytes(pdf, "facture.pdf", "application/pdf", family=bernard))
        attestation = store_bytes(pdf, "attestation-caf.pdf", "application/pdf", family=bernard)
        declaration = QFDeclaration.create(family=bernard, quotient=640, attestation=attestation)
        ids = {"hugo": hugo.id, "lena": lena.id, "document": document.id,
               "declaration": declaration.id,
               "vaccine": Vaccination.create(child=hugo, name="DTP", date="2019-05-02").id,
               "person": PickupPerson.create(family=bernard, last_name="BERNARD",
                                             first_name="Aïcha", phone="06 11 11 11 11").id}
    return ids


GETS = [
    "/mon-dossier/enfants/{hugo}",
    "/mon-dossier/enfants/{hugo}/fiche-sanitaire",
    "/mon-dossier/enfants/{hugo}/droit-image",
    "/mon-dossier/documents/{document}",
    "/mon-dossier/quotient/{declaration}/attestation",
    "/mon-dossier/enfants/999999",
    "/mon-dossier/documents/999999",
    "/mon-dossier/quotient/999999/attestation",
]
POSTS = [
    ("/mon-dossier/enfants/{hugo}/fiche-sanitaire", {"doctor_name": "Dr Pirate", "diet": ""}),
    ("/mon-dossier/enfants/{hugo}/droit-image", {"consent": "non"}),
    ("/mon-dossier/enfants/{hugo}/vaccins", {"name": "BCG", "date": "2020-01-01"}),
    ("/mon-dossier/enfants/{hugo}/vaccins/{vaccine}/supprimer", {}),
    ("/mon-dossier/enfants/{lena}/vaccins/{vaccine}/supprimer", {}),
    ("/mon-dossier/personnes-autorisees/{person}/supprimer", {}),
]


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_familys_object_is_404(client, auth, others, path, htmx):
    auth.login("famille 16122")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(path.format(**others), headers=headers)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "BERNARD" not in page and "HUGO" not in page and "Arachide" not in page
    assert not response.data.startswith(b"%PDF")


@pytest.mark.parametrize("path, data", POSTS)
def test_another_familys_object_cannot_be_changed(app, client, auth, others, path, data):
    auth.login("famille 16122")
    response = client.post(path.format(**others),
                           data={"csrf_token": auth.csrf("/mon-dossier/"), **data})
    assert response.status_code == 404
    with models.db.connection_context():
        hugo = Child.get_by_id(others["hugo"])
        assert hugo.photo_consent is True
        assert HealthRecord.get(HealthRecord.child == hugo).doctor_name == "Dr Roux"
        assert [v.name for v in hugo.vaccinations] == ["DTP"]
        assert PickupPerson.select().where(PickupPerson.id == others["person"]).exists()


def test_the_owner_family_opens_the_same_urls(client, auth, others):
    auth.login("famille 16123")
    for path in GETS[:5]:
        assert client.get(path.format(**others)).status_code == 200, path


@pytest.mark.parametrize("path", GETS[:5])
def test_staff_and_anonymous_get_no_family_file_here(client, auth, others, path):
    assert client.get(path.format(**others)).status_code == 302  # to the sign-in page
    auth.login("agent")
    assert client.get(path.format(**others)).status_code == 404


@pytest.mark.parametrize("path", ["/mon-dossier/coordonnees", "/mon-dossier/quotient",
                                  "/mon-dossier/personnes-autorisees",
                                  "/mon-dossier/actualisation/rubriques/famille"])
def test_posts_without_csrf_token_are_refused(client, auth, path):
    auth.login()
    response = client.post(path, data={"address": "x", "quotient": "1", "checked": "1"})
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
