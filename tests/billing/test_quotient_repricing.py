"""A quotient's date of effect reaches the bookings: the days booked from that date take
the new bracket's price; days already invoiced keep their invoice and give a credit or a
supplement on the next one."""
import datetime

from domain import audit
from domain.billing.run import issue_month
from domain.booking.inscription import book_school_days
from domain.catalogue.opening import open_days
from domain.clock import PARIS
from models import (
    AuditLog,
    Booking,
    Enrolment,
    Invoice,
    InvoiceLine,
    PriceAdjustment,
    QFDeclaration,
)
from tests import factories
from tests.conftest import MailBox
from tests.helpers import activity, demo_child, demo_family

JANUARY = (datetime.date(2027, 1, 1), datetime.date(2027, 1, 31))
FEBRUARY = (datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))


def validate(client, auth, declaration, effective_from):
    """The agent validates ``declaration`` from ``effective_from`` on its page."""
    auth.login("agent")
    token = auth.csrf("/agents/validations/quotients")
    response = client.post(f"/agents/validations/quotients/{declaration.id}/valider",
                           data={"csrf_token": token,
                                 f"qf-{declaration.id}-effective_from": effective_from})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]


def unit_prices(family, year, month, child_name):
    """{line label: unit price} of the family's invoice of ``month``."""
    invoice = Invoice.get((Invoice.family == family) & (Invoice.period_year == year)
                          & (Invoice.period_month == month))
    return {line.label: line.unit_price_cents for line in
            invoice.lines.where(InvoiceLine.child_name == child_name)}


def test_qf_500_from_february_prices_lenas_february_at_tranche_1_and_january_at_tranche_2(
        app, client, auth, db, mailbox):
    family, lena = demo_family(16122), demo_child("LENA")
    soir = activity("ALAE Soir 1")
    Enrolment.create(child=lena, activity=soir)
    canteen = activity("Restauration Maternelle")
    with app.app_context():
        book_school_days(lena, soir, JANUARY[0], "C")  # tranche 2 (QF 850): 1,20 €
    for day in open_days(canteen, JANUARY[0], FEBRUARY[1], "C"):
        factories.booking(lena, "Restauration Maternelle", day, price_cents=330)
    declaration = QFDeclaration.create(family=family, quotient=500)
    mailbox.clear()
    validate(client, auth, declaration, "2027-02-01")
    with app.app_context():
        for month in (1, 2):
            issue_month(2027, month, "C", datetime.datetime(2027, month + 1, 1, 9, tzinfo=PARIS))
    assert unit_prices(family, 2027, 1, "LENA") == {
        "ALAE Soir 1 - Soir jusqu'à 17h30": 120, "Restauration Maternelle - Repas": 330}
    assert unit_prices(family, 2027, 2, "LENA") == {
        "ALAE Soir 1 - Soir jusqu'à 17h30": 80, "Restauration Maternelle - Repas": 230}
    [email] = mailbox.to("famille.dupont@example.org")
    text = MailBox.text(email)
    assert "LENA, ALAE Soir 1 (Soir jusqu'à 17h30) : 0,80\u00a0€ par jour" in text
    assert "LENA, Restauration Maternelle (Repas) : 2,30\u00a0€ par jour" in text
    row = AuditLog.get(AuditLog.action == audit.BOOKINGS_REPRICED)
    february_days = Booking.select().where((Booking.child == lena)
                                           & (Booking.date >= FEBRUARY[0])).count()
    assert f"{february_days} jour(s) réservé(s) à partir du 01/02/2027" in \
        audit.details_of(row)["summary"]
    assert PriceAdjustment.select().count() == 0  # nothing of February was invoiced


def test_a_retroactive_quotient_gives_a_supplement_on_the_next_invoice(app, client, auth, db,
                                                                       mailbox):
    """On 26/11/2026, 16123's QF 1000 (tranche 2) validated from 01/10/2026: October is
    invoiced at tranche 1, so its ALAE days give a supplement on November's invoice, shown
    as such; November's days (not invoiced) take tranche 2's price."""
    family, hugo = demo_family(16123), demo_child("HUGO")
    matin = activity("ALAE Matin")
    october = list(Booking.select().where((Booking.child == hugo) & (Booking.activity == matin)
                                          & (Booking.date >= datetime.date(2026, 10, 1))
                                          & (Booking.date <= datetime.date(2026, 10, 31))))
    assert {b.price_cents for b in october} == {60}
    october_total = sum(i.total_cents for i in Invoice.select().where(
        (Invoice.family == family) & (Invoice.period_month == 10)))
    declaration = QFDeclaration.create(family=family, quotient=1000)
    mailbox.clear()
    validate(client, auth, declaration, "2026-10-01")
    # October's invoice is untouched; its days keep the price they were billed at.
    assert sum(i.total_cents for i in Invoice.select().where(
        (Invoice.family == family) & (Invoice.period_month == 10))) == october_total
    assert {b.price_cents for b in Booking.select().where(Booking.id.in_(
        [b.id for b in october]))} == {60}
    november = Booking.select().where((Booking.child == hugo) & (Booking.activity == matin)
                                      & (Booking.date >= datetime.date(2026, 11, 1)))
    assert {b.price_cents for b in november} == {90}
    with app.app_context():
        issue_month(2026, 11, "C", datetime.datetime(2026, 12, 1, 9, tzinfo=PARIS))
    invoice = Invoice.get((Invoice.family == family) & (Invoice.period_month == 11))
    supplement = [line for line in invoice.lines
                  if line.label.startswith("Régularisation quotient familial (supplément) : "
                                           "ALAE Matin")
                  and line.child_name == "HUGO"]
    assert len(supplement) == 1
    assert supplement[0].amount_cents == 30 * len(october)
    assert f"{len(october)} jour(s) du " in supplement[0].label
    assert "supplément de" in MailBox.text(mailbox.to("famille.bernard@example.org")[0])
    # Billed once: the next run does not bill it again.
    assert PriceAdjustment.select().where(PriceAdjustment.line.is_null()).count() == 0
