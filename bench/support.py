"""What the benchmarks share: the app on a database of their own with the demo commune."""
import datetime
import tempfile

import migrations
import models
from app import create_app
from demo import create_demo


def demo_app(database_url, now):
    """The app at the clock ``now`` on ``database_url`` (emptied first on PostgreSQL) with
    the demo commune; mail kept in the outbox, cheapest password hashes."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": database_url,
                      "PORTAIL_TODAY": now, "MAIL_ASYNC": False, "MAIL_SUPPRESS_SEND": True,
                      "UPLOAD_DIR": tempfile.mkdtemp(), "PASSWORD_HASH_PROFILE": "cheapest",
                      "PUBLIC_URL": "http://localhost"})
    with app.app_context(), models.db.connection_context():
        migrations.upgrade(models.db.obj)
        if database_url.startswith("postgresql"):
            tables = ", ".join(f'"{m._meta.table_name}"' for m in models.ALL_MODELS)
            models.db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            models.SchemaVersion.create(version=models.SCHEMA_VERSION)
        create_demo(datetime.date(2026, 11, 26), "C", "Bench")
    return app
