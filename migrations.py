"""Schema creation and upgrades, so that an upgrade never loses a family's data.

A fresh database gets every table at :data:`models.SCHEMA_VERSION`. An older
one runs, in order and in one transaction each, the steps of :data:`STEPS`
whose number is above its stored version. A step adds or alters (with
``playhouse.migrate``); it never drops a table that holds families' data.

To change the schema: edit ``models.py``, bump ``SCHEMA_VERSION``, and add
the step that brings version N-1 to N here, with a test in
``tests/test_migrations.py``.
"""
from peewee import SqliteDatabase
from playhouse.migrate import SchemaMigrator, migrate

import models



def _outbox_claims(database, migrator):
    """2: ``outgoing_email.claimed_until``, so that each email is sent by one process."""
    from playhouse.migrate import migrate
    migrate(migrator.add_column("outgoing_email", "claimed_until",
                                models.OutgoingEmail.claimed_until))


def _qf_effective_from(database, migrator):
    """3: a validated quotient applies from a date chosen by staff."""
    from peewee import DateField
    from playhouse.migrate import migrate
    migrate(migrator.add_column(models.QFDeclaration._meta.table_name, "effective_from",
                                DateField(null=True)))


def _step_4_billing(database, migrator):
    """4: invoicing run and PayFiP: which line bills each booking, payment attempts' details,
    reminders of unpaid invoices. Adds only what is missing (safe to run again)."""
    database.create_tables([models.InvoicedBooking], safe=True)
    payment, invoice = models.Payment, models.Invoice
    wanted = [("invoice", invoice.reminded_at)] + [
        ("payment", field) for field in (payment.user, payment.method, payment.reference,
                                         payment.refdet, payment.expires_at, payment.outcome,
                                         payment.checked_at)]
    existing = {table: {c.name for c in database.get_columns(table)}
                for table in ("invoice", "payment")}
    operations = [migrator.add_column(table, field.column_name, field)
                  for table, field in wanted if field.column_name not in existing[table]]
    if operations:
        migrate(*operations)


#: version -> function(database, migrator) bringing version-1 to version.
STEPS = {2: _outbox_claims, 3: _qf_effective_from, 4: _step_4_billing}


def current_version(database):
    """The stored schema version, or None for an empty database."""
    if not database.table_exists(models.SchemaVersion._meta.table_name):
        return None
    row = models.SchemaVersion.select().first()
    return row.version if row else None


def upgrade(database):
    """Create or upgrade the schema; returns the version reached."""
    version = current_version(database)
    if version is None:
        with database.atomic():
            database.create_tables(models.ALL_MODELS, safe=True)
            models.SchemaVersion.delete().execute()
            models.SchemaVersion.create(version=models.SCHEMA_VERSION)
        return models.SCHEMA_VERSION
    if version > models.SCHEMA_VERSION:
        raise RuntimeError(
            f"Database schema {version} is newer than this code ({models.SCHEMA_VERSION})."
        )
    migrator = SchemaMigrator.from_database(database)
    sqlite = isinstance(database, SqliteDatabase)
    if sqlite:  # SQLite rebuilds tables to alter them: foreign keys wait until the end
        database.pragma("foreign_keys", 0)
    try:
        for step in range(version + 1, models.SCHEMA_VERSION + 1):
            with database.atomic():
                STEPS[step](database, migrator)
                models.SchemaVersion.update(version=step).execute()
                if sqlite and database.execute_sql("PRAGMA foreign_key_check").fetchall():
                    raise RuntimeError(f"Migration {step} broke a foreign key.")
    finally:
        if sqlite:
            database.pragma("foreign_keys", 1)
    return models.SCHEMA_VERSION
