"""domain/fast_rows.py reaches into peewee's internals for PLANNING's hot queries; these
tests pin what it promises, so that a peewee upgrade that changes those internals fails
here, by name, and not somewhere in the calendar.

* ``model_instance``: a model instance from raw column values, its values converted as
  peewee would (a date column read as a date on SQLite too), and not dirty;
* ``attach``: its related rows read back without a query;
* ``compiled_rows``: a statement built once, then run with other values (ints, dates,
  lists of either) in their right places, the statement's own constants kept;
* ``insert_rows``: the rows stored as ``insert_many`` stores them, defaults included.
"""
import datetime

from domain.fast_rows import attach, compiled_rows, insert_rows, model_instance
from models import Booking, Child, Family, PendingChange
from tests.helpers import demo_family


def _children_query(family_id):
    return (Child.select(*Child._meta.sorted_fields)
            .where((Child.family == family_id) & (Child.first_name != "PERSONNE"))
            .order_by(Child.id))


def test_model_instance_is_the_row_peewee_would_have_built(db):
    bernard = demo_family(16123)
    expected = list(Child.select().where(Child.family == bernard).order_by(Child.id))
    raw = db.execute_sql(*_children_query(bernard.id).sql()).fetchall()

    built = [model_instance(Child, Child._meta.sorted_fields, row) for row in raw]

    assert [child.__data__ for child in built] == [child.__data__ for child in expected]
    assert all(isinstance(child.birth_date, datetime.date) for child in built)
    assert [child.is_dirty() for child in built] == [False] * len(built)
    assert built[0].family_id == bernard.id


def test_attached_rows_are_read_back_without_a_query(db):
    bernard = demo_family(16123)
    raw = db.execute_sql(*_children_query(bernard.id).sql()).fetchone()
    child = model_instance(Child, Child._meta.sorted_fields, raw)
    # A family the database does not hold: reading it back proves no query ran.
    family = model_instance(Family, [Family.id, Family.name], (bernard.id, "ATTACHÉE"))

    attach(child, family=family)

    assert child.family is family and child.family.name == "ATTACHÉE"


def test_compiled_rows_reuses_its_statement_with_new_values(db):
    bernard, petit = demo_family(16123), demo_family(16124)
    first = compiled_rows("test: children", _children_query, family_id=bernard.id).fetchall()
    second = compiled_rows("test: children", _children_query, family_id=petit.id).fetchall()

    assert [row[0] for row in first] == [c.id for c in bernard.children.order_by(Child.id)]
    assert [row[0] for row in second] == [c.id for c in petit.children.order_by(Child.id)]
    assert first and second


def _bookings_query(child_ids, first, last):
    return (Booking.select(Booking.id)
            .where(Booking.child.in_(child_ids) & (Booking.date >= first)
                   & (Booking.date <= last))
            .order_by(Booking.id))


def test_compiled_rows_places_dates_and_lists_of_any_length(db):
    children = [c.id for c in demo_family(16123).children]
    assert Booking.select().where(Booking.child.in_(children)).count() > 0
    for ids, first, last in ((children, datetime.date(2026, 9, 1), datetime.date(2027, 7, 31)),
                             (children[:1], datetime.date(2026, 10, 1),
                              datetime.date(2026, 10, 31)),
                             (children, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))):
        expected = [b.id for b in _bookings_query(ids, first, last)]
        found = compiled_rows("test: bookings", _bookings_query, child_ids=ids, first=first,
                              last=last).fetchall()
        assert [row[0] for row in found] == expected


def test_insert_rows_stores_what_insert_many_stores(db):
    from tests.helpers import activity, modalite
    bernard = demo_family(16123)
    kid = Child.select().where(Child.family == bernard).first()
    cl = activity("CL Maternel Mercredis")
    sans = modalite("CL Maternel Mercredis", "Après-midi SANS repas")
    days = [datetime.date(2027, 1, 6), datetime.date(2027, 1, 13)]
    columns = ("family", "child", "activity", "modalite", "date", "action")
    insert_rows(PendingChange, columns, [(bernard.id, kid.id, cl.id, sans.id, day, "reservation")
                                         for day in days[:1]])
    insert_rows(PendingChange, columns, [])
    PendingChange.insert_many([dict(zip(columns, (bernard.id, kid.id, cl.id, sans.id, days[1],
                                                  "reservation")))]).execute()
    mine, peewees = PendingChange.select().order_by(PendingChange.date)
    assert mine.date == days[0] and peewees.date == days[1]
    assert ({k: v for k, v in mine.__data__.items() if k not in ("id", "date")}
            == {k: v for k, v in peewees.__data__.items() if k not in ("id", "date")})
    assert isinstance(mine.created_at, datetime.datetime)


def test_model_instance_reads_dates_and_timestamps_as_peewee_does(db):
    """Dates and timestamps read as text (SQLite) are parsed to the values peewee gives;
    text that is not a date is left to peewee."""
    from models import OutgoingEmail, PendingChange
    fields = [PendingChange.date, PendingChange.created_at, OutgoingEmail.sent_at]
    for date_text, stamp_text in (("2027-01-06", "2026-11-26 09:00:00"),
                                  ("2027-01-06", "2026-11-26 09:00:00.250000"),
                                  ("2027-01-06 00:00:00", "2026-11-26"),
                                  ("pas une date", "pas une heure")):
        built = model_instance(PendingChange, fields, (date_text, stamp_text, None))
        assert built.__data__ == {"date": PendingChange.date.python_value(date_text),
                                  "created_at": PendingChange.created_at.python_value(stamp_text),
                                  "sent_at": None}
    assert model_instance(PendingChange, fields, (datetime.date(2027, 1, 6), None, None)
                          ).date == datetime.date(2027, 1, 6)
