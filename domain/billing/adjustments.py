"""What staff do to an issued invoice: a credit note (avoir) or a payment at the counter.

An issued invoice never changes: a correction is a credit note that points to it
(numbered ``A2027-00001`` in the gapless credit-note series of the invoice's régie), and a payment is a row of
its own. Both run in a write transaction with the invoice locked, so that two
agents cannot credit or settle the same amount twice, and both are audited.
"""
import re
import uuid

from domain import audit, clock
from domain.billing.invoicing import credited_cents, due_cents_of, refresh_status
from domain.billing.regies import regie_of
from domain.billing.run import take_numbers
from domain.formats import euros
from domain.transactions import lock_rows, write_transaction
from models import Invoice, InvoiceLine, Payment

#: Ways of paying at the régie's counter.
COUNTER_METHODS = {"especes": "Espèces", "cheque": "Chèque", "cesu": "CESU",
                   "cheque_vacances": "Chèque vacances"}
#: Methods whose reference (cheque or voucher numbers) is required.
NEEDS_REFERENCE = ("cheque", "cesu", "cheque_vacances")


class BillingError(ValueError):
    """A refused staff action, with the message to show next to the field."""

    def __init__(self, message, field="amount"):
        super().__init__(message)
        self.field = field


def parse_amount(text):
    """``5,20`` / ``5.20`` / ``5`` -> 520 cents; None when it is not an amount."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
    # ASCII digits only: "٥" is a digit to ``\d`` and to ``int()``, not to a cashier.
    match = re.fullmatch(r"([0-9]{1,6})(?:[,.]([0-9]{1,2}))?", text)
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))



def issue_credit_note(invoice_id, amount_cents, reason, actor, now):
    """A credit note of ``amount_cents`` on the invoice; returns it. At most what the
    invoice's earlier credit notes left of its total."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Indiquez le motif de l'avoir.", "reason")
    with write_transaction():
        lock_rows(Invoice, [invoice_id])
        invoice = Invoice.get_by_id(invoice_id)
        if invoice.kind != Invoice.INVOICE:
            raise BillingError("Un avoir corrige une facture, pas un autre avoir.")
        room = invoice.total_cents - credited_cents(invoice)
        if not 0 < amount_cents <= room:
            raise BillingError(f"Le montant de l'avoir doit être compris entre 0,01 € et "
                               f"{euros(room)}.")
        regie = regie_of(invoice.regie_id)  # the invoice's: its series, its accounts
        [number] = take_numbers(regie.credit_prefix, now.year, 1)
        credit = Invoice.create(family=invoice.family_id, number=number, regie=regie,
                                kind=Invoice.CREDIT_NOTE, corrects=invoice,
                                period_year=invoice.period_year,
                                period_month=invoice.period_month, issued_at=clock.as_stored(now),
                                due_date=now.date(), total_cents=amount_cents)
        InvoiceLine.create(invoice=credit, child_name="",
                           label=f"Avoir sur la facture N° {invoice.number} : {reason}"[:250],
                           quantity=1, unit_price_cents=amount_cents, amount_cents=amount_cents)
        refresh_status(invoice.id)
        audit.record(actor, invoice.family_id, audit.CREDIT_NOTE_ISSUED,
                     summary=f"Avoir N° {number} de {euros(amount_cents)} sur la facture "
                             f"N° {invoice.number}",
                     after={"number": number, "invoice": invoice.number,
                            "amount_cents": amount_cents}, reason=reason)
    return credit


def record_counter_payment(invoice_id, amount_cents, method, reference, actor, now):
    """A payment received at the régie (espèces, chèque, CESU, chèque vacances); at
    most what remains due. Returns the ``Payment``."""
    reference = (reference or "").strip()[:120]
    if method not in COUNTER_METHODS:
        raise BillingError("Choisissez le moyen de paiement.", "method")
    if method in NEEDS_REFERENCE and not reference:
        raise BillingError("Indiquez la référence (numéro du chèque ou des titres).",
                           "reference")
    with write_transaction():
        lock_rows(Invoice, [invoice_id])
        invoice, due = due_cents_of(invoice_id)
        if invoice.kind != Invoice.INVOICE or due <= 0:
            raise BillingError("Cette facture n'a plus rien à payer.")
        if not 0 < amount_cents <= due:
            raise BillingError(f"Le montant doit être compris entre 0,01 € et {euros(due)} "
                               "(le reste à payer).")
        payment = Payment.create(invoice=invoice, amount_cents=amount_cents,
                                 provider=Payment.COUNTER,
                                 transaction_id=f"G-{uuid.uuid4().hex}", status=Payment.PAID,
                                 created_at=clock.as_stored(now), verified_at=clock.as_stored(now), user=actor,
                                 method=method, reference=reference)
        refresh_status(invoice.id)
        audit.record(actor, invoice.family_id, audit.PAYMENT_RECORDED,
                     summary=f"Paiement de {euros(amount_cents)} ({COUNTER_METHODS[method]}) "
                             f"sur la facture N° {invoice.number}",
                     after={"invoice": invoice.number, "amount_cents": amount_cents,
                            "method": method, "reference": reference})
    return payment
