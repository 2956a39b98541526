"""TERMINER's lock on the activity row serialises the commits of
that activity without blocking other families' ticks (their ``pending_change``
insert checks the foreign key to that row). PostgreSQL only: SQLite has one writer."""
import datetime

import psycopg2
import pytest

import models
from domain.transactions import lock_rows, write_transaction
from models import Activity, Child, Family, Modalite


def insert_tick_elsewhere(url, family, child, activity, modalite):
    """Another family's tick, on its own connection, giving up after 2 s of waiting."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute(
                "INSERT INTO pending_change (family_id, child_id, activity_id, modalite_id, "
                "date, action, created_at) VALUES (%s, %s, %s, %s, %s, %s, now())",
                (family.id, child.id, activity.id, modalite.id, datetime.date(2027, 1, 13),
                 "reservation"))
        return True
    except psycopg2.errors.LockNotAvailable:
        return False
    finally:
        connection.rollback()
        connection.close()


@pytest.mark.parametrize("key_update, blocked", [(False, False), (True, True)])
def test_terminers_lock_does_not_block_another_familys_tick(app, db, key_update, blocked):
    url = app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite serialises writers with BEGIN IMMEDIATE")
    family = Family.get(Family.account_number == 16123)
    child = Child.select().where(Child.family == family).first()
    activity = Activity.select().first()
    modalite = Modalite.select().where(Modalite.activity == activity).first()
    with write_transaction():
        lock_rows(Activity, [activity.id], key_update=key_update)  # TERMINER holds it
        inserted = insert_tick_elsewhere(url, family, child, activity, modalite)
        models.db.rollback()
    # FOR NO KEY UPDATE (what TERMINER takes) lets the tick in; FOR UPDATE would block it.
    assert inserted is (not blocked)
