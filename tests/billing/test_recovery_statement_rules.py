"""The état des restes à recouvrer lists each invoice handed over to the Trésor public
and still owing, oldest due first: its number, the family's account, name and address
(empty parts left out), the period, the due date, the total and what remains, the Paris
days of its reminders in level order and the Paris day it was handed over; the PDF says
the same in sentences, with the count and the sum to recover. A settled invoice leaves it."""
import csv
import datetime
import io

import pypdf

from domain.billing.adjustments import record_counter_payment
from domain.billing.notices import remind_unpaid
from domain.billing.recovery import handed_over_invoices, recovery_csv, recovery_pdf
from models import Family, Invoice, InvoiceReminder, User
from tests.billing_support import october_invoice

DUE = datetime.date(2026, 12, 1)  # October's invoice of 16123 (46,00 €) is due then


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def hand_over_late_in_the_evening(app):
    """Reminders at 23:30 UTC on the 16th of December and the 31st: in Paris, already the
    17th and the 1st of January."""
    with app.app_context():
        remind_unpaid(agent(), datetime.date(2026, 12, 16),
                      datetime.datetime(2026, 12, 16, 23, 30), "http://portail.test", (15, 30))
        remind_unpaid(agent(), datetime.date(2026, 12, 31),
                      datetime.datetime(2026, 12, 31, 23, 30), "http://portail.test", (15, 30))


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    return " ".join(text.split())  # justified lines: one space between words


def test_the_csv_row_of_a_handed_over_invoice(app, db, mailbox):
    family = Family.get(Family.account_number == 16123)
    family.postal_code = ""
    family.save()
    hand_over_late_in_the_evening(app)
    invoice = october_invoice()
    record_counter_payment(invoice.id, 1000, "especes", "", agent(),
                           datetime.datetime(2027, 1, 2, 9, 0))
    invoices = handed_over_invoices()
    assert [i.id for i in invoices] == [invoice.id]
    assert invoices[0].reminder_days == [datetime.date(2026, 12, 17), datetime.date(2027, 1, 1)]
    rows = list(csv.reader(io.StringIO(recovery_csv(invoices)[1:]), delimiter=";"))
    assert rows[0] == ["Facture", "N° de compte", "Famille", "Adresse", "Période", "Échéance",
                       "Montant", "Reste à recouvrer", "Relances", "Transmise le"]
    assert rows[1] == [invoice.number, "16123", family.name,
                       f"{family.address} {family.city}".strip(), "10/2026", "01/12/2026",
                       "46,00", "36,00", "17/12/2026, 01/01/2027", "01/01/2027"]
    assert len(rows) == 2


def test_the_pdf_says_each_invoice_and_the_sum_to_recover(app, db, mailbox):
    hand_over_late_in_the_evening(app)
    invoice = october_invoice()
    family = invoice.family
    text = pdf_text(recovery_pdf(handed_over_invoices(), "Villeneuve", datetime.date(2027, 1, 5)))
    assert text.startswith("État des restes à recouvrer Villeneuve – état arrêté au 05/01/2027 "
                           ": 1 facture(s), 46,00 € à recouvrer.")
    address = " ".join(p for p in (family.address, family.postal_code, family.city) if p)
    assert (f"Facture N° {invoice.number} (10/2026), échue le 01/12/2026 – compte 16123, "
            f"{family.name}, {address} – montant 46,00 €, reste à recouvrer 46,00 € – "
            "relances : 17/12/2026, 01/01/2027 – transmise le 01/01/2027.") in text


def test_an_invoice_handed_over_without_reminder_rows_says_none(app, db):
    invoice = october_invoice()
    Invoice.update(handed_over_at=datetime.datetime(2027, 1, 3, 10, 0)).where(
        Invoice.id == invoice.id).execute()
    [listed] = handed_over_invoices()
    assert listed.reminder_days == []
    text = pdf_text(recovery_pdf([listed], "Villeneuve", datetime.date(2027, 1, 5)))
    assert "relances : aucune – transmise le 03/01/2027." in text


def test_a_settled_invoice_leaves_the_statement(app, db, mailbox):
    hand_over_late_in_the_evening(app)
    invoice = october_invoice()
    record_counter_payment(invoice.id, 4600, "especes", "", agent(),
                           datetime.datetime(2027, 1, 2, 9, 0))
    assert handed_over_invoices() == []
    text = pdf_text(recovery_pdf([], "Villeneuve", datetime.date(2027, 1, 5)))
    assert "0 facture(s), 0,00 € à recouvrer." in text


def test_among_a_thousand_and_one_invoices_each_lists_its_own_reminders_in_level_order(db):
    invoice = october_invoice()
    handed = datetime.datetime(2027, 1, 3, 10, 0)
    fields = {k: v for k, v in invoice.__data__.items() if k != "id"}
    rows = [dict(fields, number=f"T2026-{n:05d}", due_date=datetime.date(2026, 11, 30),
                 handed_over_at=handed) for n in range(1000)]
    for start in range(0, len(rows), 200):
        Invoice.insert_many(rows[start:start + 200]).execute()
    Invoice.update(handed_over_at=handed).where(Invoice.id == invoice.id).execute()
    ids = [i.id for i in Invoice.select(Invoice.id).where(Invoice.handed_over_at == handed)]
    # The second level recorded before the first: still listed in level order.
    reminders = [{"invoice": i, "level": level, "sent_at": at} for level, at in
                 ((2, datetime.datetime(2026, 12, 31, 7)), (1, datetime.datetime(2026, 12, 16, 7)))
                 for i in ids]
    for start in range(0, len(reminders), 200):
        InvoiceReminder.insert_many(reminders[start:start + 200]).execute()
    listed = handed_over_invoices()
    assert len(listed) == 1001 and listed[-1].id == invoice.id
    days = [datetime.date(2026, 12, 16), datetime.date(2026, 12, 31)]
    assert all(i.reminder_days == days for i in listed)
