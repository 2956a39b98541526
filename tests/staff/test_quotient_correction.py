"""An agent corrects a declared quotient's value before validating it: the
family typed 6500 for 650; the agent fixes it from the attestation, the journal keeps
who changed what, and the validation then applies the corrected value."""
from domain import audit
from models import AuditLog, QFDeclaration
from tests import factories
from tests.family.test_dossier_quotient import attestation_pdf
from tests.helpers import error_of, text_of, unescaped
from tests.staff.test_staff_daily import declare_qf

PAGE = "/agents/validations/quotients"
PASSWORD = "une phrase de passe pour le test"


def test_an_agent_corrects_the_value_then_validates_it(client, auth, db, mailbox):
    family = factories.family(16300, "MARTIN", quotient=None, password=PASSWORD)
    declare_qf(client, auth, "6500", attestation_pdf(), "caf.pdf",
               who="f16300@example.org", password=PASSWORD)
    auth.login("agent")
    declaration = QFDeclaration.get(QFDeclaration.family == family)
    prefix = f"qf-{declaration.id}-corr"
    page = unescaped(client.get(PAGE))
    assert f'id="{prefix}-quotient"' in page and 'value="6500"' in page
    token = auth.csrf(PAGE)
    bad = client.post(f"{PAGE}/{declaration.id}/corriger", data={
        f"{prefix}-csrf_token": token, f"{prefix}-quotient": "six cent"})
    assert bad.status_code == 422
    assert error_of(bad.get_data(as_text=True), f"{prefix}-quotient") == \
        "Indiquez un nombre entier, sans virgule ni espace (ex. : 850)."
    assert QFDeclaration.get_by_id(declaration.id).quotient == 6500
    response = client.post(f"{PAGE}/{declaration.id}/corriger", data={
        f"{prefix}-csrf_token": token, f"{prefix}-quotient": "650",
        f"{prefix}-reason": "Attestation : 650 €"})
    assert response.status_code == 303
    assert "corrigé : 6500 → 650" in text_of(client.get(PAGE))
    saved = QFDeclaration.get_by_id(declaration.id)
    assert (saved.quotient, saved.status) == (650, QFDeclaration.PENDING)
    log = AuditLog.get(AuditLog.action == audit.QUOTIENT_CORRECTED)
    assert log.user.email == "agent@mairie.example.org" and log.family_id == family.id
    details = audit.details_of(log)
    assert (details["before"], details["after"], details["reason"]) == (
        {"quotient": 6500}, {"quotient": 650}, "Attestation : 650 €")
    journal = text_of(client.get("/agents/journal/", query_string={"famille": "16300"}))
    assert "Quotient corrigé" in journal and "Quotient familial : 6500 → 650" in journal

    response = client.post(f"{PAGE}/{declaration.id}/valider", data={
        f"qf-{declaration.id}-csrf_token": token,
        f"qf-{declaration.id}-effective_from": "2026-12-01"})
    assert response.status_code == 303
    assert QFDeclaration.get_by_id(declaration.id).quotient == 650
    # Once validated, the value cannot be corrected any more.
    client.post(f"{PAGE}/{declaration.id}/corriger", data={
        f"{prefix}-csrf_token": token, f"{prefix}-quotient": "700"})
    assert QFDeclaration.get_by_id(declaration.id).quotient == 650
