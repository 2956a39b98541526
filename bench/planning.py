"""Benchmark of PLANNING - RÉSERVATIONS (not a test): server times of the calendar page,
a toggle, the recap and TERMINER, at 1 child x 1 line and at 4 children x 4 lines.

Each action runs many times through the WSGI app in process; the median and the 95th
percentile are printed in milliseconds and as a ratio to a trivial route (a static file)
measured in the same run, so that the figures compare across machines. Also printed: the
page's bytes (raw and gzipped) and the SQL queries of each action.

    .venv/bin/python bench/planning.py [--runs 200] [--database-url postgresql://...] [--cpu]

``--cpu`` times with the process's CPU clock instead of the wall clock: on a machine
shared with other work, the wall clock counts the time other processes held the CPU.
"""
import os
import sys

# This file is named like the standard "calendar" module: run from bench/, its folder must
# not shadow it. The project's root takes its place on the path.
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import datetime  # noqa: E402
import gzip  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import models  # noqa: E402
from bench.support import NOW, booked_rows, demo_app, pend_cancellations  # noqa: E402
from tests.planning_support import (  # noqa: E402
    FOUR_LINES,
    QueryCounter,
    activity,
    line_key,
    new_family,
    page_token,
    sign_in,
    token,
)

JANUARY_1 = datetime.date(2027, 1, 1)
PAGE = "/planning/?du=2027-01-01"
TRIVIAL = "/static/js/portail.js"


CLOCK = time.perf_counter


BLOCK = 20


def timed(call, runs, before=None, trivial=None):
    """[milliseconds] of ``runs`` calls (``before`` runs untimed before each). With
    ``trivial``: ``(times, trivial times)``, as many trivial requests timed in blocks of
    ``BLOCK`` before each block of calls, so that a drift of the machine's speed during
    the run (another process, the CPU's frequency) weighs on both sides of the ratio
    alike (in blocks, not one by one: a trivial request right after a heavy one pays
    the caches it emptied, which would flatter the ratio)."""
    times, trivial_times = [], []
    for n in range(runs):
        if trivial and n % BLOCK == 0:
            trivial_times.extend(timed(trivial, BLOCK))
        if before:
            before()
        start = CLOCK()
        response = call()
        times.append((CLOCK() - start) * 1000)
        assert response.status_code < 400, response.status_code
        response.close()
    return (times, trivial_times) if trivial else times


def p95(values):
    return sorted(values)[int(len(values) * 0.95) - 1]


def queries(call):
    with QueryCounter() as counter:
        call().close()
    return counter.count


class FamilyBench:
    """One family's client and the four actions to time."""

    def __init__(self, app, account, children, lines):
        self.family, user, self.kids = new_family(account, children, lines, book_month=JANUARY_1)
        self.lines = lines
        self.client = app.test_client()
        sign_in(self.client, user)
        self.csrf = page_token(self.client)
        self.bookings, days = booked_rows(self.kids)
        name = FOUR_LINES[0]
        only = activity(name).modalites.first()
        self.toggle_forms = [
            {"ligne": line_key(self.kids[-1], name), "vue": "mensuel", "du": "2027-01-01",
             "jours": [token(day, only) for day in kept], "csrf_token": self.csrf}
            for kept in (days[1:], days)]  # untick the first day, then tick it back
        self.toggles = 0

    def page(self):
        return self.client.get(PAGE)

    def toggle(self):
        self.toggles += 1
        return self.client.post("/planning/basculer", data=self.toggle_forms[self.toggles % 2],
                                headers={"HX-Request": "true"})

    def recap(self):
        return self.client.get("/planning/recapitulatif")

    def finish(self):
        return self.client.post("/planning/terminer", data={"csrf_token": self.csrf})

    def pend_cancellations(self):
        """Every booked day of the family pending cancellation (restored first)."""
        pend_cancellations(self.family, self.kids, self.bookings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cpu", action="store_true", help="time with the CPU clock")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app = demo_app(url, NOW)
    models.db.connect(reuse_if_open=True)
    trivial_client = app.test_client()
    benches = {"1x1": FamilyBench(app, 91001, 1, 1), "4x4": FamilyBench(app, 91002, 4, 4)}
    for bench in benches.values():  # warm-up
        for _ in range(5):
            bench.page().close()
            bench.recap().close()
    def trivial():
        return trivial_client.get(TRIVIAL)

    trivial_times = timed(trivial, args.runs)
    print(f"database: {url.split(':')[0]}; clock: {'CPU' if args.cpu else 'wall'}; "
          f"runs: {args.runs} (TERMINER: {args.runs // 4}); "
          f"trivial route {TRIVIAL}: median {statistics.median(trivial_times):.2f} ms, "
          f"p95 {p95(trivial_times):.2f} ms; each action's ratio is to the trivial route "
          f"timed in blocks of {BLOCK} between blocks of its calls (its median: column "
          "'trivial ms')")
    print(f"{'action':<10}{'family':>7}{'median ms':>11}{'p95 ms':>9}{'x trivial':>11}"
          f"{'p95 x':>8}{'queries':>9}{'trivial ms':>12}")
    for size, bench in benches.items():
        page_html = bench.page().get_data()
        rows = [("page", timed(bench.page, args.runs, trivial=trivial), queries(bench.page)),
                ("toggle", timed(bench.toggle, args.runs, trivial=trivial),
                 queries(bench.toggle))]
        bench.pend_cancellations()
        rows.append(("recap", timed(bench.recap, args.runs, trivial=trivial),
                     queries(bench.recap)))
        finish_times = timed(bench.finish, args.runs // 4, before=bench.pend_cancellations,
                             trivial=trivial)
        bench.pend_cancellations()
        rows.append(("TERMINER", finish_times, queries(bench.finish)))
        for name, (times, paired), count in rows:
            median, base = statistics.median(times), statistics.median(paired)
            print(f"{name:<10}{size:>7}{median:>11.2f}{p95(times):>9.2f}{median / base:>11.1f}"
                  f"{p95(times) / base:>8.1f}{count:>9}{base:>12.2f}")
        print(f"{'':<10}{size:>7}  page: {len(page_html)} bytes, "
              f"{len(gzip.compress(page_html))} gzipped; "
              f"{len(bench.bookings)} bookings, "
              f"{len(bench.bookings)} changes per TERMINER")
    models.db.close()


if __name__ == "__main__":
    main()
