"""A rush on PostgreSQL (not a test): many families book the same Wednesday at once.

gunicorn serves the portal with several workers on loopback, on a fresh PostgreSQL
database with the demo commune and ``--families`` more families (one child each,
CL Maternel Mercredis open); the Wednesday 13/01/2027 gets ``--places`` places.
For each number of clients (``--clients 1,8,32``), that many threads play families:
sign in, open the calendar, tick the day, TERMINER. Each run is bounded in families
and in time. Printed per run: families per second, p50/p95 of TERMINER and of a whole
family, as ratios to the 1-client run. Checked after each run: no 5xx, bookings never
past the places, every committed booking in the database and in exactly one recap
email read back from a real SMTP server (aiosmtpd), no email sent twice.

    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
        [--families 120] [--places 20] [--workers 4] [--clients 1,8,32] [--timeout 120]
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import collections  # noqa: E402
import concurrent.futures  # noqa: E402
import datetime  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import psycopg2  # noqa: E402
import requests  # noqa: E402

NOW = "2026-11-26T10:00"
DAY = datetime.date(2027, 1, 13)
CL = "CL Maternel Mercredis"
SANS = "Après-midi SANS repas"
PASSWORD = "une phrase de passe pour le banc"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The SMTP server's count of messages per recipient."""

    def __init__(self):
        self.received = collections.Counter()

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            self.received[address] += 1
        return "250 OK"


def create_database(server_url):
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


def populate(url, families, places):
    """The demo commune, ``families`` families with one child on CL, ``places`` on DAY."""
    import migrations
    import models
    from app import create_app
    from demo import create_demo
    from domain.family.passwords import hash_password
    from tests.planning_support import activity, modalite, new_family
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "PORTAIL_TODAY": NOW,
                      "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context(), models.db.connection_context():
        migrations.upgrade(models.db.obj)
        create_demo(datetime.date(2026, 11, 26), "C", "Banc d'essai")
        password_hash = hash_password(PASSWORD)
        accounts = []
        cl, sans = activity(CL), modalite(CL, SANS)
        for index in range(families):
            family, user, (kid,) = new_family(70000 + index, children=1, lines=2)
            models.User.update(password_hash=password_hash).where(
                models.User.id == user.id).execute()
            accounts.append((str(70000 + index), user.email, f"{kid.id}-{cl.id}",
                             f"{sans.id}:{DAY.isoformat()}"))
        models.DayOverride.delete().where((models.DayOverride.activity == cl)
                                          & (models.DayOverride.date == DAY)).execute()
        models.DayOverride.create(activity=cl, date=DAY, capacity=places, reason="Banc d'essai")
    models.db.close()
    return accounts


def reset_day(url):
    """Before each run: no booking nor pending change on DAY, an empty outbox."""
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM booking WHERE date = %s AND activity_id = "
                       "(SELECT id FROM activity WHERE name = %s)", (DAY, CL))
        cursor.execute("DELETE FROM pending_change")
        cursor.execute("DELETE FROM outgoing_email")
    connection.close()


def count_rows(url, sql, params=()):
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchall()
    connection.close()
    return value


def one_family(base, account, line, tick):
    """Sign in, calendar, tick DAY, TERMINER: (outcome, seconds of TERMINER, of all, 5xx)."""
    session = requests.Session()
    started = time.perf_counter()
    statuses = []

    def token(html):
        match = CSRF_RE.search(html)
        return match.group(1) if match else ""

    page = session.get(base + "/connexion", timeout=60)
    statuses.append(page.status_code)
    answer = session.post(base + "/connexion", data={
        "identifier": account, "password": PASSWORD, "csrf_token": token(page.text)},
        allow_redirects=False, timeout=60)
    statuses.append(answer.status_code)
    calendar = session.get(base + "/planning/?du=2027-01-01", timeout=60)
    statuses.append(calendar.status_code)
    csrf = token(calendar.text)
    toggled = session.post(base + "/planning/basculer", data={
        "ligne": line, "jours": tick, "du": "2027-01-01", "csrf_token": csrf},
        headers={"HX-Request": "true"}, timeout=60)
    statuses.append(toggled.status_code)
    terminer_started = time.perf_counter()
    done = session.post(base + "/planning/terminer", data={"csrf_token": csrf},
                        allow_redirects=False, timeout=60)
    terminer = time.perf_counter() - terminer_started
    statuses.append(done.status_code)
    if done.status_code == 303:  # the confirmation page says whether anything was booked
        page = session.get(base + done.headers["Location"], timeout=60)
        statuses.append(page.status_code)
        outcome = "booked" if "VOTRE RESERVATION EST TERMINEE" in page.text else "full"
    else:  # 409: full at TERMINER; the tick itself may have been refused (full already)
        outcome = "full" if done.status_code == 409 else f"HTTP {done.status_code}"
    return outcome, terminer, time.perf_counter() - started, statuses


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))] if values else 0


def run(base, url, accounts, clients, places, inbox, deadline):
    reset_day(url)
    inbox.received.clear()
    started = time.perf_counter()
    results = []
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one_family, base, account, line, tick)
                   for account, _, line, tick in accounts]
        for future in concurrent.futures.as_completed(futures, timeout=deadline):
            results.append(future.result())
    elapsed = time.perf_counter() - started
    emails = {email for (_, email, _, _) in accounts}
    # The outbox drains in the workers' threads: wait for it (bounded).
    wait_until = time.monotonic() + 30
    while time.monotonic() < wait_until:
        unsent = count_rows(url, "SELECT count(*) FROM outgoing_email WHERE sent_at IS NULL")
        if unsent[0][0] == 0:
            break
        time.sleep(0.2)
    bookings = count_rows(url, "SELECT count(*) FROM booking WHERE date = %s AND activity_id = "
                          "(SELECT id FROM activity WHERE name = %s)", (DAY, CL))[0][0]
    booked = sum(1 for r in results if r[0] == "booked")
    recaps = {address: count for address, count in inbox.received.items() if address in emails}
    server_errors = sum(1 for r in results for status in r[3] if status >= 500)
    problems = []
    if bookings > places:
        problems.append(f"overbooked: {bookings} > {places}")
    if bookings != booked:
        problems.append(f"{booked} success pages, {bookings} bookings in the database")
    if len(recaps) != booked or any(count != 1 for count in recaps.values()):
        problems.append(f"recaps: {sum(recaps.values())} emails to {len(recaps)} families "
                        f"for {booked} bookings")
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    other = collections.Counter(r[0] for r in results if r[0] not in ("booked", "full"))
    if other:
        problems.append(f"other outcomes: {dict(other)}")
    return {"clients": clients, "families": len(results), "seconds": elapsed,
            "throughput": len(results) / elapsed,
            "terminer_p50": percentile([r[1] for r in results], 0.5),
            "terminer_p95": percentile([r[1] for r in results], 0.95),
            "family_p50": percentile([r[2] for r in results], 0.5),
            "family_p95": percentile([r[2] for r in results], 0.95),
            "booked": booked, "problems": problems}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server (a database of its own is made and dropped)")
    parser.add_argument("--families", type=int, default=120)
    parser.add_argument("--places", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per run at most")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    name, url = create_database(args.database_url)
    server = None
    try:
        accounts = populate(url, args.families, args.places)
        port = free_port()
        env = dict(os.environ, PORTAIL_ENV="development", SECRET_KEY=uuid.uuid4().hex,
                   DATABASE_URL=url, PORTAIL_TODAY=NOW, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=str(smtp_port), MAIL_ASYNC="true",
                   UPLOAD_DIR=tempfile.mkdtemp())
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        server = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers",
             str(args.workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             "app:create_app()"], cwd=root, env=env, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(base + "/sante", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        results = [run(base, url, accounts, int(c), args.places, inbox, args.timeout)
                   for c in args.clients.split(",")]
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        smtp.stop()
        drop_database(args.database_url, name)

    first = results[0]
    print(f"{args.families} families, {args.places} places on {DAY:%d/%m/%Y}, "
          f"gunicorn -w {args.workers}, PostgreSQL")
    print("clients  families/s (×1 client)  TERMINER p50 / p95 (ms, p95/p50)  "
          "family p50 / p95 (ms)  booked  checks")
    for r in results:
        ratio = r["throughput"] / first["throughput"]
        spread = r["terminer_p95"] / r["terminer_p50"] if r["terminer_p50"] else 0
        print(f"{r['clients']:>7}  {r['throughput']:>6.1f} (×{ratio:.2f})"
              f"{'':>12}{r['terminer_p50'] * 1000:>6.0f} / {r['terminer_p95'] * 1000:>6.0f}"
              f" (×{spread:.1f}){'':>10}{r['family_p50'] * 1000:>6.0f} / "
              f"{r['family_p95'] * 1000:>6.0f}  {r['booked']:>6}  "
              f"{'; '.join(r['problems']) or 'ok'}")
    sys.exit(1 if any(r["problems"] for r in results) else 0)


if __name__ == "__main__":
    main()
