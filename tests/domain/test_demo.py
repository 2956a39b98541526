"""The demo commune (three families, their children, bookings and invoices), created from today."""
import datetime

from demo import create_demo
from domain.messaging.messages import unread_count
from domain.catalogue.pricing import family_bracket, prices_for
from models import (Activity, Booking, BookingWindow, Child, DayOverride, Document,
                    DossierValidation, Enrolment, Family, Invoice, Modalite, News, QFDeclaration,
                    SchoolYear, User)


def test_school_year_is_computed_from_today(db):
    year = SchoolYear.get()
    assert year.label == "2026/2027"
    assert year.start_date == datetime.date(2026, 9, 1)
    assert year.end_date == datetime.date(2027, 7, 2)


def test_catalogue_as_the_guide_lists_it(db):
    names = {a.name for a in Activity.select()}
    assert {"ALAE Matin", "ALAE Soir 1", "ALAE Soir 2", "Garderie Mercredi Scolaire",
            "Restauration Élémentaire", "Restauration Maternelle", "CL Élémentaire Mercredis",
            "CL Maternel Mercredis", "Mercredi bus CL", "Vacances bus CL"} <= names
    for period in ("Automne", "Noël", "Hiver", "Printemps", "Été"):
        assert f"CLV Élémentaire ou maternel {period}" in names
    assert BookingWindow.select().count() == 5


def test_middle_bracket_pays_the_guides_prices(db):
    family = Family.get(Family.account_number == 16122)
    bracket = family_bracket(family, SchoolYear.get())
    modalites = list(Activity.get(Activity.name == "CL Maternel Mercredis").modalites
                     .order_by(Modalite.position))
    prices = prices_for(bracket, modalites)
    assert [m.name for m in modalites] == ["Après-midi AVEC repas", "Après-midi SANS repas"]
    assert [prices[m.id] for m in modalites] == [1040, 520]


def test_family_16122_is_ready_for_the_guides_walkthrough(db):
    family = Family.get(Family.account_number == 16122)
    assert len(family.guardians) == 2
    [lena] = family.children
    assert (lena.first_name, lena.class_level, lena.group, lena.school_type) == \
        ("LENA", "MS", "maternel", Child.SCHOOL_PUBLIC)
    assert [e.activity.name for e in lena.enrolments] == ["Restauration Maternelle"]
    assert Booking.select().where(Booking.child == lena).count() == 0
    assert QFDeclaration.get(QFDeclaration.family == family).status == QFDeclaration.VALIDATED
    assert DossierValidation.get(DossierValidation.family == family).status == "validee"


def test_family_16123_has_alae_bookings_an_invoice_and_unread_messages(db):
    family = Family.get(Family.account_number == 16123)
    assert {c.group for c in family.children} == {"maternel", "elementaire"}
    alae = Enrolment.select().join(Activity).where(Activity.category == Activity.ALAE)
    assert alae.count() == 4
    assert Booking.select().join(Child).where(Child.family == family).count() > 500
    # Invoiced by the monthly run for every month over (September, October at TEST_NOW),
    # holding every booking of those months; September paid at the counter.
    invoices = list(Invoice.select().where(Invoice.family == family).order_by(Invoice.id))
    assert [(i.period_month, i.status) for i in invoices] == [(9, "payee"), (10, "emise")]
    billed = sum(line.quantity for i in invoices for line in i.lines)
    assert billed == Booking.select().join(Child).where(
        (Child.family == family) & (Booking.date < datetime.date(2026, 11, 1))).count()
    assert unread_count(family) == 2


def test_family_16124_private_school_without_qf(db):
    family = Family.get(Family.account_number == 16124)
    [tom] = family.children
    assert tom.school_type == Child.SCHOOL_PRIVATE
    assert QFDeclaration.select().where(QFDeclaration.family == family).count() == 0


def test_staff_news_documents_and_a_nearly_full_day(db):
    assert {u.role for u in User.select().where(User.family.is_null())} == {
        "agent", "administrateur"}
    assert News.select().count() >= 2
    assert {d.category for d in Document.select()} >= {"menu", "reglement"}
    override = DayOverride.get(DayOverride.capacity.is_null(False))
    booked = Booking.select().where((Booking.activity == override.activity)
                                    & (Booking.date == override.date)).count()
    assert override.capacity - booked == 1


def test_demo_is_idempotent(db):
    counts = (Family.select().count(), Booking.select().count(), User.select().count())
    assert create_demo(datetime.date(2026, 11, 26)) is False
    assert (Family.select().count(), Booking.select().count(), User.select().count()) == counts


def test_demo_command(runner):
    result = runner.invoke(args=["demo"])
    assert "existe déjà" in result.output


def test_every_demo_child_goes_to_one_of_the_communes_schools(db):
    from models import Child, School
    names = {school.name for school in School.select()}
    assert {child.school_name for child in Child.select()} <= names
    ferry = School.get(School.name == "École maternelle Jules Ferry")
    assert ferry.level_list == ("TPS", "PS", "MS", "GS")
    assert ferry.next_school.name == "École élémentaire Jean Jaurès"
