"""Direct debit, what each side sees: the family's notice (amount, date, account, mandate,
creditor), the administrateur's audit of the build, the payment under the mandate's RUM;
only a live online attempt holds a debit back; a family without an address is debited
and rejected without email; the pain.008 file in one batch, with the collection's own
time, the debtor's BIC, names without accents and the commune's account compact; a
rejection's fee billed by the rejected invoice's own régie; on PostgreSQL, an online
payment landing while the collection is built is not debited too."""
import datetime
import re
import threading
import time
import xml.etree.ElementTree as ET

import pytest

import models
from domain import audit, clock, commune
from domain.billing import direct_debit, mandates, regies
from domain.billing.run import issue_month
from domain.transactions import lock_rows, write_transaction
from models import (
    AuditLog,
    DebitCollection,
    DebitItem,
    Family,
    Guardian,
    Invoice,
    Mandate,
    Payment,
    User,
)
from tests.billing.test_direct_debit import FEB_1, IBAN_16123, NS, admin, creditor, january_of
from tests.helpers import all_at_once, demo_family

BERNARD = "famille.bernard@example.org"
FEB_15 = datetime.date(2027, 2, 15)


def euros_text(cents):
    return f"{cents // 100},{cents % 100:02d} €"


def plain(text):
    return text.replace("\xa0", " ").replace("\u202f", " ").replace("\r\n", "\n")


def other_family():
    return (Family.select().where(Family.id != demo_family(16123).id)
            .order_by(Family.account_number).first())


def two_families_billed(other_holder="AUTRE Nom"):
    """January issued; 16123 and another family each owe an invoice and signed a mandate.
    Returns (16123's invoice, the other family's)."""
    issue_month(2027, 1, "C", FEB_1)
    january = january_of(16123)
    fields = {k: v for k, v in january.__data__.items() if k != "id"}
    theirs = Invoice.create(**dict(fields, family=other_family().id, number="F2027-99999"))
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    mandates.sign(other_family().id, other_holder, "GB33BUKB20201555555555", "", None, FEB_1)
    creditor()
    return january, theirs


def build(now=FEB_1, day=FEB_15):
    return direct_debit.build_collection(2027, 1, day, commune.billing_settings(), admin(),
                                         now)


def debited_invoices(collection):
    return sorted(i.invoice_id for i in DebitItem.select().where(
        DebitItem.collection == collection))


def test_the_notice_gives_amount_date_masked_account_mandate_and_creditor(db, mailbox, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    build()
    amount = euros_text(january_of(16123).total_cents)
    [mail] = mailbox.to(BERNARD)
    assert plain(mail["Subject"]) == f"Prélèvement de {amount} le 15/02/2027"
    body = plain(mailbox.text(mail))
    assert f"Montant prélevé : {amount}\n" in body
    assert "Date du prélèvement : 15/02/2027" in body
    assert "Compte débité : FR76 •••• •••• 0189" in body
    assert "Référence du mandat (RUM) : PF-16123-1" in body
    assert "Identifiant créancier SEPA : FR72ZZZ123456" in body


def test_the_build_is_audited_and_each_debit_paid_under_the_mandate(db, mailbox, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    # A family with a mandate but nothing to pay in January: its first debit is still ahead.
    idle = mandates.sign(other_family().id, "AUTRE Nom", "GB33BUKB20201555555555", "", None,
                         FEB_1)
    invoice = january_of(16123)
    collection = DebitCollection.get_by_id(build().id)
    assert collection.created_by_id == admin().id
    assert collection.created_at == datetime.datetime(2027, 2, 1, 8, 0)
    assert re.fullmatch(r"PF202701-[0-9a-f]{16}", collection.message_id)
    payment = Payment.get((Payment.invoice == invoice.id) & (Payment.provider == Payment.DEBIT))
    assert (payment.amount_cents, payment.status, payment.user_id, payment.reference,
            payment.method) == (invoice.total_cents, Payment.PAID, admin().id, "PF-16123-1", "")
    assert Mandate.get_by_id(idle.id).first_collected_on is None
    entry = AuditLog.get((AuditLog.action == audit.DEBIT_COLLECTION_BUILT)
                         & AuditLog.family.is_null())
    assert (entry.user_id, entry.family_id) == (admin().id, None)
    details = audit.details_of(entry)
    assert plain(details["summary"]) == (
        f"Prélèvement de janvier 2027 : 1 facture(s), {euros_text(invoice.total_cents)}, "
        "le 15/02/2027")
    assert details["after"] == {"collection": collection.id, "count": 1,
                                "total_cents": invoice.total_cents}


def test_a_live_online_attempt_holds_back_its_own_invoice_only(db, mailbox, in_app):
    mine, theirs = two_families_billed()
    Payment.create(invoice=mine, amount_cents=mine.total_cents, transaction_id="idop-live",
                   status=Payment.PENDING,
                   expires_at=clock.as_stored(FEB_1) + datetime.timedelta(minutes=10))
    # The other family's attempt was refused: its idOp's time left does not matter.
    Payment.create(invoice=theirs, amount_cents=theirs.total_cents, transaction_id="idop-no",
                   status=Payment.REFUSED,
                   expires_at=clock.as_stored(FEB_1) + datetime.timedelta(minutes=10))
    assert debited_invoices(build()) == [theirs.id]


def test_an_attempt_that_expires_this_very_second_holds_nothing_back(db, mailbox, in_app):
    mine, theirs = two_families_billed()
    Payment.create(invoice=mine, amount_cents=mine.total_cents, transaction_id="idop-old",
                   status=Payment.PENDING, expires_at=clock.as_stored(FEB_1))
    assert debited_invoices(build()) == sorted([mine.id, theirs.id])


def test_a_family_without_any_address_is_debited_and_rejected_without_email(db, mailbox, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    family = demo_family(16123).id
    User.update(is_active=False).where(User.family == family).execute()
    Guardian.update(email="").where(Guardian.family == family).execute()
    invoice = january_of(16123)
    assert debited_invoices(build()) == [invoice.id]
    [item] = DebitItem.select()
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    assert DebitItem.get_by_id(item.id).status == DebitItem.REJECTED
    assert mailbox.messages == []


def test_the_pain008_file_is_one_batch_at_the_collections_time(db, mailbox, in_app):
    mine, theirs = two_families_billed(other_holder="LÉGER Hélène")
    # Settings written with spaces still give the bank compact identifiers.
    commune.set_billing_settings(sepa_creditor_iban="FR76 3000 1007 9412 3456 7890 185",
                                 sepa_creditor_id="FR72 ZZZ 123456")
    collection = build()
    root = ET.fromstring(direct_debit.pain008(collection, commune.billing_settings()))
    assert root.find(".//p:GrpHdr/p:CreDtTm", NS).text == "2027-02-01T09:00:00"
    [batch] = root.findall(".//p:PmtInf", NS)
    assert batch.find("p:NbOfTxs", NS).text == "2"
    assert batch.find("p:CtrlSum", NS).text == \
        f"{(mine.total_cents + theirs.total_cents) / 100:.2f}"
    assert batch.find("p:CdtrAcct/p:Id/p:IBAN", NS).text == "FR7630001007941234567890185"
    assert batch.find(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", NS).text == "FR72ZZZ123456"
    debtors = {tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text:
               (tx.find("p:Dbtr/p:Nm", NS).text,
                tx.find("p:DbtrAgt/p:FinInstnId/p:BIC", NS).text)
               for tx in batch.findall("p:DrctDbtTxInf", NS)}
    bics = {m.rum: m.bic for m in Mandate.select()}
    assert all(bics.values())
    assert debtors == {"PF-16123-1": ("BERNARD Sophie", bics["PF-16123-1"]),
                       f"PF-{other_family().account_number}-1":
                           ("LEGER Helene", bics[f"PF-{other_family().account_number}-1"])}


def test_a_rejection_fee_is_billed_by_the_rejected_invoices_regie(db, mailbox, in_app):
    mine, _ = two_families_billed()
    extra = regies.create_regie(admin(), "Régie extrascolaire", "CL", "ACL", "", [])
    Invoice.update(regie=extra.id).where(Invoice.id == mine.id).execute()
    commune.set_billing_settings(debit_rejection_fee_cents=500)
    build()
    item = DebitItem.get(DebitItem.invoice == mine.id)
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    fee = Invoice.get(Invoice.total_cents == 500)
    assert fee.regie_id == extra.id and fee.number.startswith("CL2027-")
    assert fee.family_id == mine.family_id


def test_an_online_payment_landing_during_the_build_is_not_debited_too(app, db, mailbox):
    """PostgreSQL: the build reads the invoices, then waits for the payer's lock on the
    invoice; once the online payment is in, it reads again and debits nothing."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's one writer serialises them anyway")
    with app.app_context():
        mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
        issue_month(2027, 1, "C", FEB_1)
        creditor()
        invoice = january_of(16123)
    models.db.close()
    models.init_database(app.config["DATABASE_URL"], pool_size=10)
    locked, outcome = threading.Event(), {}

    def waiting_on_a_lock():
        models.db.execute_sql("SELECT pg_stat_clear_snapshot()")
        return models.db.execute_sql(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()").fetchone()[0]

    def payer(index):
        with app.app_context(), models.db.connection_context(), write_transaction():
            lock_rows(Invoice, [invoice.id])
            locked.set()
            deadline = time.monotonic() + 20
            while not waiting_on_a_lock() and time.monotonic() < deadline:
                time.sleep(0.05)
            Payment.create(invoice=invoice.id, amount_cents=invoice.total_cents,
                           transaction_id="idop-race", status=Payment.PAID,
                           verified_at=clock.as_stored(FEB_1))
            Invoice.update(status=Invoice.PAID).where(Invoice.id == invoice.id).execute()

    def staff(index):
        locked.wait(20)
        with app.app_context(), models.db.connection_context():
            try:
                build()
            except direct_debit.CollectionError as refused:
                outcome["refused"] = str(refused)

    all_at_once(lambda index: (payer, staff)[index](index), 2)
    assert outcome["refused"].startswith("Aucune facture de janvier 2027 à prélever")
    assert DebitItem.select().count() == 0
    assert [p.provider for p in Payment.select().where(Payment.invoice == invoice.id)] == \
        [Payment.ONLINE]
