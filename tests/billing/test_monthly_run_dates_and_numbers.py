"""The monthly run at its edges: a month is over the day after its last day (not on it),
a month not over says from when it can be issued, a month typed 2000-01 to 2100-12 is
read and nothing else, invoice numbers run without gaps on five digits per year of
issue, the due date is 30 days after the issue, and each child's days are billed on one
line per modalité and price, quantity × unit price."""
import datetime
import json

import pytest

from domain import audit, clock, commune
from domain.billing import run
from domain.catalogue.opening import open_days
from models import (
    Attendance,
    AuditLog,
    Booking,
    DayOverride,
    Family,
    Invoice,
    InvoicedBooking,
    InvoiceLine,
    NumberSequence,
    PriceAdjustment,
    User,
)
from tests.planning_support import CL, JANUARY, SANS, activity, child, enrol, modalite, new_family

D = datetime.date


@pytest.mark.parametrize("today, over", [
    (D(2027, 1, 31), False), (D(2027, 2, 1), True), (D(2026, 12, 31), False),
    (D(2027, 3, 1), True)])
def test_a_month_is_over_from_the_day_after_its_last_day(today, over):
    assert run.month_is_over(2027, 1, today) is over


def test_february_of_a_leap_year_ends_on_the_29th():
    assert run.month_bounds(2028, 2) == (D(2028, 2, 1), D(2028, 2, 29))
    assert run.month_bounds(2027, 12) == (D(2027, 12, 1), D(2027, 12, 31))
    assert run.month_is_over(2028, 2, D(2028, 2, 29)) is False


def test_a_month_not_over_says_until_when_and_from_when():
    assert run.month_not_over_text(2027, 1) == (
        "Janvier 2027 n'est pas terminé : les réservations et les présences d'ici le "
        "31/01/2027 ne seraient pas facturées. Émettez ce mois à partir du 01/02/2027, ou "
        "forcez l'émission pour une correction.")


@pytest.mark.parametrize("text, month", [
    ("2027-01", (2027, 1)), (" 2027-12 ", (2027, 12)), ("2000-01", (2000, 1)),
    ("2100-12", (2100, 12)), ("1999-12", None), ("2101-01", None), ("2027-13", None),
    ("janvier", None), ("", None), (None, None), ("2027-01-05", None)])
def test_a_month_is_typed_as_year_dash_month(text, month):
    assert run.parse_month(text) == month


def test_numbers_are_taken_without_gaps_on_five_digits_per_series(db):
    assert run.take_numbers("F", 2031, 2) == ["F2031-00001", "F2031-00002"]
    assert run.take_numbers("F", 2031, 1) == ["F2031-00003"]
    assert run.take_numbers("A", 2031, 1) == ["A2031-00001"]
    assert run.take_numbers("F", 2032, 0) == []
    assert NumberSequence.get(NumberSequence.name == "F-2031").value == 3
    NumberSequence.update(value=99998).where(NumberSequence.name == "F-2031").execute()
    assert run.take_numbers("F", 2031, 2) == ["F2031-99999", "F2031-100000"]


def test_a_month_not_over_is_issued_only_when_forced(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    mod = modalite(CL, SANS)
    Booking.insert_many([{"child": lena, "activity": activity(CL), "modalite": mod,
                          "date": day, "price_cents": 520} for day in JANUARY]).execute()
    last_day = datetime.datetime(2027, 1, 31, 23, 0, tzinfo=clock.PARIS)
    with pytest.raises(run.MonthNotOver) as refused:
        run.issue_month(2027, 1, "C", last_day)
    assert str(refused.value) == run.month_not_over_text(2027, 1)
    assert Invoice.select().where(Invoice.period_month == 1).count() == 0
    ids = run.issue_month(2027, 1, "C", last_day, force=True)
    assert len(ids) == 2  # LENA's family and 16123 (its ALAE bookings)
    invoice = (Invoice.select().join(Family).where((Family.account_number == 16122)
                                                  & (Invoice.id.in_(ids))).get())
    assert invoice.issued_at == clock.as_stored(last_day)
    assert invoice.due_date == D(2027, 3, 2)  # 30 days after 31 January
    assert (invoice.period_year, invoice.period_month, invoice.status, invoice.kind) == (
        2027, 1, Invoice.ISSUED, Invoice.INVOICE)
    assert invoice.number == "F2027-00001"  # the year of issue, LENA's family first
    [line] = invoice.lines
    assert (line.quantity, line.unit_price_cents, line.amount_cents) == (4, 520, 2080)
    assert invoice.total_cents == 2080
    assert sorted(b.date for b in InvoicedBooking.select().where(
        InvoicedBooking.line == line)) == JANUARY


def test_one_modalite_at_two_prices_is_two_lines_and_the_preview_adds_them_up(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    sans = modalite(CL, SANS)
    prices = [520, 390, 390, 390]
    # recorded latest day first: still billed in date order
    Booking.insert_many([{"child": lena, "activity": activity(CL), "modalite": sans,
                          "date": day, "price_cents": price}
                         for day, price in reversed(list(zip(JANUARY, prices)))]).execute()
    drafts, closed = run.collect_month(2027, 1, "C")
    assert closed == 0
    [draft] = [d for d in drafts if d.account_number == 16122]
    assert draft.family_name == Family.get(Family.account_number == 16122).name
    assert draft.family_name
    assert [(line.child_name, line.label, line.quantity, line.unit_price_cents,
             line.amount_cents, line.dates) for line in draft.lines] == [
        ("LENA", f"{CL} - {SANS}", 3, 390, 1170, JANUARY[1:]),
        ("LENA", f"{CL} - {SANS}", 1, 520, 520, JANUARY[:1])]
    assert draft.total_cents == 1690
    assert [d.account_number for d in drafts] == sorted(d.account_number for d in drafts)
    preview = run.preview_month(2027, 1, "C")
    assert preview["families"] == len(drafts)
    assert preview["total_cents"] == sum(d.total_cents for d in drafts)
    # with family 16123's January (ALAE, and one CL Wednesday with a meal at 7,80 €)
    assert preview["per_activity"] == [("ALAE Matin", 40, 2400), ("ALAE Soir 1", 32, 2560),
                                       (CL, 5, 1690 + 780)]
    assert preview["closed_days"] == 0 and preview["added_days"] == 0
    assert preview["excused_days"] == 0


def test_a_draft_line_counts_its_days_or_one_adjustment_or_its_credits():
    assert run.DraftLine("A", "x", 520, booking_ids=[1, 2]).amount_cents == 1040
    assert run.DraftLine("A", "x", -300, adjustment_ids=[7]).quantity == 1
    assert run.DraftLine("A", "x", -520, credit_mark_ids=[3, 4]).amount_cents == -1040
    assert run.DraftLine("A", "x", 520).quantity == 0


def test_the_communes_choice_of_billing_excused_days_is_audited_once_per_change(db):
    admin = User.get(User.role == User.ROLE_ADMIN)
    before = AuditLog.select().count()
    assert run.set_excused_billing(admin, False) is False  # not billed already
    assert AuditLog.select().count() == before
    assert run.set_excused_billing(admin, True) is True
    assert commune.bills_excused_absences() is True
    assert run.set_excused_billing(admin, True) is False
    assert run.set_excused_billing(admin, False) is True
    rows = list(AuditLog.select().where(AuditLog.action == audit.COMMUNE_BILLING_SET)
                .order_by(AuditLog.id))
    assert [json.loads(row.details) for row in rows] == [
        {"summary": "Absences excusées avec justificatif : facturées",
         "before": {"facturées": False}, "after": {"facturées": True}},
        {"summary": "Absences excusées avec justificatif : non facturées",
         "before": {"facturées": True}, "after": {"facturées": False}}]
    assert all(row.user_id == admin.id and row.family_id is None for row in rows)


FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
MAR_1 = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=clock.PARIS)


def test_each_price_adjustment_is_billed_once_on_its_own_line(app, db):
    dupont = Family.get(Family.account_number == 16122)
    first = PriceAdjustment.create(family=dupont, child_name="LENA", label="Régularisation A",
                                   amount_cents=300)
    second = PriceAdjustment.create(family=dupont, child_name="LENA", label="Régularisation B",
                                    amount_cents=200)
    run.issue_month(2027, 1, "C", FEB_1)
    lines = {a.label: InvoiceLine.get_by_id(a.line_id) for a in PriceAdjustment.select()}
    assert [(label, line.quantity, line.amount_cents) for label, line in sorted(lines.items())] \
        == [("Régularisation A", 1, 300), ("Régularisation B", 1, 200)]
    assert lines["Régularisation A"].label == "Régularisation A"
    assert lines["Régularisation B"].label == "Régularisation B"
    third = PriceAdjustment.create(family=dupont, child_name="LENA", label="Régularisation C",
                                   amount_cents=100)
    run.issue_month(2027, 2, "C", MAR_1)
    assert PriceAdjustment.get_by_id(first.id).line_id == lines["Régularisation A"].id
    assert PriceAdjustment.get_by_id(second.id).line_id == lines["Régularisation B"].id
    assert InvoiceLine.get_by_id(PriceAdjustment.get_by_id(third.id).line_id).amount_cents == 100


def test_only_the_illness_days_credited_are_marked_credited(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    act, mod = activity(CL), modalite(CL, SANS)
    february = open_days(act, D(2027, 2, 1), D(2027, 2, 28), "C")[:2]
    # the ill day was booked at 3,90 €, the others at 5,20 €
    Booking.insert_many([{"child": lena, "activity": act, "modalite": mod, "date": day,
                          "price_cents": 390 if day == JANUARY[0] else 520}
                         for day in JANUARY + february]).execute()
    run.issue_month(2027, 1, "C", FEB_1)
    ill = Attendance.create(child=lena, activity=act, date=JANUARY[0], justification="x",
                            status=Attendance.EXCUSED, illness=Attendance.ILLNESS_ACCEPTED)
    later = Attendance.create(child=lena, activity=act, date=february[0], justification="x",
                              status=Attendance.EXCUSED, illness=Attendance.ILLNESS_PENDING)
    same_month = Attendance.create(child=lena, activity=act, date=february[1],
                                   justification="x", status=Attendance.EXCUSED,
                                   illness=Attendance.ILLNESS_ACCEPTED)
    present = Attendance.create(child=lena, activity=act, date=JANUARY[1],
                                status=Attendance.PRESENT)
    # a month with nothing else for the family: the credit alone is no invoice
    drafts, _ = run.collect_month(2027, 3, "C")
    assert 16122 not in [d.account_number for d in drafts]
    [ours] = [d for d in run.collect_month(2027, 2, "C")[0] if d.account_number == 16122]
    # February's two days billed, January's ill day credited, and February's ill day
    # credited on the invoice that bills it (the credit counts under its activity).
    assert [(line.activity_name, line.amount_cents) for line in ours.lines] == [
        (CL, 1040), (CL, -390), (CL, -520)]
    run.issue_month(2027, 2, "C", MAR_1)
    assert Attendance.get_by_id(ill.id).credited_at == clock.as_stored(MAR_1)
    assert Attendance.get_by_id(same_month.id).credited_at == clock.as_stored(MAR_1)
    assert Attendance.get_by_id(later.id).credited_at is None  # not accepted: billed only
    assert Attendance.get_by_id(present.id).credited_at is None
    credits = list(InvoiceLine.select().where(InvoiceLine.amount_cents < 0)
                   .order_by(InvoiceLine.id))
    assert [(c.label, c.quantity, c.unit_price_cents) for c in credits] == [
        (f"Absence pour maladie du 06/01/2027 ({CL})", 1, -390),
        (f"Absence pour maladie du {february[1].strftime('%d/%m/%Y')} ({CL})", 1, -520)]
    february_invoice = credits[0].invoice
    assert february_invoice.total_cents == 2 * 520 - 390 - 520
    # A later run credits nothing again.
    run.issue_month(2027, 3, "C", datetime.datetime(2027, 4, 1, 9, 0, tzinfo=clock.PARIS))
    assert InvoiceLine.select().where(InvoiceLine.amount_cents < 0).count() == 2


def test_a_day_closed_on_the_first_or_the_last_of_the_month_is_not_billed(app, db):
    # June 2027: Tuesday 1st (restauration) and Wednesday 30th (CL, garderie) are open.
    family, _, [kid] = new_family(70001, children=1, lines=3, book_month=D(2027, 6, 1))
    edges = [D(2027, 6, 1), D(2027, 6, 30)]
    on_edges = Booking.select().where(Booking.date.in_(edges)).count()
    assert Booking.select().where((Booking.child == kid) & (Booking.date == edges[0])).exists()
    assert Booking.select().where((Booking.child == kid) & (Booking.date == edges[1])).exists()
    for day in edges:
        DayOverride.create(activity=None, date=day, is_open=False, reason="Grève")
    drafts, closed = run.collect_month(2027, 6, "C")
    assert closed == on_edges
    [draft] = [d for d in drafts if d.family_id == family.id]
    assert not {day for line in draft.lines for day in line.dates} & set(edges)


def test_excused_and_ill_days_on_the_months_edges_are_left_out_or_credited(app, db):
    family, _, [kid] = new_family(70002, children=1, lines=3, book_month=D(2027, 6, 1))
    canteen, wednesdays = activity("Restauration Maternelle"), activity(CL)
    first, middle, last = D(2027, 6, 1), D(2027, 6, 2), D(2027, 6, 30)
    Attendance.create(child=kid, activity=wednesdays, date=middle, status=Attendance.PRESENT,
                      added_on_site=True)  # read first: the marks after it still count
    Attendance.create(child=kid, activity=canteen, date=first, status=Attendance.EXCUSED,
                      justification="Rendez-vous médical")
    Attendance.create(child=kid, activity=wednesdays, date=last, status=Attendance.EXCUSED,
                      justification="Certificat joint", illness=Attendance.ILLNESS_ACCEPTED)

    def ours(bill_excused):
        drafts, _ = run.collect_month(2027, 6, "C", bill_excused=bill_excused)
        [draft] = [d for d in drafts if d.family_id == family.id]
        return draft, {(line.activity_name, day) for line in draft.lines for day in line.dates}

    ill_credit = f"Absence pour maladie du 30/06/2027 ({CL})"
    draft, billed = ours(False)
    # The excused day is left out and said why; the accepted ill day is billed and given
    # back by a credit line of its price on the same invoice.
    assert draft.excused == [("ENFANT1", "Restauration Maternelle", first, "Rendez-vous médical")]
    assert ("Restauration Maternelle", first) not in billed and (CL, last) in billed
    [credit] = [line for line in draft.lines if line.credit_mark_ids]
    [ill_day_line] = [line for line in draft.lines
                      if last in line.dates and line.activity_name == CL]
    assert (credit.label, credit.amount_cents) == (ill_credit, -ill_day_line.unit_price_cents)
    assert [line.added_dates for line in draft.lines if line.added_dates] == [[middle]]
    draft, billed = ours(True)  # the commune bills excused days; the illness still credited
    assert draft.excused == []
    assert ("Restauration Maternelle", first) in billed and (CL, last) in billed
    assert [line.label for line in draft.lines if line.credit_mark_ids] == [ill_credit]


def test_excused_days_are_listed_by_first_name_then_day(app, db):
    family, _, kids = new_family(70003, children=2, lines=1, book_month=D(2027, 6, 1))
    kids[0].first_name = "ZOE"  # made first, named last
    kids[0].save()
    canteen = activity("Restauration Maternelle")
    days = [D(2027, 6, 8), D(2027, 6, 3)]
    for kid in kids:
        for day in days:
            Attendance.create(child=kid, activity=canteen, date=day,
                              status=Attendance.EXCUSED, justification="Rendez-vous")
    drafts, _ = run.collect_month(2027, 6, "C", bill_excused=False)
    [draft] = [d for d in drafts if d.family_id == family.id]
    assert [(name, day) for name, _, day, _ in draft.excused] == [
        ("ENFANT2", days[1]), ("ENFANT2", days[0]), ("ZOE", days[1]), ("ZOE", days[0])]


def test_a_month_totalling_nothing_is_not_invoiced_and_one_cent_is(app, db):
    lena = child("LENA")
    enrol(lena, CL)
    Booking.create(child=lena, activity=activity(CL), modalite=modalite(CL, SANS),
                   date=JANUARY[0], price_cents=520)
    dupont = Family.get(Family.account_number == 16122)
    bernard = Family.get(Family.account_number == 16123)
    PriceAdjustment.create(family=dupont, child_name="LENA", label="Régularisation",
                           amount_cents=-520)
    other = Family.get(Family.account_number != 16122, Family.account_number != 16123)
    PriceAdjustment.create(family=other, child_name="X", label="Régularisation",
                           amount_cents=1)
    PriceAdjustment.create(family=bernard, child_name="AAA", label="Régularisation",
                           amount_cents=-100)
    drafts, _ = run.collect_month(2027, 1, "C")
    totals = {d.account_number: d.total_cents for d in drafts}
    assert 16122 not in totals  # 5,20 € less 5,20 €: nothing to invoice
    assert totals[other.account_number] == 1  # one cent is invoiced
    [alone] = [d for d in drafts if d.account_number == other.account_number]
    assert alone.family_name == other.name and alone.family_name
    assert [(line.activity_name, line.quantity) for line in alone.lines] == [
        ("Régularisations", 1)]
    [ours] = [d for d in drafts if d.account_number == 16123]
    assert ours.lines[-1].label == "Régularisation"  # after every child's days
    assert ours.lines[-1].amount_cents == -100


def test_an_ill_last_day_of_the_month_already_billed_is_credited_by_that_months_rerun(app, db):
    family, _, [kid] = new_family(70004, children=1, lines=2, book_month=D(2027, 6, 1))
    run.issue_month(2027, 6, "C", datetime.datetime(2027, 6, 15, 9, tzinfo=clock.PARIS),
                    force=True)  # a correction: the 30th billed in advance
    Attendance.create(child=kid, activity=activity(CL), date=D(2027, 6, 30),
                      justification="x", status=Attendance.EXCUSED,
                      illness=Attendance.ILLNESS_ACCEPTED)
    PriceAdjustment.create(family=family, child_name="ENFANT1", label="Régularisation",
                           amount_cents=2000)  # something to invoice with the credit
    drafts, _ = run.collect_month(2027, 6, "C")
    labels = [line.label for d in drafts if d.family_id == family.id for line in d.lines]
    assert labels == [f"Absence pour maladie du 30/06/2027 ({CL})", "Régularisation"]


def test_two_children_of_one_name_keep_their_excused_days_apart(app, db):
    """Twins both called ZOE: each child's excused days are listed together, the first
    child's then the second's, not mixed day by day."""
    family, _, kids = new_family(70004, children=2, lines=1, book_month=D(2027, 6, 1))
    for kid in kids:
        kid.first_name = "ZOE"
        kid.save()
    canteen = activity("Restauration Maternelle")
    days = [D(2027, 6, 3), D(2027, 6, 8)]
    for kid in kids:
        for day in days:
            Attendance.create(child=kid, activity=canteen, date=day,
                              status=Attendance.EXCUSED, justification=f"Rendez-vous {kid.id}")
    drafts, _ = run.collect_month(2027, 6, "C", bill_excused=False)
    [draft] = [d for d in drafts if d.family_id == family.id]
    first, second = sorted(kid.id for kid in kids)
    assert [(day, why) for _, _, day, why in draft.excused] == [
        (days[0], f"Rendez-vous {first}"), (days[1], f"Rendez-vous {first}"),
        (days[0], f"Rendez-vous {second}"), (days[1], f"Rendez-vous {second}")]
