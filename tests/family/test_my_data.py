"""« Télécharger mes données »: the GDPR's right of access, as a ZIP of everything held
about the family; audited, limited per day, and never another family's data."""
import hashlib
import io
import json
import zipfile

from domain import audit
from models import AuditLog, Booking, Child, Guardian, Invoice, StoredFile, User
from tests.family.test_guardian_email_follows import declare_second_guardian
from tests.family.test_messagerie import post_message
from tests.helpers import demo_family, pdf_bytes, text_of


def _download(client, auth):
    token = auth.csrf("/mon-dossier/mes-donnees")
    return client.post("/mon-dossier/mes-donnees", data={"csrf_token": token})


def _zip_of(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _family_sends_a_file(client, auth, name):
    response = post_message(client, auth, attachment_1=(io.BytesIO(pdf_bytes()), name))
    assert response.status_code in (302, 303)


def test_the_zip_of_16123_holds_children_bookings_invoices_and_message_files(client, auth, db):
    """The acceptance: 16123's ZIP has its children, its bookings, each invoice as a PDF
    and the files of its messages, in a readable JSON and folders."""
    auth.login("famille 16123")
    _family_sends_a_file(client, auth, "certificat-hugo.pdf")
    archive = _zip_of(_download(client, auth))
    names = archive.namelist()
    data = json.loads(archive.read("donnees.json"))
    family = demo_family(16123)
    assert data["famille"]["account_number"] == 16123
    assert {c["first_name"] for c in data["enfants"]} == {"HUGO", "CHLOE"}
    bookings = Booking.select().join(Child).where(Child.family == family).count()
    assert bookings > 0 and len(data["reservations"]) == bookings
    assert all(row["activite"] for row in data["reservations"])
    invoices = list(Invoice.select().where(Invoice.family == family))
    assert invoices and len(data["factures"]) == len(invoices)
    pdfs = [n for n in names if n.startswith("factures/")]
    assert len(pdfs) == len(invoices)
    assert all(archive.read(n).startswith(b"%PDF") for n in pdfs)
    attached = [n for n in names if n.startswith("fichiers/") and n.endswith(
        "certificat-hugo.pdf")]
    stored = StoredFile.get(StoredFile.original_name == "certificat-hugo.pdf")
    assert attached == [f"fichiers/{stored.id}-certificat-hugo.pdf"]
    assert hashlib.sha256(archive.read(attached[0])).hexdigest() == stored.sha256
    assert any(m["body"].startswith("Bonjour,\nLENA") for m in data["messages"])
    assert {"fiches_sanitaires", "vaccinations", "personnes_autorisees",
            "declarations_quotient", "inscriptions", "modifications_en_attente",
            "paiements", "mandats_de_prelevement", "fils_de_messages", "journal",
            "consentements"} <= set(data)
    # Account secrets are not data about the family.
    assert all("password_hash" not in user and "session_token" not in user
               for user in data["comptes"])


def test_another_familys_names_files_and_ids_are_never_in_it(client, auth, db):
    """16122 sends a file and has its own rows: none of its names, files or ids is in
    16123's ZIP."""
    auth.login("famille 16122")
    _family_sends_a_file(client, auth, "dupont-secret.pdf")
    auth.logout()
    auth.login("famille 16123")
    archive = _zip_of(_download(client, auth))
    everything = b"".join(archive.read(n) for n in archive.namelist())
    text = archive.read("donnees.json").decode()
    for word in ("DUPONT", "LENA", "16122", "dupont-secret", "famille.dupont@example.org"):
        assert word.encode() not in everything, word
    other = demo_family(16122)
    other_files = {f.id for f in StoredFile.select().where(StoredFile.family == other)}
    assert other_files and not any(
        name.startswith(f"fichiers/{file_id}-") for name in archive.namelist()
        for file_id in other_files)
    data = json.loads(text)
    assert {row["family"] for row in data["journal"]} <= {demo_family(16123).id}
    assert data["famille"]["id"] != other.id


def _accounts_in_zip(client, auth):
    """The emails of the « comptes » in 16123's ZIP, downloaded by Nadia (signed in)."""
    data = json.loads(_zip_of(_download(client, auth)).read("donnees.json"))
    return {account["email"] for account in data["comptes"]}


def test_an_access_staff_removed_is_no_longer_an_account_of_the_family(client, auth, db):
    """Staff remove Karim's access (separated parents): Nadia's ZIP no longer lists his
    account (his sign-in email, his last sign-in) among the family's; he stays one of
    the responsables légaux."""
    auth.login("famille 16123")
    assert _accounts_in_zip(client, auth) == {"famille.bernard@example.org",
                                               "karim.bernard@example.org"}
    family = demo_family(16123)
    karim = Guardian.get(Guardian.first_name == "Karim")
    auth.logout()
    auth.login("agent")
    assert client.post(f"/agents/familles/{family.id}/responsables/{karim.id}/acces/retirer",
                       data={"motif": "Séparation",
                             "csrf_token": auth.csrf(f"/agents/familles/{family.id}")}
                       ).status_code == 303
    assert not User.get(User.guardian == karim).is_active
    auth.logout()
    auth.login("famille 16123")
    assert _accounts_in_zip(client, auth) == {"famille.bernard@example.org"}


def test_a_guardian_replaced_by_a_declaration_is_no_longer_an_account_of_the_family(
        client, auth, db):
    """Nadia declares Paul MARTIN in Karim's place, validated: Karim's access is removed,
    and his account is no longer in Nadia's ZIP."""
    declare_second_guardian(client, auth, "Paul", "Martin", "paul.martin@exemple.fr",
                            decision="autre-personne")
    assert not User.get(User.email == "karim.bernard@example.org").is_active
    auth.logout()
    auth.login("famille 16123")
    assert _accounts_in_zip(client, auth) == {"famille.bernard@example.org"}


def test_each_download_is_audited_with_who_and_when(client, auth, db):
    auth.login("famille 16123")
    _zip_of(_download(client, auth))
    row = AuditLog.get(AuditLog.action == audit.MY_DATA_DOWNLOADED)
    assert row.family_id == demo_family(16123).id
    assert row.user.email == "famille.bernard@example.org" and row.at is not None


def test_three_downloads_a_day_then_a_french_message(client, auth, db):
    """The fourth download of the day is refused next to the button (429), not served."""
    auth.login("famille 16123")
    for _ in range(3):
        _zip_of(_download(client, auth))
    refused = _download(client, auth)
    assert refused.status_code == 429
    assert "déjà téléchargé vos données 3 fois aujourd'hui" in text_of(refused)
    assert AuditLog.select().where(AuditLog.action == audit.MY_DATA_DOWNLOADED).count() == 3


def test_the_page_is_in_mon_dossier_and_says_what_the_zip_holds(client, auth):
    auth.login("famille 16122")
    dossier = text_of(client.get("/mon-dossier/"))
    assert "Télécharger mes données" in dossier
    page = client.get("/mon-dossier/mes-donnees")
    assert page.status_code == 200
    assert "donnees.json" in text_of(page) and "3 fois par jour" in text_of(page)
