"""Paying by SEPA direct debit: a mandate signed online (or on paper), the month's
collection with its 14 days' notice and its pain.008 file, and the debits a bank rejects."""
import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from sepaxml.validation import ValidationError

from domain import clock, commune
from domain.billing import direct_debit, mandates
from domain.billing.invoicing import due_cents_of, refresh_status
from domain.billing.payments import PaymentNotPossible, payable_online
from domain.billing.run import issue_month
from models import AuditLog, DebitItem, Invoice, Mandate, Payment, User
from tests.helpers import csrf_from, demo_family

FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
IBAN_16123 = "FR76 3000 6000 0112 3456 7890 189"
WRONG_CHECKSUM = "FR76 3000 6000 0112 3456 7890 188"
NS = {"p": direct_debit.NAMESPACE}




def sign_16123(client, auth, iban=IBAN_16123, consent="y", login=True):
    if login:
        auth.login("famille 16123")
    page = client.get("/facturation/prelevement").get_data(as_text=True)
    return client.post("/facturation/prelevement", data={
        "csrf_token": csrf_from(page), "holder": "BERNARD Sophie", "iban": iban, "bic": "",
        "consent": consent})


def creditor():
    return commune.set_billing_settings(
        sepa_creditor_id="FR72ZZZ123456", sepa_creditor_iban="FR7630001007941234567890185",
        sepa_creditor_bic="BDFEFRPPXXX", debit_day=15, debit_rejection_fee_cents=0)


def admin():
    return User.get(User.email == "admin@mairie.example.org")


def january_of(number):
    return (Invoice.select().where((Invoice.family == demo_family(number).id)
                                   & (Invoice.period_year == 2027) & (Invoice.period_month == 1)
                                   & (Invoice.kind == Invoice.INVOICE)).get())


def test_a_wrong_iban_is_refused_next_to_the_field_and_nothing_is_signed(client, auth, db):
    response = sign_16123(client, auth, iban=WRONG_CHECKSUM)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'id="iban-error">([^<]+)<', page).group(1)
    assert "clé de contrôle" in error
    assert 'aria-describedby="iban-hint iban-error"' in page
    assert "BERNARD Sophie" in page  # what was typed is kept
    assert Mandate.select().count() == 0


def test_the_mandate_needs_the_familys_consent(client, auth, db):
    response = sign_16123(client, auth, consent="")
    assert response.status_code == 422
    assert "Cochez la case pour donner votre accord." in response.get_data(as_text=True)
    assert Mandate.select().count() == 0


def test_16123_signs_online_the_bic_is_found_and_the_consent_recorded(client, auth, db):
    response = sign_16123(client, auth)
    assert response.status_code == 303
    mandate = Mandate.get()
    assert (mandate.rum, mandate.holder, mandate.iban, mandate.bic, mandate.status,
            mandate.signature) == ("PF-16123-1", "BERNARD Sophie",
                                   "FR7630006000011234567890189", "AGRIFRPPXXX", "actif",
                                   "en_ligne")
    assert mandate.consent_address == "127.0.0.1"
    assert mandate.signed_on == clock.today()
    page = client.get("/facturation/prelevement").get_data(as_text=True)
    assert "PF-16123-1" in page and "FR76 •••• •••• 0189" in page
    assert "30006000011234567890189" not in page  # the whole IBAN is never shown again
    pdf = client.get(f"/facturation/prelevement/mandat/{mandate.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert AuditLog.get(AuditLog.action == "mandate.signed").family_id == mandate.family_id


def test_a_new_iban_makes_a_new_mandate_and_revoking_stops_it(client, auth, db):
    sign_16123(client, auth)
    sign_16123(client, auth, iban="FR14 2004 1010 0505 0001 3M02 606", login=False)
    first, second = Mandate.select().order_by(Mandate.id)
    assert (first.status, second.status, second.rum) == ("revoque", "actif", "PF-16123-2")
    page = client.get("/facturation/prelevement").get_data(as_text=True)
    client.post("/facturation/prelevement/revoquer",
                data={"revoquer-csrf_token": csrf_from(page)})
    assert mandates.active_mandate(demo_family(16123).id) is None


def test_another_familys_mandate_pdf_is_a_404(client, auth, db):
    mandate = mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None,
                            clock.now())
    auth.login("famille 16122")
    assert client.get(f"/facturation/prelevement/mandat/{mandate.id}.pdf").status_code == 404


def _january_collection(mailbox=None):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    return direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                         commune.billing_settings(), admin(), FEB_1)


def test_the_january_collection_debits_16123_once_and_tells_it_14_days_before(db, mailbox, in_app):
    collection = _january_collection()
    invoice = january_of(16123)
    assert collection.count == 1 and collection.total_cents == invoice.total_cents > 0
    [item] = DebitItem.select()
    assert (item.invoice_id, item.sequence, item.amount_cents) == (
        invoice.id, "FRST", invoice.total_cents)
    # The notice leaves when the collection is built: 14 days before the debit.
    [mail] = mailbox.to("famille.bernard@example.org")
    body = mailbox.text(mail)
    assert "15/02/2027" in body and "PF-16123-1" in body
    assert mail["Subject"].startswith("Prélèvement de ")
    assert (datetime.date(2027, 2, 15) - FEB_1.date()).days >= 14
    # Paid by debit: never offered online.
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    with pytest.raises(PaymentNotPossible):
        payable_online(invoice.id, invoice.family_id)
    # A second build of the month debits nobody twice.
    with pytest.raises(direct_debit.CollectionError):
        direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                      commune.billing_settings(), admin(), FEB_1)


def test_the_pain008_file_validates_and_holds_16123s_amount_once(db, mailbox, in_app):
    collection = _january_collection()
    xml = direct_debit.pain008(collection, commune.billing_settings())
    root = ET.fromstring(xml)
    amounts = root.findall(".//p:DrctDbtTxInf/p:InstdAmt", NS)
    invoice = january_of(16123)
    assert [a.text for a in amounts] == [f"{invoice.total_cents / 100:.2f}"]
    assert root.find(".//p:MndtId", NS).text == "PF-16123-1"
    assert root.find(".//p:SeqTp", NS).text == "FRST"
    assert root.find(".//p:ReqdColltnDt", NS).text == "2027-02-15"
    assert root.find(".//p:GrpHdr/p:MsgId", NS).text == collection.message_id
    assert root.find(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", NS).text == "FR72ZZZ123456"


def test_a_file_the_schema_refuses_is_never_given(db, mailbox, in_app):
    collection = _january_collection()
    Mandate.update(iban="FR76-PAS-UN-IBAN").execute()  # what the schema's pattern refuses
    with pytest.raises(ValidationError, match="schéma"):
        direct_debit.pain008(collection, commune.billing_settings())


def _january_of_16123_with_a_mandate():
    """16123 signs a mandate, January is issued and the creditor set: its invoice."""
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    return january_of(16123)


def _collection_of_january_refused():
    """Building January's collection finds nothing to debit."""
    with pytest.raises(direct_debit.CollectionError, match="Aucune facture"):
        direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                      commune.billing_settings(), admin(), FEB_1)


def test_a_family_paying_online_is_left_out_of_the_collection(db, mailbox, in_app):
    invoice = _january_of_16123_with_a_mandate()
    Payment.create(invoice=invoice, amount_cents=invoice.total_cents, transaction_id="idop-1",
                   status=Payment.PENDING, expires_at=clock.as_stored(FEB_1)
                   + datetime.timedelta(minutes=10))
    _collection_of_january_refused()


def test_an_invoice_already_paid_online_is_left_out_of_the_collection(db, mailbox, in_app):
    invoice = _january_of_16123_with_a_mandate()
    Payment.create(invoice=invoice, amount_cents=invoice.total_cents, transaction_id="idop-2",
                   status=Payment.PAID, verified_at=clock.as_stored(FEB_1))
    refresh_status(invoice.id)
    _collection_of_january_refused()
    assert DebitItem.select().count() == 0 and mailbox.to("famille.bernard@example.org") == []


def test_the_debit_after_a_collected_first_one_is_recurring(db, mailbox, in_app):
    first = _january_collection()
    assert Mandate.get().first_collected_on == first.collection_date
    # Another invoice of the month for the family (a later one), collected next time.
    fee = direct_debit._fee_invoice(january_of(16123), 250, FEB_1)
    later = FEB_1 + datetime.timedelta(days=20)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(), later)
    [item] = DebitItem.select().where(DebitItem.collection == second)
    assert (item.invoice_id, item.sequence, item.amount_cents) == (fee.id, "RCUR", 250)
    xml = direct_debit.pain008(second, commune.billing_settings())
    assert ET.fromstring(xml).find(".//p:SeqTp", NS).text == "RCUR"


def test_less_than_14_days_notice_is_refused(db, in_app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    with pytest.raises(direct_debit.CollectionError, match="14 jours"):
        direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 12),
                                      commune.billing_settings(), admin(), FEB_1)
    assert direct_debit.default_collection_date(FEB_1.date(), 15) == datetime.date(2027, 2, 15)
    assert direct_debit.default_collection_date(FEB_1.date(), 10) == datetime.date(2027, 3, 10)


def test_a_rejection_makes_the_invoice_unpaid_and_the_second_suspends_the_mandate(db, mailbox, in_app):
    collection = _january_collection()
    commune.set_billing_settings(debit_rejection_fee_cents=500)
    invoice = january_of(16123)
    [item] = DebitItem.select()
    mailbox.clear()
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(),
                                        admin(), FEB_1)
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    assert due_cents_of(invoice.id)[1] == invoice.total_cents
    [mail] = mailbox.to("famille.bernard@example.org")
    body = mailbox.text(mail)
    assert "Provision insuffisante" in body and "5,00" in body
    fee = Invoice.get(Invoice.total_cents == 500)
    assert fee.family_id == invoice.family_id and "Frais de rejet" in fee.lines[0].label
    assert Mandate.get().status == "actif"
    # Debited again (a first debit again, the first one being rejected), rejected again.
    later = FEB_1 + datetime.timedelta(days=10)
    again = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 1),
                                          commune.billing_settings(), admin(), later)
    debits = {d.invoice_id: d for d in DebitItem.select().where(DebitItem.collection == again)}
    assert sorted(debits) == sorted([invoice.id, fee.id])  # the fee is debited with it
    second = debits[invoice.id]
    assert second.sequence == "FRST"
    direct_debit.record_debit_rejection(second.id, "AC04", commune.billing_settings(),
                                        admin(), later)
    assert Mandate.get().status == "suspendu"
    assert "suspendus" in mailbox.text(mailbox.to("famille.bernard@example.org")[-1])
    assert collection.id != again.id


def test_staff_build_download_and_reject_through_the_pages(client, auth, db, mailbox, app):
    mandates.sign(demo_family(16123).id, "BERNARD Sophie", IBAN_16123, "", None, FEB_1)
    issue_month(2027, 1, "C", FEB_1)
    creditor()
    auth.login("administrateur")
    page = client.get("/agents/facturation/prelevements/").get_data(as_text=True)
    assert "Préparer le prélèvement" in page
    # Today is 26/11/2026 in the tests: a debit on 15/02/2027 leaves the notice.
    response = client.post("/agents/admin/facturation/prelevements/", data={
        "csrf_token": csrf_from(page), "period": "2027-01", "collection_date": "2027-02-15"})
    assert response.status_code == 303
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PF-16123-1" in detail and "FRST" in detail
    [item] = DebitItem.select()
    download = client.get(f"/agents/facturation/prelevements/{item.collection_id}/pain008.xml")
    assert download.status_code == 200 and b"PF-16123-1" in download.data
    assert "attachment" in download.headers["Content-Disposition"]
    refused = client.post(f"/agents/facturation/prelevements/debits/{item.id}/rejet",
                          data={f"rejet-{item.id}-csrf_token": csrf_from(detail),
                                f"rejet-{item.id}-reason": ""})
    assert refused.status_code == 422
    assert "Choisissez le motif" in refused.get_data(as_text=True)
    done = client.post(f"/agents/facturation/prelevements/debits/{item.id}/rejet",
                       data={f"rejet-{item.id}-csrf_token": csrf_from(detail),
                             f"rejet-{item.id}-reason": "MS02"})
    assert done.status_code == 303
    assert DebitItem.get_by_id(item.id).status == "rejete"


def test_an_agent_records_a_paper_mandate_and_cannot_build_a_collection(client, auth, db):
    auth.login("agent")
    target = demo_family(16122)
    page = client.get(f"/agents/familles/{target.id}/mandat").get_data(as_text=True)
    response = client.post(f"/agents/familles/{target.id}/mandat", data={
        "csrf_token": csrf_from(page), "holder": "DUPONT Julie", "iban": IBAN_16123,
        "bic": "", "signed_on": "20/11/2026"})
    assert response.status_code == 303
    mandate = Mandate.get(Mandate.family == target.id)
    assert (mandate.signature, mandate.signed_on) == ("papier", datetime.date(2026, 11, 20))
    assert client.post("/agents/admin/facturation/prelevements/", data={
        "csrf_token": csrf_from(page), "period": "2027-01",
        "collection_date": "2027-02-15"}).status_code == 403


def test_the_history_reads_preleve_le(client, auth, db, mailbox, app):
    with app.app_context():
        _january_collection()
    auth.login("famille 16123")
    page = client.get("/facturation/historique").get_data(as_text=True)
    assert "Prélevé le 15/02/2027" in page


@pytest.mark.parametrize("ics, valid", [("FR72ZZZ123456", True), ("FR73ZZZ123456", False),
                                        ("FR72ZZZ12345!", False), ("", False)])
def test_the_creditor_identifier_checksum(ics, valid):
    assert mandates.valid_creditor_id(ics) is valid
