"""Invoices as the family sees them: what is due, what was paid, the balance."""
from peewee import prefetch

from models import Invoice, InvoiceLine, Payment


def family_invoices(family):
    """The family's invoices and credit notes, newest first, with lines and payments
    (three queries, whatever their number)."""
    invoices = (Invoice.select().where(Invoice.family == family)
                .order_by(Invoice.period_year.desc(), Invoice.period_month.desc(),
                          Invoice.id.desc()))
    return prefetch(invoices, InvoiceLine.select().order_by(InvoiceLine.date, InvoiceLine.id),
                    Payment.select().order_by(Payment.created_at))


def paid_cents(invoice):
    """What verified payments have settled of ``invoice``."""
    return sum(p.amount_cents for p in invoice.payments if p.status == Payment.PAID)


def amount_due_cents(invoice):
    """What remains to pay on ``invoice`` (a credit note is a negative amount)."""
    if invoice.status == Invoice.CANCELLED:
        return 0
    sign = -1 if invoice.kind == Invoice.CREDIT_NOTE else 1
    return sign * invoice.total_cents - paid_cents(invoice)


def account_summary(invoices):
    """Unpaid invoices and the balance of the account (positive: the family owes)."""
    unpaid = [i for i in invoices if i.kind == Invoice.INVOICE and amount_due_cents(i) > 0]
    return {"unpaid": unpaid, "balance_cents": sum(amount_due_cents(i) for i in invoices)}
