"""What an invoice still owes: its total less its credit notes and its verified payments
(pending, refused or other families' payments count for nothing); a credit note owes
nothing; a cancelled invoice owes nothing; settled exactly (0,00 €) it is paid, one cent
short it is not; the balance of an account; who owes and who was paid too much."""
import datetime

import pytest

from domain.billing import invoicing
from domain.billing.adjustments import issue_credit_note
from models import Family, Invoice, InvoicedBooking, InvoiceLine, Payment, User
from tests.billing_support import october_invoice

NOW = datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.timezone.utc)


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def bernard():
    return Family.get(Family.account_number == 16123)


def other_family():
    return Family.select().where(Family.account_number != 16123).order_by(Family.id).first()


def invoice_of(family, number, total, due=datetime.date(2026, 12, 1), month=11,
               kind=Invoice.INVOICE, status=Invoice.ISSUED, corrects=None):
    return Invoice.create(family=family, number=number, kind=kind, status=status,
                          period_year=2026, period_month=month, due_date=due,
                          total_cents=total, corrects=corrects)


def pay(invoice, cents, status=Payment.PAID, tid=None):
    return Payment.create(invoice=invoice, amount_cents=cents, status=status,
                          provider=Payment.COUNTER, transaction_id=tid or f"T{cents}{status}")


def test_only_verified_payments_and_credit_notes_lower_what_is_due(db):
    invoice = october_invoice()  # 46,00 €
    pay(invoice, 1000, Payment.PENDING)
    pay(invoice, 700, Payment.REFUSED)
    assert invoicing.due_cents_of(invoice.id)[1] == 4600
    pay(invoice, 1000)
    issue_credit_note(invoice.id, 600, "Sortie annulée", agent(), NOW)
    found, due = invoicing.due_cents_of(invoice.id)
    assert due == 3000 and found.payments_paid == 1000
    [listed] = [i for i in invoicing.family_invoices(bernard()) if i.id == invoice.id]
    assert invoicing.paid_cents(listed) == 1000
    assert invoicing.credited_cents(listed) == 600
    assert invoicing.amount_due_cents(listed) == 3000


def test_credited_cents_of_an_invoice_read_alone_counts_only_its_credit_notes(db):
    invoice = october_invoice()
    september = Invoice.get(Invoice.number == "F2026-00001")
    issue_credit_note(invoice.id, 250, "Erreur", agent(), NOW)
    issue_credit_note(invoice.id, 100, "Erreur", agent(), NOW)
    fresh = Invoice.get_by_id(invoice.id)
    assert invoicing.credited_cents(fresh) == 350
    assert fresh.credited_cents == 350  # kept for the next call
    assert invoicing.credited_cents(Invoice.get_by_id(september.id)) == 0


def test_a_credit_note_and_a_cancelled_invoice_owe_nothing(db):
    invoice = october_invoice()
    credit = issue_credit_note(invoice.id, 600, "Erreur", agent(), NOW)
    assert invoicing.due_cents_of(credit.id)[1] == 0
    assert invoicing.amount_due_cents(Invoice.get_by_id(credit.id)) == 0
    cancelled = invoice_of(bernard(), "F2026-00090", 1200, status=Invoice.CANCELLED)
    assert invoicing.due_cents_of(cancelled.id)[1] == 0
    assert invoicing.amount_due_cents(Invoice.get_by_id(cancelled.id)) == 0
    assert invoicing.refresh_status(cancelled.id).status == Invoice.CANCELLED
    assert invoicing.refresh_status(credit.id).status == Invoice.ISSUED
    assert Invoice.get_by_id(credit.id).status == Invoice.ISSUED


def test_settled_to_the_cent_is_paid_and_one_cent_short_is_not(db):
    invoice = october_invoice()
    pay(invoice, 4599)
    assert invoicing.refresh_status(invoice.id).status == Invoice.ISSUED
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED
    pay(invoice, 1, tid="last cent")
    assert invoicing.refresh_status(invoice.id).status == Invoice.PAID
    assert Invoice.get_by_id(invoice.id).status == Invoice.PAID
    Payment.update(status=Payment.REFUSED).where(Payment.transaction_id == "last cent").execute()
    assert invoicing.refresh_status(invoice.id).status == Invoice.ISSUED  # back to owing
    assert Invoice.get_by_id(invoice.id).status == Invoice.ISSUED


def test_the_account_lists_what_is_owed_oldest_first_and_its_balance(db):
    family = bernard()
    later = invoice_of(family, "F2026-00091", 500, due=datetime.date(2027, 1, 1), month=12)
    invoice_of(family, "F2026-00092", 1, due=datetime.date(2026, 12, 1))
    settled = invoice_of(family, "F2026-00093", 300, due=datetime.date(2026, 11, 1))
    pay(settled, 300)
    over = invoice_of(family, "F2026-00094", 200, due=datetime.date(2026, 10, 1))
    pay(over, 250)  # 0,50 € of credit
    issue_credit_note(later.id, 100, "Erreur", agent(), NOW)
    invoices = invoicing.family_invoices(family)
    summary = invoicing.account_summary(invoices)
    assert [i.number for i in summary["unpaid"]] == ["F2026-00002", "F2026-00092",
                                                     "F2026-00091"]
    assert summary["balance_cents"] == 4600 + 1 + 400 - 50
    # newest month first, and within a month the latest made first
    assert [i.number for i in invoices][:3] == ["A2026-00001", "F2026-00091", "F2026-00094"]
    credit = [i for i in invoices if i.kind == Invoice.CREDIT_NOTE]
    assert [i.credited_cents for i in credit] == [0]
    assert [i.credited_cents for i in invoices if i.number == "F2026-00091"] == [100]


def test_the_familys_list_goes_newest_year_first_and_carries_every_credit_note(db):
    family = bernard()
    january = invoice_of(family, "F2027-00001", 900, month=1)
    Invoice.update(period_year=2027).where(Invoice.id == january.id).execute()
    invoice = october_invoice()
    issue_credit_note(invoice.id, 100, "Erreur", agent(), NOW)
    issue_credit_note(invoice.id, 250, "Erreur", agent(), NOW)
    late = pay(invoice, 10, tid="late")
    early = pay(invoice, 20, tid="early")
    Payment.update(created_at=datetime.datetime(2026, 11, 20)).where(
        Payment.id == late.id).execute()
    Payment.update(created_at=datetime.datetime(2026, 11, 2)).where(
        Payment.id == early.id).execute()
    invoices = invoicing.family_invoices(family)
    assert [i.number for i in invoices][:2] == ["F2027-00001", "A2026-00002"]
    [october] = [i for i in invoices if i.id == invoice.id]
    assert october.credited_cents == 350  # read before anything else asks for it
    assert [p.transaction_id for p in october.payments] == ["early", "late"]
    assert invoicing.amount_due_cents(october) == 4600 - 350 - 30


def test_who_was_paid_too_much_and_by_how_much(db):
    invoice = october_invoice()
    assert invoicing.overpaid_invoices() == []  # September is paid exactly
    pay(invoice, 4000)
    issue_credit_note(invoice.id, 600, "Erreur", agent(), NOW)  # exactly settled
    assert invoicing.overpaid_invoices() == []
    pay(invoice, 1, tid="one more cent")
    [over] = invoicing.overpaid_invoices()
    assert (over.number, over.refund_cents, over.family.account_number) == (
        "F2026-00002", 1, 16123)
    cancelled = invoice_of(bernard(), "F2026-00095", 100, status=Invoice.CANCELLED)
    pay(cancelled, 500)
    other = invoice_of(other_family(), "F2026-00096", 100, due=datetime.date(2026, 11, 2))
    pay(other, 300)
    assert [(i.number, i.refund_cents) for i in invoicing.overpaid_invoices()] == [
        ("F2026-00096", 200), ("F2026-00002", 1)]


def test_refunds_count_only_verified_payments_and_each_invoices_own_credit_notes(db):
    invoice = october_invoice()  # 46,00 €
    pay(invoice, 9999, Payment.PENDING)
    assert invoicing.overpaid_invoices() == []
    pay(invoice, 4600)
    issue_credit_note(invoice.id, 100, "Erreur", agent(), NOW)
    second = invoice_of(bernard(), "F2026-00089", 1000, due=datetime.date(2026, 12, 1))
    pay(second, 1000)
    issue_credit_note(second.id, 300, "Erreur", agent(), NOW)
    # same due date: by number
    assert [(i.number, i.refund_cents) for i in invoicing.overpaid_invoices()] == [
        ("F2026-00002", 100), ("F2026-00089", 300)]


def test_same_due_date_is_listed_by_number(db):
    for number in ("F2026-00088", "F2026-00087"):
        pay(invoice_of(other_family(), number, 100, due=datetime.date(2026, 12, 1)), 200,
            tid=number)
        invoice_of(other_family(), number.replace("F", "G"), 100, due=datetime.date(2026, 12, 1))
    assert [i.number for i in invoicing.overpaid_invoices()] == ["F2026-00087", "F2026-00088"]
    assert [i.number for i in invoicing.unpaid_invoices()] == [
        "F2026-00002", "G2026-00087", "G2026-00088"]


def test_no_payment_at_all_means_nobody_to_refund(db):
    Payment.delete().execute()
    assert invoicing.overpaid_invoices() == []


def test_unpaid_invoices_and_those_overdue_before_a_day(db):
    invoice = october_invoice()  # due 1 December
    other = invoice_of(other_family(), "F2026-00097", 800, due=datetime.date(2026, 11, 30))
    part = invoice_of(bernard(), "F2026-00098", 900, due=datetime.date(2026, 12, 2))
    pay(part, 899)
    credited = invoice_of(bernard(), "F2026-00099", 500, due=datetime.date(2026, 12, 3))
    issue_credit_note(credited.id, 500, "Erreur", agent(), NOW)
    unpaid = invoicing.unpaid_invoices()
    assert [(i.number, i.due_cents) for i in unpaid] == [
        ("F2026-00097", 800), ("F2026-00002", 4600), ("F2026-00098", 1)]
    assert unpaid[0].family.account_number == other.family.account_number
    assert [i.number for i in invoicing.unpaid_invoices(datetime.date(2026, 12, 1))] == [
        "F2026-00097"]  # due on the day itself is not yet overdue
    assert [i.number for i in invoicing.unpaid_invoices(datetime.date(2026, 12, 2))] == [
        "F2026-00097", "F2026-00002"]
    assert invoice.status == Invoice.ISSUED


def test_still_owing_counts_credit_notes_and_verified_payments_only(db):
    invoice = october_invoice()
    pay(invoice, 100, Payment.PENDING)
    issue_credit_note(invoice.id, 600, "Erreur", agent(), NOW)
    [owing] = invoicing.still_owing([Invoice.get_by_id(invoice.id)])
    assert (owing.due_cents, owing.credited_cents) == (4000, 600)
    pay(invoice, 4000)
    assert invoicing.still_owing([Invoice.get_by_id(invoice.id)]) == []
    one = invoice_of(bernard(), "F2026-00085", 1000)
    two = invoice_of(bernard(), "F2026-00086", 2000)
    pay(one, 100, tid="one")
    pay(two, 200, tid="two")
    issue_credit_note(one.id, 10, "Erreur", agent(), NOW)
    issue_credit_note(two.id, 20, "Erreur", agent(), NOW)
    assert [(i.number, i.due_cents, i.credited_cents)
            for i in invoicing.still_owing([one, two])] == [
        ("F2026-00085", 890, 10), ("F2026-00086", 1780, 20)]
    assert invoicing.still_owing([]) == []


@pytest.mark.parametrize("days, text", [
    ([], ""),
    ([datetime.date(2027, 1, 6)], "Le 06/01"),
    ([datetime.date(2027, 1, 6), datetime.date(2027, 1, 13)], "Les 06, 13/01"),
    ([datetime.date(2027, 1, 6), datetime.date(2027, 1, 13), datetime.date(2027, 1, 20)],
     "Les 06, 13, 20/01"),
    ([datetime.date(2026, 12, 30), datetime.date(2027, 1, 6)], "Les 30/12, 06/01"),
    ([datetime.date(2026, 1, 6), datetime.date(2027, 1, 6)], "Les 06/01, 06/01"),
])
def test_the_days_a_line_bills_are_written_shortly(days, text):
    assert invoicing.days_text(days) == text


def test_each_line_carries_the_days_it_bills_in_order(db):
    invoice = october_invoice()
    lines = invoicing.with_billed_days(InvoiceLine.select().where(InvoiceLine.invoice == invoice)
                                       .order_by(InvoiceLine.id))
    wednesdays = [line for line in lines if "Mercredis" in line.label]
    assert [len(line.days) for line in lines] == [line.quantity for line in lines]
    assert all(line.days == sorted(line.days) for line in lines)
    assert all(day.month == 10 for line in lines for day in line.days)
    assert len(wednesdays[0].days) == 2 and all(d.weekday() == 2 for d in wednesdays[0].days)
    # billed days recorded out of order are still read in order
    rows = list(InvoicedBooking.select().where(InvoicedBooking.line == lines[0].id)
                .order_by(InvoicedBooking.date.desc()).dicts())
    InvoicedBooking.delete().where(InvoicedBooking.line == lines[0].id).execute()
    for row in rows:
        InvoicedBooking.insert(**{k: v for k, v in row.items() if k != "id"}).execute()
    [again] = invoicing.with_billed_days([InvoiceLine.get_by_id(lines[0].id)])
    assert again.days == lines[0].days
    blank = InvoiceLine.create(invoice=invoice, child_name="", label="x", quantity=1,
                               unit_price_cents=1, amount_cents=1)
    assert invoicing.with_billed_days([blank])[0].days == []
    assert invoicing.with_billed_days([]) == []
