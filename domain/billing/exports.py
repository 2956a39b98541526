"""CSV exports of invoices and payments, for the treasury's and the commune's tools.

Conventions of every back-office export: UTF-8 with a BOM (so that a spreadsheet
reads the accents), ``;`` between fields, dates DD/MM/YYYY, amounts ``5,20``
(without the currency sign), and any text cell that a spreadsheet would take for
a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
prefixed with ``'`` so that it stays text. Written with the standard ``csv``.
"""
import csv
import io

from domain.formats import date_fr
from models import Family, Invoice, Payment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COUNTER_LABELS = {"especes": "Espèces", "cheque": "Chèque", "cesu": "CESU",
                  "cheque_vacances": "Chèque vacances"}


def cell(value):
    """A text cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount(cents):
    """``520`` -> ``5,20``; ``-520`` -> ``-5,20`` (a number, never escaped)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


def _write(header, rows):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def invoices_csv(first, last):
    """Invoices and credit notes issued from ``first`` to ``last`` (dates, inclusive)."""
    from datetime import datetime, time, timedelta
    start = datetime.combine(first, time()) - timedelta(hours=2)  # Paris midnight in UTC
    end = datetime.combine(last + timedelta(days=1), time())
    rows = []
    query = (Invoice.select(Invoice, Family).join(Family)
             .where((Invoice.issued_at >= start) & (Invoice.issued_at < end))
             .order_by(Invoice.issued_at, Invoice.number))
    corrected = {}
    for invoice in query:
        if not first <= _paris_day(invoice.issued_at) <= last:
            continue
        if invoice.corrects_id and invoice.corrects_id not in corrected:
            corrected[invoice.corrects_id] = Invoice.get_by_id(invoice.corrects_id).number
        rows.append([cell(invoice.number), "Avoir" if invoice.kind == Invoice.CREDIT_NOTE
                     else "Facture", cell(corrected.get(invoice.corrects_id, "")),
                     invoice.family.account_number, cell(invoice.family.name),
                     f"{invoice.period_month:02d}/{invoice.period_year}",
                     date_fr(invoice.issued_at), date_fr(invoice.due_date),
                     amount(-invoice.total_cents if invoice.kind == Invoice.CREDIT_NOTE
                            else invoice.total_cents),
                     {"emise": "À payer", "payee": "Payée", "annulee": "Annulée"}.get(
                         invoice.status, invoice.status)])
    return _write(["Numéro", "Type", "Facture corrigée", "Compte", "Famille", "Période",
                   "Émise le", "Échéance", "Montant", "État"], rows)


def _paris_day(stored):
    from domain.clock import to_paris
    return to_paris(stored).date()


def payments_csv(first, last):
    """Payments received (verified) from ``first`` to ``last``."""
    from datetime import datetime, time, timedelta
    start = datetime.combine(first, time()) - timedelta(hours=2)
    end = datetime.combine(last + timedelta(days=1), time())
    query = (Payment.select(Payment, Invoice, Family).join(Invoice).join(Family)
             .where((Payment.status == Payment.PAID) & (Payment.verified_at >= start)
                    & (Payment.verified_at < end))
             .order_by(Payment.verified_at, Payment.id))
    rows = []
    for payment in query:
        if not first <= _paris_day(payment.verified_at) <= last:
            continue
        mode = ("Carte bancaire (PayFiP)" if payment.provider == Payment.ONLINE
                else COUNTER_LABELS.get(payment.method, payment.method))
        rows.append([date_fr(payment.verified_at), cell(payment.invoice.number),
                     payment.invoice.family.account_number, cell(payment.invoice.family.name),
                     cell(mode), cell(payment.reference),
                     cell(payment.transaction_id if payment.provider == Payment.ONLINE else ""),
                     amount(payment.amount_cents)])
    return _write(["Date", "Facture", "Compte", "Famille", "Moyen de paiement", "Référence",
                   "idOp PayFiP", "Montant"], rows)
