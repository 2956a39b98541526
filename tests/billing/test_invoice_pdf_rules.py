"""The invoice's PDF as the family reads it: each text where it stands (millimetres from
the page's left and top), its size and weight, the table's borders, what a credit note
says instead, a label too long cut to its column, the logo above the commune's name,
the page break, and the same bytes for the same invoice."""
import datetime
import io
import re
from types import SimpleNamespace

import pypdf
from PIL import Image

from domain.billing.invoice_pdf import invoice_pdf
from models import Invoice


def line(label="Restauration Maternelle - Repas", child="LÉA", days=None):
    return SimpleNamespace(child_name=child, label=label, quantity=3, unit_price_cents=125,
                           amount_cents=375, days=days)


def invoice(kind=Invoice.INVOICE, lines=None, **fields):
    values = dict(kind=kind, number="F2026-00042", period_year=2026, period_month=11,
                  issued_at=datetime.datetime(2026, 12, 1, 8), corrects_id=None,
                  due_date=datetime.date(2026, 12, 31), total_cents=375,
                  lines=lines if lines is not None else [
                      line(days=[datetime.date(2026, 11, 3), datetime.date(2026, 11, 5)])])
    values.update(fields)
    return SimpleNamespace(**values)


FAMILY = SimpleNamespace(name="MARTIN", address="3 rue du Port", postal_code="31000",
                         city="Toulouse", account_number=16123)


def pdf_of(bill=None, family=FAMILY, **options):
    options.setdefault("address", "1 place\nMairie")
    return invoice_pdf(bill or invoice(), family, "Saint-Exemple", "à la régie.",
                       "https://p/f", **options)


def runs(data, page=0):
    """[(text, x mm, y mm from the top, size, bold)] of a page, in drawing order."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text.strip(), round(tm[4] * 25.4 / 72, 1),
                          round(297 - tm[5] * 25.4 / 72, 1), size,
                          "Bold" in font.get("/BaseFont", "")))
    pypdf.PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def drawing(data, page=0):
    content = pypdf.PdfReader(io.BytesIO(data)).pages[page].get_contents().get_data()
    return content.decode("latin-1")


def rectangles(data, page=0):
    return re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re S", drawing(data, page))


def test_an_invoice_puts_each_text_in_its_place():
    assert runs(pdf_of()) == [
        ("Saint-Exemple", 11.0, 15.5, 14.0, True),
        ("Service Enfance - Régie des accueils périscolaires", 11.0, 22.1, 10.0, False),
        ("1 place", 11.0, 27.6, 10.0, False),
        ("Mairie", 11.0, 32.6, 10.0, False),
        ("Famille MARTIN", 111.0, 44.2, 11.0, False),
        ("3 rue du Port", 111.0, 50.2, 11.0, False),
        ("31000 Toulouse", 111.0, 56.2, 11.0, False),
        ("Facture N° F2026-00042", 11.0, 70.7, 16.0, True),
        ("Compte famille : 16123", 11.0, 78.2, 11.0, False),
        ("Période : Novembre 2026", 11.0, 84.2, 11.0, False),
        ("Date d'émission : 01/12/2026", 11.0, 90.2, 11.0, False),
        ("À payer avant le : 31/12/2026", 11.0, 96.2, 11.0, False),
        ("Enfant", 18.5, 107.1, 10.0, True),
        ("Prestation", 72.6, 107.1, 10.0, True),
        ("Quantité", 126.3, 107.1, 10.0, True),
        ("Prix unitaire", 145.7, 107.1, 10.0, True),
        ("Montant", 177.6, 107.1, 10.0, True),
        ("LÉA", 11.0, 114.6, 10.0, False),
        ("Restauration Maternelle - Repas", 41.0, 114.6, 10.0, False),
        ("3", 140.8, 114.6, 10.0, False),
        ("1,25\xa0€", 159.8, 114.6, 10.0, False),
        ("3,75\xa0€", 187.8, 114.6, 10.0, False),
        ("Les 03, 05/11", 11.0, 120.3, 8.0, False),
        ("Total", 159.9, 127.2, 11.0, True),
        ("3,75\xa0€", 185.4, 127.2, 11.0, True),
        ("Payer en ligne : sur le Portail Famille, onglet FACTURATION, « Payer mes factures » "
         "(https://p/f), par carte", 11.0, 139.6, 10.0, False),
        ("bancaire (PayFiP, à partir de 1,00 €).", 11.0, 144.6, 10.0, False),
        ("Payer à la régie : à la régie.", 11.0, 151.6, 10.0, False),
    ]
    # The table's borders (points): the head, the line, its days, the total.
    assert rectangles(pdf_of()) == [
        ("28.35", "552.76", "85.04", "-22.68"), ("113.39", "552.76", "243.78", "-22.68"),
        ("357.17", "552.76", "51.02", "-22.68"), ("408.19", "552.76", "79.37", "-22.68"),
        ("487.56", "552.76", "79.37", "-22.68"),
        ("28.35", "530.08", "85.04", "-19.84"), ("113.39", "530.08", "243.78", "-19.84"),
        ("357.17", "530.08", "51.02", "-19.84"), ("408.19", "530.08", "79.37", "-19.84"),
        ("487.56", "530.08", "79.37", "-19.84"),
        ("28.35", "496.06", "538.58", "14.17"),
        ("28.35", "496.06", "459.21", "-22.68"), ("487.56", "496.06", "79.37", "-22.68")]


def test_the_same_invoice_gives_the_same_bytes_dated_by_its_issue():
    data = pdf_of()
    assert pdf_of() == data
    assert pypdf.PdfReader(io.BytesIO(data)).metadata == {
        "/Author": "Saint-Exemple", "/CreationDate": "D:20261201080000Z",
        "/Subject": "Facture N° F2026-00042 - compte 16123", "/Title": "Facture N° F2026-00042"}


def test_a_credit_note_says_what_it_corrects_and_asks_no_payment():
    credit = invoice(Invoice.CREDIT_NOTE, number="A2026-00003", corrects_id=7,
                     corrects=SimpleNamespace(number="F2026-00042"),
                     lines=[line(label="Repas non servi")])
    texts = [text for text, *_ in runs(pdf_of(credit, regie_name="Régie extrascolaire"))]
    assert texts[1] == "Service Enfance - Régie extrascolaire"
    assert texts[7:11] == ["Avoir N° A2026-00003", "Compte famille : 16123",
                           "Période : Novembre 2026", "Date d'émission : 01/12/2026"]
    assert texts[11] == "Corrige la facture N° F2026-00042"
    assert texts[-3:] == ["Total de l'avoir", "3,75\xa0€",
                          "Cet avoir est déduit du montant de la facture qu'il corrige."]
    assert not any("payer" in text.lower() for text in texts)
    meta = pypdf.PdfReader(io.BytesIO(pdf_of(credit))).metadata
    assert meta["/Title"] == "Avoir N° A2026-00003"
    uncorrected = invoice(Invoice.CREDIT_NOTE, number="A2026-00004", lines=[line()])
    texts = [text for text, *_ in runs(pdf_of(uncorrected))]
    assert texts[11] == "Enfant"  # no "Corrige" line without a corrected invoice


def test_a_label_too_long_is_cut_to_its_column_with_an_ellipsis():
    long_label = "Accueil de loisirs du mercredi après-midi avec repas et goûter inclus " * 2
    long_child = "MARIE-CHARLOTTE-ÉLISABETH"
    found = runs(pdf_of(invoice(lines=[line(label=long_label, child=long_child)])))
    child_cell, label_cell = found[17][0], found[18][0]
    assert label_cell.endswith("…") and long_label.startswith(label_cell[:-1])
    assert child_cell.endswith("…") and long_child.startswith(child_cell[:-1])
    # As long as fits (84 and 28 mm): one more letter would not.
    assert (label_cell, child_cell) == ("Accueil de loisirs du mercredi après-midi ave…",
                                        "MARIE-CHARL…")


def test_a_family_without_address_and_a_commune_without_one():
    family = SimpleNamespace(name="MARTIN", address="", postal_code="", city="",
                             account_number=16123)
    found = runs(pdf_of(family=family, address=""))
    assert [(t, x, y) for t, x, y, *_ in found[:4]] == [
        ("Saint-Exemple", 11.0, 15.5), ("Service Enfance - Régie des accueils périscolaires",
                                        11.0, 22.1),
        ("Famille MARTIN", 111.0, 34.2), ("Facture N° F2026-00042", 11.0, 48.7)]


def test_the_logo_stands_above_the_communes_name():
    png = io.BytesIO()
    Image.new("RGB", (60, 20), (200, 30, 30)).save(png, "PNG")
    data = pdf_of(logo=(png.getvalue(), "image/png"))
    assert runs(data)[0][:3] == ("Saint-Exemple", 11.0, 33.5)
    # Drawn at the margins, 16 mm high (48 mm wide for a 3:1 image).
    assert re.search(r"q 136\.06 0 0 45\.35 28\.35 768\.19 cm /I\d+ Do Q", drawing(data))


def test_many_lines_break_the_page_20_mm_above_its_foot():
    data = pdf_of(invoice(lines=[line(label=f"Ligne {n}") for n in range(40)]))
    first, second = runs(data, 0), runs(data, 1)
    labels = [text for text, *_ in first if text.startswith("Ligne ")]
    assert (labels[0], labels[-1]) == ("Ligne 0", "Ligne 22")
    assert [text for text, *_ in second][:2] == ["LÉA", "Ligne 23"]


def test_rows_fill_the_page_down_to_20_mm_above_its_foot_exactly():
    day = [datetime.date(2026, 11, 3)]
    lines = [line(label=f"Ligne {n}", days=day if n < 4 else None) for n in range(30)]
    data = pdf_of(invoice(lines=lines))
    bottoms = [297 - (float(y) + min(float(h), 0)) * 25.4 / 72
               for _, y, _, h in rectangles(data, 0)]
    assert round(max(bottoms), 1) == 277.0


def test_both_addresses_wrap_at_90_mm():
    commune_address = "m" * 21 + "i" * 11 + " xx"  # 90 mm and a little at 10 pt
    family = SimpleNamespace(name="MARTIN", address="m" * 19 + "i" * 10 + " xx",
                             postal_code="", city="", account_number=16123)
    texts = [text for text, *_ in runs(pdf_of(family=family, address=commune_address))]
    assert texts[2:7] == ["m" * 21 + "i" * 11, "xx", "Famille MARTIN", "m" * 19 + "i" * 10,
                          "xx"]


def test_a_line_after_one_with_days_is_printed_as_the_others():
    day = [datetime.date(2026, 11, 3)]
    found = runs(pdf_of(invoice(lines=[line(label="Avec jours", days=day),
                                       line(label="Sans jours")])))
    sizes = {text: (size, bold) for text, _, _, size, bold in found}
    assert sizes["Avec jours"] == sizes["Sans jours"] == (10.0, False)
    assert sizes["Le 03/11"] == (8.0, False)


def test_without_an_address_the_commune_prints_none():
    data = invoice_pdf(invoice(), FAMILY, "Saint-Exemple", "à la régie.", "https://p/f")
    assert [text for text, *_ in runs(data)][:3] == [
        "Saint-Exemple", "Service Enfance - Régie des accueils périscolaires", "Famille MARTIN"]
