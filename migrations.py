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



def _back_office_accounts_and_content(database, migrator):
    """2: staff second factor (TOTP, recovery codes), threads marked "traité",
    services' own addresses, news withdrawn/updated, documents' display dates."""
    database.create_tables([models.RecoveryCode, models.ServiceMailbox], safe=True)
    user, thread = models.User._meta, models.MessageThread._meta
    news, document = models.News._meta, models.Document._meta
    migrate(
        migrator.add_column(user.table_name, "totp_secret", user.fields["totp_secret"]),
        migrator.add_column(user.table_name, "totp_enabled_at", user.fields["totp_enabled_at"]),
        migrator.add_column(user.table_name, "totp_last_step", user.fields["totp_last_step"]),
        migrator.add_column(thread.table_name, "treated_at", thread.fields["treated_at"]),
        migrator.add_column(thread.table_name, "treated_by_id", thread.fields["treated_by"]),
        migrator.add_column(news.table_name, "updated_at", news.fields["updated_at"]),
        migrator.add_column(news.table_name, "withdrawn_at", news.fields["withdrawn_at"]),
        migrator.add_column(document.table_name, "display_from", document.fields["display_from"]),
        migrator.add_column(document.table_name, "display_until",
                            document.fields["display_until"]),
    )


#: version -> function(database, migrator) bringing version-1 to version.
STEPS = {2: _back_office_accounts_and_content}


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
