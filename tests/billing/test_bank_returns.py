"""The bank's return file: staff upload the pain.002 (or camt.054) the bank sends back, see
what it matches, then record the rejections as a rejection by hand would.

The files are made here from a real collection built by the portal: the end-to-end
ids are read from the pain.008 the portal gave the bank."""
import datetime
import io
import re
import xml.etree.ElementTree as ET

import pytest

from domain import clock, commune
from domain.billing import bank_returns, direct_debit, mandates
from domain.billing.invoicing import due_cents_of
from domain.billing.run import issue_month
from models import AuditLog, DebitItem, Invoice, Mandate, User
from tests.helpers import csrf_from, demo_family

FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
NS = {"p": direct_debit.NAMESPACE}
IBAN_16123 = "FR76 3000 6000 0112 3456 7890 189"




def admin():
    return User.get(User.email == "admin@mairie.example.org")


def january_collection(used_since=None):
    """Family 16123 signs a mandate; January is billed and collected. ``used_since``: the
    date of the mandate's first debit, made before the portal."""
    mandate = mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None,
                            FEB_1)
    if used_since:
        Mandate.update(first_collected_on=used_since).where(
            Mandate.id == mandate.id).execute()
    issue_month(2027, 1, "C", FEB_1)
    commune.set_billing_settings(
        sepa_creditor_id="FR72ZZZ123456", sepa_creditor_iban="FR7630001007941234567890185",
        sepa_creditor_bic="BDFEFRPPXXX", debit_day=15, debit_rejection_fee_cents=0)
    return direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                         commune.billing_settings(), admin(), FEB_1)


def sent_debits(collection):
    """{account number: (end-to-end id, amount text)} as the pain.008 file gives them."""
    root = ET.fromstring(direct_debit.pain008(collection, commune.billing_settings()))
    found = {}
    for tx in root.findall(".//p:DrctDbtTxInf", NS):
        rum = tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text
        found[int(rum.split("-")[1])] = (tx.find("p:PmtId/p:EndToEndId", NS).text,
                                         tx.find("p:InstdAmt", NS).text)
    return found


def pain002(collection, rejected, message_id=None):
    """A pain.002.001.03 the bank would send: [(end-to-end id, amount text, code)]."""
    txs = "".join(
        f"<TxInfAndSts><StsId>S{n}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>"
        f"<OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">{amount}</InstdAmt></Amt></OrgnlTxRef>"
        "</TxInfAndSts>" for n, (e2e, amount, code) in enumerate(rejected))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANQUE-1</MsgId><CreDtTm>2027-02-17T08:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id or collection.message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>").encode()


def camt054(rejected):
    """A camt.054.001.02 debit notification with returned debits."""
    entries = "".join(
        f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><NtryDtls><TxDtls>"
        f"<Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
        f"<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
        for e2e, amount, code in rejected)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>AVIS-1</MsgId></GrpHdr>"
        f"<Ntfctn><Id>N1</Id>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>").encode()


def test_the_end_to_end_id_of_each_debit_is_its_own_reference_in_the_file(db, mailbox, in_app):
    collection = january_collection()
    sent = sent_debits(collection)
    assert sorted(sent) == [16123]
    items = {item.end_to_end_id: item for item in DebitItem.select()}
    assert sorted(items) == sorted(e2e for e2e, _ in sent.values())
    for number, (e2e, amount) in sent.items():
        assert items[e2e].invoice.family.account_number == number
        assert f"{items[e2e].amount_cents / 100:.2f}" == amount


def test_a_pain002_rejection_is_recorded_like_one_by_hand(db, mailbox, in_app):
    collection = january_collection()
    commune.set_billing_settings(debit_rejection_fee_cents=350)
    sent = sent_debits(collection)
    e2e, amount = sent[16123]
    data = pain002(collection, [(e2e, amount, "AM04"), ("INCONNU-9", "1.00", "AC04")])
    report = bank_returns.check(collection, data)
    assert report.kind == "pain.002" and report.warning == ""
    [matched] = report.to_record
    assert matched.item.end_to_end_id == e2e and matched.reason_label == "Provision insuffisante"
    [unknown] = report.left_out
    assert unknown.problem == "Aucun débit ne porte cette référence."
    assert DebitItem.select().where(DebitItem.status == DebitItem.REJECTED).count() == 0

    mailbox.clear()
    assert bank_returns.record(collection, data, commune.billing_settings(), admin(),
                               FEB_1) == (1, 1)
    item = DebitItem.get(DebitItem.end_to_end_id == e2e)
    assert (item.status, item.rejection_reason, item.fee_cents) == ("rejete", "AM04", 350)
    assert Invoice.get_by_id(item.invoice_id).status == Invoice.ISSUED
    assert due_cents_of(item.invoice_id)[1] == item.amount_cents
    [mail] = mailbox.to("famille.bernard@example.org")
    assert "Provision insuffisante" in mailbox.text(mail)
    assert Invoice.select().where(Invoice.total_cents == 350).count() == 1  # the fee
    assert AuditLog.select().where(AuditLog.action == "debit.rejected").count() == 1
    assert "1 rejet(s) enregistré(s)" in AuditLog.get(
        AuditLog.action == "debit.return_imported").details

    # The same file again records nothing twice.
    again = bank_returns.check(collection, data)
    assert again.to_record == []
    assert again.left_out[0].problem.startswith("Déjà enregistré comme rejeté le ")
    assert bank_returns.record(collection, data, commune.billing_settings(), admin(),
                               FEB_1) == (0, 2)
    assert Invoice.select().where(Invoice.total_cents == 350).count() == 1
    assert Mandate.get(Mandate.family == demo_family(16123).id).rejections == 1


def test_a_camt054_return_is_read_and_a_second_rejection_suspends_the_mandate(db, mailbox, in_app):
    collection = january_collection()
    sent = sent_debits(collection)
    Mandate.update(rejections=1).where(Mandate.family == demo_family(16123).id).execute()
    e2e, amount = sent[16123]
    report = bank_returns.check(collection, camt054([(e2e, amount, "MD01")]))
    assert report.kind == "camt.054" and [line.returned.reason_code
                                          for line in report.to_record] == ["MD01"]
    bank_returns.record(collection, camt054([(e2e, amount, "MD01")]),
                        commune.billing_settings(), admin(), FEB_1)
    assert Mandate.get(Mandate.family == demo_family(16123).id).status == "suspendu"
    assert "suspendus" in mailbox.text(mailbox.to("famille.bernard@example.org")[-1])


def test_a_first_debit_refunded_after_a_recurring_one_leaves_the_mandate_recurring(
        db, mailbox, in_app):
    """January's FRST is collected on 15/02, a RCUR under the same mandate on 08/03; then
    the bank returns January's debit (MD06, refund asked by the debtor). The mandate was
    used by the 08/03 debit, which stands: its next debit is a RCUR, not a FRST again."""
    collection = january_collection()
    [first] = DebitItem.select().where(DebitItem.collection == collection.id)
    fee = direct_debit._fee_invoice(Invoice.get_by_id(first.invoice_id), 250, FEB_1)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(),
                                           FEB_1 + datetime.timedelta(days=20))
    [recurring] = DebitItem.select().where(DebitItem.collection == second.id)
    assert (recurring.invoice_id, recurring.sequence) == (fee.id, direct_debit.RECURRING)
    e2e, amount = sent_debits(collection)[16123]
    march_10 = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=clock.PARIS)
    assert bank_returns.record(collection, camt054([(e2e, amount, "MD06")]),
                               commune.billing_settings(), admin(), march_10) == (1, 0)
    assert DebitItem.get_by_id(first.id).status == DebitItem.REJECTED
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    third = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 24),
                                          commune.billing_settings(), admin(), march_10)
    [again] = DebitItem.select().where(DebitItem.collection == third.id)
    assert (again.invoice_id, again.sequence) == (first.invoice_id, direct_debit.RECURRING)


def test_a_first_debit_rejected_with_no_other_debit_makes_the_next_one_first(
        db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    bank_returns.record(collection, camt054([(e2e, amount, "AM04")]),
                        commune.billing_settings(), admin(), FEB_1)
    assert Mandate.get().first_collected_on is None
    later = FEB_1 + datetime.timedelta(days=2)
    again = direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 22),
                                          commune.billing_settings(), admin(), later)
    [debit] = DebitItem.select().where(DebitItem.collection == again.id)
    assert debit.sequence == direct_debit.FIRST


@pytest.mark.parametrize("code, amount, problem", [
    ("ZZ99", None, "Motif ZZ99 inconnu"),
    ("AC04", "1.00", "La banque indique 1,00\xa0€, le débit était de 57,40"),
])
def test_what_does_not_fit_is_left_out_with_its_reason(db, mailbox, in_app, code, amount,
                                                       problem):
    collection = january_collection()
    e2e, sent_amount = sent_debits(collection)[16123]
    report = bank_returns.check(collection, pain002(collection,
                                                    [(e2e, amount or sent_amount, code)]))
    assert report.to_record == []
    assert report.left_out[0].problem.startswith(problem)


def test_a_debit_of_another_collection_is_left_out_and_the_message_id_is_checked(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    other = direct_debit.DebitCollection.create(
        period_year=2027, period_month=2, collection_date=datetime.date(2027, 3, 15),
        created_at=clock.as_stored(FEB_1), message_id="PF-AUTRE", total_cents=0, count=0)
    report = bank_returns.check(other, pain002(collection, [(e2e, amount, "AM04")]))
    assert "répond au message" in report.warning
    assert report.left_out[0].problem.startswith("Ce débit appartient au prélèvement de janvier")


@pytest.mark.parametrize("data, message", [
    (b"", "Le fichier est vide."),
    (b"pas du XML", "n'est pas un fichier XML lisible"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
     b"<Document>&b;</Document>", "n'est pas un fichier XML lisible"),
    (b"<Document><Autre/></Document>", "n'est pas un retour de prélèvement"),
    (b'<Document><CstmrPmtStsRpt><OrgnlGrpInfAndSts><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn>'
     b"<Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>",
     "refusé le fichier entier (motif FF01)"),
    (b"<Document><CstmrPmtStsRpt><OrgnlPmtInfAndSts><TxInfAndSts><TxSts>ACSC</TxSts>"
     b"</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>",
     "ne signale aucun prélèvement rejeté"),
])
def test_an_unreadable_file_is_refused_in_french(db, data, message):
    collection = direct_debit.DebitCollection.create(
        period_year=2027, period_month=1, collection_date=datetime.date(2027, 2, 15),
        message_id="PF-X", total_cents=0, count=0)
    with pytest.raises(bank_returns.ReturnFileError, match=re.escape(message)):
        bank_returns.check(collection, data)


def _upload(client, page_url, data, name="retour.xml"):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(page_url + "/retour", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "fichier": (io.BytesIO(data), name)})


def test_staff_upload_see_the_dry_run_then_record_through_the_pages(client, auth, db, mailbox, app):
    with app.app_context():
        collection = january_collection()
        e2e, amount = sent_debits(collection)[16123]
    auth.login("agent")
    url = f"/agents/facturation/prelevements/{collection.id}"
    refused = _upload(client, url, b"<html>pas un retour</html>")
    assert refused.status_code == 422
    error = re.search(r'id="fichier-error">([^<]+)<', refused.get_data(as_text=True)).group(1)
    assert "pas un fichier XML lisible" in error or "pas un retour de prélèvement" in error
    empty = client.post(url + "/retour", data={"csrf_token": csrf_from(
        client.get(url).get_data(as_text=True))})
    assert empty.status_code == 422
    assert "Choisissez le fichier de retour" in empty.get_data(as_text=True)

    data = pain002(collection, [(e2e, amount, "MS02"), ("XX-1", "2.00", "AC04")])
    uploaded = _upload(client, url, data)
    assert uploaded.status_code == 303
    dry_run = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "1 à enregistrer, 1 laissé(s) de côté" in dry_run
    assert "MS02 – Refus du débiteur" in dry_run and "Aucun débit ne porte cette référence" in dry_run
    assert DebitItem.select().where(DebitItem.status == "rejete").count() == 0  # a dry run
    done = client.post(uploaded.headers["Location"], data={"csrf_token": csrf_from(dry_run)})
    assert done.status_code == 303
    assert "1 rejet(s) enregistré(s)" in client.get(done.headers["Location"]).get_data(
        as_text=True)
    assert DebitItem.get(DebitItem.end_to_end_id == e2e).status == "rejete"
    # Posted again (a double click, the same file): nothing more.
    again = client.post(uploaded.headers["Location"], data={"csrf_token": csrf_from(dry_run)})
    assert again.status_code == 303
    assert DebitItem.select().where(DebitItem.status == "rejete").count() == 1
    assert AuditLog.select().where(AuditLog.action == "debit.rejected").count() == 1
    # Another agent's upload token is not ours.
    auth.logout()
    auth.login("administrateur")
    assert client.get(uploaded.headers["Location"]).status_code == 404
