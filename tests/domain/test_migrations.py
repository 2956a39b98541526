"""The schema has a version and a migration path that keeps families' data."""
import datetime

import pytest
from peewee import CharField, SqliteDatabase
from playhouse.migrate import migrate

import migrations
import models
from models import Family, SchemaVersion


def test_fresh_database_is_at_the_current_version(db):
    assert migrations.current_version(db.obj) == models.SCHEMA_VERSION
    assert SchemaVersion.select().count() == 1
    # Upgrading again changes nothing and keeps every row.
    families = Family.select().count()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert Family.select().count() == families == 3


@pytest.fixture
def restore_schema(db):
    """Put the schema back as it was: the PostgreSQL database is shared by the run."""
    version = models.SCHEMA_VERSION
    yield
    if "nickname" in [c.name for c in db.get_columns("family")]:
        migrate(migrations.SchemaMigrator.from_database(db.obj).drop_column("family", "nickname"))
    SchemaVersion.update(version=version).execute()


def test_an_upgrade_step_runs_once_and_keeps_the_data(db, monkeypatch, restore_schema):
    def add_nickname(database, migrator):
        migrate(migrator.add_column("family", "nickname", CharField(default="")))

    monkeypatch.setattr(models, "SCHEMA_VERSION", models.SCHEMA_VERSION + 1)
    monkeypatch.setitem(migrations.STEPS, models.SCHEMA_VERSION, add_nickname)
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert SchemaVersion.get().version == models.SCHEMA_VERSION
    columns = [c.name for c in db.get_columns("family")]
    assert "nickname" in columns
    assert [f.account_number for f in Family.select().order_by(Family.account_number)] == \
        [16122, 16123, 16124]
    # Running it again is a no-op (the step is not applied twice).
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION


def test_a_database_newer_than_the_code_is_refused(db, restore_schema):
    SchemaVersion.update(version=models.SCHEMA_VERSION + 5).execute()
    with pytest.raises(RuntimeError, match="newer"):
        migrations.upgrade(db.obj)


def test_step_3_adds_the_qf_effective_date_and_keeps_the_declarations(db, restore_schema):
    """A version-2 database (no QFDeclaration.effective_from) is brought to version 3."""
    from models import QFDeclaration
    table = QFDeclaration._meta.table_name
    migrate(migrations.SchemaMigrator.from_database(db.obj).drop_column(table,
                                                                        "effective_from"))
    SchemaVersion.update(version=2).execute()
    declarations = QFDeclaration.select(QFDeclaration.id).count()
    assert "effective_from" not in [c.name for c in db.get_columns(table)]
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert "effective_from" in [c.name for c in db.get_columns(table)]
    assert QFDeclaration.select().count() == declarations > 0
    assert all(d.effective_from is None for d in QFDeclaration.select())


NEW_IN_4 = {"user": ["totp_secret", "totp_enabled_at", "totp_last_step"],
            "message_thread": ["treated_at", "treated_by_id"],
            "news": ["updated_at", "withdrawn_at"],
            "document": ["display_from", "display_until"]}


def test_step_4_adds_the_back_office_columns_and_tables_and_keeps_the_data(db):
    """From a version-3 database (without the second factor, "traité", services'
    addresses, news withdrawal and documents' dates) to version 4."""
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    db.obj.drop_tables([models.RecoveryCode, models.ServiceMailbox])
    sqlite = isinstance(db.obj, migrations.SqliteDatabase)
    if sqlite:
        db.obj.pragma("foreign_keys", 0)
    for table, columns in NEW_IN_4.items():
        # SQLite cannot drop a foreign key column in place: the table is rebuilt.
        extra = {"legacy": True} if sqlite else {}
        migrate(*[migrator.drop_column(table, column, **extra) for column in columns])
    if sqlite:
        db.obj.pragma("foreign_keys", 1)
    SchemaVersion.update(version=3).execute()
    news = [n.title for n in models.News.select(models.News.id, models.News.title)
            .order_by(models.News.id)]

    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    for table, columns in NEW_IN_4.items():
        present = {c.name for c in db.get_columns(table)}
        assert set(columns) <= present, table
    assert db.table_exists("recovery_code") and db.table_exists("service_mailbox")
    assert [n.title for n in models.News.select().order_by(models.News.id)] == news
    assert all(not n.withdrawn_at for n in models.News.select())
    assert models.User.get(models.User.email == "agent@mairie.example.org").totp_secret is None


def test_step_6_adds_the_attendance_registers(db):
    db.drop_tables([models.Attendance])
    SchemaVersion.update(version=5).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("attendance")
    assert models.Attendance.select().count() == 0
    assert Family.select().count() == 3


def test_step_5_adds_billing_tables_and_columns_keeping_invoices_and_payments(db):
    """From schema 4 (before the invoicing run and PayFiP) to 5: InvoicedBooking, the
    payment attempts' columns and Invoice.reminded_at, with every invoice kept."""
    from models import Invoice, InvoicedBooking, Payment
    invoices = [(i.number, i.total_cents) for i in Invoice.select().order_by(Invoice.id)]
    payments = [p.amount_cents for p in Payment.select()]
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    db.obj.drop_tables([InvoicedBooking])
    sqlite = isinstance(db.obj, SqliteDatabase)
    legacy = {"legacy": True} if sqlite else {}
    if sqlite:  # rebuilding tables, as migrations.upgrade does
        db.obj.pragma("foreign_keys", 0)
    migrate(*[migrator.drop_column("payment", name, **legacy) for name in (
        "user_id", "method", "reference", "refdet", "expires_at", "outcome", "checked_at")],
        migrator.drop_column("invoice", "reminded_at", **legacy))
    if sqlite:
        db.obj.pragma("foreign_keys", 1)
    SchemaVersion.update(version=4).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.obj.table_exists("invoiced_booking")
    assert {"user_id", "method", "refdet", "expires_at", "outcome"} <= {
        c.name for c in db.get_columns("payment")}
    assert [(i.number, i.total_cents) for i in Invoice.select().order_by(Invoice.id)] == invoices
    assert [p.amount_cents for p in Payment.select()] == payments


@pytest.fixture
def restore_published(db):
    yield
    if "is_published" not in [c.name for c in db.get_columns("school_year")]:
        migrate(migrations.SchemaMigrator.from_database(db.obj).add_column(
            "school_year", "is_published", models.SchoolYear.is_published))
    SchemaVersion.update(version=models.SCHEMA_VERSION).execute()


def test_step_7_adds_published_school_years_keeping_the_year(db, restore_published):
    migrate(migrations.SchemaMigrator.from_database(db.obj).drop_column("school_year",
                                                                        "is_published"))
    SchemaVersion.update(version=6).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    year = models.SchoolYear.get()
    assert year.label == "2026/2027" and year.is_published is True


def test_step_8_adds_the_schools_keeping_the_children(db):
    children = models.Child.select().count()
    # Closures (step 12) refer to schools: PostgreSQL drops those constraints with it.
    db.drop_tables([models.School],
                   cascade=not isinstance(db.obj, migrations.SqliteDatabase))
    SchemaVersion.update(version=7).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("school")
    assert models.School.select().count() == 0
    assert models.Child.select().count() == children


def test_step_11_adds_closed_lines_exclusive_groups_and_next_levels_keeping_the_rows(db):
    """A version-10 database (no closing date on lines, no exclusive groups, no next
    year's level) is brought to 11 with every enrolment, activity and child kept."""
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    counts = (models.Enrolment.select().count(), models.Activity.select().count(),
              models.Child.select().count())
    db.drop_tables([models.PriceAdjustment])
    migrate(migrator.drop_column("enrolment", "closed_from"),
            migrator.drop_column("enrolment", "closed_reason"),
            migrator.drop_column("activity", "exclusive_group"),
            migrator.drop_index("child", "child_next_year_id"),
            migrator.drop_column("child", "next_year_id"),
            migrator.drop_column("child", "next_class_level"),
            migrator.drop_column("child", "next_school_name"))
    SchemaVersion.update(version=10).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert {"closed_from", "closed_reason"} <= {c.name for c in db.get_columns("enrolment")}
    assert "exclusive_group" in {c.name for c in db.get_columns("activity")}
    assert {"next_year_id", "next_class_level", "next_school_name"} <= {
        c.name for c in db.get_columns("child")}
    assert (models.Enrolment.select().count(), models.Activity.select().count(),
            models.Child.select().count()) == counts
    assert models.Enrolment.select().where(models.Enrolment.closed_from.is_null(False)).count() == 0
    assert db.table_exists("price_adjustment")
def test_step_9_adds_the_commune_settings_keeping_the_commune_and_the_services(db):
    """From schema 8 to 9: the commune's addresses, deadline day, main period and logo, and
    the services' "active" and themes; the commune's name and the services' emails stay."""
    name = models.Commune.get().name
    models.ServiceMailbox.create(service="Scolarité", email="scolarite@mairie.example.org")
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    sqlite = isinstance(db.obj, SqliteDatabase)
    legacy = {"legacy": True} if sqlite else {}
    commune_columns = ("address", "phone", "regie_address", "regie_hours", "deadline_day",
                       "main_period_opens_month", "main_period_opens_day",
                       "main_period_closes_month", "main_period_closes_day", "logo",
                       "logo_type")
    migrate(*[migrator.drop_column("commune", column, **legacy) for column in commune_columns],
            *[migrator.drop_column("service_mailbox", column, **legacy)
              for column in ("active", "themes")])
    SchemaVersion.update(version=8).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert set(commune_columns) <= {c.name for c in db.get_columns("commune")}
    row = models.Commune.get()
    assert row.name == name and row.deadline_day == 20
    mailbox = models.ServiceMailbox.get(models.ServiceMailbox.service == "Scolarité")
    assert mailbox.email == "scolarite@mairie.example.org" and mailbox.active is True


def test_step_10_adds_children_sex_archiving_declarations_and_invitations(db):
    """From a version-9 database: children get a sex and an archive date (none archived),
    guardians a civility, families an import date; declarations and invitations tables."""
    children = models.Child.select().count()
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    db.drop_tables([models.ChildDeclaration, models.GuardianDeclaration, models.InvitationSent])
    sqlite = isinstance(db.obj, migrations.SqliteDatabase)
    if sqlite:
        db.obj.pragma("foreign_keys", 0)
    try:
        migrate(migrator.drop_column("child", "sex"), migrator.drop_column("child", "archived_at"),
                migrator.drop_column("guardian", "civility"),
                migrator.drop_column("family", "imported_at"))
    finally:
        if sqlite:
            db.obj.pragma("foreign_keys", 1)
    SchemaVersion.update(version=9).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert {"sex", "archived_at"} <= {c.name for c in db.get_columns("child")}
    assert "civility" in {c.name for c in db.get_columns("guardian")}
    assert db.table_exists("child_declaration") and db.table_exists("invitation_sent")
    assert db.table_exists("guardian_declaration")
    assert models.Child.select().where(models.Child.archived_at.is_null()).count() == children


NEW_IN_13 = {"commune": ["bill_excused_absences"],
             "attendance": ["justification", "added_on_site"]}


def test_step_13_adds_attendance_that_counts_keeping_the_marks(db):
    """From a version-12 database (no justification, no child added on site, no billing
    choice) to version 13: the marks and the commune stay, excused days are not billed."""
    kid = models.Child.select().first()
    activity = models.Activity.select().first()
    models.Attendance.create(child=kid, activity=activity, date="2027-01-12",
                             status=models.Attendance.EXCUSED)
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    sqlite = isinstance(db.obj, migrations.SqliteDatabase)
    if sqlite:
        db.obj.pragma("foreign_keys", 0)
    migrate(*[migrator.drop_column(table, name) for table, names in NEW_IN_13.items()
              for name in names])
    if sqlite:
        db.obj.pragma("foreign_keys", 1)
    SchemaVersion.update(version=12).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    for table, names in NEW_IN_13.items():
        assert set(names) <= {c.name for c in db.get_columns(table)}
    [mark] = models.Attendance.select()
    assert (mark.status, mark.justification, mark.added_on_site) == ("excuse", "", False)
    commune = models.Commune.get()
    assert commune.name and commune.bill_excused_absences is False


def test_step_15_adds_direct_debit_keeping_the_commune(db):
    name = models.Commune.get().name
    db.drop_tables([models.DebitItem, models.DebitCollection, models.Mandate])
    SchemaVersion.update(version=14).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("mandate") and db.table_exists("debit_item")
    assert models.Commune.get().name == name
    assert models.Commune.get().debit_day == 15


def test_step_16_adds_reminder_levels_keeping_the_invoices(db):
    invoices = models.Invoice.select().count()
    db.drop_tables([models.InvoiceReminder])
    SchemaVersion.update(version=15).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("invoice_reminder")
    assert models.Invoice.select().count() == invoices
    assert models.Invoice.select().where(models.Invoice.handed_over_at.is_null()).count() \
        == invoices


@pytest.mark.parametrize("step, model", [(17, models.CalendarFeed),
                                         (20, models.WaitingListEntry)],
                         ids=["17-calendar-feeds", "20-waiting-lists"])
def test_a_step_that_adds_a_table_creates_it(db, step, model):
    """Steps 17 (the families' calendar feeds) and 20 (the waiting lists of full days)
    each create their table on a database of the version before."""
    db.drop_tables([model])
    SchemaVersion.update(version=step - 1).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists(model._meta.table_name)


def test_step_12_adds_closures_and_their_cancelled_bookings_keeping_the_overrides(db):
    """A version-11 database (no Closure, no DayOverride.school/closure) reaches 12."""
    table = models.DayOverride._meta.table_name
    overrides = models.DayOverride.select().count()
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    sqlite = isinstance(db.obj, migrations.SqliteDatabase)
    if sqlite:
        db.obj.pragma("foreign_keys", 0)
    # SQLite cannot drop a foreign key column in place: the table is rebuilt.
    extra = {"legacy": True} if sqlite else {}
    migrate(migrator.drop_column(table, "school_id", **extra),
            migrator.drop_column(table, "closure_id", **extra))
    if sqlite:
        db.obj.pragma("foreign_keys", 1)
    db.drop_tables([models.ClosedBooking, models.Closure])
    SchemaVersion.update(version=11).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("closure") and db.table_exists("closed_booking")
    assert {"school_id", "closure_id"} <= {c.name for c in db.get_columns(table)}
    assert models.DayOverride.select().count() == overrides > 0


def test_step_18_adds_email_choices_deadline_reminders_and_mail_headers(db):
    """Step 18 creates the opt-outs and the reminders' record and gives the outbox its
    headers column, keeping the emails already queued."""
    emails = models.OutgoingEmail.select().count()
    db.drop_tables([models.EmailOptOut, models.DeadlineReminder])
    migrate(migrations.SchemaMigrator.from_database(db.obj)
            .drop_column("outgoing_email", "headers"))
    SchemaVersion.update(version=17).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert db.table_exists("email_opt_out") and db.table_exists("deadline_reminder")
    assert "headers" in [c.name for c in db.get_columns("outgoing_email")]
    assert models.OutgoingEmail.select().count() == emails


def test_step_19_adds_the_certificate_delay_and_the_declared_illness_columns(db):
    """Step 19 gives the commune its certificate delay (7 days by default) and the
    attendance its declared illness, review and certificate, keeping the marks."""
    marks = models.Attendance.select().count()
    m = migrations.SchemaMigrator.from_database(db.obj)
    drops = [m.drop_column("commune", "certificate_delay_days"),
             m.drop_column("attendance", "illness"), m.drop_column("attendance", "declared_at"),
             m.drop_column("attendance", "credited_at")]
    if not isinstance(db.obj, migrations.SqliteDatabase):  # SQLite keeps its foreign keys
        drops.append(m.drop_column("attendance", "certificate_id"))
    migrate(*drops)
    SchemaVersion.update(version=18).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert "certificate_delay_days" in [c.name for c in db.get_columns("commune")]
    assert {"illness", "declared_at", "certificate_id", "credited_at"} <= {
        c.name for c in db.get_columns("attendance")}
    assert models.Attendance.select().count() == marks


def test_step_21_puts_every_activity_and_invoice_in_one_main_regie_keeping_the_numbers(db):
    """Step 21 makes one régie that bills every activity with today's numbering (F…, A…)
    and the portal's PayFiP number: a commune with one régie sees nothing change."""
    invoices = models.Invoice.select().count()
    activities = models.Activity.select().count()
    migrator = migrations.SchemaMigrator.from_database(db.obj)
    sqlite = isinstance(db.obj, migrations.SqliteDatabase)
    if sqlite:
        db.obj.pragma("foreign_keys", 0)
    extra = {"legacy": True} if sqlite else {}  # SQLite rebuilds a table to drop a foreign key
    migrate(migrator.drop_column("activity", "regie_id", **extra),
            migrator.drop_column("invoice", "regie_id", **extra))
    if sqlite:
        db.obj.pragma("foreign_keys", 1)
    db.drop_tables([models.Regie])
    SchemaVersion.update(version=20).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    [main] = models.Regie.select()
    assert (main.name, main.invoice_prefix, main.credit_prefix, main.payfip_client) == (
        "Régie des accueils périscolaires", "F", "A", "")
    assert models.Activity.select().where(models.Activity.regie == main).count() \
        == activities > 0
    assert models.Invoice.select().where(models.Invoice.regie == main).count() \
        == invoices > 0
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION  # again: nothing more
    assert models.Regie.select().count() == 1


def test_step_22_gives_each_family_account_its_guardian_and_who_made_each_change(db):
    """Step 22 adds who made each pending change and booking, and ties each existing
    family account to its guardian: the one with its email, else the first guardian."""
    bookings = models.Booking.select().count()
    dupont = Family.get(Family.account_number == 16122)
    julie = models.Guardian.get((models.Guardian.family == dupont)
                                & (models.Guardian.position == 1))
    account = models.User.get(models.User.family == dupont)
    # An account whose email no guardian has goes to the first guardian.
    models.User.update(email="autre.adresse@example.org").where(
        models.User.id == account.id).execute()
    models.User.update(guardian=None).execute()
    if not isinstance(db.obj, migrations.SqliteDatabase):  # SQLite keeps its foreign keys
        m = migrations.SchemaMigrator.from_database(db.obj)
        migrate(m.drop_column("booking", "booked_by_id"),
                m.drop_column("pending_change", "made_by_id"),
                m.drop_column("user", "guardian_id"))
    SchemaVersion.update(version=20).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert "booked_by_id" in [c.name for c in db.get_columns("booking")]
    assert "made_by_id" in [c.name for c in db.get_columns("pending_change")]
    assert models.User.get_by_id(account.id).guardian_id == julie.id
    # Karim BERNARD's own account (16123) keeps his guardian, matched by his email.
    karim = models.User.get(models.User.email == "karim.bernard@example.org")
    assert karim.guardian.first_name == "Karim" and karim.guardian.position == 2
    nadia = models.User.get(models.User.email == "famille.bernard@example.org")
    assert nadia.guardian.first_name == "Nadia"
    assert models.Booking.select().count() == bookings


def test_step_23_adds_the_cancellation_of_a_collection_keeping_the_collections(db):
    """Step 23: when, by whom and why a debit collection was cancelled (the bank refused
    the whole file); the collections there were stay, none cancelled."""
    models.DebitCollection.create(period_year=2027, period_month=1,
                                  collection_date=datetime.date(2027, 2, 15),
                                  message_id="PF-AVANT-23", total_cents=100, count=1)
    m = migrations.SchemaMigrator.from_database(db.obj)
    migrate(m.drop_column("debit_collection", "cancelled_at"),
            m.drop_column("debit_collection", "cancel_reason"))
    if not isinstance(db.obj, migrations.SqliteDatabase):  # SQLite keeps its foreign keys
        migrate(m.drop_column("debit_collection", "cancelled_by_id"))
    assert "cancel_reason" not in [c.name for c in db.get_columns("debit_collection")]
    SchemaVersion.update(version=22).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION == 23
    columns = {c.name for c in db.get_columns("debit_collection")}
    assert {"cancelled_at", "cancelled_by_id", "cancel_reason"} <= columns
    [kept] = models.DebitCollection.select()
    assert kept.message_id == "PF-AVANT-23" and not kept.is_cancelled
    assert kept.cancel_reason == ""
