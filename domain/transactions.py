"""Write transactions and row locks, the one place that knows the two engines.

SQLite has one writer at a time: :func:`write_transaction` takes the write lock
at once (``BEGIN IMMEDIATE``) so concurrent writers wait their turn instead of
failing half-way, and row locks are then useless. PostgreSQL locks rows:
:func:`lock_rows` takes them in id order (no deadlock between two writers that
lock the same rows), ``FOR NO KEY UPDATE`` by default so that inserts
referencing those rows (a family's ticks referencing an activity) are not
blocked, only other writers of the same rows. Used by TERMINER, invoice
numbering and payments.
"""
from typing import Iterable

from peewee import SqliteDatabase

from models import db


def is_sqlite() -> bool:
    """True when the portal runs on SQLite."""
    return isinstance(db.obj, SqliteDatabase)


def write_transaction():
    """A write transaction (a context manager); on SQLite it takes the write lock at once."""
    if is_sqlite():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def lock_rows(model, ids: Iterable[int], key_update: bool = False) -> None:
    """Lock the rows of ``model`` with these ids until the transaction ends, in id
    order (PostgreSQL; SQLite's write transaction already serialises writers).
    ``key_update`` takes ``FOR UPDATE`` (the row may be deleted or its key changed)."""
    ids = sorted(set(ids))
    if not ids or is_sqlite():
        return
    mode = "FOR UPDATE" if key_update else "FOR NO KEY UPDATE"
    list(model.select(model.id).where(model.id.in_(ids)).order_by(model.id).for_update(mode))
