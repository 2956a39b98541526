"""Schema creation and upgrades, so that an upgrade never loses a family's data.

A fresh database gets every table at :data:`models.SCHEMA_VERSION`. An older
one runs, in order and in one transaction each, the steps of :data:`STEPS`
whose number is above its stored version. A step adds or alters (with
``playhouse.migrate``); it never drops a table that holds families' data.

To change the schema: edit ``models.py``, bump ``SCHEMA_VERSION``, and add
the step that brings version N-1 to N here (adding only what is missing, so that
steps stay independent), with a test in
``tests/domain/test_migrations.py``.
"""
from peewee import SqliteDatabase
from playhouse.migrate import SchemaMigrator, migrate

import models


def _add_missing_columns(database, migrator, model, *names):
    """Add the fields ``names`` of ``model`` that its table lacks: a step can be run
    again over a schema that already has them (steps stay independent of each other)."""
    table = model._meta.table_name
    present = {column.name for column in database.get_columns(table)}
    operations = [migrator.add_column(table, model._meta.fields[name].column_name,
                                      model._meta.fields[name])
                  for name in names if model._meta.fields[name].column_name not in present]
    if operations:
        migrate(*operations)


def _outbox_claims(database, migrator):
    """2: ``outgoing_email.claimed_until``, so that each email is sent by one process."""
    _add_missing_columns(database, migrator, models.OutgoingEmail, "claimed_until")


def _qf_effective_from(database, migrator):
    """3: a validated quotient applies from a date chosen by staff."""
    _add_missing_columns(database, migrator, models.QFDeclaration, "effective_from")


def _back_office_accounts_and_content(database, migrator):
    """4: staff second factor (TOTP, recovery codes), threads marked "traité",
    services' own addresses, news withdrawn/updated, documents' display dates."""
    database.create_tables([models.RecoveryCode, models.ServiceMailbox], safe=True)
    _add_missing_columns(database, migrator, models.User,
                         "totp_secret", "totp_enabled_at", "totp_last_step")
    _add_missing_columns(database, migrator, models.MessageThread, "treated_at", "treated_by")
    _add_missing_columns(database, migrator, models.News, "updated_at", "withdrawn_at")
    _add_missing_columns(database, migrator, models.Document, "display_from", "display_until")


def _billing(database, migrator):
    """5: invoicing run and PayFiP: which line bills each booking, payment attempts' details,
    reminders of unpaid invoices."""
    database.create_tables([models.InvoicedBooking], safe=True)
    _add_missing_columns(database, migrator, models.Invoice, "reminded_at")
    _add_missing_columns(database, migrator, models.Payment, "user", "method", "reference",
                         "refdet", "expires_at", "outcome", "checked_at")


def _add_attendance(database, migrator):
    """6: the attendance registers (présent / absent / excusé per booked child and day)."""
    database.create_tables([models.Attendance], safe=True)


def _add_school_year_published(database, migrator):
    """7: school years can be drafts (prepared by the administrateur, not yet published)."""
    _add_missing_columns(database, migrator, models.SchoolYear, "is_published")


def _add_schools(database, migrator):
    """8: the commune's schools (kind, levels taught, where GS pupils go for CP)."""
    database.create_tables([models.School], safe=True)


def _year_lines(database, migrator):
    """11: a line can be closed from a date (Désinscrire), lines can exclude each other,
    a child's level and school of next year (moving up), the price adjustments of a
    quotient validated from a past date."""
    database.create_tables([models.PriceAdjustment], safe=True)
    _add_missing_columns(database, migrator, models.Enrolment, "closed_from", "closed_reason")
    _add_missing_columns(database, migrator, models.Activity, "exclusive_group")
    _add_missing_columns(database, migrator, models.Child, "next_year", "next_class_level",
                         "next_school_name")


def _commune_settings(database, migrator):
    """9: the commune's settings as data: addresses, régie, deadline day, main inscription
    period, logo; the messagerie's services can be deactivated and carry their themes."""
    _add_missing_columns(database, migrator, models.Commune, "address", "phone",
                         "regie_address", "regie_hours", "deadline_day",
                         "main_period_opens_month", "main_period_opens_day",
                         "main_period_closes_month", "main_period_closes_day",
                         "logo", "logo_type")
    _add_missing_columns(database, migrator, models.ServiceMailbox, "active", "themes")


def _families_import_and_children(database, migrator):
    """10: families imported from a file and invited, children's sex and archiving,
    children declared by their family, guardians' civility."""
    database.create_tables([models.ChildDeclaration, models.GuardianDeclaration,
                            models.InvitationSent], safe=True)
    _add_missing_columns(database, migrator, models.Child, "sex", "archived_at")
    _add_missing_columns(database, migrator, models.Guardian, "civility")
    _add_missing_columns(database, migrator, models.Family, "imported_at")


def _attendance_that_counts(database, migrator):
    """13: excused absences with a justification, children added on site, and the
    commune's choice of billing excused absences."""
    _add_missing_columns(database, migrator, models.Commune, "bill_excused_absences")
    _add_missing_columns(database, migrator, models.Attendance, "justification",
                         "added_on_site")


def _closures(database, migrator):
    """12: closures of the commune or of one school over a range of days, and the
    bookings each cancelled (so that "Rouvrir" can restore them)."""
    database.create_tables([models.Closure, models.ClosedBooking], safe=True)
    _add_missing_columns(database, migrator, models.DayOverride, "school", "closure")


def _add_direct_debit(database, migrator):
    """15: SEPA direct debit: mandates, collections and their debits, the commune's
    creditor identifier, account, debit day and rejection fee."""
    database.create_tables([models.Mandate, models.DebitCollection, models.DebitItem],
                           safe=True)
    _add_missing_columns(database, migrator, models.Commune, "sepa_creditor_id",
                         "sepa_creditor_iban", "sepa_creditor_bic", "debit_day",
                         "debit_rejection_fee_cents")


def _add_reminder_levels(database, migrator):
    """16: reminders in levels set by the commune, each sent once per invoice, and the
    invoices handed over to the Trésor public after the last."""
    database.create_tables([models.InvoiceReminder], safe=True)
    _add_missing_columns(database, migrator, models.Commune, "reminder_days")
    _add_missing_columns(database, migrator, models.Invoice, "handed_over_at")


def _add_calendar_feeds(database, migrator):
    """17: the families' private calendar addresses (iCalendar feeds)."""
    database.create_tables([models.CalendarFeed], safe=True)


def _family_data_and_notifications(database, migrator):
    """18: emails a family user refused, reminders sent before deadlines, and the
    outbox's extra headers (``List-Unsubscribe``)."""
    database.create_tables([models.EmailOptOut, models.DeadlineReminder], safe=True)
    _add_missing_columns(database, migrator, models.OutgoingEmail, "headers")


def _declared_illness(database, migrator):
    """19: "mon enfant est malade": the certificate's delay and the declared absences."""
    _add_missing_columns(database, migrator, models.Commune, "certificate_delay_days")
    _add_missing_columns(database, migrator, models.Attendance, "illness", "declared_at",
                         "certificate", "credited_at")


def _waiting_list(database, migrator):
    """20: the waiting lists of full days."""
    database.create_tables([models.WaitingListEntry], safe=True)


def _regies(database, migrator):
    """21: régies, each with its activities, its invoice numbering and its PayFiP number;
    the existing activities and invoices go to one main régie that keeps today's numbers
    (``F``, ``A``) and the portal's PayFiP number, so nothing changes for one régie."""
    database.create_tables([models.Regie], safe=True)
    _add_missing_columns(database, migrator, models.Activity, "regie")
    _add_missing_columns(database, migrator, models.Invoice, "regie")
    main = models.Regie.select().order_by(models.Regie.id).first()
    if main is None:
        main = models.Regie.create(name=models.MAIN_REGIE_NAME, invoice_prefix="F",
                                   credit_prefix="A")
    models.Activity.update(regie=main).where(models.Activity.regie.is_null()).execute()
    models.Invoice.update(regie=main).where(models.Invoice.regie.is_null()).execute()


def _guardians_accounts(database, migrator):
    """22: a login per legal guardian: each family account names its guardian, and the
    pending changes and bookings who made them. An existing family account belongs to
    the guardian with its email, else to the family's first guardian."""
    _add_missing_columns(database, migrator, models.User, "guardian")
    _add_missing_columns(database, migrator, models.PendingChange, "made_by")
    _add_missing_columns(database, migrator, models.Booking, "booked_by")
    taken = {user.guardian_id for user in models.User.select(models.User.guardian)
             .where(models.User.guardian.is_null(False))}
    users = (models.User.select(models.User.id, models.User.email, models.User.family)
             .where((models.User.role == models.User.ROLE_FAMILY)
                    & models.User.family.is_null(False) & models.User.guardian.is_null(True))
             .order_by(models.User.id))
    for user in users:
        guardians = list(models.Guardian.select()
                         .where(models.Guardian.family == user.family_id)
                         .order_by(models.Guardian.position, models.Guardian.id))
        free = [g for g in guardians if g.id not in taken]
        email = (user.email or "").strip().lower()
        match = next((g for g in free if email and g.email.strip().lower() == email), None)
        if match is None and free and free[0].position == 1:
            match = free[0]
        if match is not None:
            taken.add(match.id)
            models.User.update(guardian=match.id).where(models.User.id == user.id).execute()


def _debit_collection_cancelled(database, migrator):
    """23: a collection cancelled by the administrateur (the bank refused the whole file):
    when, by whom and why."""
    _add_missing_columns(database, migrator, models.DebitCollection, "cancelled_at",
                         "cancelled_by", "cancel_reason")


def _not_here_yet(database, migrator):
    """A version taken by work merged separately: nothing to do in this tree."""


#: version -> function(database, migrator) bringing version-1 to version.
STEPS = {2: _outbox_claims, 3: _qf_effective_from, 4: _back_office_accounts_and_content,
         5: _billing, 6: _add_attendance, 7: _add_school_year_published,
         8: _add_schools, 9: _commune_settings, 10: _families_import_and_children,
         11: _year_lines, 12: _closures, 13: _attendance_that_counts, 14: _not_here_yet,
         15: _add_direct_debit, 16: _add_reminder_levels,
         17: _add_calendar_feeds, 18: _family_data_and_notifications,
         19: _declared_illness, 20: _waiting_list, 21: _regies,
         22: _guardians_accounts, 23: _debit_collection_cancelled}


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
            models.Regie.create(name=models.MAIN_REGIE_NAME, invoice_prefix="F",
                                credit_prefix="A")
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
