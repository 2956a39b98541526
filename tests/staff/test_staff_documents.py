"""Documents: the commune's by category with display dates, one family's own, and the
"confirmation d'inscription" that ENREGISTRER puts in « Mes documents dématérialisés »."""
import io
import re

import pytest

from domain import audit
from models import Activity, AuditLog, Child, Document
from tests.helpers import enrol_online, error_of, pdf_bytes, unescaped


def pdf_text(data):
    """The text drawn in a PDF, as a reader extracts it."""
    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def commune_upload(client, auth, **overrides):
    data = {"commune-category": "menu", "commune-title": "Menus de décembre",
            "commune-display_from": "2026-11-27", "commune-display_until": "2026-12-31",
            "commune-file": (io.BytesIO(pdf_bytes("Menus de décembre")), "menus-decembre.pdf"),
            "commune-csrf_token": auth.csrf("/agents/documents/")}
    data.update(overrides)
    return client.post("/agents/documents/commune", data=data,
                       content_type="multipart/form-data")


def family_upload(client, auth, **overrides):
    data = {"famille-account_number": "16122", "famille-category": "fiche",
            "famille-title": "Fiche renseignement 2026", "famille-csrf_token":
            auth.csrf("/agents/documents/"),
            "famille-file": (io.BytesIO(pdf_bytes("Fiche")), "fiche.pdf")}
    data.update(overrides)
    return client.post("/agents/documents/famille", data=data,
                       content_type="multipart/form-data")


def test_commune_document_is_shown_within_its_display_dates(app, client, auth):
    auth.login("agent")
    response = commune_upload(client, auth)
    assert response.status_code == 303
    document = Document.get(Document.title == "Menus de décembre")
    assert document.family is None and document.category == "menu"
    page = unescaped(client.get("/agents/documents/"))
    assert "Menus de décembre" in page and "Programmé" in page and "du 27/11/2026 au 31/12/2026" in page
    assert "<p class=\"commune\">Commune de Saint-Exemple" in page  # the header's commune
    log = AuditLog.get(AuditLog.action == audit.DOCUMENT_ADDED)
    assert log.user.email == "agent@mairie.example.org" and log.family is None
    auth.logout()
    auth.login("famille 16123")
    assert "Menus de décembre" not in unescaped(client.get("/mon-dossier/documents"))
    assert client.get(f"/mon-dossier/documents/{document.id}").status_code == 404
    app.config["PORTAIL_TODAY"] = "2026-11-27T08:00"
    assert "Menus de décembre" in unescaped(client.get("/mon-dossier/documents"))
    download = client.get(f"/mon-dossier/documents/{document.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    app.config["PORTAIL_TODAY"] = "2027-01-01T08:00"
    assert "Menus de décembre" not in unescaped(client.get("/mon-dossier/documents"))


def test_personal_document_is_only_for_its_family(client, auth):
    auth.login("agent")
    assert family_upload(client, auth).status_code == 303
    document = Document.get(Document.title == "Fiche renseignement 2026")
    assert document.family.account_number == 16122
    assert AuditLog.get(AuditLog.action == audit.DOCUMENT_ADDED).family.account_number == 16122
    auth.logout()
    auth.login("famille 16122")
    page = unescaped(client.get("/mon-dossier/documents"))
    assert "Fiche renseignement 2026" in page
    auth.logout()
    auth.login("famille 16123")
    assert "Fiche renseignement 2026" not in unescaped(client.get("/mon-dossier/documents"))
    assert client.get(f"/mon-dossier/documents/{document.id}").status_code == 404


@pytest.mark.parametrize("overrides, field, message", [
    ({"commune-category": ""}, "commune-category", "Choisissez une catégorie dans la liste."),
    ({"commune-category": "facture"}, "commune-category", "Choisissez une catégorie"),
    ({"commune-title": ""}, "commune-title", "Indiquez le titre du document."),
    ({"commune-file": (b"just text", "menu.txt")}, "commune-file",
     "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG."),
    ({"commune-file": (b"", "")}, "commune-file",
     "Choisissez le fichier à mettre en ligne"),
    ({"commune-display_from": "31/02/2026"}, "commune-display_from", "Indiquez une date valide"),
    ({"commune-display_until": "2026-11-01"}, "commune-display_until",
     "La date de fin doit suivre la date de début."),
])
def test_bad_commune_document_input(client, auth, overrides, field, message):
    # A new file object for each run: one made in the parameters is closed after the first
    # backend's run, and the PostgreSQL run failed with "I/O operation on closed file".
    overrides = {name: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
                 for name, value in overrides.items()}
    auth.login("agent")
    before = Document.select().count()
    response = commune_upload(client, auth, **overrides)
    assert response.status_code == 422
    assert message in (error_of(response, field) or ""), unescaped(response)[:2000]
    assert Document.select().count() == before


@pytest.mark.parametrize("overrides, message", [
    ({"famille-account_number": "99999"}, "Aucune famille n'a ce n° de compte."),
    ({"famille-account_number": "abc"}, "Aucune famille n'a ce n° de compte."),
    ({"famille-account_number": ""}, "Indiquez le n° de compte de la famille."),
])
def test_bad_family_document_input(client, auth, overrides, message):
    auth.login("agent")
    before = Document.select().count()
    response = family_upload(client, auth, **overrides)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="famille-account_number-error">' + re.escape(message),
                     unescaped(response))
    assert Document.select().count() == before


def test_remove_a_document(client, auth):
    auth.login("agent")
    document = Document.get(Document.title == "Menus du mois")
    response = client.post(f"/agents/documents/{document.id}/retirer",
                           data={"csrf_token": auth.csrf("/agents/documents/")})
    assert response.status_code == 303
    assert Document.get_or_none(Document.id == document.id) is None
    assert AuditLog.get(AuditLog.action == audit.DOCUMENT_REMOVED).user.email == \
        "agent@mairie.example.org"
    assert client.get(f"/agents/documents/{document.id}/fichier").status_code == 404


def test_enregistrer_puts_the_confirmation_pdf_in_the_family_documents(client, auth):
    auth.login("famille 16122")
    lena = Child.get(Child.first_name == "LENA")
    matin = Activity.get(Activity.name == "ALAE Matin")
    response = enrol_online(client, auth, lena, matin)
    assert response.status_code == 303
    assert "Votre confirmation d'inscription (PDF)" in unescaped(client.get("/inscription/"))
    [document] = Document.select().where((Document.family == lena.family_id)
                                         & (Document.category == "confirmation"))
    assert document.title == "Confirmation d'inscription – LENA – 26/11/2026"
    page = unescaped(client.get("/mon-dossier/documents"))
    assert "Confirmations d'inscription" in page and document.title in page
    download = client.get(f"/mon-dossier/documents/{document.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert "confirmation-inscription-lena-2026-11-26.pdf" in download.headers["Content-Disposition"]
    content = pdf_text(download.data)
    for expected in ("Famille DUPONT", "16122", "LENA DUPONT", "ALAE Matin", "26/11/2026",
                     "0,90 €"):
        assert expected in content, expected
    # Another family never gets it.
    auth.logout()
    auth.login("famille 16123")
    assert client.get(f"/mon-dossier/documents/{document.id}").status_code == 404
