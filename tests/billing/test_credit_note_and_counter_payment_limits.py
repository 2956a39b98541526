"""What staff may do to an issued invoice, at the cent: a credit note of 0,01 € up to what
earlier credit notes left of the total, never on a credit note; a counter payment of
0,01 € up to what remains due, with a reference for cheques and vouchers; amounts typed
« 5,20 », « 5.2 », « 1 234 € » read to the cent, anything else refused."""
import datetime
import json

import pytest

from domain import audit
from domain.billing import adjustments
from domain.billing.adjustments import BillingError, issue_credit_note, record_counter_payment
from domain.billing.invoicing import due_cents_of
from models import AuditLog, Invoice, InvoiceLine, Payment, User
from tests.billing_support import october_invoice

NOW = datetime.datetime(2027, 1, 15, 9, tzinfo=datetime.timezone.utc)


def agent():
    return User.get(User.email == "agent@mairie.example.org")


@pytest.mark.parametrize("text, cents", [
    ("5", 500), ("5,20", 520), ("5.20", 520), ("5,2", 520), ("5,05", 505), ("0,01", 1),
    (" 12,00 € ", 1200), ("1 234,50", 123450), ("1\u00a0234,50", 123450), ("999999,99", 99999999),
    ("0", 0),
])
def test_an_amount_typed_by_staff_is_read_to_the_cent(text, cents):
    assert adjustments.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", None, "abc", "5,123", "1000000", "-5", "5,", ",5",
                                  "٥", "5;20", "5,2x", "x5"])
def test_anything_else_is_not_an_amount(text):
    assert adjustments.parse_amount(text) is None


def test_a_credit_note_is_numbered_in_its_own_series_and_lowers_what_is_due(db):
    invoice = october_invoice()  # 46,00 €
    credit = issue_credit_note(invoice.id, 760, "  Sortie annulée  ", agent(), NOW)
    assert (credit.number, credit.kind, credit.corrects_id, credit.total_cents) == (
        "A2027-00001", Invoice.CREDIT_NOTE, invoice.id, 760)
    assert (credit.family_id, credit.period_year, credit.period_month) == (
        invoice.family_id, 2026, 10)
    assert credit.due_date == datetime.date(2027, 1, 15)
    assert Invoice.get_by_id(credit.id).issued_at == NOW.replace(tzinfo=None)
    [line] = InvoiceLine.select().where(InvoiceLine.invoice == credit)
    assert (line.label, line.child_name, line.quantity, line.unit_price_cents,
            line.amount_cents) == ("Avoir sur la facture N° F2026-00002 : Sortie annulée", "",
                                   1, 760, 760)
    assert due_cents_of(invoice.id)[1] == 3840
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert entry.action == audit.CREDIT_NOTE_ISSUED
    assert json.loads(entry.details) == {
        "summary": "Avoir N° A2027-00001 de 7,60\u00a0€ sur la facture N° F2026-00002",
        "after": {"number": "A2027-00001", "invoice": "F2026-00002", "amount_cents": 760},
        "reason": "Sortie annulée"}
    assert entry.user_id == agent().id
    assert entry.family_id == invoice.family_id
    second = issue_credit_note(invoice.id, 100, "Erreur", agent(), NOW)
    assert second.number == "A2027-00002"


def test_a_credit_note_up_to_the_total_exactly_settles_the_invoice_and_not_a_cent_more(db):
    invoice = october_invoice()
    issue_credit_note(invoice.id, 600, "Erreur", agent(), NOW)
    with pytest.raises(BillingError) as refused:
        issue_credit_note(invoice.id, 4001, "Erreur", agent(), NOW)
    assert str(refused.value) == ("Le montant de l'avoir doit être compris entre 0,01 € et "
                                  "40,00\u00a0€.")
    assert refused.value.field == "amount"
    issue_credit_note(invoice.id, 4000, "Erreur", agent(), NOW)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert due_cents_of(invoice.id)[1] == 0


@pytest.mark.parametrize("cents", [0, -1])
def test_a_credit_note_of_nothing_is_refused(db, cents):
    invoice = october_invoice()
    with pytest.raises(BillingError, match="entre 0,01 € et 46,00"):
        issue_credit_note(invoice.id, cents, "Erreur", agent(), NOW)
    assert Invoice.select().where(Invoice.kind == Invoice.CREDIT_NOTE).count() == 0


def test_a_credit_note_of_one_cent_is_accepted(db):
    invoice = october_invoice()
    assert issue_credit_note(invoice.id, 1, "Arrondi", agent(), NOW).total_cents == 1
    assert due_cents_of(invoice.id)[1] == 4599


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_credit_note_needs_a_reason(db, reason):
    with pytest.raises(BillingError) as refused:
        issue_credit_note(october_invoice().id, 100, reason, agent(), NOW)
    assert (str(refused.value), refused.value.field) == ("Indiquez le motif de l'avoir.",
                                                         "reason")


def test_a_credit_note_does_not_correct_another_credit_note(db):
    credit = issue_credit_note(october_invoice().id, 100, "Erreur", agent(), NOW)
    with pytest.raises(BillingError) as refused:
        issue_credit_note(credit.id, 1, "Erreur", agent(), NOW)
    assert str(refused.value) == "Un avoir corrige une facture, pas un autre avoir."


def test_a_long_reason_is_cut_on_the_line_not_refused(db):
    credit = issue_credit_note(october_invoice().id, 100, "x" * 400, agent(), NOW)
    [line] = InvoiceLine.select().where(InvoiceLine.invoice == credit)
    assert len(line.label) == 250


def test_a_counter_payment_up_to_what_is_due_settles_the_invoice(db):
    invoice = october_invoice()
    payment = record_counter_payment(invoice.id, 4599, "cheque", " 1234567 ", agent(), NOW)
    assert (payment.amount_cents, payment.provider, payment.status, payment.method,
            payment.reference) == (4599, Payment.COUNTER, Payment.PAID, "cheque", "1234567")
    stored = Payment.get_by_id(payment.id)
    assert stored.created_at == stored.verified_at == NOW.replace(tzinfo=None)
    assert stored.transaction_id.startswith("G-") and stored.user_id == agent().id
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert entry.action == audit.PAYMENT_RECORDED
    assert json.loads(entry.details) == {
        "summary": "Paiement de 45,99\u00a0€ (Chèque) sur la facture N° F2026-00002",
        "after": {"invoice": "F2026-00002", "amount_cents": 4599, "method": "cheque",
                  "reference": "1234567"}}
    assert entry.family_id == invoice.family_id
    with pytest.raises(BillingError) as refused:
        record_counter_payment(invoice.id, 2, "especes", "", agent(), NOW)
    assert str(refused.value) == ("Le montant doit être compris entre 0,01 € et 0,01\u00a0€ "
                                  "(le reste à payer).")
    record_counter_payment(invoice.id, 1, "especes", "", agent(), NOW)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    with pytest.raises(BillingError) as refused:
        record_counter_payment(invoice.id, 1, "especes", "", agent(), NOW)
    assert str(refused.value) == "Cette facture n'a plus rien à payer."


@pytest.mark.parametrize("cents", [0, -100])
def test_a_counter_payment_of_nothing_is_refused(db, cents):
    with pytest.raises(BillingError, match="entre 0,01 € et 46,00"):
        record_counter_payment(october_invoice().id, cents, "especes", "", agent(), NOW)
    assert Payment.select().where(Payment.provider == Payment.COUNTER,
                                  Payment.invoice == october_invoice().id).count() == 0


def test_a_credit_note_cannot_be_paid_at_the_counter(db):
    credit = issue_credit_note(october_invoice().id, 100, "Erreur", agent(), NOW)
    with pytest.raises(BillingError, match="plus rien à payer"):
        record_counter_payment(credit.id, 1, "especes", "", agent(), NOW)


@pytest.mark.parametrize("method", ["cheque", "cesu", "cheque_vacances"])
def test_cheques_and_vouchers_need_their_numbers(db, method):
    with pytest.raises(BillingError) as refused:
        record_counter_payment(october_invoice().id, 100, method, "   ", agent(), NOW)
    assert refused.value.field == "reference"
    assert str(refused.value) == "Indiquez la référence (numéro du chèque ou des titres)."


def test_cash_needs_no_reference_and_an_unknown_method_is_refused(db):
    invoice = october_invoice()
    assert record_counter_payment(invoice.id, 100, "especes", None, agent(), NOW).reference == ""
    with pytest.raises(BillingError) as refused:
        record_counter_payment(invoice.id, 100, "carte", "x", agent(), NOW)
    assert (str(refused.value), refused.value.field) == ("Choisissez le moyen de paiement.",
                                                         "method")


def test_a_reference_is_kept_to_120_characters(db):
    payment = record_counter_payment(october_invoice().id, 100, "cesu", "9" * 200, agent(), NOW)
    assert Payment.get_by_id(payment.id).reference == "9" * 120
