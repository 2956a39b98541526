"""Helpers of the PLANNING - RÉSERVATIONS tests (tests/family/test_planning*.py, tests/domain/test_booking*.py)."""
import datetime
import gzip

import pytest

import models
from domain.catalogue.opening import open_days
from domain.catalogue.pricing import family_bracket, prices_for
from models import Booking, Modalite
from tests import factories
from tests.helpers import (  # noqa: F401 (re-exported for the planning tests)
    HTMX,
    activity,
    csrf_from,
    demo_child as child,
    modalite,
    sign_in,
    text_of,
)

#: The four Wednesdays of January 2027: open for changes at the test "now" (26/11/2026).
JANUARY = [datetime.date(2027, 1, day) for day in (6, 13, 20, 27)]
SANS, AVEC = "Après-midi SANS repas", "Après-midi AVEC repas"
CL = "CL Maternel Mercredis"

#: Lines a test family's children open, four per child (maternel).
FOUR_LINES = ("Restauration Maternelle", CL, "Garderie Mercredi Scolaire",
              "CLV Élémentaire ou maternel Noël")


def enrol(kid, activity_name):
    """Open ``activity_name`` for ``kid`` (what INSCRIPTION does)."""
    return factories.enrolment(kid, activity_name)


def line_key(kid, activity_name):
    return f"{kid.id}-{activity(activity_name).id}"


def token(value, modalite_row):
    """The checkbox value of a day: ``<modalité id>:YYYY-MM-DD``."""
    return f"{modalite_row.id}:{value.isoformat()}"


def page_token(client, path="/planning/recapitulatif"):
    """A CSRF token of ``client``'s session."""
    return csrf_from(client.get(path).get_data(as_text=True))


def new_family(account, children=1, lines=1, book_month=None, qf=850):
    """A family with ``children`` maternelle children, each with the first ``lines`` of
    FOUR_LINES open; every open day of ``book_month`` (a date) booked when given."""
    family = factories.family(account, quotient=qf)
    user = family.users.get()
    kids = []
    for index in range(children):
        kid = factories.child(family, f"ENFANT{index + 1}", "TEST", class_level="MS")
        for name in FOUR_LINES[:lines]:
            enrol(kid, name)
            if book_month:
                book_whole_month(kid, activity(name), book_month, family)
        kids.append(kid)
    return family, user, kids


def book_whole_month(kid, act, month, family):
    """Book every open day of ``month`` (a date in it) of ``act`` for ``kid``, at the
    first modalité's price for the family's quotient."""
    last = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) \
        - datetime.timedelta(days=1)
    first_modalite = act.modalites.order_by(Modalite.position).first()
    price = prices_for(family_bracket(family, act.school_year), [first_modalite])[first_modalite.id]
    days = open_days(act, month, last, "C")
    if days:
        Booking.insert_many([{"child": kid, "activity": act, "modalite": first_modalite,
                              "date": day, "price_cents": price} for day in days]).execute()


def gzipped_size(data):
    if isinstance(data, str):
        data = data.encode()
    return len(gzip.compress(data, compresslevel=6))


class QueryCounter:
    """Counts the SQL statements run through peewee while active."""

    def __init__(self):
        self.statements = []

    def __enter__(self):
        database = models.db.obj
        self._original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.statements.append(sql)
            return self._original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del models.db.obj.execute_sql

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture
def lena(db, client, auth):
    """Signed in as family 16122, LENA's CL Maternel Mercredis line open."""
    kid = child("LENA")
    enrol(kid, CL)
    auth.login("famille 16122")
    return kid
