"""On PostgreSQL each process keeps a pool of connections (a new connection per request
cost about 8 ms of server CPU). On SQLite each worker thread keeps one connection (opening
it, its PRAGMAs and closing it took a third of a tick's server time), checked before
reuse; a request's changes end as before."""
import threading

import pytest

import models


def count_new_connections(monkeypatch):
    """The connections opened to the server from now on (the driver's connect)."""
    from peewee import PostgresqlDatabase
    opened = []
    original = PostgresqlDatabase._connect

    def spy(self, *args, **kwargs):
        connection = original(self, *args, **kwargs)
        opened.append(connection)
        return connection
    monkeypatch.setattr(PostgresqlDatabase, "_connect", spy)
    return opened


def test_requests_reuse_pooled_connections_on_postgresql(app, client, auth, monkeypatch):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps one connection per thread")
    from playhouse.pool import PooledPostgresqlDatabase
    assert isinstance(models.db.obj, PooledPostgresqlDatabase)
    auth.login()
    opened = count_new_connections(monkeypatch)
    for _ in range(20):
        assert client.get("/").status_code == 200
        assert models.db.is_closed()  # back in the pool between requests
    assert len(opened) <= 1


def test_sqlite_is_not_pooled_but_kept_per_thread(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only")
    from peewee import SqliteDatabase
    from playhouse.pool import PooledDatabase
    assert isinstance(models.db.obj, SqliteDatabase)
    assert not isinstance(models.db.obj, PooledDatabase)
    assert isinstance(models.db.obj, models.KeptSqliteDatabase)


def sqlite_only(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL's connections are pooled")


def add_probe_routes(app):
    """Routes of this test only (added before the app's first request): one that renames
    the commune the ways the portal writes (autocommit, ``db.atomic()``), one that leaves
    a transaction open, and one that tells which connection served it."""
    def rename(name):
        models.Commune.update(name=name).execute()
        return "ok"

    def rename_atomically(name):
        with models.db.atomic():
            models.Commune.update(name=name).execute()
        return "ok"

    def rename_left_open(name):
        models.db.execute_sql("BEGIN")
        models.Commune.update(name=name).execute()
        return "ok"

    def connection_id():
        return str(id(models.db.connection()))

    app.add_url_rule("/test-probe/rename/<name>", "probe_rename", rename)
    app.add_url_rule("/test-probe/rename-atomically/<name>", "probe_atomic", rename_atomically)
    app.add_url_rule("/test-probe/rename-left-open/<name>", "probe_open", rename_left_open)
    app.add_url_rule("/test-probe/connection", "probe_connection", connection_id)


def in_another_thread(function):
    """``function()`` run in a thread of its own (its own connection): what another
    request, or another worker, sees of the database."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def commune_name_seen_elsewhere():
    def read():
        try:
            return models.Commune.get().name
        finally:
            if not models.db.is_closed():
                models.db.close()
    return in_another_thread(read)


def test_a_requests_changes_are_committed_or_rolled_back_at_its_end(app):
    """On both backends: what a request wrote by autocommit or in ``db.atomic()`` is
    seen by others as soon as it answers; what it left uncommitted is rolled back, and
    the next request of the same thread starts clean."""
    add_probe_routes(app)
    client = app.test_client()
    assert client.get("/test-probe/rename/Autocommit").status_code == 200
    assert commune_name_seen_elsewhere() == "Autocommit"
    assert client.get("/test-probe/rename-atomically/Atomique").status_code == 200
    assert commune_name_seen_elsewhere() == "Atomique"
    assert client.get("/test-probe/rename-left-open/Jamais").status_code == 200
    assert commune_name_seen_elsewhere() == "Atomique"
    # The same thread's next request neither sees it nor is stuck in that transaction.
    assert client.get("/test-probe/rename-atomically/Ensuite").status_code == 200
    assert commune_name_seen_elsewhere() == "Ensuite"


def test_sqlite_connection_is_opened_once_per_thread_and_reused(app, auth, client):
    sqlite_only(app)
    add_probe_routes(app)
    database = models.db.obj
    auth.login()
    opens = database.opens
    served_by = {client.get("/test-probe/connection").get_data(as_text=True)
                 for _ in range(5)}
    for _ in range(10):
        assert client.get("/planning/").status_code == 200
        assert not models.db.is_closed()  # kept between requests
    assert len(served_by) == 1
    assert database.opens == opens  # not one more: the sign-in's connection served them all


def test_a_sqlite_connection_closed_underneath_is_replaced(app, client):
    sqlite_only(app)
    add_probe_routes(app)
    database = models.db.obj
    assert client.get("/test-probe/rename/Avant").status_code == 200
    opens = database.opens
    database.connection().close()  # dead, behind peewee's back
    assert client.get("/test-probe/rename/Apres").status_code == 200
    assert database.opens == opens + 1
    assert commune_name_seen_elsewhere() == "Apres"


def test_a_kept_sqlite_connection_of_another_process_is_replaced(app, client, monkeypatch):
    """After a fork (gunicorn's workers) a connection opened by the parent is not used."""
    sqlite_only(app)
    add_probe_routes(app)
    database = models.db.obj
    assert client.get("/test-probe/rename/Parent").status_code == 200
    opens = database.opens
    import os
    pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: pid + 1)
    assert client.get("/test-probe/rename/Enfant").status_code == 200
    assert database.opens == opens + 1
    assert commune_name_seen_elsewhere() == "Enfant"


def test_two_threads_get_two_sqlite_connections(app):
    sqlite_only(app)
    add_probe_routes(app)
    database = models.db.obj
    opens = database.opens
    seen, both_served = {}, threading.Barrier(2)

    def worker(name):
        client = app.test_client()
        first = client.get("/test-probe/connection").get_data(as_text=True)
        both_served.wait(timeout=10)  # both alive: their connections too
        second = client.get("/test-probe/connection").get_data(as_text=True)
        seen[name] = (first, second)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["a"][0] == seen["a"][1] and seen["b"][0] == seen["b"][1]
    assert seen["a"][0] != seen["b"][0]
    assert database.opens == opens + 2


def test_a_test_or_command_keeps_its_own_connection(app, db):
    """A connection opened by its caller (a test, a ``flask`` command) is used by the
    requests made meanwhile and left open for the caller, as before."""
    add_probe_routes(app)
    client = app.test_client()
    mine = models.db.connection()
    assert client.get("/test-probe/rename/Mienne").status_code == 200
    assert not models.db.is_closed() and models.db.connection() is mine
    assert models.Commune.get().name == "Mienne"
