"""A rush on PostgreSQL (not a test): many families book the same Wednesday at once.

gunicorn serves the portal with several workers on loopback, on a fresh PostgreSQL
database with the demo commune and ``--families`` more families (one child each,
CL Maternel Mercredis open); the Wednesday 13/01/2027 gets ``--places`` places.
For each number of clients (``--clients 1,8,32``), that many threads play families:
sign in, open the calendar, tick the day, TERMINER. With ``--remembered`` (a share, 0 by
default), that share of the families ticked « Rester connecté sur cet appareil » at an
earlier visit (made before the runs, not measured): they come back with that browser's
cookies and go straight to the calendar. Each run is bounded in families
and in time. Printed per run: families per second, p50/p95 of TERMINER and of a whole
family, as ratios to the 1-client run. Checked after each run: no 5xx, bookings never
past the places, every committed booking in the database and in exactly one recap
email read back from a real SMTP server (aiosmtpd), no email sent twice.

Then one run per fault (``--faults``), at ``--fault-clients`` clients, the fault striking
once a few families are done (bookings still under way):

- ``kill-worker``: three gunicorn workers killed (SIGKILL), half a second apart, mid-request;
- ``restart-postgres``: the PostgreSQL server restarted (``pg_ctlcluster … restart``;
  needs root, and cuts every other client of that server);
- ``smtp-down``: the SMTP server stopped for 3 seconds, then back on the same port.

After a fault run the outbox is drained as cron would (``flask send-mail``, once the
claims of killed workers have lapsed), and checked: bookings never past the places,
every success page's booking in the database, every booking in the database with its
pending change gone and exactly one recap email, no recap for a family without a
booking, no 500 (a 503 or no answer only while the fault lasts), and the families who
started once the fault was over served normally. A worker killed after the SMTP server
took a recap and before the outbox recorded it makes that recap go again with the same
Message-ID (no sender can tell the two apart): counted in "same recap twice", apart from
the checks, which a second Message-ID would fail.

``--servers 1,2,4`` repeats the measured runs with that many gunicorn servers (each
``--workers`` worker processes, each on its port, all on the one database): every request
of a family goes to the next server in turn, as behind a load balancer without sticky
sessions (the sign-in page from one, the sign-in from another, the tick from a third).
Printed per run, per family: the app servers' CPU (every process and thread of every
gunicorn), PostgreSQL's CPU (its backends for the bench's database), the SQL statements
(``bench/served.py``'s header), the bytes sent (raw and gzipped) and the emails: what
``docs/capacity.md`` is built from. The faults run with the first number of servers.

    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
        [--families 120] [--places 20] [--workers 4] [--servers 1] [--clients 1,8,32]
        [--remembered 0] [--timeout 120] [--faults kill-worker,restart-postgres,smtp-down] [--fault-clients 8]
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import collections  # noqa: E402
import concurrent.futures  # noqa: E402
import datetime  # noqa: E402
import gzip  # noqa: E402
import itertools  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psycopg2  # noqa: E402
import requests  # noqa: E402

from bench import support  # noqa: E402

DAY = datetime.date(2027, 1, 13)
CL = "CL Maternel Mercredis"
SANS = "Après-midi SANS repas"


def populate(url, families, places):
    """The demo commune, ``families`` families with one child on CL, ``places`` on DAY."""
    import models
    from tests.planning_support import activity, modalite

    def add_families(password_hash):
        accounts = []
        cl, sans = activity(CL), modalite(CL, SANS)
        for index in range(families):
            family, user, (kid,) = support.signing_in_family(70000 + index, password_hash, 1, 2)
            accounts.append((str(70000 + index), user.email, f"{kid.id}-{cl.id}",
                             f"{sans.id}:{DAY.isoformat()}"))
        models.DayOverride.delete().where((models.DayOverride.activity == cl)
                                          & (models.DayOverride.date == DAY)).execute()
        models.DayOverride.create(activity=cl, date=DAY, capacity=places, reason="Banc d'essai")
        return accounts

    return support.served_families(url, add_families)


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


#: The requests of a family, in order.
STEPS = ("sign-in page", "sign-in", "calendar", "tick", "TERMINER", "confirmation")


class Servers:
    """The base URLs of the app servers; each request goes to the next one in turn."""

    def __init__(self, bases, start=0):
        self.bases, self._next = bases, itertools.count(start)
        self.queries = self.bytes = self.gzipped = 0

    def __add__(self, path):
        return self.bases[next(self._next) % len(self.bases)] + path

    def count(self, answer):
        """What an answer cost: its SQL statements (``X-Bench-Queries``) and bytes."""
        self.queries += int(answer.headers.get("X-Bench-Queries", 0))
        self.bytes += len(answer.content)
        self.gzipped += len(gzip.compress(answer.content, compresslevel=6))
        return answer


def kept_signed_in(bases, account):
    """An earlier visit of ``account`` that ticked « Rester connecté sur cet appareil »:
    the cookies its browser keeps (the session, the device mark)."""
    session = requests.Session()
    base = Servers(bases, start=int(account))
    page = session.get(base + "/connexion", timeout=60)
    answer = session.post(base + "/connexion", data=dict(
        support.sign_in_form(account, page.text), remember="y"), allow_redirects=False,
        timeout=60)
    assert answer.status_code == 303, f"{account}: {answer.status_code}"
    assert [cookie.expires for cookie in session.cookies if cookie.name == "session"] != \
        [None], "the session cookie dies with the browser: not kept"
    return session.cookies  # each run copies them, with their domain and path


def remembered_accounts(accounts, share):
    """The accounts that kept their sign-in: ``share`` of them, spread evenly."""
    return {account for index, (account, *_) in enumerate(accounts)
            if int((index + 1) * share) > int(index * share)}


def one_family(bases, account, line, tick, kept=None):
    """Sign in (unless ``kept``: the cookies of a browser kept signed in), calendar, tick
    DAY, TERMINER: a dict with the outcome ("booked", "full", "HTTP <status>" or "no
    answer"), the seconds of TERMINER and of all, the statuses, the statements and bytes
    of its requests. ``bases``: the servers' base URLs."""
    started = time.perf_counter()
    statuses = []
    base = Servers(bases, start=int(account))
    try:
        outcome, terminer = _one_family(base, account, line, tick, statuses, kept)
    except requests.RequestException:  # a killed worker, a server restarting
        outcome, terminer = "no answer", 0.0
        step = len(statuses) + (2 if kept else 0)
        statuses.append(f"no answer at {STEPS[min(step, len(STEPS) - 1)]}")
    return {"outcome": outcome, "terminer": terminer, "seconds": time.perf_counter() - started,
            "statuses": statuses, "child": int(line.split("-")[0]),
            "started": started, "ended": time.perf_counter(), "queries": base.queries,
            "bytes": base.bytes, "gzipped": base.gzipped}


def _one_family(base, account, line, tick, statuses, kept):
    session = requests.Session()
    if kept:
        session.cookies.update(kept)
    else:
        page = session.get(base + "/connexion", timeout=60)
        base.count(page)
        statuses.append(page.status_code)
        answer = session.post(base + "/connexion",
                              data=support.sign_in_form(account, page.text),
                              allow_redirects=False, timeout=60)
        base.count(answer)
        statuses.append(answer.status_code)
    calendar = session.get(base + "/planning/?du=2027-01-01", timeout=60)
    base.count(calendar)
    statuses.append(calendar.status_code)
    csrf = support.page_token(calendar.text)
    toggled = session.post(base + "/planning/basculer", data={
        "ligne": line, "jours": tick, "du": "2027-01-01", "csrf_token": csrf},
        headers={"HX-Request": "true"}, timeout=60)
    base.count(toggled)
    statuses.append(toggled.status_code)
    terminer_started = time.perf_counter()
    done = session.post(base + "/planning/terminer", data={"csrf_token": csrf},
                        allow_redirects=False, timeout=60)
    base.count(done)
    terminer = time.perf_counter() - terminer_started
    statuses.append(done.status_code)
    if done.status_code == 303:  # the confirmation page says whether anything was booked
        page = session.get(base + done.headers["Location"], timeout=60)
        base.count(page)
        statuses.append(page.status_code)
        outcome = "booked" if "VOTRE RESERVATION EST TERMINEE" in page.text else "full"
    else:  # 409: full at TERMINER; the tick itself may have been refused (full already)
        outcome = "full" if done.status_code == 409 else f"HTTP {done.status_code}"
    if any(status >= 500 for status in statuses) and outcome == "full":
        outcome = f"HTTP {max(statuses)}"
    return outcome, terminer


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))] if values else 0


def run(base, url, accounts, clients, places, inbox, deadline, fault=None, drain=None,
        meter=None, kept=None):
    """One run of every family at ``clients`` at once; ``fault`` (a callable) strikes in a
    thread once 10 families are done; ``drain`` (a callable) then empties the outbox.
    ``base``: the servers' base URLs; ``meter``: a callable giving the CPU seconds so far
    of the app servers and of PostgreSQL for the bench's database; ``kept``: {account:
    cookies} of the families kept signed in."""
    reset_day(url)
    inbox.received.clear()
    cpu_before = meter() if meter else None
    started = time.perf_counter()
    results = []
    window = {}

    def strike():
        window["from"] = time.perf_counter()
        fault()
        window["to"] = time.perf_counter()

    striker = threading.Thread(target=strike) if fault else None
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one_family, base, account, line, tick, (kept or {}).get(account))
                   for account, _, line, tick in accounts]
        for future in concurrent.futures.as_completed(futures, timeout=deadline):
            results.append(future.result())
            if striker and len(results) == 10:
                striker.start()
    elapsed = time.perf_counter() - started
    if striker:
        striker.join()
    # The outbox drains in the workers' threads: wait for it (bounded).
    wait_until = time.monotonic() + 30
    while time.monotonic() < wait_until and unsent(url):
        time.sleep(0.2)
    cpu_after = meter() if meter else None
    drained = drain() if drain and unsent(url) else 0
    problems = check(url, accounts, results, places, inbox, fault_window=window if fault else None)
    resent = sum(len(copies) - len(set(copies)) for copies in inbox.received.values())
    per_family = {"app_cpu": 0.0, "pg_cpu": 0.0}
    if cpu_before is not None:
        per_family = {"app_cpu": (cpu_after[0] - cpu_before[0]) / max(1, len(results)),
                      "pg_cpu": (cpu_after[1] - cpu_before[1]) / max(1, len(results))}
    per_family.update({
        name: sum(r.get(name, 0) for r in results) / max(1, len(results))
        for name in ("queries", "bytes", "gzipped")})
    per_family["emails"] = sum(len(c) for c in inbox.received.values()) / max(1, len(results))
    return {"clients": clients, "families": len(results), "seconds": elapsed,
            "throughput": len(results) / elapsed, "per_family": per_family,
            "terminer_p50": percentile([r["terminer"] for r in results], 0.5),
            "terminer_p95": percentile([r["terminer"] for r in results], 0.95),
            "family_p50": percentile([r["seconds"] for r in results], 0.5),
            "family_p95": percentile([r["seconds"] for r in results], 0.95),
            "booked": sum(1 for r in results if r["outcome"] == "booked"),
            "errors": collections.Counter(status for r in results for status in r["statuses"]
                                          if isinstance(status, str) or status >= 500),
            "drained": drained, "resent": resent, "problems": problems}


def unsent(url):
    return count_rows(url, "SELECT count(*) FROM outgoing_email WHERE sent_at IS NULL")[0][0]


def check(url, accounts, results, places, inbox, fault_window=None):
    """What must hold after a run, fault or not: the list of what does not."""
    problems = []
    booked_children = {child for (child,) in count_rows(
        url, "SELECT child_id FROM booking WHERE date = %s AND activity_id = "
        "(SELECT id FROM activity WHERE name = %s)", (DAY, CL))}
    pending_children = {child for (child,) in count_rows(
        url, "SELECT child_id FROM pending_change WHERE date = %s", (DAY,))}
    email_of = {int(line.split("-")[0]): address for (_, address, line, _) in accounts}
    if len(booked_children) > places:
        problems.append(f"overbooked: {len(booked_children)} > {places}")
    success = {r["child"] for r in results if r["outcome"] == "booked"}
    clean_full = {r["child"] for r in results if r["outcome"] == "full"}
    if success - booked_children:
        problems.append(f"{len(success - booked_children)} success pages without a booking")
    if clean_full & booked_children:
        problems.append(f"{len(clean_full & booked_children)} told 'complet' yet booked")
    if booked_children & pending_children:
        problems.append(f"{len(booked_children & pending_children)} booked children whose "
                        "pending change is still there (half-applied TERMINER)")
    unsent_left = unsent(url)
    if unsent_left:
        problems.append(f"{unsent_left} emails never sent")
    resent = 0
    for child, address in email_of.items():
        expected = 1 if child in booked_children else 0
        copies = inbox.received.get(address, [])
        if len(set(copies)) != expected:
            problems.append(f"{address}: {len(set(copies))} recaps for {expected} booking")
        resent += len(copies) - len(set(copies))
    if resent and fault_window is None:
        problems.append(f"{resent} recaps received twice")
    errors = [r for r in results if r["outcome"] not in ("booked", "full")]
    server_errors = [r for r in results for status in r["statuses"]
                     if not isinstance(status, str) and status >= 500]
    if fault_window is None:
        if errors or server_errors:
            problems.append(f"{len(server_errors)} answers 5xx, outcomes "
                            f"{dict(collections.Counter(r['outcome'] for r in errors))}")
    else:
        if any(status == 500 for r in results for status in r["statuses"]):
            problems.append("a 500 (a 503 or no answer only while the fault lasts)")
        late = [r for r in errors if r["started"] > fault_window["to"] + 2]
        if late:
            problems.append(f"{len(late)} families who started after the fault had errors")
    return problems


def backends(url, name):
    """The PostgreSQL backends connected to the database ``name`` (but this look-up's)."""
    rows = count_rows(url, "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                      "AND pid <> pg_backend_pid()", (name,))
    return [pid for (pid,) in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server (a database of its own is made and dropped)")
    parser.add_argument("--families", type=int, default=120)
    parser.add_argument("--places", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--servers", default="1", help="numbers of gunicorn servers, e.g. 1,2,4")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--remembered", type=float, default=0.0,
                        help="share of the families kept signed in from an earlier visit")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per run at most")
    parser.add_argument("--faults", default="kill-worker,smtp-down,restart-postgres",
                        help="one run per fault, after the measured runs ('' for none)")
    parser.add_argument("--fault-clients", type=int, default=8)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    inbox = support.Inbox()
    smtp_port = support.free_port()
    smtp = {"server": Controller(inbox, hostname="127.0.0.1", port=smtp_port)}
    smtp["server"].start()
    name, url = support.create_database(args.database_url)
    servers = []
    faults = {}
    results = {}
    try:
        accounts = populate(url, args.families, args.places)
        env = support.served_env(url, smtp_port)
        server_counts = [int(n) for n in args.servers.split(",")]
        kept = None
        for count in server_counts:
            servers, bases = support.start_servers(count, args.workers, env)
            if kept is None:  # the earlier visits, once, before anything is measured
                kept = {account: kept_signed_in(bases, account)
                        for account in remembered_accounts(accounts, args.remembered)}

            def meter():
                app = sum(support.process_seconds(pid) for server in servers
                          for pid in [server.pid] + support.children(server.pid))
                return app, sum(support.process_seconds(pid) for pid in backends(url, name))

            results[count] = [run(bases, url, accounts, int(c), args.places, inbox,
                                  args.timeout, meter=meter, kept=kept)
                              for c in args.clients.split(",")]
            if count != server_counts[0]:
                support.stop_servers(servers)
                continue
            server = servers[0]

            def kill_worker():
                for _ in range(3):
                    os.kill(sorted(support.children(server.pid))[-1], signal.SIGKILL)
                    time.sleep(0.5)

            def restart_postgres():
                version = sorted(os.listdir("/etc/postgresql"))[-1]
                subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                                "restart", "-m", "fast"], check=True, capture_output=True)

            def smtp_down():
                smtp["server"].stop()
                time.sleep(3)
                smtp["server"] = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
                smtp["server"].start()

            def drain():
                """What cron does: ``flask send-mail``, once the claims of killed workers
                lapse."""
                for _ in range(300):  # a claim lasts 4 minutes (domain.mail.CLAIM_LEASE)
                    if not count_rows(url, "SELECT count(*) FROM outgoing_email WHERE sent_at "
                                      "IS NULL AND claimed_until > now() AT TIME ZONE 'utc'"
                                      )[0][0]:
                        break
                    time.sleep(1)
                output = subprocess.run(
                    [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "app",
                     "send-mail"], cwd=support.ROOT, env=env, check=True, capture_output=True,
                    text=True)
                return int(output.stdout.split()[0])

            strikes = {"kill-worker": kill_worker, "restart-postgres": restart_postgres,
                       "smtp-down": smtp_down}
            for fault in filter(None, args.faults.split(",")):
                faults[fault] = run(bases, url, accounts, args.fault_clients, args.places,
                                    inbox, args.timeout, fault=strikes[fault], drain=drain,
                                    kept=kept)
            support.stop_servers(servers)
        servers = []
    finally:
        support.stop_servers(servers)
        smtp["server"].stop()
        support.drop_database(args.database_url, name)

    for count, runs in results.items():
        first = runs[0]
        print(f"{args.families} families ({len(kept)} kept signed in), {args.places} places "
              f"on {DAY:%d/%m/%Y}, {count} gunicorn server(s) -w {args.workers}, one PostgreSQL")
        print("clients  families/s (×1 client)  TERMINER p50 / p95 (ms, p95/p50)  "
              "family p50 / p95 (ms)  booked  checks")
        for r in runs:
            ratio = r["throughput"] / first["throughput"]
            spread = r["terminer_p95"] / r["terminer_p50"] if r["terminer_p50"] else 0
            print(f"{r['clients']:>7}  {r['throughput']:>6.1f} (×{ratio:.2f})"
                  f"{'':>12}{r['terminer_p50'] * 1000:>6.0f} / {r['terminer_p95'] * 1000:>6.0f}"
                  f" (×{spread:.1f}){'':>10}{r['family_p50'] * 1000:>6.0f} / "
                  f"{r['family_p95'] * 1000:>6.0f}  {r['booked']:>6}  "
                  f"{'; '.join(r['problems']) or 'ok'}")
        print("per family: clients  app CPU ms  PostgreSQL CPU ms  queries  bytes (gzipped)"
              "  emails")
        for r in runs:
            f = r["per_family"]
            print(f"{r['clients']:>19}  {f['app_cpu'] * 1000:>10.1f}  {f['pg_cpu'] * 1000:>17.1f}"
                  f"  {f['queries']:>7.1f}  {f['bytes']:>6.0f} ({f['gzipped']:.0f})"
                  f"  {f['emails']:>6.2f}")
        print()
    if faults:
        print(f"Faults, {args.fault_clients} clients each:")
        print("fault             families  booked  answers while it lasted"
              "                sent by cron  same recap twice  checks")
        for fault, r in faults.items():
            seen = ", ".join(f"{count} × {status}" for status, count in r["errors"].items())
            print(f"{fault:<17} {r['families']:>8}  {r['booked']:>6}  {seen or 'none':<40}"
                  f"  {r['drained']:>10}  {r['resent']:>16}  {'; '.join(r['problems']) or 'ok'}")
    everything = [r for runs in results.values() for r in runs] + list(faults.values())
    sys.exit(1 if any(r["problems"] for r in everything) else 0)


if __name__ == "__main__":
    main()
