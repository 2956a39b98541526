"""Benchmark of the families' import (not a test): 5,000 families in 12,000 rows checked
(the dry run), imported, then imported again (updates), with their time and SQL queries.

The file is a Windows-1252 CSV with ``;``, as French Excel saves it: every family has
one or two guardians, two or three children (one row each: 2 × 3,000 + 3 × 2,000 =
12,000 rows) in the demo's schools, and a quotient. The query count must stay constant
per batch of families (``domain.family.imports.BATCH``): reads are batched and rows
bulk-inserted or bulk-updated.

    .venv/bin/python bench/import.py [--families 5000] [--database-url postgresql://...]

A PostgreSQL URL must name an empty database (its tables are emptied first).
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import models  # noqa: E402
from bench.support import demo_app  # noqa: E402
from domain.family import imports  # noqa: E402
from domain.family.import_file import COLUMN_NAMES  # noqa: E402
from models import Child, Family, User  # noqa: E402
from tests.planning_support import QueryCounter  # noqa: E402

NOW = "2026-11-26T09:00"
CHILDREN = (("LÉA", "14/05/2021", "F", "École maternelle Jules Ferry", "MS"),
            ("NOÉ", "02/02/2018", "M", "École élémentaire Jean Jaurès", "CE1"),
            ("CLÉMENT", "20/11/2015", "M", "École élémentaire Jean Jaurès", "CM2"))


def make_file(count):
    """A CSV of ``count`` families: 3 children for the first 2/5ths, 2 for the rest."""
    lines = [";".join(COLUMN_NAMES)]
    for i in range(count):
        second = ["Mme", f"FAMILLE{i}", "Hélène", f"r2.{i}@example.org", "06 00 00 00 00", ""] \
            if i % 2 else [""] * 6
        family = ["", "M.", f"FAMILLE{i}", "François", f"r1.{i}@example.org",
                  "06 11 22 33 44", "", *second, f"{i} rue des Écoles", "31000",
                  "Saint-Exemple"]
        for first, birth, sex, school, level in CHILDREN[:3 if i < count * 2 // 5 else 2]:
            lines.append(";".join(family + ["", first, birth, sex, school, level,
                                            str(300 + i % 900), "01/09/2026"]))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run(database_url, count):
    app = demo_app(database_url, NOW)
    data = make_file(count)
    with app.app_context(), models.db.connection_context():
        staff = User.get(User.email == "admin@mairie.example.org")
        with QueryCounter() as check_counter:
            started = time.perf_counter()
            report = imports.check(data, "familles.csv")
            checked = time.perf_counter() - started
        assert not report.errors, report.errors[:3]
        with QueryCounter() as counter:
            started = time.perf_counter()
            outcome = imports.apply(staff, report)
            imported = time.perf_counter() - started
        with QueryCounter() as again_counter:
            started = time.perf_counter()
            again = imports.apply(staff, imports.check(data, "familles.csv"))
            reimported = time.perf_counter() - started
        families = Family.select().where(Family.imported_at.is_null(False)).count()
        children = Child.select().count()
    batches = -(-count // imports.BATCH)
    rows = data.count(b"\r\n") - 1
    print(f"{count} families, {rows} rows, {len(data) // 1024} KB (Windows-1252, ;)")
    print(f"  dry run: {report.summary} in {checked:.2f} s, {check_counter.count} queries")
    print(f"  import: {outcome.created} families, {outcome.children_created} children in "
          f"{imported:.2f} s, {counter.count} queries for {batches} batches of "
          f"{imports.BATCH} ({(counter.count - 3) / batches:.1f} per batch)")
    print(f"  again (dry run + updates): {again.updated} families, {again.children_updated} "
          f"children updated in {reimported:.2f} s, {again_counter.count} queries")
    print(f"  total dry run + import: {checked + imported:.2f} s (goal under 30 s)")
    assert families == count and again.created == 0 and children >= rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    run(url, args.families)


if __name__ == "__main__":
    main()
