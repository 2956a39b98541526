"""The monthly invoicing run: totals to the cent, idempotent, gapless numbers, credit notes."""
import datetime

import pytest

import models
from domain import clock
from domain.billing.adjustments import BillingError, issue_credit_note, record_counter_payment
from domain.billing.invoicing import due_cents_of
from domain.billing.run import issue_month, preview_month
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import family_bracket, prices_for
from models import (
    Booking,
    DayOverride,
    Family,
    Invoice,
    InvoicedBooking,
    InvoiceLine,
    NumberSequence,
    User,
)
from tests.billing_support import race_billing_runs
from tests.planning_support import CL, JANUARY, SANS, activity, child, enrol, modalite, new_family

FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)


def book(kid, activity_name, modalite_name, days):
    """Commit bookings at the family's tariff (what TERMINER stores)."""
    act = activity(activity_name)
    mod = modalite(activity_name, modalite_name)
    price = prices_for(family_bracket(kid.family, act.school_year), [mod])[mod.id]
    Booking.insert_many([{"child": kid, "activity": act, "modalite": mod, "date": day,
                          "price_cents": price} for day in days]).execute()
    return price


def lena_invoice():
    return (Invoice.select().join(Family).where((Family.account_number == 16122)
                                                & (Invoice.period_month == 1))
            .order_by(Invoice.id).first())


def test_lena_january_is_invoiced_by_the_command_and_the_family_emailed(app, db, runner,
                                                                       mailbox):
    lena = child("LENA")
    enrol(lena, CL)
    assert book(lena, CL, SANS, JANUARY) == 520
    # On 26/11/2026 January is not over: a correction has to say so (--force).
    result = runner.invoke(args=["invoice", "2027-01", "--force"])
    assert result.exit_code == 0, result.output
    # LENA's family and family 16123 (its ALAE bookings).
    assert "2 facture(s) émise(s) pour janvier 2027" in result.output
    invoice = lena_invoice()
    assert invoice.total_cents == 2080 and invoice.number == "F2026-00003"
    [line] = invoice.lines
    assert (line.child_name, line.label, line.quantity, line.unit_price_cents,
            line.amount_cents) == ("LENA", f"{CL} - {SANS}", 4, 520, 2080)
    assert sorted(b.date for b in line.invoiced_bookings) == JANUARY
    [mail] = mailbox.to("famille.dupont@example.org")
    assert mail["Subject"] == "Votre facture de janvier 2027 est disponible"
    body = mailbox.text(mail)
    assert "20,80\u00a0€" in body and "26/12/2026" in body and "http://localhost/facturation/" in body
    # Twice: nothing twice.
    again = runner.invoke(args=["invoice", "2027-01", "--force"])
    assert "Rien à facturer" in again.output
    assert Invoice.select().where(Invoice.period_month == 1).count() == 2
    assert runner.invoke(args=["invoice", "janvier"]).exit_code != 0


def test_a_later_booking_is_billed_once_on_a_new_invoice_and_the_first_never_changes(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    book(lena, CL, SANS, JANUARY[:2])
    with app.app_context():
        issue_month(2027, 1, "C", FEB_1)
        first_id = lena_invoice().id
        before = [(l.label, l.quantity, l.amount_cents) for l in
                  InvoiceLine.select().where(InvoiceLine.invoice == first_id)]
        book(lena, CL, SANS, JANUARY[2:])
        [second_id] = issue_month(2027, 1, "C", FEB_1)
        assert issue_month(2027, 1, "C", FEB_1) == []
    first, second = Invoice.get_by_id(first_id), Invoice.get_by_id(second_id)
    assert (first.total_cents, second.total_cents) == (1040, 1040)
    assert [(l.label, l.quantity, l.amount_cents) for l in first.lines] == before
    # LENA's family (16122) before 16123 in the first run, then LENA's later days.
    assert (first.number, second.number) == ("F2027-00001", "F2027-00003")
    assert InvoicedBooking.select().join(Booking).where(Booking.child == lena).count() == 4


def test_closed_days_are_not_billed(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    book(lena, CL, SANS, JANUARY)
    DayOverride.create(activity=activity(CL), date=JANUARY[1], is_open=False, reason="Grève")
    with app.app_context():
        # LENA's and CHLOE's (the demo's nearly full day) bookings of that day.
        assert preview_month(2027, 1, "C")["closed_days"] == 2
        issue_month(2027, 1, "C", FEB_1)
    assert lena_invoice().total_cents == 3 * 520


def test_totals_to_the_cent_across_brackets_and_activities(app, db):
    month = datetime.date(2027, 1, 1)
    expected = {}
    for account, qf in ((50001, 500), (50002, 850), (50003, 1500)):
        family, _, kids = new_family(account, children=2, lines=3, book_month=month, qf=qf)
        total = 0
        for kid in kids:
            for line in ("Restauration Maternelle", CL, "Garderie Mercredi Scolaire"):
                act = activity(line)
                first = act.modalites.order_by(models.Modalite.position).first()
                price = prices_for(family_bracket(family, act.school_year), [first])[first.id]
                total += price * len(open_days(act, month, datetime.date(2027, 1, 31), "C"))
        expected[account] = total
    # Restauration maternelle 4,30 / 3,30 / 2,30 €, CL avec repas 7,80 / 10,40 / 13,00 €,
    # garderie 0,70 / 1,00 / 1,30 €: bracket 1 pays the least.
    assert expected[50001] < expected[50002] < expected[50003]
    with app.app_context():
        preview = preview_month(2027, 1, "C")
        issue_month(2027, 1, "C", FEB_1)
    ours = Invoice.select().join(Family).where((Invoice.period_month == 1)
                                               & (Family.account_number > 50000))
    got = {i.family.account_number: i.total_cents for i in ours}
    assert got == expected
    others = Invoice.select().join(Family).where((Invoice.period_month == 1)
                                                 & (Family.account_number < 50000))
    assert preview["total_cents"] == sum(expected.values()) + sum(i.total_cents for i in others)
    per_activity = {name: cents for name, _, cents in preview["per_activity"]}
    assert sum(per_activity.values()) == preview["total_cents"]
    for invoice in ours:
        assert invoice.total_cents == sum(l.amount_cents for l in invoice.lines)
        assert all(l.amount_cents == l.quantity * l.unit_price_cents for l in invoice.lines)
        assert len(invoice.lines) == 6  # 2 children × 3 activities × 1 modalité


def test_two_runs_racing_make_gapless_numbers_and_bill_each_booking_once(app, db):
    for account in range(60001, 60013):
        new_family(account, children=1, lines=2, book_month=datetime.date(2027, 1, 1))
        new_family(account + 100, children=1, lines=2, book_month=datetime.date(2027, 2, 1))
    results, errors = race_billing_runs(app, FEB_1)
    assert not errors
    # Family 16123's ALAE bookings are in both months too.
    assert sorted(len(r) for r in results) == [0, 0, 13, 13]
    numbers = sorted(i.number for i in Invoice.select().where(Invoice.number.startswith("F2027")))
    assert numbers == [f"F2027-{n:05d}" for n in range(1, 27)]
    assert NumberSequence.get(NumberSequence.name == "F-2027").value == 26
    in_months = Booking.date.between(datetime.date(2027, 1, 1), datetime.date(2027, 2, 28))
    billed = InvoicedBooking.select().join(Booking).where(in_months)
    assert billed.count() == Booking.select().where(in_months).count()


def test_a_credit_note_points_to_the_invoice_and_lowers_what_is_due(app, db):
    october = (Invoice.select().join(Family).where((Family.account_number == 16123)
                                                  & (Invoice.period_month == 10)).get())
    admin = User.get(User.role == User.ROLE_ADMIN)
    now = clock.now()
    with app.app_context():
        credit = issue_credit_note(october.id, 1560, "Sortie annulée", admin, now)
        assert credit.number == "A2026-00001" and credit.corrects_id == october.id
        assert credit.kind == Invoice.CREDIT_NOTE
        assert due_cents_of(october.id)[1] == 4600 - 1560
        with pytest.raises(BillingError, match="entre 0,01 € et 30,40"):
            issue_credit_note(october.id, 3041, "Trop", admin, now)
        with pytest.raises(BillingError):
            issue_credit_note(october.id, 100, "  ", admin, now)
        record_counter_payment(october.id, 3040, "cheque", "N° 42", admin, now)
    october = Invoice.get_by_id(october.id)
    assert (october.total_cents, october.status) == (4600, Invoice.PAID)
    with app.app_context(), pytest.raises(BillingError, match="plus rien"):
        record_counter_payment(october.id, 100, "especes", "", admin, now)
    actions = [r.action for r in models.AuditLog.select().order_by(models.AuditLog.id)]
    assert actions[-2:] == ["invoice.credit_note", "payment.recorded"]


def test_the_days_a_line_bills_read_as_the_family_expects():
    from domain.billing.invoicing import days_text
    assert days_text(JANUARY) == "Les 06, 13, 20, 27/01"
    assert days_text(JANUARY[:1]) == "Le 06/01"
    assert days_text([datetime.date(2026, 12, 30), JANUARY[0]]) == "Les 30/12, 06/01"
    assert days_text([]) == ""
