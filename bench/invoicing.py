"""Benchmark of the monthly invoicing run (not a test): time and SQL queries of
``issue_month`` for 1,000 and 10,000 families, of the invoice emails, and of the
month's direct debit collection for all of them (every family has a mandate): the
collection built (one debit per invoice, each family pre-notified by email) and its
pain.008 file made and validated against its schema. Goal: 10,000 families under a
minute on SQLite, all steps together.

Each size runs on a fresh database with the demo commune plus N families of one or
two maternelle children, each booked on every open day of January 2027 on three
lines (restauration, ALAE matin, the Wednesday centre de loisirs) at the prices of
one of the three QF brackets. The query count must not grow per family: reads are
batched and rows bulk-inserted (multi-row INSERTs of up to 5,000 rows, so only
their number grows, by one per few thousand rows).

    .venv/bin/python bench/invoicing.py [--sizes 1000,10000] [--database-url postgresql://...]

A PostgreSQL URL must name an empty database (its tables are emptied first).
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import models  # noqa: E402
from bench.support import demo_app  # noqa: E402
from domain import clock, commune  # noqa: E402
from domain.billing import direct_debit  # noqa: E402
from domain.billing.notices import send_invoice_emails  # noqa: E402
from domain.billing.run import issue_month  # noqa: E402
from domain.catalogue.opening import open_days  # noqa: E402
from models import (  # noqa: E402
    Activity,
    Booking,
    Child,
    Family,
    InvoicedBooking,
    InvoiceLine,
    Mandate,
    Modalite,
    QFBracket,
    Tariff,
    User,
)
from tests.planning_support import QueryCounter  # noqa: E402

NOW = "2027-02-01T09:00"
LINES = ("Restauration Maternelle", "ALAE Matin", "CL Maternel Mercredis")
FIRST, LAST = datetime.date(2027, 1, 1), datetime.date(2027, 1, 31)
DEBIT_DAY = datetime.date(2027, 2, 15)
#: Valid French IBANs (checksums right), one per family in turn.
IBANS = ("FR7630006000011234567890189", "FR1420041010050500013M02606",
         "FR7630001007941234567890185")


def populate(count):
    """``count`` families (1 or 2 children) booked every open day of January."""
    start = 100000
    with models.db.atomic():
        Family.insert_many([{"account_number": start + i, "name": f"FAMILLE{i}"}
                            for i in range(count)]).execute()
        families = [f for f, in Family.select(Family.id).where(
            Family.account_number >= start).order_by(Family.id).tuples()]
        User.insert_many([{"email": f"bench{i}@example.org", "password_hash": "x",
                           "family": family_id, "session_token": f"t{i}"}
                          for i, family_id in enumerate(families)]).execute()
        rows = []
        for i, family_id in enumerate(families):
            for k in range(1 + i % 2):
                rows.append({"family": family_id, "first_name": f"ENFANT{k + 1}",
                             "last_name": "BENCH", "class_level": "MS"})
        for chunk in range(0, len(rows), 5000):
            Child.insert_many(rows[chunk:chunk + 5000]).execute()
        children = list(Child.select(Child.id, Child.family).where(
            Child.family.in_(families)).tuples())
        brackets = list(QFBracket.select().order_by(QFBracket.position))
        plan = []
        for name in LINES:
            act = Activity.get(Activity.name == name)
            modalite = act.modalites.order_by(Modalite.position).first()
            prices = [Tariff.get((Tariff.modalite == modalite) & (Tariff.bracket == b))
                      .price_cents for b in brackets]
            plan.append((act.id, modalite.id, prices, open_days(act, FIRST, LAST, "C")))
        batch = []
        for child_id, family_id in children:
            for activity_id, modalite_id, prices, days in plan:
                price = prices[family_id % 3]
                batch += [(child_id, activity_id, modalite_id, day, price) for day in days]
            if len(batch) > 20000:
                _insert_bookings(batch)
                batch = []
        _insert_bookings(batch)
    return Booking.select().where(Booking.date.between(FIRST, LAST)).count()


def _insert_bookings(batch):
    for chunk in range(0, len(batch), 5000):
        Booking.insert_many(batch[chunk:chunk + 5000],
                            fields=[Booking.child, Booking.activity, Booking.modalite,
                                    Booking.date, Booking.price_cents]).execute()


def bench(database_url, count):
    app = demo_app(database_url, NOW)
    with app.app_context(), models.db.connection_context():
        started = time.perf_counter()
        bookings = populate(count)
        setup = time.perf_counter() - started
        with QueryCounter() as counter:
            started = time.perf_counter()
            ids = issue_month(2027, 1, "C", clock.now())
            run = time.perf_counter() - started
        inserts = sum(1 for sql in counter.statements if sql.lstrip().upper().startswith("INSERT"))
        with QueryCounter() as again_counter:
            started = time.perf_counter()
            again = issue_month(2027, 1, "C", clock.now())
            rerun = time.perf_counter() - started
        with QueryCounter() as mail_counter:
            started = time.perf_counter()
            queued = _queue_only(app, ids)
            mail = time.perf_counter() - started
        lines = InvoiceLine.select().count()
        billed = InvoicedBooking.select().count()
        mandates = give_mandates()
        settings = commune.set_billing_settings(
            sepa_creditor_id="FR72ZZZ123456", sepa_creditor_iban="FR7630001007941234567890185",
            sepa_creditor_bic="BDFEFRPPXXX", debit_day=DEBIT_DAY.day)
        with QueryCounter() as collect_counter, _no_delivery():
            started = time.perf_counter()
            collection = direct_debit.build_collection(2027, 1, DEBIT_DAY, settings, None,
                                                       clock.now())
            collect = time.perf_counter() - started
        with QueryCounter() as file_counter:
            started = time.perf_counter()
            xml = direct_debit.pain008(collection, settings)
            pain = time.perf_counter() - started
    print(f"{count:>6} families, {bookings} bookings in January (setup {setup:.1f} s)")
    print(f"       run: {len(ids)} invoices, {lines} lines, {billed} bookings billed in "
          f"{run:.2f} s, {counter.count} queries ({counter.count - inserts} reads/locks/updates "
          f"+ {inserts} bulk INSERTs of thousands of rows)")
    print(f"       run again: {len(again)} invoices in {rerun:.2f} s, {again_counter.count} queries")
    print(f"       emails queued: {queued} in {mail:.2f} s, {mail_counter.count} queries")
    print(f"       direct debit: {mandates} mandates; collection of {collection.count} debits "
          f"({collection.total_cents / 100:.2f} EUR) built, families pre-notified, in "
          f"{collect:.2f} s, {collect_counter.count} queries")
    print(f"       pain.008: {len(xml) // 1024} KiB made and validated in {pain:.2f} s, "
          f"{file_counter.count} queries")
    print(f"       total (run, emails, collection, file): {run + mail + collect + pain:.1f} s")
    assert len(ids) == count + 1  # the demo's family 16123 (ALAE) too
    assert collection.count == count and xml.count(b"<DrctDbtTxInf>") == count


def give_mandates():
    """A mandate in force for every bench family (not the demo's); their number."""
    now = clock.as_stored(clock.now())
    families = [f for f, in Family.select(Family.id).where(Family.account_number >= 100000)
                .order_by(Family.id).tuples()]
    rows = [{"family": family_id, "rum": f"PF-BENCH-{family_id}", "holder": f"FAMILLE{i}",
             "iban": IBANS[i % len(IBANS)], "bic": "AGRIFRPPXXX",
             "signed_on": datetime.date(2027, 1, 15), "signed_at": now}
            for i, family_id in enumerate(families)]
    with models.db.atomic():
        for chunk in range(0, len(rows), 2000):
            Mandate.insert_many(rows[chunk:chunk + 2000]).execute()
    return len(rows)


@contextlib.contextmanager
def _no_delivery():
    """Queue emails (rendered, bulk-inserted) without delivering them."""
    from domain import mail as outbox
    queued_hook = outbox._Wiring.queued
    outbox._Wiring.queued = staticmethod(lambda: None)
    try:
        yield
    finally:
        outbox._Wiring.queued = queued_hook


def _queue_only(app, ids):
    """Queue the invoice emails without delivering them."""
    with _no_delivery():
        return send_invoice_emails(ids, "http://127.0.0.1:5000")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
        bench(url, size)


if __name__ == "__main__":
    main()
