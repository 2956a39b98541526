"""The whole domain of Portail Famille as peewee models.

Later work adds behaviour (in ``domain/``), not tables. Money is stored as
integer cents. The database itself is chosen at run time through ``db``
(a :class:`peewee.DatabaseProxy`) by :func:`init_database`.
"""

import os
import sqlite3
import threading

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    InterfaceError,
    Model,
    OperationalError,
    SmallIntegerField,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

# The portal's one clock gives every stored timestamp (naive UTC, the storage convention of
# each DateTimeField). domain.clock imports nothing of the project: .importlinter allows
# this one import of the domain by the models.
from domain.clock import utc_now

db = DatabaseProxy()

#: What peewee raises when the database is down, restarting or unreachable.
DATABASE_DOWN = (OperationalError, InterfaceError)

#: Bumped by every migration in ``migrations.py``; stored in ``SchemaVersion``.
SCHEMA_VERSION = 23


#: The largest value of an "integer" column on PostgreSQL: every id, every account number.
MAX_ID = 2**31 - 1


def parse_id(raw):
    """The id (or account number) written in ``raw``: ASCII digits within the column's
    range, else None. The one way to read an id typed, posted or put in a URL
    (``int()`` would read "١٦" as 16 and fail on "²")."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def init_database(url, pool_size=20, pool_wait=10):
    """Bind ``db`` to the database named by ``url`` (sqlite:/// or postgresql://).

    PostgreSQL connections are pooled per process (``playhouse.pool``; a new one
    costs the server about 8 ms of CPU): ``db.close()`` at the end of a request gives
    the connection back to the pool, which pings it when it is taken again (so a
    restarted server costs no failed request) and rolls back anything left open. At
    most ``pool_size`` connections per process; a request waits ``pool_wait`` seconds
    for one.

    SQLite is not free to open either: opening the file and setting its 4 PRAGMAs, then
    closing it (the last connection's close checkpoints and deletes the WAL, which the
    next write recreates and syncs) took a third of a server's time per request. So a
    server keeps one SQLite connection per worker thread (:class:`KeptSqliteDatabase`).
    """
    from playhouse.pool import PooledDatabase
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()  # the previous pool of this process (tests rebind)
    if url.startswith("sqlite"):
        from playhouse.db_url import parse
        database = KeptSqliteDatabase(
            parse(url)["database"],
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": 30000,
                "foreign_keys": 1,
                "synchronous": "normal",
            },
            timeout=30,
        )
    else:
        scheme, rest = url.split("://", 1)
        database = connect(scheme.split("+")[0] + "+pool://" + rest,
                           max_connections=pool_size, stale_timeout=300, timeout=pool_wait)
    db.initialize(database)
    return database


class KeptSqliteDatabase(SqliteDatabase):
    """SQLite as a server uses it: one connection per thread, opened (with its PRAGMAs)
    by the first request of that thread and kept for the next ones.

    :meth:`open_for_request` checks the kept connection before reuse and replaces a
    dead one (closed underneath), one inherited from another process (a fork) or a
    stale one (the database file replaced or removed since it was opened).
    :meth:`end_of_request` rolls back whatever the request left uncommitted, as closing
    the connection did, and keeps the connection. A connection that a test or a
    command opened itself (``db.connect()``, ``connection_context()``) is used as it is
    and left to its owner, as before. ``opens`` counts the connections opened.
    """

    def __init__(self, *args, **kwargs):
        self.opens = 0
        self._kept = threading.local()  # .conn, .pid, .identity of this thread's own
        super().__init__(*args, **kwargs)

    def _connect(self):
        conn = super()._connect()
        self.opens += 1  # under the database's lock (``connect``)
        return conn

    def _file_identity(self):
        if self.database == ":memory:" or self.database.startswith("file:"):
            return None
        try:
            stat = os.stat(self.database)
        except OSError:
            return "gone"
        return (stat.st_dev, stat.st_ino)

    def _owns_open_connection(self):
        return not self.is_closed() and self._state.conn is getattr(self._kept, "conn", None)

    def _still_good(self, conn):
        try:
            conn.in_transaction  # raises on a closed connection
        except sqlite3.Error:
            return False
        return self._kept.pid == os.getpid() and self._kept.identity == self._file_identity()

    def open_for_request(self):
        """Make this thread's connection ready for a request; True when the request may
        end it (:meth:`end_of_request`), False when it belongs to a caller."""
        if not self.is_closed():
            if not self._owns_open_connection():
                return False
            if self._still_good(self._state.conn):
                return True
            self._drop_kept()
        self.connect()
        self._kept.conn = self._state.conn
        self._kept.pid = os.getpid()
        self._kept.identity = self._file_identity()
        return True

    def end_of_request(self):
        """What the request left uncommitted is rolled back (nothing, when every write
        went through ``db.atomic()`` or autocommit); the connection stays open."""
        if not self._owns_open_connection():
            return
        self._state.transactions = []
        self._state.ctx = []
        try:
            if self._state.conn.in_transaction:
                self._state.conn.rollback()
        except sqlite3.Error:
            self._drop_kept()

    def _drop_kept(self):
        conn = self._state.conn
        self._state.reset()
        self._kept.conn = None
        try:
            conn.close()
        except Exception:  # already closed, or another process's: nothing to give back
            pass


def open_request_connection():
    """The database connection of a request (``before_request``): this thread's kept
    SQLite connection, or one from the PostgreSQL pool. True when the request is to
    give it back at its end (:func:`close_request_connection`)."""
    database = db.obj
    if isinstance(database, KeptSqliteDatabase):
        return database.open_for_request()
    return db.connect(reuse_if_open=True)


def close_request_connection():
    """The end of a request that opened its connection: SQLite keeps it (what was left
    uncommitted rolled back), PostgreSQL's goes back to the pool."""
    database = db.obj
    if isinstance(database, KeptSqliteDatabase):
        database.end_of_request()
    elif not db.is_closed():
        db.close()


_ROW_STATEMENTS: dict = {}


def first_where(model, leave_out=(), **equals):
    """The first row of ``model`` whose columns equal ``equals`` (all of them when none is
    given), or None: ``model.get_or_none(...)`` for the few rows read by every request
    (the signed-in user, the commune), its statement written once per model, columns and
    backend (building it took peewee 30 times longer than SQLite took to run it). The
    fields named in ``leave_out`` are not read (a blob no one needs)."""
    names = tuple(sorted(equals))
    fields = [field for field in model._meta.sorted_fields if field.name not in leave_out]
    key = (model, names, tuple(leave_out), db.param, type(db.obj).__name__)
    sql = _ROW_STATEMENTS.get(key)
    if sql is None:
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        where = " AND ".join(f'"{model._meta.fields[name].column_name}" = {db.param}'
                             for name in names)
        sql = _ROW_STATEMENTS[key] = (f'SELECT {columns} FROM "{model._meta.table_name}"'
                                      + (f" WHERE {where}" if where else "") + " LIMIT 1")
    row = db.execute_sql(sql, [model._meta.fields[name].db_value(equals[name])
                               for name in names]).fetchone()
    if row is None:
        return None
    instance = model.__new__(model)
    instance.__data__ = {field.name: field.python_value(value) for field, value in zip(fields, row)}
    instance._dirty, instance.__rel__ = set(), {}
    return instance


class BaseModel(Model):
    id = AutoField()  # what peewee adds implicitly, declared so that type checkers know it

    class Meta:
        database = db
        legacy_table_names = False


class SchemaVersion(BaseModel):
    """One row: the version of the schema the database holds."""

    version = IntegerField()


# --- Commune and people ------------------------------------------------------


class Commune(BaseModel):
    """Settings of the commune that are data rather than configuration."""

    name = CharField()
    holiday_zone = CharField(max_length=1, default="C")
    contact_email = CharField(null=True)
    # What families read on invoices, the payment page and the recap emails.
    address = CharField(default="")
    phone = CharField(default="")
    regie_address = CharField(default="")
    regie_hours = CharField(default="")
    # The monthly deadline: changes for month M+1 until this day of month M, 23:59 Paris.
    deadline_day = SmallIntegerField(default=20)
    # The main inscription period before a school year: (month, day) of its first and last day.
    main_period_opens_month = SmallIntegerField(default=3)
    main_period_opens_day = SmallIntegerField(default=10)
    main_period_closes_month = SmallIntegerField(default=8)
    main_period_closes_day = SmallIntegerField(default=20)
    # An optional logo, re-encoded by Pillow (PNG or JPEG), shown in the header and on PDFs.
    logo = BlobField(null=True)
    logo_type = CharField(default="")
    # SEPA direct debit: the commune's creditor identifier (ICS), the account credited,
    # the day of the month debits are collected, and the fee billed for a rejected debit.
    sepa_creditor_id = CharField(default="")
    sepa_creditor_iban = CharField(default="")
    sepa_creditor_bic = CharField(default="")
    debit_day = SmallIntegerField(default=15)
    debit_rejection_fee_cents = IntegerField(default=0)
    # Reminders of an unpaid invoice: days after its due date, one reminder each, in order;
    # after the last, the invoice goes to the Trésor public.
    reminder_days = CharField(default="15,30")
    # Whether a day ticked "Excusé" with a justification (a medical certificate...) is
    # billed; by default it is not (the family does not pay a day it could not come).
    bill_excused_absences = BooleanField(default=False)
    # "Mon enfant est malade": days a family has to send the medical certificate after
    # declaring the illness (past it, a day without one is billed as usual).
    certificate_delay_days = SmallIntegerField(default=7)


class Family(BaseModel):
    """A family record (dossier famille), shown as ``Mon compte: [16122]``."""

    account_number = IntegerField(unique=True)
    name = CharField()
    address = CharField(default="")
    postal_code = CharField(default="")
    city = CharField(default="")
    created_at = DateTimeField(default=utc_now)
    # Set when a families' import wrote it (staff then invite those without a password).
    imported_at = DateTimeField(null=True)


class Guardian(BaseModel):
    """A responsable légal of the family."""

    family = ForeignKeyField(Family, backref="guardians", on_delete="CASCADE")
    last_name = CharField()
    first_name = CharField()
    relationship = CharField(default="")
    phone_mobile = CharField(default="")
    phone_home = CharField(default="")
    phone_work = CharField(default="")
    email = CharField(default="")
    profession = CharField(default="")
    employer = CharField(default="")
    position = SmallIntegerField(default=1)
    civility = CharField(default="")  # "Mme", "M." or empty


class User(BaseModel):
    """A person who signs in: a family member, an agent or an administrateur."""

    ROLE_FAMILY, ROLE_AGENT, ROLE_ADMIN = "family", "agent", "administrateur"

    email = CharField(unique=True, null=True)
    password_hash = CharField()
    role = CharField(default=ROLE_FAMILY)
    family = ForeignKeyField(Family, backref="users", null=True, on_delete="CASCADE")
    # The responsable légal this family account belongs to: each guardian may have their
    # own sign-in on the same family (what they do is recorded under their name).
    guardian = ForeignKeyField(Guardian, backref="accounts", null=True, on_delete="SET NULL")
    display_name = CharField(default="")
    # Rotated at sign-out and password change, so that old session cookies die.
    session_token = CharField()
    password_changed_at = DateTimeField(default=utc_now)
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utc_now)
    # Second factor (staff): the TOTP secret once enrolment is confirmed, and the
    # last 30-second step accepted, so that a code works once.
    totp_secret = CharField(null=True)
    totp_enabled_at = DateTimeField(null=True)
    totp_last_step = IntegerField(null=True)

    @property
    def is_staff(self):
        return self.role in (self.ROLE_AGENT, self.ROLE_ADMIN)

    @property
    def person_name(self):
        """Who this user is, to name them beside what they did: the guardian's
        « Nadia BERNARD », else the display name, else the email (join ``Guardian``
        when naming many users, so that this reads no row)."""
        if self.guardian_id is not None and self.guardian is not None:
            return f"{self.guardian.first_name} {self.guardian.last_name}".strip()
        return self.display_name or self.email or f"compte {self.id}"

    # Flask-Login: the session holds "id:token", refused once the token rotates.
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return f"{self.id}:{self.session_token}"


class RecoveryCode(BaseModel):
    """A single-use recovery code of a user's second factor, stored hashed."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utc_now)
    used_at = DateTimeField(null=True)


class LoginThrottle(BaseModel):
    """Failed sign-ins per identifier (existing account or not), across workers."""

    identifier = CharField(unique=True)
    consecutive_failures = IntegerField(default=0)
    last_failure_at = DateTimeField(null=True)
    day = DateField(null=True)
    day_failures = IntegerField(default=0)


class PickupPerson(BaseModel):
    """Someone allowed to pick up the children."""

    family = ForeignKeyField(Family, backref="pickup_people", on_delete="CASCADE")
    last_name = CharField()
    first_name = CharField()
    relationship = CharField(default="")
    phone = CharField(default="")


class School(BaseModel):
    """A school the commune's children attend; a child's ``school_name`` is one of these names."""

    MATERNELLE, ELEMENTAIRE, PRIMAIRE, PRIVEE, HORS_COMMUNE = (
        "maternelle", "elementaire", "primaire", "privee", "hors_commune")
    KIND_LABELS = {MATERNELLE: "maternelle", ELEMENTAIRE: "élémentaire", PRIMAIRE: "primaire",
                   PRIVEE: "privée", HORS_COMMUNE: "hors commune"}

    name = CharField(unique=True)
    kind = CharField(default=PRIMAIRE)
    # The levels it teaches, comma-separated in the order of Child.LEVELS ("TPS,PS,MS,GS").
    levels = CharField(default="")
    # Where its GS pupils go for CP (a maternelle's elementary school); null: they stay.
    next_school = ForeignKeyField("self", null=True, on_delete="SET NULL")
    archived = BooleanField(default=False)

    @property
    def level_list(self):
        """The levels taught, as a tuple in school order."""
        return tuple(level for level in self.levels.split(",") if level)

    @property
    def kind_label(self):
        return self.KIND_LABELS.get(self.kind, self.kind)


class Child(BaseModel):
    """A child of the family."""

    SCHOOL_PUBLIC, SCHOOL_PRIVATE, SCHOOL_OUTSIDE = "publique", "privee", "exterieure"
    SCHOOL_TYPE_LABELS = {
        SCHOOL_PUBLIC: "école publique",
        SCHOOL_PRIVATE: "école privée",
        SCHOOL_OUTSIDE: "école extérieure à la commune",
    }
    LEVELS = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
    MATERNELLE_LEVELS = ("TPS", "PS", "MS", "GS")

    family = ForeignKeyField(Family, backref="children", on_delete="CASCADE")
    first_name = CharField()
    last_name = CharField()
    birth_date = DateField(null=True)
    school_name = CharField(default="")
    school_type = CharField(default=SCHOOL_PUBLIC)
    class_level = CharField(max_length=3)
    photo_consent = BooleanField(default=False)  # droit à l'image
    # Moving up (set when next year is prepared, reviewed by staff): the level and school
    # of ``next_year``. ``class_level``/``school_name`` stay the current year's until then;
    # ``domain.catalogue.moving_up.level_in`` reads the right one for a year.
    # ``next_class_level`` LEAVES: the child leaves (after CM2, or leaves the commune).
    LEAVES = "sortie"
    next_year = DeferredForeignKey("SchoolYear", null=True, on_delete="SET NULL",
                                   backref="+", deferrable=None)
    next_class_level = CharField(max_length=10, default="")
    next_school_name = CharField(default="")
    SEX_LABELS = {"F": "fille", "M": "garçon"}
    sex = CharField(max_length=1, default="")  # "F", "M" or unknown ""
    # Archived by staff: gone from INSCRIPTION, PLANNING and the registers, kept in
    # history and on invoices (a child with bookings or invoices is never deleted).
    archived_at = DateTimeField(null=True)

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def school_type_label(self):
        """``école publique`` / ``école privée`` / ``école extérieure à la commune``."""
        return self.SCHOOL_TYPE_LABELS.get(self.school_type, self.school_type)

    #: The groups as the pages say them.
    GROUP_LABELS = {"maternel": "maternelle", "elementaire": "élémentaire"}

    @classmethod
    def group_of(cls, class_level):
        """``maternel`` or ``elementaire``, from a class level."""
        return "maternel" if class_level in cls.MATERNELLE_LEVELS else "elementaire"

    @property
    def group(self):
        return self.group_of(self.class_level)

    @property
    def group_label(self):
        """``maternelle`` or ``élémentaire``, as the pages say it."""
        return self.GROUP_LABELS[self.group]


class HealthRecord(BaseModel):
    """Fiche sanitaire of a child: shown only to the family and to staff."""

    child = ForeignKeyField(Child, backref="health_records", unique=True, on_delete="CASCADE")
    doctor_name = CharField(default="")
    doctor_phone = CharField(default="")
    allergies = TextField(default="")
    has_pai = BooleanField(default=False)
    pai_details = TextField(default="")
    diet = CharField(default="")  # medical diet only; nothing that reveals a religion
    updated_at = DateTimeField(default=utc_now)


class Vaccination(BaseModel):
    child = ForeignKeyField(Child, backref="vaccinations", on_delete="CASCADE")
    name = CharField()
    date = DateField()


class StoredFile(BaseModel):
    """An uploaded or generated file, stored outside ``static/`` under a generated name."""

    family = ForeignKeyField(Family, backref="files", null=True, on_delete="CASCADE")
    original_name = CharField()
    stored_name = CharField(unique=True)
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField(max_length=64)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utc_now)


# --- School year and catalogue -----------------------------------------------


class SchoolYear(BaseModel):
    """A school year, e.g. ``2026/2027``; data, never a constant."""

    label = CharField(unique=True)
    start_date = DateField()
    end_date = DateField()
    # A year being prepared (a draft) is hidden from families until published.
    is_published = BooleanField(default=True)


class QFBracket(BaseModel):
    """A quotient familial bracket of a school year; ``max_qf`` null = no upper bound."""

    school_year = ForeignKeyField(SchoolYear, backref="qf_brackets", on_delete="CASCADE")
    label = CharField()
    min_qf = IntegerField()
    max_qf = IntegerField(null=True)
    position = SmallIntegerField()


class Reviewed:
    """The statuses of what staff review (a QF declaration, a dossier update)."""

    PENDING, VALIDATED, REFUSED = "en_attente", "validee", "refusee"

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def is_validated(self):
        return self.status == self.VALIDATED

    @property
    def is_refused(self):
        return self.status == self.REFUSED


class QFDeclaration(Reviewed, BaseModel):
    """The family's declared quotient CAF; staff validate it."""

    family = ForeignKeyField(Family, backref="qf_declarations", on_delete="CASCADE")
    quotient = IntegerField()
    attestation = ForeignKeyField(StoredFile, null=True, on_delete="SET NULL")
    status = CharField(default=Reviewed.PENDING)
    declared_at = DateTimeField(default=utc_now)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    review_comment = TextField(default="")
    # The first day of service priced with this quotient (null: from its validation on).
    effective_from = DateField(null=True)


class ChildDeclaration(Reviewed, BaseModel):
    """A child the family declares from "Mes enfants"; staff validate it into a ``Child``."""

    family = ForeignKeyField(Family, backref="child_declarations", on_delete="CASCADE")
    first_name = CharField()
    last_name = CharField()
    birth_date = DateField()
    sex = CharField(max_length=1, default="")
    school_name = CharField(default="")
    class_level = CharField(max_length=3)
    document = ForeignKeyField(StoredFile, null=True, on_delete="SET NULL")
    status = CharField(default=Reviewed.PENDING)
    declared_at = DateTimeField(default=utc_now)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    review_comment = TextField(default="")
    child = ForeignKeyField(Child, null=True, on_delete="SET NULL")  # once validated


class GuardianDeclaration(Reviewed, BaseModel):
    """A second legal guardian the family declares from "Mes coordonnées"; staff validate
    it into the family's ``Guardian`` of position 2."""

    family = ForeignKeyField(Family, backref="guardian_declarations", on_delete="CASCADE")
    civility = CharField(default="")
    last_name = CharField()
    first_name = CharField()
    email = CharField(default="")
    phone_mobile = CharField(default="")
    phone_home = CharField(default="")
    status = CharField(default=Reviewed.PENDING)
    declared_at = DateTimeField(default=utc_now)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    review_comment = TextField(default="")


#: The régie made for a commune that has one (its numbers ``F…`` and ``A…``), named as
#: its invoices always said.
MAIN_REGIE_NAME = "Régie des accueils périscolaires"


class Regie(BaseModel):
    """A régie: collects what its activities bill, with invoice numbers of its own
    (``F2027-00001``, gapless per year) and its PayFiP client number."""

    name = CharField(unique=True)
    # Letters before the year in its numbers: invoices, credit notes (unique across régies).
    invoice_prefix = CharField(unique=True)
    credit_prefix = CharField(unique=True)
    # "": the portal's own number (``PAYFIP_NUMCLI``).
    payfip_client = CharField(default="")
    created_at = DateTimeField(default=utc_now)


class Activity(BaseModel):
    """One bookable service of a school year (ligne d'activité)."""

    # Categories drive the rules (deadlines, calendar, auto-booking).
    ALAE, RESTAURATION, GARDERIE, CL_MERCREDI, CLV, BUS_MERCREDI, BUS_VACANCES = (
        "alae", "restauration", "garderie", "cl_mercredi", "clv", "bus_mercredi", "bus_vacances",
    )
    # Who may enrol.
    FOR_ALL, FOR_MATERNEL, FOR_ELEMENTAIRE = "tous", "maternel", "elementaire"

    school_year = ForeignKeyField(SchoolYear, backref="activities", on_delete="CASCADE")
    name = CharField()
    category = CharField()
    audience = CharField(default=FOR_ALL)
    # False: only for children of the commune's public schools (ALAE, canteen...).
    open_to_other_schools = BooleanField(default=False)
    # ISO weekdays (1 = Monday) the activity runs on, e.g. "1,2,4,5".
    weekdays = CharField(default="")
    # For CLV and Vacances bus: the holiday period (Automne, Noël, Hiver, Printemps, Été).
    holiday_period = CharField(null=True)
    # Places per day; null = unlimited.
    capacity = IntegerField(null=True)
    tariff_label = CharField(default="")
    position = SmallIntegerField(default=0)
    # Lines of one group exclude each other ("ALAE SOIR": Soir 1 or Soir 2); "" = none.
    exclusive_group = CharField(default="")
    # The régie that bills it; null: the first régie (the commune's main one).
    regie = ForeignKeyField(Regie, null=True, backref="activities", on_delete="SET NULL")

    @property
    def full_label(self):
        return f"{self.school_year.label} - {self.name}"


class Modalite(BaseModel):
    """A bookable option of an activity for one day (modalité d'accueil)."""

    activity = ForeignKeyField(Activity, backref="modalites", on_delete="CASCADE")
    name = CharField()
    position = SmallIntegerField(default=0)


class Tariff(BaseModel):
    """Unit price of a modalité for a QF bracket, in cents."""

    modalite = ForeignKeyField(Modalite, backref="tariffs", on_delete="CASCADE")
    bracket = ForeignKeyField(QFBracket, backref="tariffs", on_delete="CASCADE")
    price_cents = IntegerField()

    class Meta:
        indexes = ((("modalite", "bracket"), True),)


class Closure(BaseModel):
    """Days staff closed (a strike, a school event): the whole commune or one school,
    one activity or all, one day or a range; ``reopened_at`` once lifted."""

    school = ForeignKeyField(School, null=True, on_delete="CASCADE")
    activity = ForeignKeyField(Activity, null=True, on_delete="CASCADE")
    first_day = DateField()
    last_day = DateField()
    reason = CharField(default="")
    created_at = DateTimeField(default=utc_now)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reopened_at = DateTimeField(null=True)


class DayOverride(BaseModel):
    """A day staff close or open, for one activity or (activity null) for all; with
    ``school``, a closure for that school's children only (part of a ``closure``)."""

    activity = ForeignKeyField(Activity, backref="day_overrides", null=True, on_delete="CASCADE")
    date = DateField(index=True)
    is_open = BooleanField(null=True)
    capacity = IntegerField(null=True)
    reason = CharField(default="")
    school = ForeignKeyField(School, null=True, on_delete="CASCADE")
    closure = ForeignKeyField(Closure, backref="days", null=True, on_delete="CASCADE")


class BookingWindow(BaseModel):
    """When the bookings of a holiday period (CLV) are open."""

    school_year = ForeignKeyField(SchoolYear, backref="booking_windows", on_delete="CASCADE")
    period = CharField()
    opens_on = DateField(null=True)
    closes_on = DateField()

    class Meta:
        indexes = ((("school_year", "period"), True),)


class DossierValidation(Reviewed, BaseModel):
    """The family's dossier update (actualisation) for a school year."""
    DRAFT = "en_cours"  # sections being checked by the family, not sent to staff yet

    family = ForeignKeyField(Family, backref="dossier_validations", on_delete="CASCADE")
    school_year = ForeignKeyField(SchoolYear, on_delete="CASCADE")
    status = CharField(default=Reviewed.PENDING)
    theme = CharField(default="")
    checked_sections = CharField(default="")  # comma-separated sections the family checked
    submitted_at = DateTimeField(null=True)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("family", "school_year"), True),)


class Enrolment(BaseModel):
    """An activity line opened for a child (inscription); validated once saved."""

    child = ForeignKeyField(Child, backref="enrolments", on_delete="CASCADE")
    activity = ForeignKeyField(Activity, backref="enrolments", on_delete="CASCADE")
    created_at = DateTimeField(default=utc_now)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    # Désinscrire: the first day the line no longer runs (null: open); its bookings from
    # that day were cancelled (never those already invoiced).
    closed_from = DateField(null=True)
    closed_reason = CharField(default="")

    @property
    def is_closed(self):
        return self.closed_from is not None

    class Meta:
        indexes = ((("child", "activity"), True),)


class Booking(BaseModel):
    """A committed booking of a day; the price is fixed when committed."""

    child = ForeignKeyField(Child, backref="bookings", on_delete="CASCADE")
    activity = ForeignKeyField(Activity, backref="bookings", on_delete="CASCADE")
    modalite = ForeignKeyField(Modalite, on_delete="CASCADE")
    date = DateField()
    price_cents = IntegerField()
    created_at = DateTimeField(default=utc_now)
    # Who chose this day (a guardian's account, or staff acting for the family).
    booked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = (
            (("child", "activity", "date"), True),
            (("activity", "date"), False),
        )


class CalendarFeed(BaseModel):
    """A family's private calendar address (iCalendar): the token is the only key to it.
    Revoked (or renewed, which revokes) it answers 410 Gone."""

    family = ForeignKeyField(Family, backref="calendar_feeds", on_delete="CASCADE")
    token = CharField(unique=True)
    created_at = DateTimeField(default=utc_now)
    revoked_at = DateTimeField(null=True)


class ClosedBooking(BaseModel):
    """A committed booking a closure cancelled, as it was: "Rouvrir" may restore it."""

    closure = ForeignKeyField(Closure, backref="cancelled", on_delete="CASCADE")
    child = ForeignKeyField(Child, on_delete="CASCADE")
    activity = ForeignKeyField(Activity, on_delete="CASCADE")
    modalite = ForeignKeyField(Modalite, on_delete="CASCADE")
    date = DateField()
    price_cents = IntegerField()
    restored = BooleanField(default=False)


class Attendance(BaseModel):
    """Whether a booked child came on a day (présent / absent / excusé), ticked by staff."""

    PRESENT, ABSENT, EXCUSED = "present", "absent", "excuse"
    LABELS = {PRESENT: "Présent", ABSENT: "Absent", EXCUSED: "Excusé"}

    child = ForeignKeyField(Child, backref="attendances", on_delete="CASCADE")
    activity = ForeignKeyField(Activity, backref="attendances", on_delete="CASCADE")
    date = DateField()
    status = CharField(max_length=10)
    marked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    marked_at = DateTimeField(default=utc_now)
    # "Excusé": the justification staff received (a medical certificate...), "" if none.
    justification = CharField(default="", max_length=200)
    # The child came without a booking: staff added it (and its booking), to check.
    added_on_site = BooleanField(default=False)
    # "Mon enfant est malade": declared by the family ("" when staff ticked it), the
    # justification's review by staff (attente / accepte / refuse) and the certificate.
    ILLNESS_PENDING, ILLNESS_ACCEPTED, ILLNESS_REFUSED = "attente", "accepte", "refuse"
    illness = CharField(default="", max_length=10)
    declared_at = DateTimeField(null=True)
    certificate = ForeignKeyField(StoredFile, null=True, on_delete="SET NULL")
    # An accepted illness day that had already been invoiced: when a later run credited it.
    credited_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("child", "activity", "date"), True),
            (("activity", "date"), False),
        )

    @property
    def status_label(self):
        return self.LABELS.get(self.status, self.status)


class PendingChange(BaseModel):
    """A change not yet committed (TERMINER): kept per family on the server."""

    BOOK, CANCEL = "reservation", "annulation"

    family = ForeignKeyField(Family, backref="pending_changes", on_delete="CASCADE")
    child = ForeignKeyField(Child, on_delete="CASCADE")
    activity = ForeignKeyField(Activity, on_delete="CASCADE")
    modalite = ForeignKeyField(Modalite, on_delete="CASCADE")
    date = DateField()
    action = CharField()
    created_at = DateTimeField(default=utc_now)
    # Who made this change: the recap names them (both guardians share the pending list).
    made_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("child", "activity", "date"), True),)


class WaitingListEntry(BaseModel):
    """A family waiting for a place on a full day: one child, activity, modalité and
    day; its rank is its order by ``created_at`` then id among the same day's entries."""

    family = ForeignKeyField(Family, on_delete="CASCADE")
    child = ForeignKeyField(Child, on_delete="CASCADE")
    activity = ForeignKeyField(Activity, on_delete="CASCADE")
    modalite = ForeignKeyField(Modalite, on_delete="CASCADE")
    date = DateField()
    created_at = DateTimeField(default=utc_now)

    class Meta:
        indexes = ((("child", "activity", "date"), True), (("activity", "date"), False))


# --- Invoicing ---------------------------------------------------------------


class NumberSequence(BaseModel):
    """Gapless counters (invoice numbers), incremented inside the issuing transaction."""

    name = CharField(unique=True)
    value = IntegerField(default=0)


class Invoice(BaseModel):
    """A monthly invoice (or credit note) of a family; never changed once issued."""

    INVOICE, CREDIT_NOTE = "facture", "avoir"
    ISSUED, PAID, CANCELLED = "emise", "payee", "annulee"

    family = ForeignKeyField(Family, backref="invoices", on_delete="RESTRICT")
    number = CharField(unique=True)
    kind = CharField(default=INVOICE)
    corrects = ForeignKeyField("self", null=True, backref="credit_notes", on_delete="RESTRICT")
    period_year = IntegerField()
    period_month = SmallIntegerField()
    issued_at = DateTimeField(default=utc_now)
    due_date = DateField()
    total_cents = IntegerField()
    # Follows payments and credit notes (``emise`` until settled); lines and amounts never change.
    status = CharField(default=ISSUED)
    pdf = ForeignKeyField(StoredFile, null=True, on_delete="SET NULL")
    # When the last reminder of an unpaid invoice was sent (staff's relances).
    reminded_at = DateTimeField(null=True)
    # Handed over to the Trésor public after the last reminder: no longer payable online.
    handed_over_at = DateTimeField(null=True)
    # The régie it is billed by (its numbering, its PayFiP number); null: the first régie.
    regie = ForeignKeyField(Regie, null=True, backref="invoices", on_delete="RESTRICT")

    @property
    def is_paid(self):
        return self.status == self.PAID

    @property
    def is_credit_note(self):
        return self.kind == self.CREDIT_NOTE


class InvoiceReminder(BaseModel):
    """A reminder level sent for an unpaid invoice: each level once (unique)."""

    invoice = ForeignKeyField(Invoice, backref="reminders", on_delete="CASCADE")
    level = SmallIntegerField()
    sent_at = DateTimeField(default=utc_now)

    class Meta:
        indexes = ((("invoice", "level"), True),)


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    child_name = CharField()
    label = CharField()
    date = DateField(null=True)
    quantity = IntegerField(default=1)
    unit_price_cents = IntegerField()
    amount_cents = IntegerField()


class InvoicedBooking(BaseModel):
    """Which invoice line bills a booking: a booking is billed once, ever (unique)."""

    booking = ForeignKeyField(Booking, unique=True, on_delete="CASCADE")
    line = ForeignKeyField(InvoiceLine, backref="invoiced_bookings", on_delete="CASCADE")
    date = DateField()  # the booked day, kept should the booking be deleted later


class PriceAdjustment(BaseModel):
    """What a quotient validated from a past date changes on days already invoiced: the
    new price minus the invoiced one (negative: a credit), billed once on the family's
    next invoice as its own line."""

    family = ForeignKeyField(Family, backref="price_adjustments", on_delete="CASCADE")
    child_name = CharField()
    label = CharField()
    amount_cents = IntegerField()
    created_at = DateTimeField(default=utc_now)
    line = ForeignKeyField(InvoiceLine, null=True, backref="adjustments", on_delete="SET NULL")


class Payment(BaseModel):
    """A payment attempt of an invoice (online through PayFiP, or at the counter).

    Online, it is marked paid only from the result read back from the provider; every
    attempt stays recorded with its outcome."""

    PENDING, PAID, FAILED = "en_cours", "payee", "echouee"
    REFUSED, CANCELLED, EXPIRED, ANOMALY = "refusee", "annulee", "expiree", "anomalie"
    ONLINE, COUNTER, DEBIT = "payfip", "guichet", "prelevement"

    invoice = ForeignKeyField(Invoice, backref="payments", on_delete="RESTRICT")
    amount_cents = IntegerField()
    provider = CharField(default=ONLINE)
    transaction_id = CharField(unique=True)  # PayFiP's idOp, or a counter receipt id
    status = CharField(default=PENDING)
    created_at = DateTimeField(default=utc_now)
    verified_at = DateTimeField(null=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # who paid or recorded it
    method = CharField(default="")  # at the counter: especes, cheque, cesu, cheque_vacances
    reference = CharField(default="")  # cheque number, CESU numbers, PayFiP's numauto
    refdet = CharField(default="")  # the invoice's reference as sent to PayFiP
    expires_at = DateTimeField(null=True)  # an idOp lives 15 minutes
    outcome = TextField(default="")  # what the provider answered, for staff
    checked_at = DateTimeField(null=True)

    @property
    def is_paid(self):
        return self.status == self.PAID

    @property
    def is_online(self):
        """Paid (or tried) through PayFiP, not at the counter."""
        return self.provider == self.ONLINE


class Mandate(BaseModel):
    """A SEPA direct debit mandate of a family: the family authorises the commune to debit
    the account ``iban``. Signed online (a recorded consent: when, from which address) or
    on paper (recorded by staff). Never edited: a changed IBAN makes a new mandate."""

    ONLINE, PAPER = "en_ligne", "papier"
    ACTIVE, REVOKED, SUSPENDED = "actif", "revoque", "suspendu"

    family = ForeignKeyField(Family, backref="mandates", on_delete="RESTRICT")
    rum = CharField(unique=True)  # référence unique du mandat
    holder = CharField()
    iban = CharField()
    bic = CharField(default="")
    signed_on = DateField()
    signed_at = DateTimeField(default=utc_now)
    signature = CharField(default=ONLINE)
    consent_address = CharField(default="")  # the address the consent was given from
    signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    status = CharField(default=ACTIVE)
    revoked_at = DateTimeField(null=True)
    rejections = SmallIntegerField(default=0)
    # The first collection under this mandate is FRST, the next ones RCUR.
    first_collected_on = DateField(null=True)

    @property
    def is_active(self):
        return self.status == self.ACTIVE


class DebitCollection(BaseModel):
    """A month's direct debit collection: one pain.008 file for the bank."""

    period_year = IntegerField()
    period_month = SmallIntegerField()
    collection_date = DateField()
    created_at = DateTimeField(default=utc_now)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    message_id = CharField(unique=True)
    total_cents = IntegerField(default=0)
    count = IntegerField(default=0)
    # Cancelled by the administrateur (the bank refused the whole file): nothing debited.
    cancelled_at = DateTimeField(null=True)
    cancelled_by = ForeignKeyField(User, null=True, on_delete="SET NULL",
                                   backref="cancelled_collections")
    cancel_reason = TextField(default="")

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None


class DebitItem(BaseModel):
    """One invoice debited in a collection, under one mandate (FRST or RCUR)."""

    COLLECTED, REJECTED, CANCELLED = "preleve", "rejete", "annule"

    collection = ForeignKeyField(DebitCollection, backref="items", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, backref="debits", on_delete="RESTRICT")
    mandate = ForeignKeyField(Mandate, backref="debits", on_delete="RESTRICT")
    payment = ForeignKeyField(Payment, null=True, on_delete="SET NULL")
    amount_cents = IntegerField()
    sequence = CharField(max_length=4)  # FRST or RCUR
    end_to_end_id = CharField(unique=True)
    status = CharField(default=COLLECTED)
    prenotified_at = DateTimeField(null=True)
    rejected_at = DateTimeField(null=True)
    rejection_reason = CharField(default="")
    fee_cents = IntegerField(default=0)


# --- Messagerie, news, documents --------------------------------------------


class MessageThread(BaseModel):
    family = ForeignKeyField(Family, backref="threads", on_delete="CASCADE")
    service = CharField()
    theme = CharField()
    subject = CharField()
    created_at = DateTimeField(default=utc_now)
    updated_at = DateTimeField(default=utc_now)
    # "Traité" by staff; a new message from the family reopens it.
    treated_at = DateTimeField(null=True)
    treated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")


class ServiceMailbox(BaseModel):
    """The service's own email address, told of each new family message."""

    service = CharField(unique=True)
    email = CharField(default="")
    active = BooleanField(default=True)
    # The themes a family may choose for this service, one per line ("" = the default ones).
    themes = TextField(default="")


class Message(BaseModel):
    thread = ForeignKeyField(MessageThread, backref="messages", on_delete="CASCADE")
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    from_staff = BooleanField(default=False)
    body = TextField()
    confirm_by_email = BooleanField(default=False)
    created_at = DateTimeField(default=utc_now)
    read_by_family_at = DateTimeField(null=True)
    read_by_staff_at = DateTimeField(null=True)


class MessageAttachment(BaseModel):
    message = ForeignKeyField(Message, backref="attachments", on_delete="CASCADE")
    file = ForeignKeyField(StoredFile, on_delete="CASCADE")
    position = SmallIntegerField(default=1)


class News(BaseModel):
    """An actualité; shown when published and within its display dates."""

    title = CharField()
    body = TextField()
    service = CharField(default="")
    published = BooleanField(default=True)
    display_from = DateField(null=True)
    display_until = DateField(null=True)
    created_at = DateTimeField(default=utc_now)
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(null=True)
    withdrawn_at = DateTimeField(null=True)  # unpublished after having been online


class Document(BaseModel):
    """A document of the commune (family null) or of one family."""

    CATEGORIES = (
        ("menu", "Menus du mois"),
        ("tutoriel", "Tutoriels"),
        ("reglement", "Règlements intérieurs"),
        ("bus", "Ramassage bus des centres de loisirs"),
        ("calendrier", "Calendriers des réservations"),
        ("confirmation", "Confirmations d'inscription"),
        ("facture", "Factures"),
        ("fiche", "Fiche renseignement - règlement intérieur"),
    )

    family = ForeignKeyField(Family, backref="documents", null=True, on_delete="CASCADE")
    category = CharField()
    title = CharField()
    file = ForeignKeyField(StoredFile, on_delete="CASCADE")
    created_at = DateTimeField(default=utc_now)
    # Shown to families from/until these days (null = open bound).
    display_from = DateField(null=True)
    display_until = DateField(null=True)


# --- Mail outbox and audit ---------------------------------------------------


class OutgoingEmail(BaseModel):
    """Mail to send; kept until sent so a down SMTP server loses nothing."""

    recipient = CharField()
    subject = CharField()
    body_text = TextField()
    body_html = TextField(null=True)
    created_at = DateTimeField(default=utc_now)
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    #: Set while one process sends it (real UTC time, not the portal's clock): others
    #: leave it alone until then; past it (the process died) another may take it. After
    #: a failure, when the next try may be (``domain.mail.retry_delay``).
    claimed_until = DateTimeField(null=True)
    #: Extra headers as JSON (``List-Unsubscribe`` on the emails a family may refuse).
    headers = TextField(default="")


class EmailOptOut(BaseModel):
    """A kind of optional email (``domain.family.email_prefs.OPTIONAL``) a family user
    chose not to receive; no row: the email is sent."""

    user = ForeignKeyField(User, backref="email_opt_outs", on_delete="CASCADE")
    kind = CharField(max_length=20)
    created_at = DateTimeField(default=utc_now)

    class Meta:
        indexes = ((("user", "kind"), True),)


class DeadlineReminder(BaseModel):
    """A reminder sent to a family before a deadline: each (family, kind, deadline) once."""

    family = ForeignKeyField(Family, backref="deadline_reminders", on_delete="CASCADE")
    kind = CharField(max_length=40)  # "mois" or "fenetre:<period>"
    deadline = DateField()
    sent_at = DateTimeField(default=utc_now)

    class Meta:
        indexes = ((("family", "kind", "deadline"), True),)


class InvitationSent(BaseModel):
    """An invitation email queued for a family account ("Inviter les familles"), so that
    staff follow it: queued, sent, failed (the outbox row), accepted (a password)."""

    user = ForeignKeyField(User, backref="invitations_sent", on_delete="CASCADE")
    email = ForeignKeyField(OutgoingEmail, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utc_now)


class AuditLog(BaseModel):
    """Who changed what, when (every staff change to a family's data)."""

    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    family = ForeignKeyField(Family, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utc_now)
    action = CharField()
    details = TextField(default="")


ALL_MODELS = [
    SchemaVersion, Commune, Family, User, RecoveryCode, LoginThrottle, Guardian, PickupPerson,
    School, Child, ChildDeclaration, GuardianDeclaration, HealthRecord, Vaccination,
    StoredFile, SchoolYear, QFBracket, QFDeclaration, Regie, Activity, Modalite, Tariff, Closure,
    DayOverride, BookingWindow, DossierValidation, Enrolment, Booking, PendingChange,
    ClosedBooking, CalendarFeed, Attendance, NumberSequence, Invoice, InvoiceReminder,
    InvoiceLine, InvoicedBooking, PriceAdjustment, Payment, Mandate, DebitCollection, DebitItem,
    MessageThread,
    Message, MessageAttachment, ServiceMailbox, News, Document, OutgoingEmail, InvitationSent,
    AuditLog, EmailOptOut, DeadlineReminder, WaitingListEntry,
]
