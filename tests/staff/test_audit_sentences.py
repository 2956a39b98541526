"""The audit log reads as sentences: each change with its label and its
values as people say them ("Statut : en attente → validée", never
``statut : en_attente → validee``), and it includes the families' own bookings and
cancellations (TERMINER), not only staff's writes.
"""
from domain import audit
from domain.family.documents import add_document
from domain.uploads import check_upload
from models import Family, User
from tests.helpers import pdf_bytes, text_of
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.staff.test_staff_attendance import book_januarys_wednesdays


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def journal(client, account):
    return text_of(client.get("/agents/journal/", query_string={"famille": str(account)}))


def test_changes_read_with_labels_and_values_as_said(client, auth, db):
    family = Family.get(Family.account_number == 16123)
    audit.record(agent(), family, audit.DOSSIER_VALIDATED, "Dossier 2026/2027 validé",
                 before={"statut": "en_attente"}, after={"statut": "validee"})
    audit.record(agent(), family, audit.QUOTIENT_VALIDATED, "Quotient validé",
                 before={"quotient": 640, "effective_from": None},
                 after={"quotient": 500, "effective_from": "2027-02-01"})
    audit.record(agent(), family, audit.FAMILY_EDITED, "Coordonnées",
                 before={"Marie BERNARD : phone_mobile": "0611111111", "has_pai": False},
                 after={"Marie BERNARD : phone_mobile": "0622222222", "has_pai": True})
    auth.login("agent")
    page = journal(client, 16123)
    assert "Statut : en attente → validée" in page
    assert "Quotient familial : 640 → 500" in page
    assert "Applicable à partir du : — → 01/02/2027" in page
    assert "Marie BERNARD : Téléphone portable : 0611111111 → 0622222222" in page
    assert "PAI : non → oui" in page
    assert "en_attente" not in page and "validee" not in page and "phone_mobile" not in page


def test_a_document_for_a_family_reads_as_a_sentence(client, auth, db):
    family = Family.get(Family.account_number == 16123)
    import io

    from werkzeug.datastructures import FileStorage
    checked = check_upload(FileStorage(io.BytesIO(pdf_bytes()), "attestation.pdf"))
    add_document(agent(), checked, "facture", "Attestation", family=family)
    auth.login("agent")
    page = journal(client, 16123)
    assert "ajouté aux documents de la famille 16123" in page
    assert "ajouté aux famille" not in page


def test_the_family_s_own_bookings_are_in_the_audit_log(client, auth, lena):  # noqa: F811
    book_januarys_wednesdays(client, lena)
    auth.logout()
    auth.login("agent")
    page = journal(client, 16122)
    assert "Réservations de la famille" in page
    assert "4 réservation(s), 0 annulation(s) : Réservation Mer. 06/01/2027 : LENA" in page
    row = audit.entries(family=lena.family_id, action=audit.BOOKING_COMMITTED).get()
    assert row.user.family_id == lena.family_id  # by the family's own user


def test_value_labels():
    assert audit.value_label("refusee") == "refusée"
    assert audit.value_label("2027-01-14") == "14/01/2027"
    assert audit.value_label(None) == audit.value_label("") == "—"
    assert audit.field_label("code_postal") == "Code postal"
    assert audit.field_label("une_cle_inconnue") == "Une cle inconnue"
