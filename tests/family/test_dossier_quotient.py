"""Déclarer mon quotient CAF: the QF with its attestation, refused files, pending status."""
import html
import io
import re

import pytest

from domain.pdf import simple_document
from models import QFDeclaration, StoredFile
from tests.helpers import demo_family, error_of, png_bytes

PATH = "/mon-dossier/quotient"


def attestation_pdf():
    return simple_document("Attestation de quotient familial", [
        "Caisse d'allocations familiales de la Haute-Garonne.",
        "Quotient familial du mois : 640 euros."])


def declare(client, auth, quotient, content, filename):
    data = {"csrf_token": auth.csrf(PATH), "quotient": quotient}
    if content is not None:
        data["attestation"] = (io.BytesIO(content), filename)
    return client.post(PATH, data=data, content_type="multipart/form-data")


def family_16122():
    return demo_family(16122)


def test_declared_qf_waits_for_staff_and_its_attestation_downloads(client, auth, db):
    auth.login()
    pdf = attestation_pdf()
    response = declare(client, auth, "640", pdf, "attestation-caf.pdf")
    assert response.status_code == 303
    declaration = QFDeclaration.get((QFDeclaration.family == family_16122())
                                    & (QFDeclaration.status == QFDeclaration.PENDING))
    assert declaration.quotient == 640
    assert declaration.attestation.original_name == "attestation-caf.pdf"
    page = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", client.get(PATH).get_data(
        as_text=True))))
    assert "Votre quotient familial (640) est enregistré avec son attestation." in page
    # The validated QF still applies until staff validate the new one.
    assert "Quotient validé : 850" in page
    assert "Tarif appliqué : Tranche 2 (QF de 701 à 1200)" in page
    assert "quotient 640 – en attente de validation" in page
    download = client.get(f"{PATH}/{declaration.id}/attestation")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == pdf  # a PDF is stored as sent


def test_a_second_declaration_replaces_the_pending_one(client, auth, db):
    auth.login()
    declare(client, auth, "640", attestation_pdf(), "premiere.pdf")
    declare(client, auth, "655", png_bytes(), "seconde.png")
    pending = list(QFDeclaration.select().where(
        (QFDeclaration.family == family_16122()) & (QFDeclaration.status == QFDeclaration.PENDING)))
    assert [(d.quotient, d.attestation.original_name) for d in pending] == [(655, "seconde.png")]


def test_family_without_qf_sees_the_highest_tariff(client, auth, db):
    auth.login("famille 16124")
    page = html.unescape(client.get(PATH).get_data(as_text=True))
    assert "Aucun quotient n'est validé." in page
    assert "Tranche 3 (QF au-delà de 1200 ou non déclaré)" in page


HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize("quotient, content, filename, field_id, message", [
    ("", "pdf", "attestation.pdf", "quotient", "Indiquez votre quotient familial."),
    ("8,5", "pdf", "attestation.pdf", "quotient", "Indiquez un nombre entier"),
    ("-3", "pdf", "attestation.pdf", "quotient", "Le quotient familial est un nombre entre 0 et 9999."),
    ("120000", "pdf", "attestation.pdf", "quotient", "entre 0 et 9999"),
    ("640", None, None, "attestation", "Joignez l'attestation de quotient familial de la CAF."),
    ("640", HTML_PAGE, "attestation.pdf", "attestation", "n'est ni un PDF, ni une image"),
    ("640", png_bytes() + b"<script>alert(1)</script>", "attestation.png", "attestation",
     "Ce fichier contient du code HTML"),
    ("640", b"%PDF-1.4\n<html><script>alert(1)</script></html>", "piege.pdf", "attestation",
     "Ce fichier contient du code HTML"),
    ("640", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024 - 9) + b"x", "gros.pdf", "attestation",
     "dépasse la taille maximale de 6 Mo"),
    ("640", "pdf", "../../etc/attestation.pdf", "attestation", "Le nom du fichier n'est pas valide"),
    ("640", b"", "vide.pdf", "attestation", "Le fichier est vide."),
])
def test_bad_declaration_says_why_next_to_the_field_and_keeps_the_qf(
        client, auth, db, quotient, content, filename, field_id, message):
    auth.login()
    if content == "pdf":
        content = attestation_pdf()
    if filename == "gros.pdf":
        assert len(content) == 6 * 1024 * 1024 + 1
    files_before = StoredFile.select().count()
    response = declare(client, auth, quotient, content, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in (error_of(page, field_id) or "")
    assert f'aria-describedby="{field_id}-hint {field_id}-error"' in page
    assert re.search(rf'<input [^>]*id="quotient"[^>]*value="{re.escape(quotient)}"', page)
    assert "Votre déclaration n'est pas enregistrée" in html.unescape(page)
    assert not QFDeclaration.select().where(QFDeclaration.status == QFDeclaration.PENDING).exists()
    assert StoredFile.select().count() == files_before
