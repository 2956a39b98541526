"""The PDF of an invoice or credit note, made from the stored invoice with fpdf2.

The same invoice gives the same bytes every time: the PDF's creation date is the
invoice's issue date and nothing else varies. It is made on first download and
kept (``Invoice.pdf``).
"""
import datetime
import io

from domain.billing.invoicing import days_text
from domain.formats import date_fr, euros, month_fr
from domain.pdf import FONT, new_pdf, pdf_text as _text
from models import MAIN_REGIE_NAME, Invoice


def _fit(pdf, text, width):
    """``text`` cut with an ellipsis to fit ``width`` millimetres."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _money(cents):
    return _text(euros(cents))


def invoice_pdf(invoice, family, commune_name, regie_text, online_url, address="", logo=None,
                regie_name=MAIN_REGIE_NAME):
    """The PDF bytes of ``invoice`` (its ``lines`` loaded, with their ``days`` when known)
    for ``family``; the commune's ``address`` and ``logo`` ((bytes, type) or None) and the
    name of the régie that bills it head it."""
    credit = invoice.kind == Invoice.CREDIT_NOTE
    title = f"{'Avoir' if credit else 'Facture'} N° {invoice.number}"
    pdf = new_pdf()
    pdf.set_creation_date(invoice.issued_at.replace(tzinfo=datetime.timezone.utc))
    pdf.set_title(_text(title))
    pdf.set_author(_text(commune_name))
    pdf.set_subject(_text(f"{title} - compte {family.account_number}"))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    if logo is not None:
        pdf.image(io.BytesIO(logo[0]), x=pdf.l_margin, y=pdf.t_margin, h=16)
        pdf.set_y(pdf.t_margin + 18)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, _text(commune_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, _text(f"Service Enfance - {regie_name}"), new_x="LMARGIN", new_y="NEXT")
    if address:
        pdf.multi_cell(90, 5, _text(address), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=11)
    address = [f"Famille {family.name}", family.address,
               f"{family.postal_code} {family.city}".strip()]
    pdf.set_x(110)
    pdf.multi_cell(90, 6, _text("\n".join(line for line in address if line)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    period = month_fr(invoice.period_year, invoice.period_month)
    facts = [f"Compte famille : {family.account_number}", f"Période : {period}",
             f"Date d'émission : {date_fr(invoice.issued_at)}"]
    if credit and invoice.corrects_id:
        facts.append(f"Corrige la facture N° {invoice.corrects.number}")
    if not credit:
        facts.append(f"À payer avant le : {date_fr(invoice.due_date)}")
    for fact in facts:
        pdf.cell(0, 6, _text(fact), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (30, 86, 18, 28, 28)
    pdf.set_font(FONT, "B", 10)
    for width, head in zip(widths, ("Enfant", "Prestation", "Quantité", "Prix unitaire",
                                    "Montant")):
        pdf.cell(width, 8, _text(head), border=1, align="C")
    pdf.ln()
    pdf.set_font(FONT, size=10)
    for line in invoice.lines:
        cells = (line.child_name, line.label, str(line.quantity),
                 _money(line.unit_price_cents), _money(line.amount_cents))
        for index, (width, value) in enumerate(zip(widths, cells)):
            pdf.cell(width, 7, _fit(pdf, _text(value), width - 2), border=1,
                     align="L" if index < 2 else "R")
        pdf.ln()
        if getattr(line, "days", None):
            pdf.set_font(FONT, size=8)
            pdf.multi_cell(sum(widths), 5, _text(days_text(line.days)), border=1,
                           new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, size=10)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(sum(widths[:4]), 8, _text("Total" if not credit else "Total de l'avoir"), border=1,
             align="R")
    pdf.cell(widths[4], 8, _money(invoice.total_cents), border=1, align="R")
    pdf.ln(14)
    pdf.set_font(FONT, size=10)
    if credit:
        notes = ["Cet avoir est déduit du montant de la facture qu'il corrige."]
    else:
        notes = [f"Payer en ligne : sur le Portail Famille, onglet FACTURATION, « Payer mes "
                 f"factures » ({online_url}), par carte bancaire (PayFiP, à partir de 1,00 €).",
                 f"Payer à la régie : {regie_text}"]
    for note in notes:
        pdf.multi_cell(0, 5, _text(note), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())
