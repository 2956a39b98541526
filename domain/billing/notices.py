"""Emails of billing: a new invoice, a reminder of an unpaid one (and when to remind)."""
import datetime

from domain import audit, notifications
from domain.billing.invoicing import unpaid_invoices
from domain.formats import date_fr, euros, month_fr
from domain.transactions import write_transaction
from models import Invoice, User

#: A family is reminded of an invoice at most once a week.
REMINDER_INTERVAL = datetime.timedelta(days=7)


def _addresses(family_ids):
    """{family id: [emails of its active accounts]} in one query."""
    found = {}
    rows = (User.select(User.family, User.email)
            .where(User.family.in_(list(family_ids)) & User.is_active
                   & User.email.is_null(False)).order_by(User.id).tuples())
    for family_id, email in rows:
        found.setdefault(family_id, []).append(email)
    return found


def _mails(invoices, public_url, reminder):
    addresses = _addresses({i.family_id for i in invoices})
    link = public_url.rstrip("/") + "/facturation/"
    items = []
    for invoice in invoices:
        month = month_fr(invoice.period_year, invoice.period_month).lower()
        amount = getattr(invoice, "due_cents", invoice.total_cents)
        values = {"number": invoice.number, "month": month, "amount": euros(amount),
                  "due_date": date_fr(invoice.due_date), "link": link}
        items += [(address, values) for address in addresses.get(invoice.family_id, [])]
    send = notifications.invoice_reminders if reminder else notifications.invoices_issued
    return send(items)


def send_invoice_emails(invoice_ids, public_url):
    """Tell each family that its invoice is issued; returns the number of mails."""
    if not invoice_ids:
        return 0
    invoices = []
    for start in range(0, len(invoice_ids), 1000):
        invoices += list(Invoice.select().where(Invoice.id.in_(invoice_ids[start:start + 1000])))
    return _mails(invoices, public_url, reminder=False)


def send_reminders(invoices, public_url):
    """Remind each family of its unpaid invoice (``due_cents`` set); returns mails sent."""
    return _mails(invoices, public_url, reminder=True)


def invoices_to_remind(today, stored_now):
    """The unpaid invoices due before ``today`` not reminded in the last
    ``REMINDER_INTERVAL`` (``stored_now``: now as a naive-UTC timestamp)."""
    return [invoice for invoice in unpaid_invoices(today)
            if invoice.reminded_at is None
            or stored_now - invoice.reminded_at >= REMINDER_INTERVAL]


def remind_unpaid(actor, today, stored_now, public_url):
    """Remind the families of the invoices to remind: email them, stamp each invoice's
    ``reminded_at`` and audit each reminder, in one transaction.

    Returns ``(invoices reminded, emails sent)``.
    """
    invoices = invoices_to_remind(today, stored_now)
    with write_transaction():
        mails = send_reminders(invoices, public_url)
        ids = [invoice.id for invoice in invoices]
        if ids:
            Invoice.update(reminded_at=stored_now).where(Invoice.id.in_(ids)).execute()
        for invoice in invoices:
            audit.record(actor, invoice.family_id, audit.INVOICE_REMINDED,
                         summary=f"Relance de la facture N° {invoice.number} "
                                 f"({euros(invoice.due_cents)} à payer)")
    return invoices, mails
