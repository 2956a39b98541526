"""What the benchmarks share: the app on a database of their own with the demo commune;
for the benches that serve it (gunicorn on loopback), its servers, their database and
SMTP server, and the families that sign in."""
import collections
import datetime
import email
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import psycopg2
import requests

import migrations
import models
from app import create_app
from demo import create_demo
from domain.family.passwords import hash_password
from tests.planning_support import FOUR_LINES, activity, new_family


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


# --- The benches that serve the portal with gunicorn (http.py, load.py) ----------------

#: The clock of the served benches, and the password of their families.
NOW = "2026-11-26T10:00"
PASSWORD = "une phrase de passe pour le banc"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received: per recipient, the Message-IDs of their copies."""

    def __init__(self):
        self.received = collections.defaultdict(list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        for address in envelope.rcpt_tos:
            self.received[address].append(message["Message-ID"])
        return "250 OK"


def create_database(server_url):
    """A PostgreSQL database of the bench's own on ``server_url``: (name, its URL)."""
    name = f"portail_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(server_url, name):
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def served_families(url, add_families):
    """The demo commune on the fresh database ``url``, then ``add_families(password_hash)``
    (its result is returned): their users sign in with PASSWORD, hashed at the
    production cost since the served benches measure the sign-in."""
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "PORTAIL_TODAY": NOW,
                      "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context(), models.db.connection_context():
        migrations.upgrade(models.db.obj)
        create_demo(datetime.date(2026, 11, 26), "C", "Banc d'essai")
        added = add_families(hash_password(PASSWORD))
    models.db.close()
    return added


def signing_in_family(account, password_hash, children, lines, book_month=None):
    """``new_family`` (tests/planning_support.py) whose user signs in with PASSWORD."""
    family, user, kids = new_family(account, children, lines, book_month=book_month)
    models.User.update(password_hash=password_hash).where(models.User.id == user.id).execute()
    return family, user, kids


def page_token(page):
    """The CSRF token of an HTML page ("" when it has none)."""
    match = CSRF_RE.search(page)
    return match.group(1) if match else ""


def sign_in_form(account, page):
    """What a bench family posts to /connexion, with the token of the sign-in ``page``."""
    return {"identifier": account, "password": PASSWORD, "csrf_token": page_token(page)}


def served_env(url, smtp_port):
    """The environment of a gunicorn server of the bench: ``url``, the clock at NOW, mail
    to the local SMTP server on ``smtp_port``, sent by the outbox's thread."""
    return dict(os.environ, PORTAIL_ENV="development", SECRET_KEY=uuid.uuid4().hex,
                DATABASE_URL=url, PORTAIL_TODAY=NOW, MAIL_SERVER="127.0.0.1",
                MAIL_PORT=str(smtp_port), MAIL_ASYNC="true", UPLOAD_DIR=tempfile.mkdtemp(),
                PUBLIC_URL="http://localhost")


def start_servers(count, workers, env):
    """``count`` gunicorn servers (sync workers) of ``workers`` workers each, up (``/sante``
    answers, 30 s at most each): (processes, base URLs)."""
    servers, bases = [], []
    for _ in range(count):
        port = free_port()
        servers.append(subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers",
             str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             "bench.served:app"], cwd=ROOT, env=env, start_new_session=True))
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        for _ in range(300):
            try:
                if requests.get(base + "/sante", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
    _wait_until_booted(servers, workers)
    return servers, bases


def _wait_until_booted(servers, workers, deadline=30):
    """Until every worker has loaded the app (their CPU still for half a second): one
    worker answers /sante while the others still import the portal (0.9 s of CPU each),
    which the first measured run would otherwise pay, in its CPU and in its time."""
    stop, last = time.monotonic() + deadline, None
    while time.monotonic() < stop:
        pids = [pid for server in servers for pid in children(server.pid)]
        spent = sum(process_seconds(pid) for pid in pids)
        if len(pids) == workers * len(servers) and last is not None and spent - last < 0.02:
            return
        last = spent
        time.sleep(0.5)


def stop_servers(servers):
    for server in servers:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        server.wait(timeout=30)


def process_seconds(pid):
    """CPU seconds of a process so far, every thread, dead ones too (``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """The ids of the processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if entry.isdigit() and int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def pend_cancellations(family_id, kids, bookings):
    """Every booked day of the family back (``bookings``: rows of Booking), each pending
    cancellation: what TERMINER then does, run again and again."""
    with models.db.atomic():
        models.Booking.delete().where(models.Booking.child.in_(kids)).execute()
        models.PendingChange.delete().where(models.PendingChange.family == family_id).execute()
        models.Booking.insert_many(bookings).execute()
        models.PendingChange.insert_many([
            dict(family=family_id, child=b["child"], activity=b["activity"],
                 modalite=b["modalite"], date=b["date"], action=models.PendingChange.CANCEL)
            for b in bookings]).execute()


def booked_rows(kids):
    """A bench family's bookings as rows (what pend_cancellations puts back) and the days
    its last child has on the first line, the one a tick toggles."""
    bookings = [dict(child=b.child_id, activity=b.activity_id, modalite=b.modalite_id,
                     date=b.date, price_cents=b.price_cents)
                for b in models.Booking.select().where(models.Booking.child.in_(kids))]
    first_line = activity(FOUR_LINES[0]).id
    days = sorted(b["date"] for b in bookings
                  if b["child"] == kids[-1].id and b["activity"] == first_line)
    return bookings, days
