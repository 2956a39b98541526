"""An invoice's PDF as the family keeps it: made on first download with the commune's
régie sentence, the régie that bills it and each line's days, named after its kind and
number, kept for the family and given again unchanged; the family's list of invoices."""
import datetime
import io

from PIL import Image

from domain import clock, commune
from domain.billing import regies
from domain.billing.documents import (
    REGIE_TEXT,
    family_invoice,
    family_invoice_list,
    invoice_file,
    regie_text,
)
from domain.files import upload_path
from models import Commune, Family, Invoice, InvoiceLine, StoredFile, User
from tests import factories
from tests.billing.test_pdf_text import text_of_pdf


def paris(*args):
    return clock.as_stored(datetime.datetime(*args, tzinfo=clock.PARIS))


def invoice(family, number, issued_at, **fields):
    values = dict(family=family, number=number, period_year=2027, period_month=3,
                  issued_at=issued_at, due_date=datetime.date(2027, 4, 30), total_cents=1234)
    values.update(fields)
    return Invoice.create(**values)


def test_the_regie_sentence_adds_where_and_when_only_when_the_commune_said(db):
    Commune.update(regie_address="", regie_hours="").execute()
    assert regie_text(commune.load()) == REGIE_TEXT
    Commune.update(regie_address="Mairie\n1 place", regie_hours="lundi  9h").execute()
    assert regie_text(commune.load()) == f"{REGIE_TEXT} Mairie, 1 place ; lundi 9h."


def test_the_family_lists_its_own_invoices_newest_first(db):
    family = factories.family(70001, "MARTIN")
    other = factories.family(70002, "DURAND")
    invoice(family, "T-1", paris(2027, 3, 1, 9))
    invoice(family, "T-3", paris(2027, 3, 5, 9))
    invoice(family, "T-2", paris(2027, 3, 1, 9))
    theirs = invoice(other, "T-9", paris(2027, 3, 9, 9))
    assert [i.number for i in family_invoice_list(family)] == ["T-3", "T-2", "T-1"]
    mine = Invoice.get(Invoice.number == "T-1")
    found = family_invoice(family.id, mine.id)
    assert found.number == "T-1" and found.family.name == "MARTIN"
    assert family_invoice(family.id, theirs.id) is None


def test_the_pdf_is_made_once_for_the_family_and_kept(db, in_app):
    Commune.update(regie_address="Régie Enfance", regie_hours="",
                   address="1 place de la Mairie").execute()
    family = factories.family(70001, "MARTIN", address="3 rue du Port")
    admin = User.get(User.role == User.ROLE_ADMIN)
    extra = regies.create_regie(admin, "Régie extrascolaire", "CL", "ACL", "", [])
    bill = invoice(family, "CL2027-00001", paris(2027, 4, 1, 9), regie=extra.id)
    second = InvoiceLine.create(invoice=bill, child_name="ZOÉ", label="Deuxième ligne",
                                quantity=1, unit_price_cents=234, amount_cents=234)
    first = InvoiceLine.create(invoice=bill, child_name="ZOÉ", label="Première ligne",
                               quantity=2, unit_price_cents=500, amount_cents=1000)
    assert second.id < first.id
    elsewhere = invoice(factories.family(70002, "DURAND"), "T-AUTRE", paris(2027, 4, 1, 9))
    InvoiceLine.create(invoice=elsewhere, child_name="LÉO", label="Ligne d'une autre facture",
                       quantity=1, unit_price_cents=100, amount_cents=100)
    files = StoredFile.select().count()
    stored = invoice_file(bill, "Saint-Exemple", "https://portail.example.org/facturation")
    assert (stored.original_name, stored.content_type, stored.family_id) == \
        ("facture-CL2027-00001.pdf", "application/pdf", family.id)
    assert Invoice.get_by_id(bill.id).pdf_id == stored.id
    with open(upload_path(stored.stored_name), "rb") as handle:
        text = text_of_pdf(handle.read())
    assert "Service Enfance - Régie extrascolaire" in text and "Saint-Exemple" in text
    assert "Ligne d'une autre facture" not in text
    assert "(https://portail.example.org/facturation)" in text.replace("\n", "")
    assert Invoice.get_by_id(elsewhere.id).pdf_id is None
    assert "1 place de la Mairie" in text and "3 rue du Port" in text
    assert f"Payer à la régie : {REGIE_TEXT} Régie Enfance." in text.replace("\n", " ")
    assert text.index("Deuxième ligne") < text.index("Première ligne")  # in line order
    # Downloaded again: the same file, nothing made.
    again = invoice_file(Invoice.get_by_id(bill.id), "Autre nom", "https://autre")
    assert again.id == stored.id and StoredFile.select().count() == files + 1
    # Its file record gone, it is made again.
    Invoice.update(pdf=None).where(Invoice.id == bill.id).execute()
    StoredFile.delete().where(StoredFile.id == stored.id).execute()
    remade = invoice_file(Invoice.get_by_id(bill.id), "Saint-Exemple", "https://x")
    assert remade.stored_name != stored.stored_name
    assert Invoice.get_by_id(bill.id).pdf_id == remade.id


def test_a_credit_note_is_kept_under_its_own_name_with_the_main_regie(db, in_app):
    family = factories.family(70001, "MARTIN")
    bill = invoice(family, "F2027-00007", paris(2027, 4, 1, 9), regie=None)
    credit = invoice(family, "A2027-00001", paris(2027, 4, 2, 9), kind=Invoice.CREDIT_NOTE,
                     corrects=bill, total_cents=250)
    stored = invoice_file(Invoice.get_by_id(credit.id), "Saint-Exemple", "https://x")
    assert stored.original_name == "avoir-A2027-00001.pdf"
    with open(upload_path(stored.stored_name), "rb") as handle:
        text = text_of_pdf(handle.read())
    assert f"Service Enfance - {regies.main_regie().name}" in text
    assert "Corrige la facture N° F2027-00007" in text
    assert Family.get_by_id(family.id).name == "MARTIN"


def test_the_communes_logo_heads_the_pdf_when_it_has_one(db, in_app):
    family = factories.family(70001, "MARTIN")
    bill = invoice(family, "F2027-00007", paris(2027, 4, 1, 9))
    without = invoice_file(bill, "Saint-Exemple", "https://x")
    png = io.BytesIO()
    Image.new("RGB", (60, 20), (200, 30, 30)).save(png, "PNG")
    Commune.update(logo=png.getvalue(), logo_type="image/png").execute()
    Invoice.update(pdf=None).where(Invoice.id == bill.id).execute()
    with_logo = invoice_file(Invoice.get_by_id(bill.id), "Saint-Exemple", "https://x")
    for stored, images in ((without, 0), (with_logo, 1)):
        with open(upload_path(stored.stored_name), "rb") as handle:
            assert handle.read().count(b"/Subtype /Image") == images
