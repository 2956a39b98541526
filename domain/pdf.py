"""PDF documents made with fpdf2, in one Unicode font shipped with the portal.

Every text a PDF draws goes through :func:`pdf_text`, and every PDF starts from
:func:`new_pdf`, which embeds DejaVu Sans (``static/fonts/dejavu``, free to
redistribute: its licence is next to it). So "12 rue de Łódź" or "Ştefania" print
as they are written, and no name can make a PDF fail.
"""
import io
import pathlib
import unicodedata

from fpdf import FPDF

FONT = "DejaVu"
FONT_DIR = pathlib.Path(__file__).resolve().parent.parent / "static" / "fonts" / "dejavu"
#: Characters dropped from a PDF's text: controls (but the line break), format
#: characters (bidi overrides, zero-width), lone surrogates, private use, unassigned.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn"}


def pdf_text(value) -> str:
    """``value`` as text a PDF can draw: NFC, tabs as spaces, without invisible or
    undrawable characters (the font draws the rest as written)."""
    text = unicodedata.normalize("NFC", str(value)).replace("\t", " ").replace("\r\n", "\n")
    return "".join(char for char in text
                   if char == "\n" or unicodedata.category(char) not in _DROPPED)


def new_pdf() -> FPDF:
    """An A4 document with DejaVu Sans (regular and bold) embedded, and selected."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_font(FONT, size=11)
    return pdf


def simple_document(title, paragraphs, logo=None):
    """A one-column PDF with a title and paragraphs, headed by the commune's ``logo``
    ((bytes, content type) or None); returns its bytes."""
    pdf = new_pdf()
    pdf.set_title(pdf_text(title))
    pdf.add_page()
    if logo is not None:
        pdf.image(io.BytesIO(logo[0]), x=pdf.l_margin, y=pdf.t_margin, h=16)
        pdf.set_y(pdf.t_margin + 20)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 10, pdf_text(title))
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, pdf_text(paragraph))
        pdf.ln(3)
    return bytes(pdf.output())
