"""What a server pays for PLANNING - RÉSERVATIONS (not a test): the portal served by
gunicorn (1 sync worker) on loopback, driven by real HTTP requests with sign-in, cookies
and CSRF tokens, on SQLite and then on PostgreSQL when a server is given.

For a family of 1 child x 1 line and one of 4 children x 4 lines: the sign-in, the
PLANNING page, a tick (htmx), VALIDER, the recap, TERMINER (every booked day of January
pending cancellation, put back before each run) and the confirmation page. Each request
alternates with a trivial route (a static file) in the same run. Printed per action:
wall-clock p50/p95 as seen by the client and as ratios to the trivial route's p50, the
worker's CPU per request (its main thread, ``/proc/<pid>/schedstat``: nanoseconds; and
"all CPU", every thread of the worker, argon2's and the outbox's too: the mean of
``/proc/<pid>/stat``'s clock ticks) and
PostgreSQL's (its backends for the portal's database), the SQL statements the request
ran (``X-Bench-Queries``, see ``bench/served.py``), the answer's bytes and gzipped bytes.
Then the PLANNING page's first load: the page and the CSS and scripts it links, gzipped.

    .venv/bin/python bench/http.py [--runs 60] [--database-url postgresql://...]
        [--backends sqlite,postgresql] [--timeout 600]

Without ``--database-url``, ``TEST_DATABASE_URL`` or ``DATABASE_URL`` (a PostgreSQL
server: a database of the bench's own is made there and dropped) is used when set.
Loopback only; every loop is bounded and the whole run stops after ``--timeout`` seconds.
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import datetime  # noqa: E402
import gzip  # noqa: E402
import html  # noqa: E402
import http.client  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

from bench import support  # noqa: E402

JANUARY_1 = datetime.date(2027, 1, 1)
PAGE = "/planning/?du=2027-01-01"
TRIVIAL = "/static/js/portail.js"
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')


class TimeUp(Exception):
    """The run's ``--timeout`` is over."""


class Client:
    """One browser: its cookies, one HTTP/1.1 connection per request (gunicorn's sync
    worker closes each), the answers' timings."""

    deadline = float("inf")

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None, headers=None):
        if time.monotonic() > self.deadline:
            raise TimeUp()
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return Answer(answer.status, dict(answer.getheaders()), data, seconds)

    def csrf(self, path=PAGE):
        return support.CSRF_RE.search(self.request("GET", path).text).group(1)


class Answer:
    def __init__(self, status, headers, data, seconds):
        self.status, self.headers, self.data, self.seconds = status, headers, data, seconds
        self.queries = int(headers.get("X-Bench-Queries", 0))

    @property
    def text(self):
        return self.data.decode()


class Meter:
    """CPU nanoseconds of the worker's main thread and of PostgreSQL's backends."""

    def __init__(self, worker_pid, pg_url=None, database=None):
        self.worker_pid, self.pg_url, self.database = worker_pid, pg_url, database
        self.backends = []

    def find_backends(self):
        if self.pg_url:
            import psycopg2
            connection = psycopg2.connect(self.pg_url)
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                               "AND pid <> pg_backend_pid()", (self.database,))
                self.backends = [pid for (pid,) in cursor.fetchall()]
            connection.close()

    @staticmethod
    def _ns(pid):
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                return int(stat.read().split()[0])
        except OSError:
            return 0

    def process_ns(self):
        """The worker's CPU, every thread (argon2's, the outbox's), in clock ticks."""
        with open(f"/proc/{self.worker_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")

    def read(self):
        return (self._ns(self.worker_pid), sum(self._ns(pid) for pid in self.backends),
                self.process_ns())


class Family:
    """A family of the bench: its account, its bookings of January, its forms."""

    def __init__(self, account, kids, bookings, line, days, modalite_id):
        self.account, self.kids, self.bookings = account, kids, bookings
        self.forms = [{"ligne": line, "vue": "mensuel", "du": "2027-01-01",
                       "jours": [f"{modalite_id}:{day.isoformat()}" for day in kept]}
                      for kept in (days[1:], days)]  # untick the first day, then tick it back


def populate(url):
    """The demo commune and the two families (every open day of January booked)."""
    from tests.planning_support import FOUR_LINES, activity, line_key

    def add_families(password_hash):
        families = {}
        for size, account, count in (("1x1", 91001, 1), ("4x4", 91002, 4)):
            family, user, kids = support.signing_in_family(account, password_hash, count,
                                                           count, book_month=JANUARY_1)
            bookings, days = support.booked_rows(kids)
            name = FOUR_LINES[0]
            families[size] = Family(str(account), [k.id for k in kids], bookings,
                                    line_key(kids[-1], name), days,
                                    activity(name).modalites.first().id)
            families[size].family_id = family.id
        return families

    return support.served_families(url, add_families)


def pend_again(family):
    """Every booked day of January back, each pending cancellation (what TERMINER does)."""
    import models
    with models.db.connection_context():
        support.pend_cancellations(family.family_id, family.kids, family.bookings)


def gzipped(data):
    return len(gzip.compress(data, compresslevel=6))


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


class Samples:
    def __init__(self):
        self.wall, self.cpu, self.pg, self.queries, self.bytes, self.gz = [], [], [], [], 0, 0
        self.process = []


def measure(client, meter, trivial_client, samples, trivial, call, before=None, expect=(200,)):
    """One trivial request then one of ``call`` (``before`` untimed first), each timed."""
    cpu, pg, process = meter.read()
    answer = trivial_client.request("GET", TRIVIAL)
    after_cpu, after_pg, after_process = meter.read()
    trivial.wall.append(answer.seconds)
    trivial.cpu.append(after_cpu - cpu)
    if before:
        before()
    cpu, pg, process = meter.read()
    answer = call(client)
    after_cpu, after_pg, after_process = meter.read()
    assert answer.status in expect, (answer.status, answer.text[:300])
    samples.wall.append(answer.seconds)
    samples.cpu.append(after_cpu - cpu)
    samples.pg.append(after_pg - pg)
    samples.process.append(after_process - process)
    samples.queries.append(answer.queries)
    samples.bytes, samples.gz = len(answer.data), gzipped(answer.data)
    return answer


def bench_backend(label, url, pg_url, database_name, runs, timeout):
    from aiosmtpd.controller import Controller

    import models
    families = populate(url)
    smtp_port = support.free_port()
    smtp = Controller(support.Inbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    servers, (base,) = support.start_servers(1, 1, support.served_env(url, smtp_port))
    port = int(base.rsplit(":", 1)[1])
    Client.deadline = time.monotonic() + timeout
    results = {}
    try:
        trivial_client = Client(port)
        (worker,) = support.children(servers[0].pid)
        models.init_database(url)
        meter = Meter(worker, pg_url, database_name)
        trivial = Samples()
        for size, family in families.items():
            client = Client(port)
            sign_in = Samples()
            for _ in range(max(3, runs // 10)):
                client.cookies.clear()
                page = client.request("GET", "/connexion").text
                form = support.sign_in_form(family.account, page)
                measure(client, meter, trivial_client, sign_in, trivial,
                        lambda c: c.request("POST", "/connexion", form), expect=(302, 303))
            csrf = client.csrf()
            for _ in range(5):  # warm-up: the worker's caches, PostgreSQL's backend
                client.request("GET", PAGE)
                client.request("GET", "/planning/recapitulatif")
            meter.find_backends()
            rows = {"sign-in": sign_in}
            page, tick, validate = Samples(), Samples(), Samples()
            for index in range(runs):
                measure(client, meter, trivial_client, page, trivial,
                        lambda c: c.request("GET", PAGE))
                form = dict(family.forms[index % 2], csrf_token=csrf)
                measure(client, meter, trivial_client, tick, trivial,
                        lambda c: c.request("POST", "/planning/basculer", form,
                                            {"HX-Request": "true"}))
            for index in range(runs):
                form = dict(family.forms[index % 2], csrf_token=csrf)
                measure(client, meter, trivial_client, validate, trivial,
                        lambda c: c.request("POST", "/planning/valider", form),
                        expect=(303,))
            rows.update({"PLANNING": page, "tick": tick, "VALIDER": validate})
            recap, finish, done = Samples(), Samples(), Samples()
            pend_again(family)
            for _ in range(runs):
                measure(client, meter, trivial_client, recap, trivial,
                        lambda c: c.request("GET", "/planning/recapitulatif"))
            meter.find_backends()  # the outbox's thread has a connection of its own
            for _ in range(max(5, runs // 3)):
                answer = measure(client, meter, trivial_client, finish, trivial,
                                 lambda c: c.request("POST", "/planning/terminer",
                                                     {"csrf_token": csrf}),
                                 before=lambda: pend_again(family),
                                 expect=(303,))
                location = answer.headers["Location"]
                page = measure(client, meter, trivial_client, done, trivial,
                               lambda c: c.request("GET", location))
                assert "VOTRE RESERVATION EST TERMINEE" in html.unescape(page.text)
                meter.find_backends()
            rows.update({"recap": recap, "TERMINER": finish, "confirmation": done})
            first_load = first_load_bytes(client)
            results[size] = (rows, first_load)
    finally:
        support.stop_servers(servers)
        smtp.stop()
        models.db.close()
    report(label, runs, trivial, results, pg_url is not None)


def first_load_bytes(client):
    """(requests, gzipped bytes) of the PLANNING page and the CSS and scripts it links."""
    page = client.request("GET", PAGE)
    assets = sorted(set(ASSET_RE.findall(page.text)))
    total = gzipped(page.data) + sum(gzipped(client.request("GET", a).data) for a in assets)
    return 1 + len(assets), total


def report(label, runs, trivial, results, postgres):
    base = statistics.median(trivial.wall)
    base_cpu = statistics.median(trivial.cpu)
    print(f"\n{label}: gunicorn 1 sync worker, loopback, {runs} runs per action "
          f"(sign-in {max(3, runs // 10)}, TERMINER {max(5, runs // 3)}); trivial route "
          f"GET {TRIVIAL}: wall p50 {base * 1000:.2f} ms, p95 "
          f"{percentile(trivial.wall, 0.95) * 1000:.2f} ms, worker CPU p50 "
          f"{base_cpu / 1e6:.2f} ms ({len(trivial.wall)} requests, one before each measured)")
    print(f"{'action':<13}{'family':>6}{'p50 ms':>8}{'p95 ms':>8}{'x triv':>8}{'p95 x':>7}"
          f"{'CPU ms':>8}{'CPU x':>7}{'all CPU':>8}{'PG ms':>7}{'queries':>8}{'bytes':>8}{'gzip':>7}")
    for size, (rows, (requests, first_load)) in results.items():
        for name, s in rows.items():
            median, cpu = statistics.median(s.wall), statistics.median(s.cpu)
            pg = f"{statistics.median(s.pg) / 1e6:>7.2f}" if postgres else f"{'-':>7}"
            print(f"{name:<13}{size:>6}{median * 1000:>8.2f}{percentile(s.wall, .95) * 1000:>8.2f}"
                  f"{median / base:>8.1f}{percentile(s.wall, .95) / base:>7.1f}"
                  f"{cpu / 1e6:>8.2f}{cpu / base_cpu:>7.1f}"
                  f"{statistics.mean(s.process) / 1e6:>8.1f}{pg}"
                  f"{statistics.median(s.queries):>8.0f}{s.bytes:>8}{s.gz:>7}")
        print(f"{'':<13}{size:>6}  PLANNING's first load: {requests} requests, "
              f"{first_load / 1024:.1f} KB gzipped")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL")
                        or (os.environ.get("DATABASE_URL") if os.environ.get(
                            "DATABASE_URL", "").startswith("postgresql") else None),
                        help="a PostgreSQL server (a database of the bench's own is made)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per backend at most")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "sqlite" in backends:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
        bench_backend("SQLite", url, None, None, args.runs, args.timeout)
    if "postgresql" in backends and args.database_url:
        name, url = support.create_database(args.database_url)
        try:
            bench_backend("PostgreSQL", url, args.database_url, name, args.runs, args.timeout)
        finally:
            support.drop_database(args.database_url, name)


if __name__ == "__main__":
    main()
