"""The boundaries a family pays for: a
quotient exactly at a bracket's bound, the day of effect itself, the default date of
effect validated on the 30th or 31st, one modalité at two prices in one month, and the
CSV cells a spreadsheet would read as formulas."""
import csv
import datetime
import io

import pytest

from domain import exports
from domain.catalogue.pricing import bracket_for
from domain.family.quotient import default_effective_date
from models import Booking, Family, Invoice, QFDeclaration
from tests.planning_support import CL, JANUARY, SANS, activity, lena  # noqa: F401
from tests.staff.test_staff_attendance import book_januarys_wednesdays


def validate_qf(quotient, effective_from):
    family = Family.get(Family.account_number == 16122)
    QFDeclaration.create(family=family, quotient=quotient, status=QFDeclaration.VALIDATED,
                         effective_from=effective_from,
                         reviewed_at=datetime.datetime(2026, 11, 20, 9))


def booked_prices(kid):
    return {b.date: b.price_cents for b in Booking.select().where(
        (Booking.child == kid) & (Booking.activity == activity(CL)))}


@pytest.mark.parametrize("quotient, label, price", [
    (700, "Tranche 1 (QF jusqu'à 700)", 390),
    (701, "Tranche 2 (QF de 701 à 1200)", 520),
    (1200, "Tranche 2 (QF de 701 à 1200)", 520),
    (1201, "Tranche 3 (QF au-delà de 1200 ou non déclaré)", 650),
])
def test_a_quotient_at_a_brackets_bound_is_priced_in_that_bracket(client, lena, quotient,  # noqa: F811
                                                                  label, price):
    year = activity(CL).school_year
    assert bracket_for(year, quotient).label == label
    validate_qf(quotient, datetime.date(2027, 1, 1))
    book_januarys_wednesdays(client, lena)
    assert set(booked_prices(lena).values()) == {price}


def test_the_day_of_effect_itself_takes_the_new_quotient_and_the_month_bills_two_lines(
        client, lena, runner):  # noqa: F811
    # The demo's quotient puts the family in tranche 2 (5,20 €); 650 from Wednesday 13th.
    validate_qf(650, JANUARY[1])
    book_januarys_wednesdays(client, lena)
    assert booked_prices(lena) == {JANUARY[0]: 520, JANUARY[1]: 390, JANUARY[2]: 390,
                                   JANUARY[3]: 390}
    assert runner.invoke(args=["invoice", "2027-01", "--force"]).exit_code == 0
    invoice = (Invoice.select().join(Family).where((Family.account_number == 16122)
                                                   & (Invoice.period_month == 1)).get())
    lines = sorted((line.label, line.quantity, line.unit_price_cents, line.amount_cents)
                   for line in invoice.lines)
    assert lines == [(f"{CL} - {SANS}", 1, 520, 520), (f"{CL} - {SANS}", 3, 390, 1170)]
    assert invoice.total_cents == 1690


@pytest.mark.parametrize("today, expected", [
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 1)),
    (datetime.date(2026, 12, 31), datetime.date(2027, 1, 1)),
    (datetime.date(2027, 1, 31), datetime.date(2027, 2, 1)),
    (datetime.date(2027, 3, 31), datetime.date(2027, 4, 1)),
    (datetime.date(2027, 1, 1), datetime.date(2027, 2, 1)),
    (datetime.date(2028, 2, 29), datetime.date(2028, 3, 1)),
])
def test_the_default_date_of_effect_is_the_first_of_next_month_even_on_the_31st(today,
                                                                               expected):
    assert default_effective_date(today) == expected


@pytest.mark.parametrize("text", ["-1+2", "+33 6 12 34 56 78", "\t=cmd", "\r=cmd", "=1+1",
                                  "@SUM(A1)"])
def test_a_cell_a_spreadsheet_would_compute_is_written_as_text(text):
    assert exports.cell(text) == "'" + text


def test_ordinary_cells_are_left_alone():
    assert exports.cell("DUPONT") == "DUPONT"
    assert exports.cell(exports.Cents(-520)) == "-5,20"  # an amount is a number, not text
    assert exports.cell(-3) == "-3"


@pytest.mark.parametrize("name", ["-2+3*cmd|' /C calc'!A0", "+HYPERLINK(\"x\")", "\t=1",
                                  "\r=1"])
def test_the_families_export_neutralises_every_formula_start(client, auth, db, name):
    Family.update(name=name).where(Family.account_number == 16124).execute()
    auth.login("agent")
    response = client.get("/agents/exports/familles.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    [row] = [row for row in rows if row[0] == "16124"]
    assert row[1] == "'" + name
