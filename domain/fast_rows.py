"""Fast paths around peewee's machinery for the hot queries of PLANNING (the calendar,
the recap, TERMINER): the one module that reaches into peewee's internals.

* :func:`model_instance` builds a model instance straight from raw column values
  (peewee's ``__data__``, ``_dirty`` and ``__rel__``) instead of peewee's row-per-model
  machinery, which was a third of the recap's time;
* :func:`attach` sets its related rows (``__rel__``);
* :func:`compiled_rows` builds a query's SQL once and reuses it with new parameters,
  finding where each parameter goes through sentinel values;
* :func:`insert_rows` inserts rows with a statement written once per model, columns and
  number of rows.

tests/domain/test_fast_rows.py pins what they promise, so that a peewee upgrade that
changes these internals breaks that one named test (then fix this module, or drop it
for plain peewee queries if they have become as fast: ``bench/planning.py``).
"""
import datetime

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models import db


def model_instance(model, fields, values):
    """A model instance from raw column values (``fields`` in the same order, converted
    by each field's ``python_value``), without peewee's row machinery; related rows go
    in ``__rel__``. A value the database already gives as the field's Python type (an
    int for an integer or a key, a str for a text) is kept as it is, and a date read as
    ISO text (SQLite) is parsed by ``fromisoformat``: the same values, without a call
    per column (``strptime`` for a date)."""
    plan = _PLANS.get(id(fields))
    if plan is None or plan[0] is not fields:
        plan = _plan(fields)
    instance = model.__new__(model)
    instance.__data__ = {name: value if type(value) in kept else convert(value)
                         for (name, kept, convert), value in zip(plan[1], values)}
    instance._dirty, instance.__rel__ = set(), {}
    return instance


#: The Python types a column's value may already have, by field class: kept as they are.
_KEPT = {AutoField: frozenset({int, type(None)}), IntegerField: frozenset({int, type(None)}),
         BigIntegerField: frozenset({int, type(None)}),
         CharField: frozenset({str, type(None)}), TextField: frozenset({str, type(None)}),
         DateField: frozenset({datetime.date, type(None)}),
         DateTimeField: frozenset({datetime.datetime, type(None)})}
_PLANS: dict[int, tuple] = {}


def _iso_reader(field, parse):
    """``field.python_value``, with ISO text parsed by ``parse`` first (what peewee's
    ``strptime`` formats give for it); anything else as peewee reads it."""
    def convert(value):
        if isinstance(value, str):
            try:
                return parse(value)
            except ValueError:
                pass
        return field.python_value(value)
    return convert


def _plan(fields):
    """[(name, types kept as they are, conversion)] of ``fields``, kept per list (the
    list itself is held, so that its id cannot be reused by another)."""
    steps = []
    for field in fields:
        kind = type(field)
        if kind is ForeignKeyField:
            kind = type(field.rel_field)
        convert = field.python_value
        if kind is DateField:
            convert = _iso_reader(field, datetime.date.fromisoformat)
        elif kind is DateTimeField:
            convert = _iso_reader(field, _naive_datetime)
        steps.append((field.name, _KEPT.get(kind, frozenset()), convert))
    if len(_PLANS) > 500:  # lists built on the fly: do not keep them all
        _PLANS.clear()
    plan = _PLANS[id(fields)] = (fields, steps)
    return plan


def _naive_datetime(text):
    """A stored timestamp's text (``YYYY-MM-DD HH:MM:SS[.ffffff]``), as peewee reads it."""
    if len(text) < 19 or text[10] != " ":
        raise ValueError(text)
    return datetime.datetime.fromisoformat(text)


def attach(instance, **related):
    """Give ``instance`` (from :func:`model_instance`) its related rows, read as
    ``instance.<name>`` without a query (``attach(child, family=family)``)."""
    instance.__rel__.update(related)
    return instance


_COMPILED: dict[tuple, str] = {}


def compiled_rows(key, build, **values):
    """The raw rows of the query ``build(**values)``, its SQL built by peewee only once per
    ``key``, database and length of the list values (then reused with the new values):
    for a hot query, building the statement cost more than running it. Each value is
    an int, a date, or a list of them, and must reach the statement as a parameter."""
    database = db
    shape = tuple((name, len(v)) for name, v in sorted(values.items()) if isinstance(v, list))
    cache_key = (key, shape, database.param, type(getattr(database, "obj", database)).__name__)
    entry = _COMPILED.get(cache_key)
    if entry is None:
        counter, sentinels, where = [0], {}, {}

        def sentinel(value, slot):
            counter[0] += 1
            fake = (-7_000_000 - counter[0] if isinstance(value, int)
                    else datetime.date(1800, 1, 1) + datetime.timedelta(days=counter[0]))
            where[fake] = slot
            if isinstance(fake, datetime.date):
                where[fake.isoformat()] = slot
            return fake

        for name, value in sorted(values.items()):
            sentinels[name] = ([sentinel(v, (name, i)) for i, v in enumerate(value)]
                               if isinstance(value, list) else sentinel(value, (name, None)))
        sql, params = build(**sentinels).sql()
        order = [(where[param], type(param)) if _hashable(param) and param in where
                 else (None, param) for param in params]
        entry = _COMPILED[cache_key] = (sql, order)
    sql, order = entry
    params = []
    for slot, kind in order:
        if slot is None:
            params.append(kind)  # a constant of the statement itself
            continue
        name, index = slot
        value = values[name] if index is None else values[name][index]
        params.append(value.isoformat() if kind is str else value)
    return database.execute_sql(sql, params)


_INSERTS: dict[tuple, str] = {}


def insert_rows(model, names, rows):
    """``INSERT INTO <model> (names) VALUES (...), ...`` of ``rows`` (tuples of Python
    values in the order of ``names``, converted by each field's ``db_value``); the fields
    left out get their defaults, as ``insert_many`` gives them. peewee took longer to
    build a tick's one-row insert than the database to run it."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.fields[name] for name in names]
    defaults = [field for field in meta.sorted_fields
                if field.name not in names and field.default is not None]
    database = db
    key = (model, tuple(names), len(rows), database.param, type(database.obj).__name__)
    sql = _INSERTS.get(key)
    if sql is None:
        columns = ", ".join(f'"{field.column_name}"' for field in fields + defaults)
        marks = "(" + ", ".join([database.param] * (len(fields) + len(defaults))) + ")"
        sql = _INSERTS[key] = (f'INSERT INTO "{meta.table_name}" ({columns}) VALUES '
                               + ", ".join([marks] * len(rows)))
    params = []
    for row in rows:
        params.extend(field.db_value(value) for field, value in zip(fields, row))
        params.extend(field.db_value(field.default() if callable(field.default)
                                     else field.default) for field in defaults)
    database.execute_sql(sql, params)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
