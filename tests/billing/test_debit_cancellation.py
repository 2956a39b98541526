"""The bank refused a whole direct debit file (a pain.002 « RJCT » for the group): the
administrateur cancels the collection. No debit of it takes place: each invoice is to pay
again (online, and by the month's next collection, under a FRST again), each family is
told, the journal keeps the reason, and the list reads « annulé ». Not once the bank has
rejected some of its debits one by one: then it processed the file.

Family 16123 signs a mandate; January 2027 is billed and collected on 15/02/2027."""
import datetime
import json
import re

import pytest

from domain import audit, commune
from domain.billing import debit_cancellation, direct_debit, mandates
from domain.billing.invoicing import due_cents_of
from domain.billing.payments import payable_online
from domain.family import my_data
from domain.family.contact import billing_addresses
from domain.formats import euros
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
from tests.billing.test_bank_returns import FEB_1, admin, january_collection
from tests.billing.test_debit_collection_rules import two_families_debited
from tests.billing.test_debit_file_and_notice_rules import plain
from tests.helpers import csrf_from, demo_family, error_of, text_of
from tests.planning_support import QueryCounter

LATER = FEB_1 + datetime.timedelta(days=2)
REASON = "Fichier refusé par la banque le 03/02 (FF01 : format invalide)"
BERNARD = "famille.bernard@example.org"


def january_invoice(collection):
    [item] = DebitItem.select().where(DebitItem.collection == collection.id)
    return Invoice.get_by_id(item.invoice_id), item


def test_a_cancelled_collection_debits_nobody_and_its_invoice_is_to_pay_again(db, mailbox,
                                                                             in_app):
    collection = january_collection()
    invoice, item = january_invoice(collection)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    mailbox.clear()

    debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)

    # The invoice owes its whole amount again and may be paid online.
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    assert due_cents_of(invoice.id)[1] == invoice.total_cents
    assert payable_online(invoice.id, invoice.family_id)[1] == invoice.total_cents
    payment = Payment.get_by_id(item.payment_id)
    assert (payment.status, payment.outcome) == (Payment.CANCELLED,
                                                 debit_cancellation.PAYMENT_OUTCOME)
    assert DebitItem.get_by_id(item.id).status == DebitItem.CANCELLED
    cancelled = DebitCollection.get_by_id(collection.id)
    assert cancelled.is_cancelled and cancelled.cancel_reason == REASON
    assert cancelled.cancelled_by.email == "admin@mairie.example.org"
    # The mandate is as if the collection never was: its next debit is a first one.
    assert Mandate.get().first_collected_on is None
    # The family is told, through the test SMTP server.
    [mail] = mailbox.to(BERNARD)
    assert mail["Subject"] == f"Prélèvement du 15/02/2027 annulé : facture N° {invoice.number}"
    body = re.sub(r"\s+", " ", mailbox.text(mail))
    assert "prévu le 15/02/2027" in body and "n'aura pas lieu" in body
    assert "rien ne sera débité de votre compte" in body
    assert "La facture reste à payer" in body
    entry = AuditLog.get((AuditLog.action == audit.DEBIT_COLLECTION_CANCELLED)
                          & AuditLog.family.is_null())
    details = json.loads(entry.details)
    assert details["reason"] == REASON and details["before"]["count"] == 1
    assert "janvier 2027 du 15/02/2027 annulé" in details["summary"]

    # The month's next collection takes the invoice again, as a first debit.
    again = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 1),
                                          commune.billing_settings(), admin(), LATER)
    [debit] = DebitItem.select().where(DebitItem.collection == again.id)
    assert (debit.invoice_id, debit.sequence, debit.amount_cents) == (
        invoice.id, direct_debit.FIRST, invoice.total_cents)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    # Nothing is cancelled twice; a cancelled debit cannot be rejected.
    with pytest.raises(direct_debit.CollectionError, match="déjà annulé"):
        debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    with pytest.raises(direct_debit.CollectionError, match="annulé"):
        direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(),
                                            admin(), LATER)


def test_once_a_debit_was_rejected_the_collection_cannot_be_cancelled(db, mailbox, in_app):
    collection = january_collection()
    invoice, item = january_invoice(collection)
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(), admin(),
                                        LATER)
    mailbox.clear()
    with pytest.raises(direct_debit.CollectionError, match="enregistrés comme rejetés"):
        debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    assert not DebitCollection.get_by_id(collection.id).is_cancelled
    assert DebitItem.get_by_id(item.id).status == DebitItem.REJECTED
    assert mailbox.to(BERNARD) == []
    assert not AuditLog.select().where(
        AuditLog.action == audit.DEBIT_COLLECTION_CANCELLED).exists()


def test_a_cancellation_without_a_reason_changes_nothing(db, mailbox, in_app):
    collection = january_collection()
    invoice, item = january_invoice(collection)
    with pytest.raises(direct_debit.CollectionError, match="Indiquez le motif"):
        debit_cancellation.cancel_collection(collection.id, "  ", admin(), LATER)
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    assert DebitItem.get_by_id(item.id).status == DebitItem.COLLECTED


def test_the_cancelled_first_debit_stays_when_another_debit_under_the_mandate_is_in_force(
        db, mailbox, in_app):
    """January's FRST, then a later collection of the month (RCUR, a fee invoice): cancelling
    the later one leaves the mandate's first debit as it is."""
    first = january_collection()
    fee = direct_debit._fee_invoice(january_invoice(first)[0], 250, FEB_1)
    later = FEB_1 + datetime.timedelta(days=20)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(), later)
    debit_cancellation.cancel_collection(second.id, REASON, admin(), later)
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    assert Invoice.get_by_id(fee.id).status == Invoice.ISSUED
    assert Invoice.get_by_id(january_invoice(first)[0].id).status == Invoice.PAID


def test_a_first_debit_followed_by_a_later_collection_is_cancelled_after_it(
        db, mailbox, in_app):
    """January's FRST, then a later collection under the same mandate (RCUR, a fee
    invoice): the first cannot be cancelled while the later one stands, or the bank would
    reject a recurring debit that follows no first one. Once the later one is cancelled,
    the first can be, and the mandate's next debit is a first one again."""
    first = january_collection()
    fee = direct_debit._fee_invoice(january_invoice(first)[0], 250, FEB_1)
    later = FEB_1 + datetime.timedelta(days=20)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(), later)
    assert debit_cancellation.cancel_problem(DebitCollection.get_by_id(first.id)) == (
        "1 débit(s) d'un prélèvement préparé depuis suivent le premier débit (FRST) d'un "
        "mandat de celui-ci : annulez d'abord ce prélèvement plus récent, sans quoi la "
        "banque rejetterait ses débits récurrents.")
    with pytest.raises(direct_debit.CollectionError, match="1 débit"):
        debit_cancellation.cancel_collection(first.id, REASON, admin(), later)
    assert not DebitCollection.get_by_id(first.id).is_cancelled
    assert Invoice.get_by_id(january_invoice(first)[0].id).status == Invoice.PAID

    debit_cancellation.cancel_collection(second.id, REASON, admin(), later)
    debit_cancellation.cancel_collection(first.id, REASON, admin(), later)
    assert Mandate.get().first_collected_on is None
    assert Invoice.get_by_id(fee.id).status == Invoice.ISSUED
    assert Invoice.get_by_id(january_invoice(first)[0].id).status == Invoice.ISSUED


def test_a_refunded_first_debit_keeps_the_mandate_recurring_until_no_debit_stands(
        db, mailbox, in_app):
    """January's FRST (15/02), then a RCUR under the same mandate (08/03); the debtor has
    January's debit refunded (MD06, recorded on 10/03): the 08/03 debit stands, so the
    mandate was used and its next debit, in a collection of 24/03, is a RCUR. Cancelling
    that one leaves the mandate as it is (the 08/03 debit still stands). Once the 08/03
    debit is rejected too, no debit under the mandate stands: its next one is a FRST."""
    first = january_collection()
    january, first_item = january_invoice(first)
    fee = direct_debit._fee_invoice(january, 250, FEB_1)
    march = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=FEB_1.tzinfo)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(),
                                           FEB_1 + datetime.timedelta(days=20))
    [recurring] = DebitItem.select().where(DebitItem.collection == second.id)
    assert (recurring.invoice_id, recurring.sequence) == (fee.id, direct_debit.RECURRING)
    direct_debit.record_debit_rejection(first_item.id, "MD06", commune.billing_settings(),
                                        admin(), march + datetime.timedelta(days=9))
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    third = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 24),
                                          commune.billing_settings(), admin(),
                                          march + datetime.timedelta(days=9))
    [again] = DebitItem.select().where(DebitItem.collection == third.id)
    assert (again.invoice_id, again.sequence) == (january.id, direct_debit.RECURRING)

    assert debit_cancellation.cancel_problem(DebitCollection.get_by_id(third.id)) == ""
    debit_cancellation.cancel_collection(third.id, REASON, admin(),
                                         march + datetime.timedelta(days=11))
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    assert DebitItem.get_by_id(recurring.id).status == DebitItem.COLLECTED

    direct_debit.record_debit_rejection(recurring.id, "AM04", commune.billing_settings(),
                                        admin(), march + datetime.timedelta(days=12))
    assert Mandate.get().first_collected_on is None


def test_cancelling_the_only_debit_standing_after_a_refunded_first_one_starts_over(
        db, mailbox, in_app):
    """January's FRST (15/02) refunded (MD06) while a RCUR of 08/03 stands: the mandate
    stays recurring. The bank then refuses the 08/03 file: once it is cancelled, no debit
    under the mandate stands, and the next one is a FRST again."""
    first = january_collection()
    january, first_item = january_invoice(first)
    direct_debit._fee_invoice(january, 250, FEB_1)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 8),
                                           commune.billing_settings(), admin(),
                                           FEB_1 + datetime.timedelta(days=20))
    direct_debit.record_debit_rejection(first_item.id, "MD06", commune.billing_settings(),
                                        admin(), FEB_1 + datetime.timedelta(days=22))
    assert Mandate.get().first_collected_on == datetime.date(2027, 2, 15)
    debit_cancellation.cancel_collection(second.id, REASON, admin(),
                                         FEB_1 + datetime.timedelta(days=23))
    assert Mandate.get().first_collected_on is None
    later = FEB_1 + datetime.timedelta(days=24)
    again = direct_debit.build_collection(2027, 1, datetime.date(2027, 3, 22),
                                          commune.billing_settings(), admin(), later)
    assert {item.sequence for item in DebitItem.select().where(
        DebitItem.collection == again.id)} == {direct_debit.FIRST}


def test_a_mandate_used_before_the_portal_stays_recurring_when_its_debit_is_rejected(
        db, mailbox, in_app):
    """A mandate whose first debit was made before the portal (dated, without a debit
    here): its first debit here is a RCUR, and its rejection leaves it recurring."""
    collection = january_collection(used_since=datetime.date(2026, 10, 5))
    invoice, item = january_invoice(collection)
    assert item.sequence == direct_debit.RECURRING
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(), admin(),
                                        LATER)
    assert Mandate.get().first_collected_on == datetime.date(2026, 10, 5)


def test_the_administrateur_cancels_through_the_pages(client, auth, db, mailbox, app):
    with app.app_context():
        collection = january_collection()
        invoice, _ = january_invoice(collection)
    page_url = f"/agents/facturation/prelevements/{collection.id}"
    cancel_url = f"/agents/admin/facturation/prelevements/{collection.id}/annuler"
    auth.login("agent")
    assert "Annuler ce prélèvement" not in text_of(client.get(page_url).get_data(as_text=True))
    assert client.get(cancel_url).status_code == 403
    auth.logout()

    auth.login("administrateur")
    page = client.get(page_url).get_data(as_text=True)
    assert f'href="{cancel_url}"' in page
    confirm = client.get(cancel_url)
    text = text_of(confirm.get_data(as_text=True))
    assert "Annuler le prélèvement de janvier 2027" in text
    assert "Prévu le 15/02/2027 : 1 débit(s)" in text
    refused = client.post(cancel_url, data={"csrf_token": csrf_from(confirm.get_data(
        as_text=True)), "reason": ""})
    assert refused.status_code == 422
    assert error_of(refused, "reason").startswith("Indiquez le motif de l'annulation")
    assert not DebitCollection.get_by_id(collection.id).is_cancelled
    done = client.post(cancel_url, data={"csrf_token": csrf_from(confirm.get_data(
        as_text=True)), "reason": REASON})
    assert done.status_code == 303 and done.headers["Location"] == page_url
    shown = text_of(client.get(page_url).get_data(as_text=True))
    assert (f"Prélèvement annulé : aucun débit n'aura lieu (1 facture(s), "
            f"{euros(invoice.total_cents).replace(chr(160), ' ')}).") in shown
    assert "Prélèvement annulé le" in shown and f"Motif : {REASON}" in shown
    assert "Enregistrer le rejet" not in shown and "Importer le retour" not in shown
    listing = text_of(client.get("/agents/facturation/prelevements/").get_data(as_text=True))
    assert "Janvier 2027 annulé" in listing
    # Once cancelled, the page sends back with the reason it cannot be done again.
    again = client.get(cancel_url)
    assert again.status_code == 303
    assert "déjà annulé" in text_of(client.get(again.headers["Location"]).get_data(
        as_text=True))
    auth.logout()

    # The family sees the invoice to pay again.
    auth.login("famille 16123")
    to_pay = text_of(client.get("/facturation/").get_data(as_text=True))
    assert f"Facture N° {invoice.number} (01/2027" in to_pay
    # Nor does its history say it was debited.
    assert "Prélevé le" not in text_of(client.get("/facturation/historique").get_data(
        as_text=True))


def test_a_cancelled_collections_file_is_no_longer_given(client, auth, db, mailbox, app):
    """Sent again to the bank, the old file would debit invoices that are to pay again
    (online, or by the month's next collection): twice."""
    with app.app_context():
        collection = january_collection()
        debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    page_url = f"/agents/facturation/prelevements/{collection.id}"
    file_url = f"{page_url}/pain008.xml"
    auth.login("agent")
    assert f'href="{file_url}"' not in client.get(page_url).get_data(as_text=True)
    assert f'href="{file_url}"' not in client.get("/agents/facturation/prelevements/") \
        .get_data(as_text=True)
    refused = client.get(file_url)
    assert refused.status_code == 303 and refused.headers["Location"] == page_url
    assert "Ce prélèvement est annulé : son fichier ne doit plus être envoyé à la banque." \
        in text_of(client.get(page_url).get_data(as_text=True))


def test_every_first_debit_of_a_cancelled_collection_is_undone_and_each_family_told(
        db, mailbox, in_app, monkeypatch):
    """Two families' first debits, cancelled in batches of one: both mandates' next debit
    is a first one again, both invoices are owed again, and each family reads its own
    invoice's number and amount."""
    collection, ours, theirs = two_families_debited()
    monkeypatch.setattr(debit_cancellation, "BATCH", 1)
    mailbox.clear()
    debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    for item in (ours, theirs):
        assert Mandate.get_by_id(item.mandate_id).first_collected_on is None
        assert Invoice.get_by_id(item.invoice_id).status == Invoice.ISSUED
    body = re.sub(r"\s+", " ", mailbox.text(mailbox.to(BERNARD)[-1]))
    number = Invoice.get_by_id(ours.invoice_id).number
    assert (f"Le prélèvement de {euros(ours.amount_cents).replace(chr(160), ' ')} prévu le 15/02/2027 pour votre "
            f"facture N° {number} n'aura pas lieu") in body


def test_the_families_are_told_after_one_read_of_the_invoices(db, mailbox, in_app):
    """Each debit's email names its own invoice's number and goes to its own family's
    addresses: the invoices' numbers and families are read together, in one query. The
    cancellation reads the invoices three times in all: those to owe again, their credit
    notes, then the numbers and families (for the emails and the families' journals)."""
    collection, ours, theirs = two_families_debited()
    mailbox.clear()
    with QueryCounter() as counter:
        debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    invoice_reads = [sql for sql in counter.statements if sql.startswith("SELECT")
                     and 'FROM "invoice"' in sql and " FOR " not in sql]
    assert len(invoice_reads) == 3, invoice_reads
    addresses = billing_addresses([Invoice.get_by_id(item.invoice_id).family_id
                                   for item in (ours, theirs)])
    told = sorted((address, m["Subject"]) for m in mailbox.messages
                  for address in m.envelope_rcpt)
    assert told == sorted(
        (address, "Prélèvement du 15/02/2027 annulé : facture N° "
                  f"{Invoice.get_by_id(item.invoice_id).number}")
        for item in (ours, theirs)
        for address in addresses[Invoice.get_by_id(item.invoice_id).family_id])
    assert BERNARD in dict(told) and len(addresses) == 2


def journal_of(client, family_id):
    """The « Journal des modifications » of the family's staff page, as read."""
    page = client.get(f"/agents/familles/{family_id}").get_data(as_text=True)
    return plain(text_of(page[page.index('<h2 id="journal"'):].split("</section>")[0]))


def test_each_family_s_journal_and_data_have_its_own_debits_built_then_cancelled(
        client, auth, db, mailbox, app, monkeypatch):
    """The collection is audited once for the whole (the journal of all families), and
    once for each family with its own invoices: the family's page « Journal » and its
    « Télécharger mes données » show that its debit was prepared, then cancelled and
    why; not the other family's. (The families' rows written one per insert here.)"""
    monkeypatch.setattr(audit, "BATCH", 1)
    with app.app_context():
        collection, ours, theirs = two_families_debited()
        families = {item.id: Invoice.get_by_id(item.invoice_id) for item in (ours, theirs)}
    amount = {item.id: plain(euros(item.amount_cents)) for item in (ours, theirs)}
    auth.login("administrateur")
    built, cancelled = {}, {}
    for item in (ours, theirs):
        invoice = families[item.id]
        built[item.id] = (f"Prélèvement préparé Prélèvement de janvier 2027 : facture N° "
                          f"{invoice.number}, {amount[item.id]}, le 15/02/2027")
        journal = journal_of(client, invoice.family_id)
        assert built[item.id] in journal
        assert "Prélèvement de janvier 2027 : 2 facture(s)" not in journal
    assert families[theirs.id].number not in journal_of(client, families[ours.id].family_id)

    with app.app_context():
        debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    for item in (ours, theirs):
        invoice = families[item.id]
        cancelled[item.id] = (f"Prélèvement annulé Prélèvement de janvier 2027 du 15/02/2027 "
                              f"annulé : facture N° {invoice.number}, {amount[item.id]} ; la "
                              f"facture est de nouveau à payer")
        journal = journal_of(client, invoice.family_id)
        assert cancelled[item.id] in journal and REASON in journal
        assert journal.index(cancelled[item.id]) < journal.index(built[item.id])
    with app.app_context():
        data = my_data.family_data(Family.get_by_id(families[ours.id].family_id))
    journal = [row for row in data["journal"]
               if row["action"] in (audit.DEBIT_COLLECTION_BUILT,
                                    audit.DEBIT_COLLECTION_CANCELLED)]
    assert [(row["libelle"], plain(row["details"]["summary"]),
             row["details"].get("reason")) for row in journal] == [
        ("Prélèvement préparé", built[ours.id].removeprefix("Prélèvement préparé "), None),
        ("Prélèvement annulé", cancelled[ours.id].removeprefix("Prélèvement annulé "),
         REASON)]
    assert journal[0]["details"]["after"] == {
        "collection": collection.id, "factures": [families[ours.id].number],
        "total_cents": ours.amount_cents}
    assert journal[0]["user"] == journal[1]["user"] == admin().id


def test_only_the_cancelled_collections_mandates_start_again(db, mailbox, in_app):
    """16123's first debit is in January's collection; another family's first debit is in
    a collection built after, and a third family's mandate was already used before the
    portal (its first debit is dated, without a debit here). Cancelling January's gives
    16123 a first debit again and leaves the two others as they were."""
    first = january_collection()
    others = list(Family.select().where(Family.id != demo_family(16123).id)
                  .order_by(Family.account_number).limit(2))
    january = january_invoice(first)[0]
    fields = {k: v for k, v in january.__data__.items() if k not in ("id", "status")}
    Invoice.create(**dict(fields, family=others[0].id, number="F2027-99999",
                          status=Invoice.ISSUED))
    mandates.sign(others[0].id, "AUTRE Nom", "GB33BUKB20201555555555", "", None, FEB_1)
    old = mandates.sign(others[1].id, "ANCIEN Nom", "DE89370400440532013000", "", None, FEB_1)
    Mandate.update(first_collected_on=datetime.date(2026, 10, 5)).where(
        Mandate.id == old.id).execute()
    later = FEB_1 + datetime.timedelta(days=3)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 22),
                                           commune.billing_settings(), admin(), later)
    [theirs] = DebitItem.select().where(DebitItem.collection == second.id)
    assert theirs.sequence == direct_debit.FIRST

    debit_cancellation.cancel_collection(first.id, REASON, admin(), later)
    assert Mandate.get_by_id(january_invoice(first)[1].mandate_id).first_collected_on is None
    assert Mandate.get_by_id(theirs.mandate_id).first_collected_on == datetime.date(2027, 2,
                                                                                    22)
    assert Mandate.get_by_id(old.id).first_collected_on == datetime.date(2026, 10, 5)
    assert DebitItem.get_by_id(theirs.id).status == DebitItem.COLLECTED


def refused(collection_id, reason):
    """The refusal's message and field when ``reason`` is given to cancel the collection."""
    with pytest.raises(direct_debit.CollectionError) as refusal:
        debit_cancellation.cancel_collection(collection_id, reason, admin(), LATER)
    return str(refusal.value), refusal.value.field


def test_each_refusal_says_why_in_full_by_the_reason_field(db, mailbox, in_app):
    collection = january_collection()
    reason_missing = ("Indiquez le motif de l'annulation (par exemple le motif du refus "
                      "donné par la banque).", "reason")
    assert refused(collection.id, None) == reason_missing
    assert refused(collection.id, " \n ") == reason_missing
    assert refused(collection.id, "x" * 501) == (
        "Le motif tient en 500 caractères au plus.", "reason")
    invoice, item = january_invoice(collection)
    Payment.update(status=Payment.CANCELLED).where(Payment.id == item.payment_id).execute()
    assert refused(collection.id, REASON) == (
        "Le paiement d'un débit de ce prélèvement a changé depuis qu'il a été préparé : il "
        "ne peut plus être annulé d'un bloc.", "reason")
    Payment.update(status=Payment.PAID).where(Payment.id == item.payment_id).execute()
    direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(), admin(),
                                        LATER)
    assert refused(collection.id, REASON) == (
        "1 débit(s) de ce prélèvement sont enregistrés comme rejetés : la banque a donc "
        "traité le fichier, débit par débit. Il ne peut plus être annulé ; enregistrez les "
        "autres rejets un par un.", "reason")


def test_a_reason_of_500_characters_is_kept_and_the_journal_says_what_was_undone(
        db, mailbox, in_app):
    collection = january_collection()
    debit_cancellation.cancel_collection(collection.id, "x" * 500, admin(), LATER)
    cancelled = DebitCollection.get_by_id(collection.id)
    assert cancelled.cancel_reason == "x" * 500
    entry = AuditLog.get((AuditLog.action == audit.DEBIT_COLLECTION_CANCELLED)
                          & AuditLog.family.is_null())
    assert entry.user.email == "admin@mairie.example.org"
    details = json.loads(entry.details)
    assert details["summary"] == (
        f"Prélèvement de janvier 2027 du 15/02/2027 annulé : 1 débit(s), "
        f"{euros(collection.total_cents)} ; les factures sont de nouveau à payer")
    assert details["before"] == {"collection": collection.id, "count": 1,
                                 "total_cents": collection.total_cents}
    assert details["after"] == {"etat": "annulé"}
    assert refused(collection.id, REASON) == (
        "Ce prélèvement est déjà annulé (le 03/02/2027).", "reason")


def test_a_later_rejection_elsewhere_does_not_stop_a_cancellation(db, mailbox, in_app):
    """16123's first debit in January's collection; another family's in a later one,
    rejected by the bank. January's can still be cancelled (the rejection is the other
    collection's), and the other family's rejected debit stays as it is."""
    first = january_collection()
    other = (Family.select().where(Family.id != demo_family(16123).id)
             .order_by(Family.account_number).first())
    fields = {k: v for k, v in january_invoice(first)[0].__data__.items() if k != "id"}
    Invoice.create(**dict(fields, family=other.id, number="F2027-99999",
                          status=Invoice.ISSUED))
    mandates.sign(other.id, "AUTRE Nom", "GB33BUKB20201555555555", "", None, FEB_1)
    later = FEB_1 + datetime.timedelta(days=3)
    second = direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 22),
                                           commune.billing_settings(), admin(), later)
    [theirs] = DebitItem.select().where(DebitItem.collection == second.id)
    direct_debit.record_debit_rejection(theirs.id, "AM04", commune.billing_settings(),
                                        admin(), later)
    assert debit_cancellation.cancel_problem(DebitCollection.get_by_id(first.id)) == ""
    debit_cancellation.cancel_collection(first.id, REASON, admin(), later)
    assert DebitItem.get_by_id(theirs.id).status == DebitItem.REJECTED


def test_a_family_without_any_address_has_its_debit_cancelled_without_email(
        db, mailbox, in_app):
    collection = january_collection()
    family = demo_family(16123).id
    User.update(is_active=False).where(User.family == family).execute()
    Guardian.update(email="").where(Guardian.family == family).execute()
    mailbox.clear()
    debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    assert DebitItem.get_by_id(january_invoice(collection)[1].id).status == \
        DebitItem.CANCELLED
    assert mailbox.messages == []


def test_a_cancelled_debit_is_refused_as_a_rejection_by_the_reason_field(db, mailbox, in_app):
    collection = january_collection()
    invoice, item = january_invoice(collection)
    debit_cancellation.cancel_collection(collection.id, REASON, admin(), LATER)
    with pytest.raises(direct_debit.CollectionError) as refusal:
        direct_debit.record_debit_rejection(item.id, "AM04", commune.billing_settings(),
                                            admin(), LATER)
    assert (str(refusal.value), refusal.value.field) == (
        "Ce prélèvement est annulé : ce débit n'a pas eu lieu.", "reason")
    assert DebitItem.get_by_id(item.id).status == DebitItem.CANCELLED
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED


@pytest.mark.parametrize("batch", [1, 500])
def test_each_mandate_of_a_batch_is_judged_on_its_own_debits(db, mailbox, in_app,
                                                            monkeypatch, batch):
    """Two mandates undone together, in batches of one or all at once: the one whose only
    debit was undone starts over with a FRST, the one whose debit stands stays recurring
    (a standing debit elsewhere in the batch changes nothing for the other), one UPDATE a
    batch."""
    monkeypatch.setattr(direct_debit, "BATCH", batch)
    collection, first, second = two_families_debited()
    undone, standing = sorted([first, second], key=lambda item: item.mandate_id)[::-1]
    DebitItem.update(status=DebitItem.REJECTED).where(DebitItem.id == undone.id).execute()
    with QueryCounter() as counter:
        direct_debit.first_debit_again([undone.mandate_id, standing.mandate_id])
    assert Mandate.get_by_id(undone.mandate_id).first_collected_on is None
    assert Mandate.get_by_id(standing.mandate_id).first_collected_on == \
        datetime.date(2027, 2, 15)
    assert len(counter.statements) == (2 if batch == 1 else 1)
