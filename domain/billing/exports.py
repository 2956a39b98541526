"""CSV exports of invoices and payments, for the treasury's and the commune's tools,
written as every back-office export is (``domain.exports``)."""
from domain.exports import Cents, csv_text
from domain.formats import date_fr
from models import Family, Invoice, Payment

COUNTER_LABELS = {"especes": "Espèces", "cheque": "Chèque", "cesu": "CESU",
                  "cheque_vacances": "Chèque vacances"}


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
        rows.append([invoice.number, "Avoir" if invoice.kind == Invoice.CREDIT_NOTE
                     else "Facture", corrected.get(invoice.corrects_id, ""),
                     invoice.family.account_number, invoice.family.name,
                     f"{invoice.period_month:02d}/{invoice.period_year}",
                     date_fr(invoice.issued_at), date_fr(invoice.due_date),
                     Cents(-invoice.total_cents if invoice.kind == Invoice.CREDIT_NOTE
                           else invoice.total_cents),
                     {"emise": "À payer", "payee": "Payée", "annulee": "Annulée"}.get(
                         invoice.status, invoice.status)])
    return csv_text(["Numéro", "Type", "Facture corrigée", "Compte", "Famille", "Période",
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
        rows.append([date_fr(payment.verified_at), payment.invoice.number,
                     payment.invoice.family.account_number, payment.invoice.family.name,
                     mode, payment.reference,
                     payment.transaction_id if payment.provider == Payment.ONLINE else "",
                     Cents(payment.amount_cents)])
    return csv_text(["Date", "Facture", "Compte", "Famille", "Moyen de paiement", "Référence",
                   "idOp PayFiP", "Montant"], rows)
