"""Every PDF prints names and addresses as they are written (a Unicode
font shipped with the portal), and no name or address makes a PDF fail."""
import datetime
import io
from types import SimpleNamespace

import pypdf
from hypothesis import HealthCheck, given, settings, strategies as st

from domain.billing.invoice_pdf import invoice_pdf
from domain.pdf import FONT_DIR, pdf_text, simple_document
from models import Child, Family, Invoice, InvoiceLine


def text_of_pdf(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def test_an_invoice_to_lodz_for_stefania_prints_them_as_written(client, auth, db):
    family = Family.get(Family.account_number == 16123)
    Family.update(address="12 rue de Łódź", city="Saint-Étienne").where(
        Family.id == family.id).execute()
    october = (Invoice.select().where(Invoice.family == family).order_by(Invoice.id))[1]
    InvoiceLine.update(child_name="Ştefania").where(InvoiceLine.invoice == october).execute()
    Child.update(first_name="Ştefania").where(Child.first_name == "CHLOE").execute()
    auth.login("famille 16123")
    response = client.get(f"/facturation/factures/{october.id}.pdf")
    assert response.status_code == 200
    text = text_of_pdf(response.data)
    assert "12 rue de Łódź" in text and "Ştefania" in text and "46,00 €" in text
    # The font travels inside the PDF: the reader needs none installed.
    assert b"/FontFile2" in response.data
    auth.logout()
    auth.login("agent")
    staff = client.get(f"/agents/facturation/factures/{october.id}.pdf")
    assert staff.status_code == 200 and "Ştefania" in text_of_pdf(staff.data)


def test_the_font_and_its_licence_ship_with_the_portal():
    assert (FONT_DIR / "DejaVuSans.ttf").stat().st_size > 500_000
    assert (FONT_DIR / "DejaVuSans-Bold.ttf").exists()
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text()


def test_the_one_text_function_drops_only_what_cannot_be_drawn():
    assert pdf_text("Ştefania ŁÓDŹ 12\u202fh – « ok »") == "Ştefania ŁÓDŹ 12\u202fh – « ok »"
    assert pdf_text("é\u202egpj.exe\u200b\x00\ud800\tfin") == "égpj.exe fin"
    assert pdf_text("e\u0301") == "é"  # one letter, however it was typed


NAMES = st.text(st.characters(codec="utf-8"), max_size=60)


def fake_invoice(child_name, label, kind=Invoice.INVOICE):
    line = SimpleNamespace(child_name=child_name, label=label, quantity=3,
                           unit_price_cents=125, amount_cents=375, days=None)
    return SimpleNamespace(kind=kind, number="F2026-00042", period_year=2026, period_month=11,
                           issued_at=datetime.datetime(2026, 12, 1, 8), corrects_id=None,
                           due_date=datetime.date(2026, 12, 31), lines=[line], total_cents=375)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, address=NAMES, city=NAMES, child=NAMES, commune=NAMES)
def test_any_name_or_address_makes_an_invoice_pdf(name, address, city, child, commune):
    family = SimpleNamespace(name=name, address=address, postal_code="31000", city=city,
                             account_number=16123)
    for kind in (Invoice.INVOICE, Invoice.CREDIT_NOTE):
        data = invoice_pdf(fake_invoice(child, "Restauration " + child, kind), family,
                           commune, "à la régie", "http://x")
        assert data.startswith(b"%PDF-")
    drawable = pdf_text(address).strip()
    if drawable and drawable.isalnum() and len(drawable) < 20 and all(
            ord(char) < 0x0530 for char in drawable):  # Latin, Greek, Cyrillic: DejaVu has them
        assert drawable in text_of_pdf(data).replace("\n", "")


@settings(max_examples=60, deadline=None)
@given(title=NAMES, paragraphs=st.lists(NAMES, max_size=4))
def test_any_name_makes_a_simple_document(title, paragraphs):
    """The confirmation d'inscription and every other one-column document."""
    assert simple_document(title, paragraphs).startswith(b"%PDF-")
