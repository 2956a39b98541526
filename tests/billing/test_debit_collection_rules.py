"""Direct debit: the default debit day leaves 14 days' notice (the 28th at most, into the
next year after December); a refused collection or rejection says why by its field; a
rejection undoes only its own debit, says the bank's reason on the payment, bills a fee
only when the commune set one, and the collections list what was rejected, newest first."""
import datetime

import pytest

from domain import audit, commune
from domain.billing import direct_debit, mandates
from domain.billing.direct_debit import CollectionError
from domain.billing.run import issue_month
from models import AuditLog, DebitItem, Family, Invoice, Mandate, Payment
from tests.billing.test_direct_debit import FEB_1, IBAN_16123, admin, creditor
from tests.helpers import demo_family


@pytest.mark.parametrize("today, day, expected", [
    (datetime.date(2027, 2, 1), 31, datetime.date(2027, 2, 28)),
    (datetime.date(2026, 12, 10), 5, datetime.date(2027, 1, 5)),
    (datetime.date(2026, 11, 20), 2, datetime.date(2027, 1, 2)),
    (datetime.date(2026, 12, 1), 15, datetime.date(2026, 12, 15)),
])
def test_the_default_debit_day_leaves_14_days_notice(today, day, expected):
    assert direct_debit.default_collection_date(today, day) == expected


def two_families_debited(fee_cents=0):
    """16123 and another family with a mandate, January billed, debited on the 15th."""
    issue_month(2027, 1, "C", FEB_1)
    other = (Family.select().where(Family.id != demo_family(16123).id)
             .order_by(Family.account_number).first())
    january = Invoice.get((Invoice.family == demo_family(16123).id)
                          & (Invoice.period_year == 2027) & (Invoice.period_month == 1))
    fields = {k: v for k, v in january.__data__.items() if k != "id"}
    Invoice.create(**dict(fields, family=other.id, number="F2027-99999"))
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    mandates.sign(other.id, "AUTRE Nom", "GB33BUKB20201555555555", "", None, FEB_1)
    creditor()
    commune.set_billing_settings(debit_rejection_fee_cents=fee_cents)
    collection = direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                               commune.billing_settings(), admin(), FEB_1)
    items = {i.invoice.family_id: i for i in DebitItem.select().where(
        DebitItem.collection == collection)}
    return collection, items[demo_family(16123).id], items[other.id]


def test_too_early_a_date_is_refused_by_the_date_field(db, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    with pytest.raises(CollectionError) as refused:
        direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 12),
                                      commune.billing_settings(), admin(), FEB_1)
    assert refused.value.field == "collection_date"


def test_a_rejection_undoes_its_own_debit_only_and_says_the_reason(db, mailbox, in_app):
    collection, mine, theirs = two_families_debited()
    with pytest.raises(CollectionError) as refused:
        direct_debit.record_debit_rejection(mine.id, "XX99", commune.billing_settings(),
                                            admin(), FEB_1)
    assert (str(refused.value), refused.value.field) == \
        ("Choisissez le motif du rejet donné par la banque.", "reason")
    invoices_before = Invoice.select().count()
    direct_debit.record_debit_rejection(mine.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    assert Invoice.select().count() == invoices_before  # no fee set: no fee invoice
    payment = Payment.get_by_id(mine.payment_id)
    assert (payment.status, payment.outcome) == \
        (Payment.REFUSED, "Prélèvement rejeté : AM04 Provision insuffisante")
    other_payment = Payment.get_by_id(theirs.payment_id)
    assert other_payment.status == Payment.PAID and not other_payment.outcome
    assert DebitItem.get_by_id(theirs.id).status == DebitItem.COLLECTED
    assert DebitItem.get_by_id(mine.id).status == DebitItem.REJECTED
    assert Mandate.get_by_id(mine.mandate_id).first_collected_on is None
    assert Mandate.get_by_id(theirs.mandate_id).first_collected_on == datetime.date(2027, 2, 15)
    with pytest.raises(CollectionError) as again:
        direct_debit.record_debit_rejection(mine.id, "AM04", commune.billing_settings(),
                                            admin(), FEB_1)
    assert (str(again.value), again.value.field) == \
        ("Ce prélèvement est déjà enregistré comme rejeté.", "reason")
    [listed] = direct_debit.collections()
    assert listed.id == collection.id and listed.rejected_cents == mine.amount_cents


def test_a_fee_of_one_cent_is_billed(db, mailbox, in_app):
    _, mine, _ = two_families_debited(fee_cents=1)
    direct_debit.record_debit_rejection(mine.id, "AC04", commune.billing_settings(), admin(),
                                        FEB_1)
    fee = Invoice.get(Invoice.total_cents == 1)
    assert fee.family_id == demo_family(16123).id
    assert DebitItem.get_by_id(mine.id).fee_cents == 1


def test_collections_are_listed_newest_first_with_nothing_rejected_as_zero(db, mailbox, in_app):
    first, mine, theirs = two_families_debited()
    direct_debit.record_debit_rejection(mine.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    later = FEB_1 + datetime.timedelta(days=10)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 1),
                                           commune.billing_settings(), admin(), later)
    listed = direct_debit.collections()
    assert [c.id for c in listed] == [second.id, first.id]
    assert (listed[0].rejected_cents, listed[1].rejected_cents) == (0, mine.amount_cents)


def test_a_rejection_is_mailed_audited_and_its_fee_billed_like_an_invoice(db, mailbox, in_app):
    _, mine, theirs = two_families_debited(fee_cents=500)
    invoice = Invoice.get_by_id(mine.invoice_id)
    assert direct_debit.debit_of(invoice.id).id == mine.id
    mailbox.clear()
    direct_debit.record_debit_rejection(mine.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    assert direct_debit.debit_of(invoice.id) is None
    assert direct_debit.debit_of(theirs.invoice_id).id == theirs.id
    fee = Invoice.get(Invoice.total_cents == 500)
    assert fee.kind == Invoice.INVOICE and fee.regie_id == invoice.regie_id
    assert fee.number.startswith(f"{invoice.number[0]}2027-")
    assert fee.issued_at == datetime.datetime(2027, 2, 1, 8, 0)
    assert fee.due_date > datetime.date(2027, 2, 1)
    assert (fee.period_year, fee.period_month) == (2027, 1)
    [line] = fee.lines
    assert (line.child_name, line.quantity, line.unit_price_cents, line.amount_cents) == \
        ("", 1, 500, 500)
    assert line.label == f"Frais de rejet de prélèvement (facture N° {invoice.number})"
    [mail] = mailbox.to("famille.bernard@example.org")
    assert mail["Subject"] == f"Prélèvement rejeté : facture N° {invoice.number}"
    body = mailbox.text(mail).replace("\xa0", " ").replace("\r\n", "\n")
    amount = f"{mine.amount_cents // 100},{mine.amount_cents % 100:02d} €"
    assert (f"Votre banque a rejeté le prélèvement de {amount} pour la facture "
            f"N° {invoice.number} (motif : Provision insuffisante)") in body
    assert f"facture N° {fee.number}, 5,00 €" in body and "suspendus" not in body
    entry = AuditLog.get(AuditLog.action == audit.DEBIT_REJECTED)
    assert (entry.user_id, entry.family_id) == (admin().id, invoice.family_id)
    details = audit.details_of(entry)
    assert details["summary"].replace("\xa0", " ") == (
        f"Prélèvement de {amount} rejeté sur la facture N° {invoice.number} "
        "(Provision insuffisante)")
    assert details["after"] == {"reason": "AM04", "fee_cents": 500,
                                "mandate_status": Mandate.ACTIVE}


def test_the_second_rejection_says_the_mandate_is_suspended_in_the_audit(db, mailbox, in_app):
    _, mine, _ = two_families_debited()
    Mandate.update(rejections=1).where(Mandate.id == mine.mandate_id).execute()
    direct_debit.record_debit_rejection(mine.id, "AC04", commune.billing_settings(), admin(),
                                        FEB_1)
    details = audit.details_of(AuditLog.get(AuditLog.action == audit.DEBIT_REJECTED))
    assert details["summary"].endswith("(Compte clôturé) ; mandat suspendu")
    assert details["after"]["mandate_status"] == Mandate.SUSPENDED


def test_a_collection_is_refused_with_what_is_missing_or_wrong(db, mailbox, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    commune.set_billing_settings(sepa_creditor_id="", sepa_creditor_iban="",
                                 sepa_creditor_bic="", debit_day=15)

    def refusal(day, year=2027, month=1):
        with pytest.raises(CollectionError) as refused:
            direct_debit.build_collection(year, month, day, commune.billing_settings(), admin(),
                                          FEB_1)
        return str(refused.value), refused.value.field

    assert refusal(datetime.date(2027, 2, 15)) == (
        "Complétez d'abord dans les paramètres : l'identifiant créancier SEPA (ICS) de la "
        "commune, l'IBAN du compte de la commune, le BIC du compte de la commune.", "settings")
    assert refusal(datetime.date(2027, 2, 14)) == (
        "Les familles doivent être prévenues 14 jours avant le prélèvement : choisissez le "
        "15/02/2027 ou plus tard.", "collection_date")
    assert refusal(datetime.date(2027, 2, 20)) == (
        "Les banques ne prélèvent pas le samedi ni le dimanche : choisissez un jour de semaine.",
        "collection_date")
    creditor()
    assert refusal(datetime.date(2027, 2, 15), month=2) == (
        "Aucune facture de février 2027 à prélever : aucune famille avec un mandat n'a de "
        "facture à payer.", "period")
    assert DebitItem.select().count() == 0
