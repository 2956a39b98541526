"""The demo commune built once per test session, and a fresh copy of it for each test.

Building the demo (``demo.create_demo``) takes longer than most tests. It is built once
per backend and per settings that shape it (:data:`DEMO_SETTINGS`), then each test gets a
copy of it:

- SQLite: the database file, copied (a few milliseconds);
- PostgreSQL: the run's database keeps a copy of every table in a schema of its own
  (``demo_template_N``, one per set of settings). Statement-level triggers note which
  tables a test wrote to (in ``demo_template.dirty``); the next test gets those tables
  back from the copy, with every sequence as it was. (A new database per test from a
  template database was measured slower than building the demo: PostgreSQL writes the
  whole copy to its WAL.)

The files the demo stored (its documents, invoices) are copied into the test's
``UPLOAD_DIR`` as well.
"""
import atexit
import os
import shutil
import tempfile

import models

#: The settings the demo commune depends on: two tests whose settings differ here get
#: two different demos (add a setting here when ``create_demo`` starts reading it).
DEMO_SETTINGS = ("PORTAIL_TODAY", "COMMUNE_NAME", "HOLIDAY_ZONE", "PASSWORD_HASH_PROFILE")

#: The schema that holds the bookkeeping (dirty tables, the copy loaded) in PostgreSQL.
BOOKKEEPING = "demo_template"


def demo_key(config):
    """What the demo built for ``config`` (a mapping of settings) depends on."""
    from config import Config
    return tuple(str(config.get(name, getattr(Config, name, None))) for name in DEMO_SETTINGS)


def sqlite_path(database_url):
    """The file of a ``sqlite:///path`` URL."""
    return database_url[len("sqlite:///"):]


class DemoTemplates:
    """The demo databases of this test session, built on first use.

    ``build(config)`` must empty the database of ``config`` and create the demo commune
    there, its uploads under ``config["UPLOAD_DIR"]``.
    """

    def __init__(self):
        self._directory = None
        self._sqlite = {}    # demo key -> (database file, uploads directory)
        self._postgres = {}  # (database URL, demo key) -> (schema, uploads directory)

    @property
    def directory(self):
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="portail-demo-templates-")
            atexit.register(shutil.rmtree, self._directory, ignore_errors=True)
        return self._directory

    def install(self, config, build):
        """Put a fresh copy of the demo for ``config`` in its database and upload folder."""
        url = config["DATABASE_URL"]
        if url.startswith("sqlite"):
            database_file, uploads = self._sqlite_template(config, build)
            target = sqlite_path(url)
            for leftover in (target + "-wal", target + "-shm"):
                if os.path.exists(leftover):
                    os.remove(leftover)
            shutil.copyfile(database_file, target)
        else:
            schema, uploads = self._postgres_template(config, build)
            PostgresCopies(url).restore(schema)
        shutil.copytree(uploads, config["UPLOAD_DIR"], dirs_exist_ok=True)

    def _new_folder(self):
        return tempfile.mkdtemp(dir=self.directory)

    def _sqlite_template(self, config, build):
        key = demo_key(config)
        if key not in self._sqlite:
            folder = self._new_folder()
            database_file = os.path.join(folder, "demo.db")
            uploads = os.path.join(folder, "uploads")
            build({**config, "DATABASE_URL": "sqlite:///" + database_file, "UPLOAD_DIR": uploads})
            # Everything in the main file (the WAL emptied), so that a file copy is complete.
            database = models.init_database("sqlite:///" + database_file)
            with database.connection_context():
                database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.close()
            self._sqlite[key] = (database_file, uploads)
        return self._sqlite[key]

    def _postgres_template(self, config, build):
        url = config["DATABASE_URL"]
        key = (url, demo_key(config))
        if key not in self._postgres:
            uploads = os.path.join(self._new_folder(), "uploads")
            build({**config, "UPLOAD_DIR": uploads})
            schema = f"{BOOKKEEPING}_{len(self._postgres) + 1}"
            PostgresCopies(url).snapshot(schema)
            self._postgres[key] = (schema, uploads)
        return self._postgres[key]


#: (database URL, schema) -> {table: [column, ...]} of the copies.
_COLUMNS = {}


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


class PostgresCopies:
    """Copies of the public tables of one PostgreSQL database, put back on demand."""

    def __init__(self, url):
        self.url = url

    def _connect(self):
        import psycopg2
        connection = psycopg2.connect(self.url)
        connection.autocommit = True
        return connection

    def snapshot(self, schema):
        """Copy every public table and sequence into ``schema``; note writes from now on."""
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                self._install_bookkeeping(cursor)
                cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")
                cursor.execute(f"CREATE SCHEMA {_quote(schema)}")
                for table in self._tables(cursor):
                    cursor.execute(f"CREATE TABLE {_quote(schema)}.{_quote(table)} "
                                   f"AS TABLE public.{_quote(table)}")
                cursor.execute(
                    f"CREATE TABLE {_quote(schema)}._sequences AS "
                    "SELECT sequencename AS name, last_value FROM pg_sequences "
                    "WHERE schemaname = 'public'")
                cursor.execute(f"DELETE FROM {BOOKKEEPING}.dirty")
                cursor.execute(f"UPDATE {BOOKKEEPING}.loaded SET schema_name = %s", (schema,))
        finally:
            connection.close()

    def restore(self, schema):
        """Put back, from ``schema``, the tables written since (all of them when another
        copy was loaded) and every sequence."""
        import psycopg2.errors
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT (SELECT schema_name FROM {BOOKKEEPING}.loaded), "
                    f"ARRAY(SELECT DISTINCT name FROM {BOOKKEEPING}.dirty)")
                loaded, dirty = cursor.fetchone()
                # A table dropped and made again (a migration test) lost its trigger: it is
                # put back, and noted again from now on.
                cursor.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                    "AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid "
                    "AND t.tgname = 'demo_template_note_write')")
                untracked = [row[0] for row in cursor.fetchall()]
                for table in untracked:
                    self._note_writes(cursor, table)
                dirty = sorted(set(dirty) | set(untracked))
                if loaded != schema:
                    dirty = self._tables(cursor)
                columns = self._columns(cursor, schema)
                statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]
                for table in dirty:
                    statements.append(f"DELETE FROM public.{_quote(table)}")
                    if table in columns:
                        names = ", ".join(_quote(c) for c in columns[table])
                        statements.append(
                            f"INSERT INTO public.{_quote(table)} ({names}) "
                            f"SELECT {names} FROM {_quote(schema)}.{_quote(table)}")
                statements += [
                    "SELECT setval(format('public.%I', name)::regclass, coalesce(last_value, 1), "
                    f"last_value IS NOT NULL) FROM {_quote(schema)}._sequences",
                    f"DELETE FROM {BOOKKEEPING}.dirty",
                    f"UPDATE {BOOKKEEPING}.loaded SET schema_name = '{schema}'",
                    "COMMIT"]
                try:
                    cursor.execute(";\n".join(statements))
                except psycopg2.errors.InsufficientPrivilege as error:
                    raise RuntimeError(
                        "The tests put the demo back with session_replication_role = replica: "
                        "TEST_DATABASE_URL must name a PostgreSQL superuser.") from error
        finally:
            connection.close()

    def _columns(self, cursor, schema):
        """The columns of each table copied in ``schema`` (read once)."""
        key = (self.url, schema)
        if key not in _COLUMNS:
            cursor.execute(
                "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name <> '_sequences' GROUP BY table_name", (schema,))
            _COLUMNS[key] = dict(cursor.fetchall())
        return _COLUMNS[key]

    @staticmethod
    def _tables(cursor):
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                       "ORDER BY tablename")
        return [row[0] for row in cursor.fetchall()]

    def _install_bookkeeping(self, cursor):
        """The table of written tables, and a statement trigger on every public table."""
        cursor.execute(f"""
            CREATE SCHEMA IF NOT EXISTS {BOOKKEEPING};
            CREATE UNLOGGED TABLE IF NOT EXISTS {BOOKKEEPING}.dirty (name text);
            CREATE TABLE IF NOT EXISTS {BOOKKEEPING}.loaded (schema_name text);
            INSERT INTO {BOOKKEEPING}.loaded
                SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM {BOOKKEEPING}.loaded);
            CREATE OR REPLACE FUNCTION {BOOKKEEPING}.note_write() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO {BOOKKEEPING}.dirty VALUES (TG_TABLE_NAME);
                    RETURN NULL;
                END $$;
        """)
        for table in self._tables(cursor):
            self._note_writes(cursor, table)

    @staticmethod
    def _note_writes(cursor, table):
        """The statement trigger that notes a write to ``table``."""
        cursor.execute(f"""
            DROP TRIGGER IF EXISTS demo_template_note_write ON public.{_quote(table)};
            CREATE TRIGGER demo_template_note_write
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.{_quote(table)}
                FOR EACH STATEMENT EXECUTE FUNCTION {BOOKKEEPING}.note_write();
        """)


#: The one registry of the session.
TEMPLATES = DemoTemplates()
