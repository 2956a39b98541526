"""The month's direct debit collection, its pain.008 file, and the debits the bank rejects.

After a billing run, staff build the collection of a month: every invoice of the month
still owing something, of a family with a mandate in force, that is neither paid
online nor waiting on an online payment, is debited once, at a date the commune
sets — at least 14 days ahead, since each family is told the amount and the date by
email (SEPA pre-notification) when the collection is built. A debit settles its
invoice (a ``Payment`` of ``prelevement``), so it is never offered for online
payment; the first debit under a mandate is a FRST, the next ones RCUR (once no debit under a
mandate stands, its FRST rejected or cancelled and no later debit collected, the next is a
FRST again: :func:`first_debit_again`). The build is
audited once for the whole, and in each family's journal with its own debits.

The file for the bank is a pain.008.001.02 made by ``sepaxml`` and validated against
its schema. When the bank rejects a debit (an R-transaction), staff record it: the
payment is undone (the invoice is unpaid again), the family is emailed, the
commune's rejection fee (if any) is billed on an invoice of its own, and the second
rejection under a mandate suspends it.
"""
import datetime
import functools
import os
import re
import uuid

import sepaxml
from lxml import etree
from peewee import JOIN, Case, fn
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD
from sepaxml.validation import ValidationError

from domain import audit, clock
from domain.billing.invoicing import refresh_status, still_owing
from domain.billing.mandates import masked, record_rejection, valid_creditor_id
from domain.billing.regies import regie_of
from domain.billing.run import DUE_DAYS, take_numbers
from domain.family.contact import billing_addresses
from domain.fast_rows import attach, model_instance
from domain.formats import euros, month_fr
from domain.mail import send_email, send_many
from domain.transactions import is_sqlite, lock_rows, write_transaction
from models import DebitCollection, DebitItem, Family, Invoice, InvoiceLine, Mandate, Payment, db

#: SEPA pre-notification: each family is told at least this long before its debit.
PRENOTIFICATION = datetime.timedelta(days=14)
SCHEMA = "pain.008.001.02"
NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:" + SCHEMA
FIRST, RECURRING = "FRST", "RCUR"
#: Debits written per bulk insert (SQLite allows 32,766 bound values per statement).
BATCH = 500
#: Why a bank returns a debit (the R-transaction reason codes met in France).
REJECTION_REASONS = {
    "AC01": "Numéro de compte incorrect",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AC13": "Compte d'un type qui ne peut être prélevé",
    "AG01": "Prélèvement interdit sur ce compte",
    "AG02": "Code opération incorrect",
    "AM04": "Provision insuffisante",
    "AM05": "Prélèvement en double",
    "BE05": "Créancier inconnu de la banque",
    "FF01": "Format de l'opération invalide",
    "MD01": "Pas de mandat",
    "MD02": "Mandat incomplet ou erroné",
    "MD06": "Remboursement demandé par le débiteur",
    "MD07": "Débiteur décédé",
    "MS02": "Refus du débiteur",
    "MS03": "Raison non communiquée",
    "RC01": "BIC incorrect",
    "RR01": "Raison réglementaire (identité du débiteur)",
    "RR02": "Raison réglementaire (nom ou adresse du débiteur)",
    "RR03": "Raison réglementaire (nom ou adresse du créancier)",
    "RR04": "Raison réglementaire",
    "SL01": "Service spécifique de la banque",
}
FEE_LABEL = "Frais de rejet de prélèvement"


class CollectionError(ValueError):
    """A refused collection, with the message to show next to ``field``."""

    def __init__(self, message, field="collection_date"):
        super().__init__(message)
        self.field = field


def earliest_collection_date(today):
    """The first day a debit may be collected when the families are told today."""
    return today + PRENOTIFICATION


def default_collection_date(today, debit_day):
    """The commune's debit day of the first month that leaves the families 14 days' notice."""
    earliest = earliest_collection_date(today)
    year, month = earliest.year, earliest.month
    while True:
        day = datetime.date(year, month, min(debit_day, 28))
        if day >= earliest:
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def creditor_problems(settings):
    """What is missing in the commune's settings to build a collection (French, [] if none)."""
    problems = []
    if not valid_creditor_id(settings.sepa_creditor_id):
        problems.append("l'identifiant créancier SEPA (ICS) de la commune")
    try:
        IBAN(settings.sepa_creditor_iban or "")
    except SchwiftyException:
        problems.append("l'IBAN du compte de la commune")
    if not settings.sepa_creditor_bic:
        problems.append("le BIC du compte de la commune")
    return problems


def _already_debited():
    """Invoices with a debit that was not rejected."""
    return DebitItem.select(DebitItem.invoice).where(DebitItem.status == DebitItem.COLLECTED)


def _waiting_online(now):
    """Invoices with an online payment attempt still alive."""
    return Payment.select(Payment.invoice).where(
        (Payment.provider == Payment.ONLINE) & (Payment.status == Payment.PENDING)
        & (Payment.expires_at > clock.as_stored(now)))


_INVOICE, _MANDATE = Invoice._meta.sorted_fields, Mandate._meta.sorted_fields
_ITEM, _FAMILY = DebitItem._meta.sorted_fields, Family._meta.sorted_fields


def _instances(query, *parts):
    """Each row of ``query`` (its columns: the fields of each ``(model, fields)`` part in
    turn) as a list of model instances, built without peewee's row machinery (a third
    of the time of reading 10,000 debits)."""
    rows = []
    for values in db.execute_sql(*query.sql()):
        row, start = [], 0
        for model, fields in parts:
            row.append(model_instance(model, fields, values[start:start + len(fields)]))
            start += len(fields)
        rows.append(row)
    return rows


def collectable(year, month, now):
    """[(invoice, mandate, amount due)] of the month to debit, by invoice number."""
    query = (Invoice.select(*_INVOICE, *_MANDATE)
             .join(Mandate, on=((Mandate.family == Invoice.family)
                                & (Mandate.status == Mandate.ACTIVE)))
             .where((Invoice.kind == Invoice.INVOICE) & (Invoice.status == Invoice.ISSUED)
                    & Invoice.handed_over_at.is_null()
                    & (Invoice.period_year == year) & (Invoice.period_month == month)
                    & Invoice.id.not_in(_already_debited())
                    & Invoice.id.not_in(_waiting_online(now)))
             .order_by(Invoice.number))
    invoices = []
    for invoice, mandate in _instances(query, (Invoice, _INVOICE), (Mandate, _MANDATE)):
        invoice.mandate = mandate
        invoices.append(invoice)
    return [(invoice, invoice.mandate, invoice.due_cents) for invoice in still_owing(invoices)]


def build_collection(year, month, collection_date, settings, actor, now):
    """Build the month's collection: one debit per invoice to collect, each family
    pre-notified by email. Returns the ``DebitCollection``; CollectionError when the
    date leaves less than 14 days' notice, the settings lack the creditor's details,
    or nothing is left to debit."""
    today = now.date()
    if collection_date < earliest_collection_date(today):
        raise CollectionError(
            "Les familles doivent être prévenues 14 jours avant le prélèvement : choisissez "
            f"le {earliest_collection_date(today).strftime('%d/%m/%Y')} ou plus tard.")
    if collection_date.weekday() >= 5:
        raise CollectionError("Les banques ne prélèvent pas le samedi ni le dimanche : "
                              "choisissez un jour de semaine.")
    problems = creditor_problems(settings)
    if problems:
        raise CollectionError("Complétez d'abord dans les paramètres : " + ", ".join(problems)
                              + ".", field="settings")
    stored_now = clock.as_stored(now)
    settled_at = clock.paris_midnight_utc(collection_date)
    with write_transaction():
        rows = collectable(year, month, now)
        if not is_sqlite():  # SQLite's write transaction already keeps other writers out
            lock_rows(Invoice, [invoice.id for invoice, _, _ in rows])
            # Read again under the lock: a payment may have landed meanwhile.
            rows = collectable(year, month, now)
        if not rows:
            raise CollectionError(f"Aucune facture de {month_fr(year, month).lower()} à prélever : "
                                  "aucune famille avec un mandat n'a de facture à payer.",
                                  field="period")
        collection = DebitCollection.create(
            period_year=year, period_month=month, collection_date=collection_date,
            created_at=stored_now, created_by=actor,
            message_id=f"PF{year}{month:02d}-{uuid.uuid4().hex[:16]}",
            total_cents=sum(due for _, _, due in rows), count=len(rows))
        firsts = {mandate.id for _, mandate, _ in rows if not mandate.first_collected_on}
        _record_debits(collection, rows, firsts, actor, stored_now, settled_at)
        if firsts:
            Mandate.update(first_collected_on=collection_date).where(
                Mandate.id.in_(list(firsts))).execute()
        emails = billing_addresses(invoice.family_id for invoice, _, _ in rows)
        send_many([(email, f"Prélèvement de {euros(due)} le "
                           f"{collection_date.strftime('%d/%m/%Y')}",
                    "facturation/email/debit_notice",
                    {"invoice": invoice, "amount": euros(due), "mandate": mandate,
                     "iban": masked(mandate.iban), "date": collection_date,
                     "creditor_id": settings.sepa_creditor_id})
                   for invoice, mandate, due in rows
                   for email in emails.get(invoice.family_id, [])])
        period, date = month_fr(year, month).lower(), collection_date.strftime("%d/%m/%Y")
        audit.record(actor, None, audit.DEBIT_COLLECTION_BUILT,
                     summary=f"Prélèvement de {period} : {len(rows)} facture(s), "
                             f"{euros(collection.total_cents)}, le {date}",
                     after={"collection": collection.id, "count": len(rows),
                            "total_cents": collection.total_cents})
        # And in each family's journal (so in its data export), its own debits.
        audit.record_each(actor, audit.DEBIT_COLLECTION_BUILT, {
            family_id: (f"Prélèvement de {period} : {invoices_label(numbers)}, "
                        f"{euros(cents)}, le {date}", None,
                        {"collection": collection.id, "factures": numbers,
                         "total_cents": cents})
            for family_id, (numbers, cents) in by_family(
                (invoice.family_id, invoice.number, due) for invoice, _, due in rows).items()})
    return collection


def by_family(debits):
    """{family id: ([invoice numbers], total cents)} of ``debits``, (family id, invoice
    number, cents) each, the families in the order of their first debit."""
    families: dict = {}
    for family_id, number, cents in debits:
        numbers, total = families.get(family_id, ([], 0))
        numbers.append(number)
        families[family_id] = (numbers, total + cents)
    return families


def invoices_label(numbers):
    """``facture N° F2027-00001``, or ``factures N° F2027-00001, F2027-00002``."""
    return ("facture N° " if len(numbers) == 1 else "factures N° ") + ", ".join(numbers)


def _record_debits(collection, rows, firsts, actor, stored_now, settled_at):
    """Each invoice of ``rows`` settled by a debit (a ``Payment`` of ``prelevement`` for
    what it owes, so it is paid) and its ``DebitItem``, by batches of bulk inserts."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        payments = {f"D-{invoice.number}-{collection.id}": (invoice, mandate, due)
                    for invoice, mandate, due in batch}
        Payment.insert_many(
            [(invoice.id, due, Payment.DEBIT, transaction_id, Payment.PAID, stored_now,
              settled_at, actor.id if actor else None, mandate.rum)
             for transaction_id, (invoice, mandate, due) in payments.items()],
            fields=[Payment.invoice, Payment.amount_cents, Payment.provider,
                    Payment.transaction_id, Payment.status, Payment.created_at,
                    Payment.verified_at, Payment.user, Payment.reference]).execute()
        made = dict(Payment.select(Payment.transaction_id, Payment.id)
                    .where(Payment.transaction_id.in_(list(payments))).tuples())
        DebitItem.insert_many(
            [(collection.id, invoice.id, mandate.id, made[transaction_id], due,
              FIRST if mandate.id in firsts else RECURRING,
              f"{invoice.number}-{collection.id}", stored_now)
             for transaction_id, (invoice, mandate, due) in payments.items()],
            fields=[DebitItem.collection, DebitItem.invoice, DebitItem.mandate,
                    DebitItem.payment, DebitItem.amount_cents, DebitItem.sequence,
                    DebitItem.end_to_end_id, DebitItem.prenotified_at]).execute()
        # Each debit pays what its invoice still owed: the invoice is paid.
        Invoice.update(status=Invoice.PAID).where(
            Invoice.id.in_([invoice.id for invoice, _, _ in batch])).execute()


def collections():
    """Every collection, newest first, with its rejected count and amount."""
    rejected = fn.SUM(Case(None, [(DebitItem.status == DebitItem.REJECTED,
                                      DebitItem.amount_cents)], 0))
    return list(DebitCollection.select(DebitCollection, rejected.alias("rejected_cents"))
                .join(DebitItem, JOIN.LEFT_OUTER).group_by(DebitCollection.id)
                .order_by(DebitCollection.id.desc()))


def collection_items(collection_id):
    """The debits of a collection with their invoice, family and mandate, by invoice."""
    query = (DebitItem.select(*_ITEM, *_INVOICE, *_FAMILY, *_MANDATE)
             .join(Invoice).join(Family).switch(DebitItem).join(Mandate)
             .where(DebitItem.collection == collection_id).order_by(Invoice.number))
    items = []
    for item, invoice, family, mandate in _instances(query, (DebitItem, _ITEM),
                                                     (Invoice, _INVOICE), (Family, _FAMILY),
                                                     (Mandate, _MANDATE)):
        attach(invoice, family=family)
        items.append(attach(item, invoice=invoice, mandate=mandate))
    return items


def pain008(collection, settings):
    """The collection as a pain.008.001.02 file (bytes), validated against its schema
    (``sepaxml.validation.ValidationError`` otherwise). Rejected debits stay in the file
    as it was sent: the file is the one given to the bank."""
    config = {"name": settings.name, "IBAN": settings.sepa_creditor_iban.replace(" ", ""),
              "BIC": settings.sepa_creditor_bic, "batch": True,
              "creditor_id": settings.sepa_creditor_id.replace(" ", ""), "currency": "EUR"}
    sepa = SepaDD(config, schema=SCHEMA, clean=True)
    for item in collection_items(collection.id):
        payment = {"name": item.mandate.holder, "IBAN": item.mandate.iban,
                   "amount": item.amount_cents, "type": item.sequence,
                   "collection_date": collection.collection_date,
                   "mandate_id": item.mandate.rum, "mandate_date": item.mandate.signed_on,
                   "description": f"Facture {item.invoice.number} - {settings.name}",
                   "endtoend_id": item.end_to_end_id}
        if item.mandate.bic:
            payment["BIC"] = item.mandate.bic
        sepa.add_payment(payment)
    sepa.msg_id = collection.message_id
    xml = sepa.export(validate=False)
    # The header is the collection's own: its message id and its time (sepaxml made up both
    # when it began the file; they come first in it).
    created = clock.to_paris(collection.created_at).replace(tzinfo=None)
    xml = re.sub(rb"<MsgId>[^<]*</MsgId>",
                 b"<MsgId>" + collection.message_id.encode() + b"</MsgId>", xml, count=1)
    xml = re.sub(rb"<CreDtTm>[^<]*</CreDtTm>",
                 b"<CreDtTm>" + created.isoformat(timespec="seconds").encode() + b"</CreDtTm>",
                 xml, count=1)
    _validate(xml)
    return xml


@functools.cache
def _schema():
    """The pain.008 schema ``sepaxml`` ships, loaded once by lxml (libxml2 validates
    10,000 debits in a fraction of a second, where ``sepaxml``'s own check takes minutes)."""
    path = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", SCHEMA + ".xsd")
    return etree.XMLSchema(etree.parse(path, etree.XMLParser(resolve_entities=False,
                                                             no_network=True)))


def _validate(xml):
    """``sepaxml.validation.ValidationError`` unless ``xml`` is valid against the schema."""
    schema = _schema()
    document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True,
                                                     huge_tree=True))
    if not schema.validate(document):
        raise ValidationError(f"Le fichier pain.008 n'est pas conforme à son schéma : "
                              f"{schema.error_log.last_error}")


def record_debit_rejection(item_id, reason_code, settings, actor, now):
    """The bank rejected this debit: undo its payment (the invoice is owed again), bill
    the commune's rejection fee, count it against the mandate (the second suspends it),
    email the family. Returns the item; CollectionError when already rejected."""
    if reason_code not in REJECTION_REASONS:
        raise CollectionError("Choisissez le motif du rejet donné par la banque.",
                              field="reason")
    stored_now = clock.as_stored(now)
    with write_transaction():
        item = DebitItem.get_by_id(item_id)
        lock_rows(Invoice, [item.invoice_id])
        item = DebitItem.get_by_id(item_id)
        if item.status == DebitItem.REJECTED:
            raise CollectionError("Ce prélèvement est déjà enregistré comme rejeté.",
                                  field="reason")
        if item.status == DebitItem.CANCELLED:
            raise CollectionError("Ce prélèvement est annulé : ce débit n'a pas eu lieu.",
                                  field="reason")
        Payment.update(status=Payment.REFUSED,
                       outcome=f"Prélèvement rejeté : {reason_code} "
                               f"{REJECTION_REASONS[reason_code]}").where(
            Payment.id == item.payment_id).execute()
        invoice = refresh_status(item.invoice_id)
        fee_invoice = None
        if settings.debit_rejection_fee_cents > 0:
            fee_invoice = _fee_invoice(invoice, settings.debit_rejection_fee_cents, now)
        DebitItem.update(status=DebitItem.REJECTED, rejected_at=stored_now,
                         rejection_reason=reason_code,
                         fee_cents=settings.debit_rejection_fee_cents).where(
            DebitItem.id == item.id).execute()
        mandate = record_rejection(item.mandate_id)
        first_debit_again([item.mandate_id])
        for email in billing_addresses([invoice.family_id]).get(invoice.family_id, []):
            send_email(email, f"Prélèvement rejeté : facture N° {invoice.number}",
                       "facturation/email/debit_rejected", invoice=invoice,
                       amount=euros(item.amount_cents),
                       reason=REJECTION_REASONS[reason_code], fee_invoice=fee_invoice,
                       suspended=mandate.status == Mandate.SUSPENDED)
        audit.record(actor, invoice.family_id, audit.DEBIT_REJECTED,
                     summary=f"Prélèvement de {euros(item.amount_cents)} rejeté sur la facture "
                             f"N° {invoice.number} ({REJECTION_REASONS[reason_code]})"
                             + (" ; mandat suspendu" if mandate.status == Mandate.SUSPENDED
                                else ""),
                     after={"reason": reason_code, "fee_cents": settings.debit_rejection_fee_cents,
                            "mandate_status": mandate.status})
    return DebitItem.get_by_id(item_id)


def standing_debits(mandate_ids):
    """The mandates among ``mandate_ids`` with a debit that stands (neither rejected nor
    in a cancelled collection), as a subquery: such a mandate was used."""
    return DebitItem.select(DebitItem.mandate).where(
        DebitItem.mandate.in_(mandate_ids) & (DebitItem.status == DebitItem.COLLECTED))


def first_debit_again(mandate_ids):
    """After debits under ``mandate_ids`` were rejected or cancelled (inside the caller's
    transaction): each of these mandates none of whose debits stands any more has its next
    debit as a FRST again (SEPA: a mandate whose first debit was returned or never took
    place starts over, unless a later debit under it was collected). A mandate with a
    standing debit stays recurring, whichever of its debits was undone; so does one without
    any FRST here, its first debit made before the portal."""
    mandate_ids = sorted(set(mandate_ids))
    for start in range(0, len(mandate_ids), BATCH):
        chunk = mandate_ids[start:start + BATCH]
        made_first = DebitItem.select(DebitItem.mandate).where(
            DebitItem.mandate.in_(chunk) & (DebitItem.sequence == FIRST))
        Mandate.update(first_collected_on=None).where(
            Mandate.id.in_(chunk) & Mandate.id.in_(made_first)
            & Mandate.id.not_in(standing_debits(chunk))).execute()


def _fee_invoice(invoice, fee_cents, now):
    """An invoice of its own for the rejection fee (invoices never change once issued)."""
    regie = regie_of(invoice.regie_id)  # the rejected invoice's régie bills the fee
    [number] = take_numbers(regie.invoice_prefix, now.year, 1)
    fee = Invoice.create(family=invoice.family_id, number=number, kind=Invoice.INVOICE,
                         regie=regie,
                         period_year=invoice.period_year, period_month=invoice.period_month,
                         issued_at=clock.as_stored(now),
                         due_date=now.date() + datetime.timedelta(days=DUE_DAYS),
                         total_cents=fee_cents)
    InvoiceLine.create(invoice=fee, child_name="",
                       label=f"{FEE_LABEL} (facture N° {invoice.number})", quantity=1,
                       unit_price_cents=fee_cents, amount_cents=fee_cents)
    return fee


def debit_of(invoice_id):
    """The debit in force on the invoice (not rejected), or None."""
    return (DebitItem.select(DebitItem, DebitCollection).join(DebitCollection)
            .where((DebitItem.invoice == invoice_id) & (DebitItem.status == DebitItem.COLLECTED))
            .first())
