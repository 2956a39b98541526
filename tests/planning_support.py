"""Helpers of the PLANNING - RÉSERVATIONS tests (tests/test_planning*.py, test_booking*.py)."""
import datetime
import gzip
import re

import pytest

import models
from domain.family.accounts import new_session_token
from domain.catalogue.opening import open_days
from domain.billing.pricing import family_bracket, prices_for
from models import (Activity, Booking, Child, Enrolment, Family, Modalite, QFDeclaration, User,
                    utcnow)
from tests.conftest import csrf_from

#: The four Wednesdays of January 2027: open for changes at the test "now" (26/11/2026).
JANUARY = [datetime.date(2027, 1, day) for day in (6, 13, 20, 27)]
SANS, AVEC = "Après-midi SANS repas", "Après-midi AVEC repas"
CL = "CL Maternel Mercredis"
HTMX = {"HX-Request": "true"}

#: Lines a test family's children open, four per child (maternel).
FOUR_LINES = ("Restauration Maternelle", CL, "Garderie Mercredi Scolaire",
              "CLV Élémentaire ou maternel Noël")


def activity(name):
    return Activity.get(Activity.name == name)


def modalite(activity_name, name):
    return (Modalite.select().join(Activity)
            .where((Activity.name == activity_name) & (Modalite.name == name)).get())


def child(first_name):
    return Child.get(Child.first_name == first_name)


def enrol(kid, activity_name):
    """Open ``activity_name`` for ``kid`` (what INSCRIPTION does)."""
    Enrolment.get_or_create(child=kid, activity=activity(activity_name))


def line_key(kid, activity_name):
    return f"{kid.id}-{activity(activity_name).id}"


def token(value, modalite_row):
    """The checkbox value of a day: ``<modalité id>:YYYY-MM-DD``."""
    return f"{modalite_row.id}:{value.isoformat()}"


def sign_in(client, user):
    """Sign ``user`` in on ``client`` without the password form (fast, for many clients)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def page_token(client, path="/planning/recapitulatif"):
    """A CSRF token of ``client``'s session."""
    return csrf_from(client.get(path).get_data(as_text=True))


def new_family(account, children=1, lines=1, book_month=None, qf=850):
    """A family with ``children`` maternelle children, each with the first ``lines`` of
    FOUR_LINES open; every open day of ``book_month`` (a date) booked when given."""
    family = Family.create(account_number=account, name=f"FAMILLE{account}")
    user = User.create(email=f"f{account}@example.org", password_hash="x", family=family,
                       session_token=new_session_token())
    QFDeclaration.create(family=family, quotient=qf, status=QFDeclaration.VALIDATED,
                         reviewed_at=utcnow())
    kids = []
    for index in range(children):
        kid = Child.create(family=family, first_name=f"ENFANT{index + 1}", last_name="TEST",
                           class_level="MS")
        for name in FOUR_LINES[:lines]:
            enrol(kid, name)
            if book_month:
                _book_month(kid, activity(name), book_month, family)
        kids.append(kid)
    return family, user, kids


def _book_month(kid, act, month, family):
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


def text_of(html):
    """The visible text of ``html``, tags dropped, spaces squeezed (for assertions)."""
    import html as html_module
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_module.unescape(text)).replace("\u00a0", " ").strip()


@pytest.fixture
def lena(db, client, auth):
    """Signed in as family 16122, LENA's CL Maternel Mercredis line open."""
    kid = child("LENA")
    enrol(kid, CL)
    auth.login("famille 16122")
    return kid
