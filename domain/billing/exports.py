"""CSV exports of invoices and payments, for the treasury's and the commune's tools,
written as every back-office export is (``domain.exports``): all of them, or one
régie's (each régie keeps its own accounts)."""
from peewee import JOIN

from domain.billing.regies import of_regie
from domain.clock import stored_between
from domain.exports import Cents, csv_text
from domain.formats import date_fr
from models import Family, Invoice, Payment

COUNTER_LABELS = {"especes": "Espèces", "cheque": "Chèque", "cesu": "CESU",
                  "cheque_vacances": "Chèque vacances"}
#: A direct debit's payment (its reference is the mandate's RUM).
DEBIT_LABEL = "Prélèvement SEPA"


def invoices_csv(first, last, regie=None):
    """Invoices and credit notes issued from ``first`` to ``last`` (Paris dates,
    inclusive), of ``regie`` only when given."""
    Corrected = Invoice.alias()
    query = (Invoice.select(Invoice, Family, Corrected.number)
             .join(Family)
             .switch(Invoice).join(Corrected, JOIN.LEFT_OUTER,
                                   on=(Invoice.corrects == Corrected.id), attr="corrected")
             .where(stored_between(Invoice.issued_at, first, last))
             .order_by(Invoice.issued_at, Invoice.number))
    if regie is not None:
        query = query.where(of_regie(regie))
    rows = []
    for invoice in query:
        rows.append([invoice.number, "Avoir" if invoice.kind == Invoice.CREDIT_NOTE
                     else "Facture", invoice.corrected.number if invoice.corrects_id else "",
                     invoice.family.account_number, invoice.family.name,
                     f"{invoice.period_month:02d}/{invoice.period_year}",
                     date_fr(invoice.issued_at), date_fr(invoice.due_date),
                     Cents(-invoice.total_cents if invoice.kind == Invoice.CREDIT_NOTE
                           else invoice.total_cents),
                     "Avoir" if invoice.kind == Invoice.CREDIT_NOTE else
                     {"emise": "À payer", "payee": "Payée", "annulee": "Annulée"}.get(
                         invoice.status, invoice.status)])
    return csv_text(["Numéro", "Type", "Facture corrigée", "Compte", "Famille", "Période",
                     "Émise le", "Échéance", "Montant", "État"], rows)


def payments_csv(first, last, regie=None):
    """Payments received (verified) from ``first`` to ``last`` (Paris dates, inclusive),
    on the invoices of ``regie`` only when given."""
    query = (Payment.select(Payment, Invoice, Family).join(Invoice).join(Family)
             .where((Payment.status == Payment.PAID)
                    & stored_between(Payment.verified_at, first, last))
             .order_by(Payment.verified_at, Payment.id))
    if regie is not None:
        query = query.where(of_regie(regie))
    rows = []
    for payment in query:
        mode = ("Carte bancaire (PayFiP)" if payment.provider == Payment.ONLINE
                else DEBIT_LABEL if payment.provider == Payment.DEBIT
                else COUNTER_LABELS.get(payment.method, payment.method))
        rows.append([date_fr(payment.verified_at), payment.invoice.number,
                     payment.invoice.family.account_number, payment.invoice.family.name,
                     mode, payment.reference,
                     payment.transaction_id if payment.provider == Payment.ONLINE else "",
                     Cents(payment.amount_cents)])
    return csv_text(["Date", "Facture", "Compte", "Famille", "Moyen de paiement", "Référence",
                   "idOp PayFiP", "Montant"], rows)
