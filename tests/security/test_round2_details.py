"""Bidi controls in uploaded file names, the attestation preview's
sandbox, amounts in other scripts' digits (the billing CSVs' one charset:
tests/staff/test_health_audit.py)."""
import pytest

from domain.billing.adjustments import parse_amount
from domain.uploads import clean_filename
from models import Payment, QFDeclaration, StoredFile
from tests.billing_support import october_invoice
from tests.conftest import csrf_from
from tests.family.test_dossier_quotient import attestation_pdf
from tests.staff.test_staff_daily import declare_qf


def test_bidi_controls_are_stripped_from_a_file_name():
    # "é\u202egpj.exe.pdf" reads "éfdp.exe.jpg" to staff.
    assert clean_filename("é\u202egpj.exe.pdf", ".pdf") == "égpj.exe.pdf"
    assert clean_filename("fac\u200bture\u2066.pdf", ".pdf") == "facture.pdf"
    assert clean_filename("\u202e\u202c", ".png") == "piece-jointe.png"


def test_an_uploaded_attestation_keeps_no_bidi_control_and_its_preview_is_sandboxed(
        client, auth, db):
    declare_qf(client, auth, "650", attestation_pdf(), "caf\u202efdp.exe.pdf")
    declaration = QFDeclaration.select().order_by(QFDeclaration.id.desc()).first()
    stored = StoredFile.get_by_id(declaration.attestation_id)
    assert stored.original_name == "caffdp.exe.pdf"
    auth.login("agent")
    preview = client.get(f"/agents/validations/quotients/{declaration.id}/attestation/apercu")
    assert preview.status_code == 200
    policy = [part.strip() for part in preview.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy


@pytest.mark.parametrize("typed", ["٥", "١٠", "５", "1٠,٥٠", "²"])
def test_amounts_in_other_digits_are_refused(typed):
    assert parse_amount(typed) is None


def test_a_counter_payment_in_arabic_digits_is_refused_next_to_the_field(client, auth, db):
    october = october_invoice()
    path = f"/agents/facturation/factures/{october.id}"
    auth.login("agent")
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(path + "/paiement", data={"amount": "١٠", "method": "especes",
                                                     "csrf_token": token})
    assert response.status_code == 422
    assert 'id="amount-error"' in response.get_data(as_text=True)
    assert Payment.select().where((Payment.invoice == october)
                                  & (Payment.provider == Payment.COUNTER)).count() == 0
