"""Benchmark of the attendance register and the meal counts (not a test).

Fills a fresh database with N children (maternelle, public school, a guardian and a
pickup person each, a fiche sanitaire, one in ten with a PAI), every one booked on
CL Maternel Mercredis on 06/01/2027 and at the canteen on every school day of January
2027, then times through the WSGI app (median of ``--runs``) the register of that
Wednesday (every school: past 150 children, its list of groups; then one school's),
its CSV, and the meal counts of the month, and counts their SQL queries.
The queries must not grow with N.

    .venv/bin/python bench/attendance.py [--children 2000] [--runs 20] [--database-url ...]
"""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import datetime  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import models  # noqa: E402
from bench.support import demo_app  # noqa: E402
from domain.catalogue.opening import open_days  # noqa: E402
from domain.family.accounts import new_session_token  # noqa: E402
from models import (  # noqa: E402
    Activity,
    Booking,
    Child,
    Family,
    Guardian,
    HealthRecord,
    Modalite,
    PickupPerson,
    User,
)
from tests.planning_support import QueryCounter, sign_in  # noqa: E402

NOW = "2026-11-26T10:00"
WEDNESDAY = datetime.date(2027, 1, 6)


def add_children(count, start):
    """``count`` more children, each in their own family, booked as described above."""
    cl = Activity.get(Activity.name == "CL Maternel Mercredis")
    canteen = Activity.get(Activity.name == "Restauration Maternelle")
    cl_modalite = cl.modalites.order_by(Modalite.position).first()
    meal = canteen.modalites.first()
    meal_days = open_days(canteen, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), "C")
    with models.db.atomic():
        for index in range(start, start + count):
            family = Family.create(account_number=50000 + index, name=f"FAMILLE{index}")
            Guardian.create(family=family, last_name=f"FAMILLE{index}", first_name="Parent",
                            phone_mobile="06 00 00 00 00")
            PickupPerson.create(family=family, last_name=f"FAMILLE{index}",
                                first_name="Mamie", phone="05 00 00 00 00")
            kid = Child.create(family=family, first_name=f"ENFANT{index}", last_name="BENCH",
                               class_level=("PS", "MS", "GS")[index % 3],
                               school_name=f"École maternelle {index % 4 + 1}")
            HealthRecord.create(child=kid, has_pai=index % 10 == 0,
                                allergies="Arachide" if index % 10 == 0 else "")
            Booking.insert_many(
                [{"child": kid, "activity": cl, "modalite": cl_modalite, "date": WEDNESDAY,
                  "price_cents": 520}]
                + [{"child": kid, "activity": canteen, "modalite": meal, "date": day,
                    "price_cents": 330} for day in meal_days]).execute()


def measure(client, path, runs):
    with QueryCounter() as counter:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    size = len(response.get_data())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).close()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), counter.count, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    url = options.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app = demo_app(url, NOW)
    with app.app_context():
        cl_id = Activity.get(Activity.name == "CL Maternel Mercredis").id
        agent = User.get(User.role == User.ROLE_AGENT)
        agent.session_token = new_session_token()
        agent.save()
    paths = {
        "register": f"/agents/presences/?date={WEDNESDAY.isoformat()}&activite={cl_id}",
        "register, 1 school": f"/agents/presences/?date={WEDNESDAY.isoformat()}"
                              f"&activite={cl_id}&ecole=%C3%89cole+maternelle+1&groupe=maternel",
        "register CSV": f"/agents/presences/export.csv?date={WEDNESDAY.isoformat()}"
                        f"&activite={cl_id}",
        "print view": f"/agents/presences/imprimer?date={WEDNESDAY.isoformat()}"
                      f"&activite={cl_id}",
        "meals (month)": "/agents/repas/?date=2027-01-01&periode=mois",
        "occupancy (month)": "/agents/occupation/?mois=2027-01",
    }
    client = app.test_client()
    done = 0
    print(f"{'children':>8}  {'page':<18} {'median ms':>9} {'queries':>7} {'bytes':>9}")
    for target in sorted({min(200, options.children), options.children}):
        with app.app_context(), models.db.connection_context():
            add_children(target - done, done)
            agent = User.get(User.role == User.ROLE_AGENT)
        done = target
        sign_in(client, agent)
        for name, path in paths.items():
            median, queries, size = measure(client, path, options.runs)
            print(f"{target:>8}  {name:<18} {median:>9.1f} {queries:>7} {size:>9}")


if __name__ == "__main__":
    main()
