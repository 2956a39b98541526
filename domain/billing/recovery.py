"""The état des restes à recouvrer: what the commune hands over to its comptable public.

After the last reminder level, an unpaid invoice is handed over to the Trésor public
(``Invoice.handed_over_at``): it is no longer payable online, and it is listed here
with its family, what remains due and the reminders sent, as a CSV (the exports'
French conventions) and a PDF, until it is settled.
"""
from domain import exports
from domain.billing.invoicing import unpaid_invoices
from domain.clock import to_paris
from domain.formats import euros
from domain.pdf import simple_document
from models import InvoiceReminder

HEADER = ["Facture", "N° de compte", "Famille", "Adresse", "Période", "Échéance", "Montant",
          "Reste à recouvrer", "Relances", "Transmise le"]


def handed_over_invoices():
    """Invoices handed over and still owing something, oldest due first, each with its
    family, ``due_cents`` and ``reminder_days`` (the Paris days of its reminders)."""
    invoices = [invoice for invoice in unpaid_invoices() if invoice.handed_over_at is not None]
    sent = {}
    ids = [invoice.id for invoice in invoices]
    for begin in range(0, len(ids), 1000):
        for invoice_id, at in (InvoiceReminder.select(InvoiceReminder.invoice,
                                                      InvoiceReminder.sent_at)
                               .where(InvoiceReminder.invoice.in_(ids[begin:begin + 1000]))
                               .order_by(InvoiceReminder.level).tuples()):
            sent.setdefault(invoice_id, []).append(to_paris(at).date())
    for invoice in invoices:
        invoice.reminder_days = sent.get(invoice.id, [])
    return invoices


def _address(family):
    return " ".join(part for part in (family.address, family.postal_code, family.city) if part)


def _row(invoice):
    family = invoice.family
    return [invoice.number, family.account_number, family.name, _address(family),
            f"{invoice.period_month:02d}/{invoice.period_year}", invoice.due_date,
            exports.Cents(invoice.total_cents), exports.Cents(invoice.due_cents),
            ", ".join(day.strftime("%d/%m/%Y") for day in invoice.reminder_days),
            to_paris(invoice.handed_over_at).date()]


def recovery_csv(invoices):
    """The état as CSV text (BOM, ``;``, dd/mm/yyyy, amounts 5,20)."""
    return exports.csv_text(HEADER, [_row(invoice) for invoice in invoices])


def recovery_pdf(invoices, commune_name, today):
    """The état as a PDF for the comptable public (bytes)."""
    total = sum(invoice.due_cents for invoice in invoices)
    lines = [f"{commune_name} – état arrêté au {today.strftime('%d/%m/%Y')} : "
             f"{len(invoices)} facture(s), {euros(total)} à recouvrer."]
    for invoice in invoices:
        family = invoice.family
        lines.append(
            f"Facture N° {invoice.number} ({invoice.period_month:02d}/{invoice.period_year}), "
            f"échue le {invoice.due_date.strftime('%d/%m/%Y')} – compte {family.account_number}, "
            f"{family.name}, {_address(family)} – montant {euros(invoice.total_cents)}, "
            f"reste à recouvrer {euros(invoice.due_cents)} – relances : "
            + (", ".join(day.strftime("%d/%m/%Y") for day in invoice.reminder_days) or "aucune")
            + f" – transmise le {to_paris(invoice.handed_over_at).strftime('%d/%m/%Y')}.")
    return simple_document("État des restes à recouvrer", lines)
