"""PDF documents made with fpdf2."""
import io
import unicodedata

from fpdf import FPDF

#: The core fonts (Helvetica) cover Windows-1252: French text, « », –, ’, € and •.
ENCODING = "windows-1252"


def printable(text):
    """``text`` in what the core fonts can draw: a letter outside Windows-1252 loses its
    accent (ł → l), anything else becomes "?", so that no name makes the PDF fail."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode(ENCODING, "ignore").decode(ENCODING)
            out.append(base or "?")
    return "".join(out)


def simple_document(title, paragraphs, logo=None):
    """A one-column PDF with a title and paragraphs, headed by the commune's ``logo``
    ((bytes, content type) or None); returns its bytes."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_title(printable(title))
    pdf.add_page()
    if logo is not None:
        pdf.image(io.BytesIO(logo[0]), x=pdf.l_margin, y=pdf.t_margin, h=16)
        pdf.set_y(pdf.t_margin + 20)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, printable(title))
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, printable(paragraph))
        pdf.ln(3)
    return bytes(pdf.output())
