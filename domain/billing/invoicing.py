"""Invoices as the family and staff see them: what is due, what was paid, the balance.

An invoice's due amount is its total, less its credit notes (avoirs, which point
to it) and its verified payments. A credit note owes nothing itself: it lowers
the invoice it corrects. The balance of an account is the sum of what its
invoices still owe (negative: the family has a credit).
"""
from peewee import fn, prefetch

from models import Family, Invoice, InvoicedBooking, InvoiceLine, Payment

#: Below this, PayFiP refuses the payment: it is paid at the régie.
ONLINE_MINIMUM_CENTS = 100


def family_invoices(family):
    """The family's invoices and credit notes, newest first, with lines and payments
    (three queries, whatever their number); each carries ``credited_cents``."""
    invoices = (Invoice.select().where(Invoice.family == family)
                .order_by(Invoice.period_year.desc(), Invoice.period_month.desc(),
                          Invoice.id.desc()))
    invoices = prefetch(invoices, InvoiceLine.select().order_by(InvoiceLine.id),
                        Payment.select().order_by(Payment.created_at, Payment.id))
    credited = {}
    for invoice in invoices:
        if invoice.kind == Invoice.CREDIT_NOTE and invoice.corrects_id:
            credited[invoice.corrects_id] = credited.get(invoice.corrects_id, 0) \
                + invoice.total_cents
    for invoice in invoices:
        invoice.credited_cents = credited.get(invoice.id, 0)
    return invoices


def with_billed_days(lines):
    """Give each line ``days``: the booked days it bills, in order (one query)."""
    lines = list(lines)
    days = {}
    if lines:
        rows = (InvoicedBooking.select(InvoicedBooking.line, InvoicedBooking.date)
                .where(InvoicedBooking.line.in_([line.id for line in lines]))
                .order_by(InvoicedBooking.date).tuples())
        for line_id, day in rows:
            days.setdefault(line_id, []).append(day)
    for line in lines:
        line.days = days.get(line.id, [])
    return lines


def days_text(days):
    """``Les 06, 13, 20, 27/01`` (days of one month), or dates in full across months."""
    if not days:
        return ""
    if len({(d.year, d.month) for d in days}) == 1:
        return "Le " + days[0].strftime("%d/%m") if len(days) == 1 else \
            "Les " + ", ".join(d.strftime("%d") for d in days[:-1]) + ", " + \
            days[-1].strftime("%d/%m")
    return "Les " + ", ".join(d.strftime("%d/%m") for d in days)


def paid_cents(invoice):
    """What verified payments have settled of ``invoice``."""
    return sum(p.amount_cents for p in invoice.payments if p.status == Payment.PAID)


def credited_cents(invoice):
    """The total of the credit notes that correct ``invoice``."""
    value = getattr(invoice, "credited_cents", None)
    if value is None:
        value = (Invoice.select(fn.COALESCE(fn.SUM(Invoice.total_cents), 0))
                 .where((Invoice.corrects == invoice.id)
                        & (Invoice.kind == Invoice.CREDIT_NOTE)).scalar())
        invoice.credited_cents = value
    return value


def amount_due_cents(invoice):
    """What remains to pay on ``invoice`` (0 for a credit note; negative if overpaid)."""
    if invoice.status == Invoice.CANCELLED or invoice.kind == Invoice.CREDIT_NOTE:
        return 0
    return invoice.total_cents - credited_cents(invoice) - paid_cents(invoice)


def account_summary(invoices):
    """Unpaid invoices (oldest first) and the balance of the account (positive: owed)."""
    unpaid = [i for i in invoices if i.kind == Invoice.INVOICE and amount_due_cents(i) > 0]
    unpaid.sort(key=lambda i: (i.due_date, i.id))
    return {"unpaid": unpaid, "balance_cents": sum(amount_due_cents(i) for i in invoices)}


def due_cents_of(invoice_id):
    """What remains to pay on one invoice, from the database (two queries)."""
    invoice = Invoice.get_by_id(invoice_id)
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0))
            .where((Payment.invoice == invoice_id) & (Payment.status == Payment.PAID)).scalar())
    invoice.payments_paid = paid
    if invoice.kind == Invoice.CREDIT_NOTE or invoice.status == Invoice.CANCELLED:
        return invoice, 0
    return invoice, invoice.total_cents - credited_cents(invoice) - paid


def refresh_status(invoice_id):
    """Set the invoice ``payee`` when nothing remains due, ``emise`` otherwise (inside
    the caller's transaction). Lines, amounts and numbers never change."""
    invoice, due = due_cents_of(invoice_id)
    if invoice.kind != Invoice.INVOICE or invoice.status == Invoice.CANCELLED:
        return invoice
    status = Invoice.PAID if due <= 0 else Invoice.ISSUED
    if status != invoice.status:
        Invoice.update(status=status).where(Invoice.id == invoice.id).execute()
        invoice.status = status
    return invoice


def overpaid_invoices():
    """Every invoice settled above what it owed (payments, at the counter or online,
    and credit notes beyond its total), with ``refund_cents``: what to refund."""
    paid = dict(Payment.select(Payment.invoice, fn.SUM(Payment.amount_cents))
                .where(Payment.status == Payment.PAID).group_by(Payment.invoice).tuples())
    if not paid:
        return []
    credited = dict(Invoice.select(Invoice.corrects, fn.SUM(Invoice.total_cents))
                    .where(Invoice.corrects.in_(list(paid))
                           & (Invoice.kind == Invoice.CREDIT_NOTE))
                    .group_by(Invoice.corrects).tuples())
    invoices = (Invoice.select(Invoice, Family).join(Family)
                .where(Invoice.id.in_(list(paid)) & (Invoice.kind == Invoice.INVOICE)
                       & (Invoice.status != Invoice.CANCELLED))
                .order_by(Invoice.due_date, Invoice.number))
    overpaid = []
    for invoice in invoices:
        invoice.refund_cents = (paid[invoice.id] + credited.get(invoice.id, 0)
                                - invoice.total_cents)
        if invoice.refund_cents > 0:
            overpaid.append(invoice)
    return overpaid


def unpaid_invoices(overdue_on=None):
    """Every invoice not settled (staff), oldest due first, with its family; when
    ``overdue_on`` is given, only those due before that day."""
    query = (Invoice.select(Invoice, Family).join(Family)
             .where((Invoice.kind == Invoice.INVOICE) & (Invoice.status == Invoice.ISSUED)))
    if overdue_on is not None:
        query = query.where(Invoice.due_date < overdue_on)
    return still_owing(query.order_by(Invoice.due_date, Invoice.number))


def still_owing(invoices):
    """Those of ``invoices`` that still owe something, in their order, each given
    ``credited_cents`` and ``due_cents`` (its total less its credit notes and its verified
    payments): two queries whatever their number."""
    invoices = list(invoices)
    ids = [i.id for i in invoices]
    paid, credited = {}, {}
    if ids:
        paid = dict(Payment.select(Payment.invoice, fn.SUM(Payment.amount_cents))
                    .where(Payment.invoice.in_(ids) & (Payment.status == Payment.PAID))
                    .group_by(Payment.invoice).tuples())
        credited = dict(Invoice.select(Invoice.corrects, fn.SUM(Invoice.total_cents))
                        .where(Invoice.corrects.in_(ids)).group_by(Invoice.corrects).tuples())
    for invoice in invoices:
        invoice.credited_cents = credited.get(invoice.id, 0)
        invoice.due_cents = invoice.total_cents - invoice.credited_cents - paid.get(invoice.id, 0)
    return [i for i in invoices if i.due_cents > 0]
