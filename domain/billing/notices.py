"""Emails of billing: a new invoice, a reminder of an unpaid one (and when to remind)."""
import datetime

from peewee import fn

from domain import audit, notifications
from domain.billing.invoicing import unpaid_invoices
from domain.family.contact import billing_addresses
from domain.formats import date_fr, euros, month_fr
from domain.transactions import write_transaction
from models import Invoice, InvoiceReminder


def _mails(invoices, public_url, reminder):
    addresses = billing_addresses(i.family_id for i in invoices)
    link = public_url.rstrip("/") + "/facturation/"
    items = []
    for invoice in invoices:
        month = month_fr(invoice.period_year, invoice.period_month).lower()
        amount = getattr(invoice, "due_cents", invoice.total_cents)
        values = {"number": invoice.number, "month": month, "amount": euros(amount),
                  "due_date": date_fr(invoice.due_date), "link": link,
                  "level": getattr(invoice, "level", 1),
                  "handed_over": getattr(invoice, "handed_over", False)}
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


def invoices_to_remind(today, reminder_days):
    """[(invoice, level)]: each unpaid invoice not handed over whose next reminder level
    is due — level N (1-based) when ``reminder_days[N-1]`` days have passed since its due
    date and levels 1 to N-1 were sent. One level per invoice and run, in order."""
    invoices = [invoice for invoice in unpaid_invoices(today) if invoice.handed_over_at is None]
    sent = {}
    ids = [invoice.id for invoice in invoices]
    for begin in range(0, len(ids), 1000):
        for invoice_id, level in (InvoiceReminder.select(InvoiceReminder.invoice,
                                                         fn.MAX(InvoiceReminder.level))
                                  .where(InvoiceReminder.invoice.in_(ids[begin:begin + 1000]))
                                  .group_by(InvoiceReminder.invoice).tuples()):
            sent[invoice_id] = level
    due = []
    for invoice in invoices:
        level = sent.get(invoice.id, 0) + 1
        if level <= len(reminder_days) and \
                today >= invoice.due_date + datetime.timedelta(days=reminder_days[level - 1]):
            due.append((invoice, level))
    return due


def remind_unpaid(actor, today, stored_now, public_url, reminder_days):
    """Send the reminders due (:func:`invoices_to_remind`), each level once per invoice
    even when two runs race (a unique row per invoice and level, taken first); after the
    last level the invoice is handed over to the Trésor public (no longer payable online).
    Email, stamp and audit in one transaction.

    Returns ``(invoices reminded, emails sent)``; each invoice carries ``level`` and
    ``handed_over``.
    """
    reminded = []
    with write_transaction():
        for invoice, level in invoices_to_remind(today, reminder_days):
            taken = (InvoiceReminder.insert(invoice=invoice.id, level=level, sent_at=stored_now)
                     .on_conflict_ignore().execute())
            if not taken or not InvoiceReminder.select().where(
                    (InvoiceReminder.invoice == invoice.id) & (InvoiceReminder.level == level)
                    & (InvoiceReminder.sent_at == stored_now)).exists():
                continue  # another run sent this level
            invoice.level = level
            invoice.handed_over = level == len(reminder_days)
            reminded.append(invoice)
        mails = send_reminders(reminded, public_url)
        ids = [invoice.id for invoice in reminded]
        if ids:
            Invoice.update(reminded_at=stored_now).where(Invoice.id.in_(ids)).execute()
        last = [invoice.id for invoice in reminded if invoice.handed_over]
        if last:
            Invoice.update(handed_over_at=stored_now).where(Invoice.id.in_(last)).execute()
        for invoice in reminded:
            audit.record(actor, invoice.family_id, audit.INVOICE_REMINDED,
                         summary=f"Relance n° {invoice.level} de la facture N° {invoice.number} "
                                 f"({euros(invoice.due_cents)} à payer)"
                                 + (" ; facture transmise au Trésor public"
                                    if invoice.handed_over else ""))
    return reminded, mails

