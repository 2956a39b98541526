"""An invoice's PDF as a stored file, made on first download and kept."""
from domain import commune
from domain.billing.invoice_pdf import invoice_pdf
from domain.billing.invoicing import with_billed_days
from domain.billing.regies import regie_of
from domain.files import store_bytes
from models import Family, Invoice, InvoiceLine, StoredFile

#: How to pay at the counter, printed on every invoice (after the régie's address and hours).
REGIE_TEXT = ("à la régie de la mairie, aux heures d'ouverture, en espèces, par chèque à "
              "l'ordre du Trésor public, en CESU ou en chèques vacances, avec le numéro de la "
              "facture.")


def regie_text(current):
    """The invoice's « Payer à la régie » sentence with the commune's régie (its address and
    opening hours, from the settings) when it gave them."""
    where = current.regie_text
    return f"{REGIE_TEXT} {where}." if where else REGIE_TEXT


def family_invoice_list(family):
    """The family's invoices and credit notes, newest first (for Mes documents)."""
    return list(Invoice.select().where(Invoice.family == family)
                .order_by(Invoice.issued_at.desc(), Invoice.id.desc()))


def family_invoice(family_id, invoice_id):
    """The family's invoice or credit note ``invoice_id``, or None (another family's)."""
    return (Invoice.select(Invoice, Family).join(Family)
            .where((Invoice.id == invoice_id) & (Invoice.family == family_id)).first())


def invoice_file(invoice, commune_name, online_url):
    """The stored PDF of ``invoice`` (made now if it was never downloaded)."""
    if invoice.pdf_id:
        stored = StoredFile.get_or_none(StoredFile.id == invoice.pdf_id)
        if stored is not None:
            return stored
    invoice.lines = with_billed_days(InvoiceLine.select().where(InvoiceLine.invoice == invoice)
                                     .order_by(InvoiceLine.id))
    current = commune.settings()
    data = invoice_pdf(invoice, invoice.family, commune_name, regie_text(current), online_url,
                       address=current.address, logo=commune.logo() if current.has_logo else None,
                       regie_name=regie_of(invoice.regie_id).name)
    kind = "avoir" if invoice.kind == Invoice.CREDIT_NOTE else "facture"
    stored = store_bytes(data, f"{kind}-{invoice.number}.pdf", "application/pdf",
                         family=invoice.family)
    Invoice.update(pdf=stored).where(Invoice.id == invoice.id).execute()
    return stored
