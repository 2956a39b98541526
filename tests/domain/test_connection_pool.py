"""On PostgreSQL each process keeps a pool of connections (a new
connection per request cost about 8 ms of server CPU); SQLite stays as it is."""
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
        pytest.skip("PostgreSQL only: SQLite opens a file, which costs nothing")
    from playhouse.pool import PooledPostgresqlDatabase
    assert isinstance(models.db.obj, PooledPostgresqlDatabase)
    auth.login()
    opened = count_new_connections(monkeypatch)
    for _ in range(20):
        assert client.get("/").status_code == 200
        assert models.db.is_closed()  # back in the pool between requests
    assert len(opened) <= 1


def test_sqlite_is_not_pooled(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only")
    from peewee import SqliteDatabase
    from playhouse.pool import PooledDatabase
    assert isinstance(models.db.obj, SqliteDatabase)
    assert not isinstance(models.db.obj, PooledDatabase)
