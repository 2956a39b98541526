"""The data model: constraints the domain has, on SQLite and on PostgreSQL."""
import datetime

import pytest
from peewee import IntegerField, IntegrityError

import models
from models import (
    Activity,
    Booking,
    Child,
    Enrolment,
    Family,
    Invoice,
    Modalite,
    NumberSequence,
    QFBracket,
    Tariff,
    User,
)


def lena():
    return Child.get(Child.first_name == "LENA")


def cl_maternel():
    return Activity.get(Activity.name == "CL Maternel Mercredis")


def test_one_booking_per_child_day_and_activity(db):
    activity = cl_maternel()
    with_meal, without_meal = list(activity.modalites.order_by(Modalite.position))
    day = datetime.date(2027, 1, 6)
    Booking.create(child=lena(), activity=activity, modalite=with_meal, date=day, price_cents=1040)
    with pytest.raises(IntegrityError):
        with db.atomic():
            Booking.create(child=lena(), activity=activity, modalite=without_meal, date=day,
                           price_cents=520)
    assert Booking.select().where((Booking.child == lena()) & (Booking.date == day)).count() == 1


def test_one_enrolment_per_child_and_activity(db):
    restauration = Activity.get(Activity.name == "Restauration Maternelle")
    with pytest.raises(IntegrityError):
        with db.atomic():
            Enrolment.create(child=lena(), activity=restauration)


def test_account_numbers_and_emails_are_unique(db):
    with pytest.raises(IntegrityError):
        with db.atomic():
            Family.create(account_number=16122, name="AUTRE")
    with pytest.raises(IntegrityError):
        with db.atomic():
            User.create(email="famille.dupont@example.org", password_hash="x", session_token="t")


def test_one_tariff_per_modalite_and_bracket(db):
    tariff = Tariff.select().first()
    with pytest.raises(IntegrityError):
        with db.atomic():
            Tariff.create(modalite=tariff.modalite, bracket=tariff.bracket, price_cents=1)


MONEY_WORDS = ("price", "amount", "total", "balance", "cents")


def test_money_is_stored_as_integer_cents(db):
    """Every amount is an integer column named ``*_cents``, and what the database holds
    there is an integer (peewee's IntegerField would turn a stored 5.2 into 5 on reading:
    the check reads the column types and the stored values in SQL)."""
    money = [(model._meta.table_name, field) for model in models.ALL_MODELS
             for field in model._meta.sorted_fields
             if any(word in field.name for word in MONEY_WORDS)]
    assert {("tariff", "price_cents"), ("invoice", "total_cents")} <= \
        {(table, field.name) for table, field in money}
    for table, field in money:
        assert field.name.endswith("_cents"), f"{table}.{field.name}: an amount in cents"
        assert isinstance(field, IntegerField), f"{table}.{field.name}: {type(field).__name__}"
        column = {c.name: c.data_type.lower() for c in db.get_columns(table)}[field.column_name]
        assert column in ("integer", "bigint", "smallint"), f"{table}.{field.name}: {column}"
        if db.obj.__class__.__name__.startswith("Sqlite"):  # a REAL in an INTEGER column
            kinds = {kind for (kind,) in db.execute_sql(
                f'SELECT DISTINCT typeof("{field.column_name}") FROM "{table}"')}
            assert kinds <= {"integer", "null"}, f"{table}.{field.name} holds {kinds}"
    invoice = Invoice.select().first()
    assert invoice.total_cents == sum(line.amount_cents for line in invoice.lines) > 0


def test_an_invoice_of_a_family_cannot_vanish_with_it(db):
    family = Family.get(Family.account_number == 16123)
    with pytest.raises(IntegrityError):
        with db.atomic():
            family.delete_instance()


def test_gapless_invoice_counter_is_a_row_per_year(db):
    sequence = NumberSequence.get(NumberSequence.name == "F-2026")
    assert sequence.value == Invoice.select().count() == 2  # the demo's September, October
    with pytest.raises(IntegrityError):
        with db.atomic():
            NumberSequence.create(name=sequence.name)


def test_deleting_a_child_removes_its_health_data(db):
    child = Child.get(Child.first_name == "HUGO")
    assert models.HealthRecord.select().where(models.HealthRecord.child == child).count() == 1
    models.Booking.delete().where(models.Booking.child == child).execute()
    child.delete_instance()
    assert models.HealthRecord.select().where(models.HealthRecord.child == child).count() == 0


def test_qf_brackets_cover_every_quotient_once(db):
    brackets = list(QFBracket.select().order_by(QFBracket.position))
    assert brackets[0].min_qf == 0 and brackets[-1].max_qf is None
    for lower, upper in zip(brackets, brackets[1:]):
        assert upper.min_qf == lower.max_qf + 1


def test_first_where_reads_the_row_get_or_none_reads(db):
    """The rows every request reads (the signed-in user, the commune) come from a
    statement written once: the same values as peewee's query, None when none matches."""
    from models import Commune, first_where
    user = User.select().first()
    assert first_where(User, id=user.id, is_active=True).__data__ == User.get_by_id(user.id).__data__
    assert first_where(User, id=user.id, is_active=False) is None
    assert first_where(User, id=models.MAX_ID, is_active=True) is None
    assert first_where(Commune).__data__ == Commune.select().first().__data__
    fields = [f for f in Commune._meta.sorted_fields if f.name != "logo"]
    assert first_where(Commune, leave_out=("logo",)).__data__ == \
        Commune.select(*fields).first().__data__
    User.update(is_active=False).where(User.id == user.id).execute()
    assert first_where(User, id=user.id, is_active=True) is None
