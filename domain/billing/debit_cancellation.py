"""A direct debit collection cancelled: the bank refused the whole file.

A bank may refuse a pain.008 as a whole (a pain.002 whose group status is RJCT: a wrong
creditor identifier, a file sent twice, a cut-off missed...): then no debit of it takes
place, and the import of return files (:mod:`domain.billing.bank_returns`) has nothing
to record. The administrateur cancels the collection instead, with a reason:

* each debit's payment is cancelled, so each invoice owes again what the debit was to
  pay: the family may pay it online, and the month's next collection debits it (a
  cancelled debit, like a rejected one, does not keep its invoice out of a collection);
* a mandate with a debit in this collection gets its next debit as a FRST again once no
  debit under it stands (its FRST here or rejected, no other debit collected): as if the
  collection never was (:func:`direct_debit.first_debit_again`, the rule of a rejection);
* each family is told by email that its debit will not take place;
* the cancellation is audited (once for the whole, and in each family's journal with
  its own debits), and the collection reads « annulé » in the list.

The portal records no debit as individually paid (a debit counts as paid from the
file's making, and only a rejection is recorded afterwards). So a collection can be
cancelled while none of its debits was recorded as rejected (the bank then processed
the file, debit by debit) and each debit's payment is still the one the collection made.
"""
from domain import audit, clock
from domain.billing.direct_debit import (
    BATCH,
    FIRST,
    CollectionError,
    by_family,
    first_debit_again,
    invoices_label,
)
from domain.billing.invoicing import still_owing
from domain.family.contact import billing_addresses
from domain.formats import euros, month_fr
from domain.mail import send_many
from domain.transactions import lock_rows, write_transaction
from models import DebitCollection, DebitItem, Invoice, Payment

MAX_REASON = 500
PAYMENT_OUTCOME = "Prélèvement annulé : le fichier n'a pas été pris par la banque"


def cancel_problem(collection, items=None):
    """Why ``collection`` cannot be cancelled (French), or "" when it can. ``items``:
    its debits when already read."""
    if collection.is_cancelled:
        return (f"Ce prélèvement est déjà annulé (le "
                f"{clock.to_paris(collection.cancelled_at).strftime('%d/%m/%Y')}).")
    if items is None:
        items = list(DebitItem.select().where(DebitItem.collection == collection.id))
    rejected = sum(1 for item in items if item.status == DebitItem.REJECTED)
    if rejected:
        return (f"{rejected} débit(s) de ce prélèvement sont enregistrés comme rejetés : la "
                "banque a donc traité le fichier, débit par débit. Il ne peut plus être "
                "annulé ; enregistrez les autres rejets un par un.")
    later = _later_debits_after_first(collection, items)
    if later:
        return (f"{later} débit(s) d'un prélèvement préparé depuis suivent le premier "
                "débit (FRST) d'un mandat de celui-ci : annulez d'abord ce prélèvement "
                "plus récent, sans quoi la banque rejetterait ses débits récurrents.")
    payments = [item.payment_id for item in items if item.payment_id is not None]
    if payments and Payment.select().where(
            Payment.id.in_(payments) & (Payment.status != Payment.PAID)).exists():
        return ("Le paiement d'un débit de ce prélèvement a changé depuis qu'il a été "
                "préparé : il ne peut plus être annulé d'un bloc.")
    return ""


def _later_debits_after_first(collection, items):
    """How many debits in force in a later collection are under a mandate whose first
    debit (FRST) is in ``collection``: sent as recurring (RCUR), they would be rejected
    once that first debit is undone."""
    firsts = sorted({item.mandate_id for item in items if item.sequence == FIRST})
    if not firsts:
        return 0
    return (DebitItem.select().where(DebitItem.mandate.in_(firsts)
                                     & (DebitItem.collection > collection.id)
                                     & (DebitItem.status == DebitItem.COLLECTED))
            .count())


def cancel_collection(collection_id, reason, actor, now):
    """Cancel the collection (see the module): its payments undone, its invoices owed
    again, its mandates as before, its families emailed, audited with ``reason``.
    Returns the collection; :class:`CollectionError` (field ``reason``) when the reason
    is missing or :func:`cancel_problem` refuses."""
    reason = (reason or "").strip()
    if not reason:
        raise CollectionError("Indiquez le motif de l'annulation (par exemple le motif "
                              "du refus donné par la banque).", field="reason")
    if len(reason) > MAX_REASON:
        raise CollectionError(f"Le motif tient en {MAX_REASON} caractères au plus.",
                              field="reason")
    stored_now = clock.as_stored(now)
    with write_transaction():
        invoice_ids = [invoice_id for (invoice_id,) in DebitItem.select(DebitItem.invoice)
                       .where(DebitItem.collection == collection_id).tuples()]
        lock_rows(Invoice, invoice_ids)  # no payment lands on them meanwhile
        collection = DebitCollection.get_by_id(collection_id)
        items = list(DebitItem.select().where(DebitItem.collection == collection_id)
                     .order_by(DebitItem.id))
        problem = cancel_problem(collection, items)
        if problem:
            raise CollectionError(problem, field="reason")
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            Payment.update(status=Payment.CANCELLED, outcome=PAYMENT_OUTCOME).where(
                Payment.id.in_([item.payment_id for item in batch
                                if item.payment_id is not None])).execute()
            DebitItem.update(status=DebitItem.CANCELLED).where(
                DebitItem.id.in_([item.id for item in batch])).execute()
            _owed_again([item.invoice_id for item in batch])
        first_debit_again([item.mandate_id for item in items])
        DebitCollection.update(cancelled_at=stored_now, cancelled_by=actor,
                               cancel_reason=reason).where(
            DebitCollection.id == collection_id).execute()
        invoices = _invoices_of(items)
        _tell_families(collection, items, invoices)
        period = month_fr(collection.period_year, collection.period_month).lower()
        date = collection.collection_date.strftime("%d/%m/%Y")
        audit.record(actor, None, audit.DEBIT_COLLECTION_CANCELLED,
                     summary=f"Prélèvement de {period} du {date} annulé : {len(items)} "
                             f"débit(s), {euros(collection.total_cents)} ; les factures sont "
                             "de nouveau à payer",
                     before={"collection": collection.id, "count": len(items),
                             "total_cents": collection.total_cents},
                     after={"etat": "annulé"}, reason=reason)
        _journal_families(actor, collection, items, invoices, reason, f"{period} du {date}")
    return DebitCollection.get_by_id(collection_id)


def _owed_again(invoice_ids):
    """Each of these invoices that owes something now the debit is undone is ``emise``
    again (one paid otherwise, at the counter meanwhile, stays paid)."""
    invoices = Invoice.select().where(Invoice.id.in_(invoice_ids)
                                      & (Invoice.kind == Invoice.INVOICE)
                                      & (Invoice.status == Invoice.PAID))
    owing = [invoice.id for invoice in still_owing(invoices)]
    if owing:
        Invoice.update(status=Invoice.ISSUED).where(Invoice.id.in_(owing)).execute()


def _journal_families(actor, collection, items, invoices, reason, when):
    """In each family's journal (so in its data export), its own debits cancelled.
    ``when``: ``janvier 2027 du 15/02/2027``."""
    debits = by_family((invoices[item.invoice_id][1], invoices[item.invoice_id][0],
                        item.amount_cents) for item in items)
    audit.record_each(actor, audit.DEBIT_COLLECTION_CANCELLED, {
        family_id: (f"Prélèvement de {when} annulé : {invoices_label(numbers)}, "
                    f"{euros(cents)} ; "
                    + ("la facture est" if len(numbers) == 1 else "les factures sont")
                    + " de nouveau à payer",
                    {"collection": collection.id, "factures": numbers, "total_cents": cents},
                    {"etat": "annulé"})
        for family_id, (numbers, cents) in debits.items()}, reason=reason)


def _invoices_of(items):
    """{invoice id: (number, family id)} of the debits ``items``, in one query."""
    return {invoice_id: (number, family_id) for invoice_id, number, family_id in
            Invoice.select(Invoice.id, Invoice.number, Invoice.family)
            .where(Invoice.id.in_([item.invoice_id for item in items])).tuples()}


def _tell_families(collection, items, invoices):
    """One email per debit to the family's billing addresses: it will not take place.
    ``invoices``: :func:`_invoices_of` the items."""
    emails = billing_addresses({family_id for _, family_id in invoices.values()})
    date = collection.collection_date.strftime("%d/%m/%Y")
    mails = []
    for item in items:
        number, family_id = invoices[item.invoice_id]
        mails.extend((email, f"Prélèvement du {date} annulé : facture N° {number}",
                      "facturation/email/debit_cancelled",
                      {"number": number, "amount": euros(item.amount_cents),
                       "date": collection.collection_date})
                     for email in emails.get(family_id, []))
    send_many(mails)
