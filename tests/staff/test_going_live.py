"""Going live from an empty database: ``flask create-admin``, the administrateur signs in
through the printed link, fills « Paramètres de la commune », and « Créer l'année
scolaire » makes the first school year from the standard catalogue (the guide's
activities and prices) or an empty one, its dates from the official calendar of the
commune's zone."""
import datetime
import re

import models
from domain.catalogue.standard import SCHOOL_ACTIVITIES
from models import (
    Activity,
    AuditLog,
    BookingWindow,
    Commune,
    Modalite,
    QFBracket,
    SchoolYear,
    Tariff,
)
from tests.helpers import csrf_from, error_of, text_of

STRONG = "girafe-violon-orage-31"
SETTINGS = {"name": "Ville de Castanet", "address": "Mairie\n1 place de la République",
            "contact_email": "enfance@castanet.fr", "phone": "05 61 00 11 22",
            "regie_address": "Régie, 1 place de la République", "regie_hours": "Mardi 9h-12h",
            "holiday_zone": "C", "deadline_day": "20", "main_period_opens": "10/03",
            "main_period_closes": "20/08"}


def signed_in_admin(application):
    """create-admin, then the invitation link, then the sign-in form: a client signed in."""
    runner = application.test_cli_runner()
    output = runner.invoke(args=["create-admin", "maire@castanet.fr"]).output
    path = re.search(r"http://localhost(/invitation/\S+)", output).group(1)
    client = application.test_client()
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_from(page), "password": STRONG,
                                   "confirm": STRONG}).status_code == 303
    page = client.get("/connexion")
    signed_in = client.post("/connexion", data={"identifier": "maire@castanet.fr",
                                                "password": STRONG, "csrf_token": csrf_from(page)})
    assert signed_in.status_code in (302, 303)
    return client


def create_year(client, start_year, start_from):
    page = client.get("/agents/admin/catalogue/")
    return client.post("/agents/admin/catalogue/creer", data={
        "csrf_token": csrf_from(page), "start_year": str(start_year), "start_from": start_from})


def middle_bracket_price(year, activity_name, modalite_name):
    bracket = year.qf_brackets.order_by(QFBracket.position)[1]
    return (Tariff.select().join(Modalite).join(Activity)
            .where((Activity.school_year == year) & (Activity.name == activity_name)
                   & (Modalite.name == modalite_name) & (Tariff.bracket == bracket)).get()
            .price_cents)


def test_from_an_empty_database_to_the_guides_catalogue(empty_app):
    with models.db.connection_context():
        assert SchoolYear.select().count() == 0 and Activity.select().count() == 0
    client = signed_in_admin(empty_app)
    assert "Aucune année scolaire." in text_of(client.get("/agents/admin/catalogue/"))
    # The commune's settings.
    page = client.get("/agents/admin/commune")
    assert client.post("/agents/admin/commune", data=dict(SETTINGS, csrf_token=csrf_from(page)),
                       content_type="multipart/form-data").status_code == 303
    assert "Ville de Castanet" in text_of(client.get("/agents/"))
    # The first school year, from the standard catalogue.
    answer = create_year(client, 2026, "standard")
    assert answer.status_code == 303
    text = text_of(client.get(answer.headers["Location"]))
    assert "L'année 2026/2027 est créée, du 01/09/2026 au 02/07/2027" in text
    assert "CL Maternel Mercredis" in text
    with models.db.connection_context():
        year = SchoolYear.get()
        assert (year.label, year.start_date, year.end_date, year.is_published) == \
            ("2026/2027", datetime.date(2026, 9, 1), datetime.date(2027, 7, 2), False)
        names = {a.name for a in year.activities}
        assert {spec[0] for spec in SCHOOL_ACTIVITIES} <= names
        assert "CLV Élémentaire ou maternel Hiver" in names
        # The guide's prices for a family of the middle bracket.
        assert middle_bracket_price(year, "CL Maternel Mercredis", "Après-midi SANS repas") == 520
        assert middle_bracket_price(year, "CL Maternel Mercredis", "Après-midi AVEC repas") == 1040
        # Zone C's Noël window, as the guide sets it.
        noel = BookingWindow.get((BookingWindow.school_year == year)
                                 & (BookingWindow.period == "Noël"))
        assert (noel.opens_on, noel.closes_on) == (datetime.date(2026, 11, 2),
                                                   datetime.date(2026, 12, 2))
        created = AuditLog.get(AuditLog.action == "catalogue.edited")
        assert "Année 2026/2027 créée (catalogue standard, brouillon)" in created.details
        assert created.user.email == "maire@castanet.fr"
        assert Commune.get().contact_email == "enfance@castanet.fr"


def test_an_empty_catalogue_has_the_year_and_no_activity(empty_app):
    client = signed_in_admin(empty_app)
    assert create_year(client, 2027, "vide").status_code == 303
    with models.db.connection_context():
        year = SchoolYear.get()
        assert year.label == "2027/2028"
        assert (year.start_date, year.end_date) == (datetime.date(2027, 9, 1),
                                                    datetime.date(2028, 7, 3))
        assert year.activities.count() == 0
        assert year.qf_brackets.count() == 3   # to set the tariffs of the activities to come


def test_the_dates_follow_the_zone_of_the_settings(empty_app):
    """Zone A's winter holidays are not zone C's: the year's Hiver CLV follows the zone."""
    client = signed_in_admin(empty_app)
    page = client.get("/agents/admin/commune")
    client.post("/agents/admin/commune", data=dict(SETTINGS, holiday_zone="A",
                                                   csrf_token=csrf_from(page)),
                content_type="multipart/form-data")
    create_year(client, 2026, "standard")
    with models.db.connection_context():
        hiver = BookingWindow.get(BookingWindow.period == "Hiver")
        # Zone A's winter holidays start on 13/02/2027 (zone C's on 06/02/2027).
        assert hiver.closes_on < datetime.date(2027, 2, 13)
        from domain.catalogue.opening import open_days
        clv = Activity.get(Activity.name == "CLV Élémentaire ou maternel Hiver")
        days = open_days(clv, datetime.date(2027, 2, 1), datetime.date(2027, 3, 5), "A")
        assert days[0] == datetime.date(2027, 2, 15) and datetime.date(2027, 2, 8) not in days


def test_a_year_that_exists_or_a_forged_choice_is_refused_next_to_its_field(empty_app):
    client = signed_in_admin(empty_app)
    assert create_year(client, 2026, "standard").status_code == 303
    again = create_year(client, 2026, "vide")
    assert again.status_code == 422
    assert "L'année 2026/2027 existe déjà." in error_of(again, "start_year")
    forged = create_year(client, 2031, "standard")
    assert forged.status_code == 422
    assert "Choisissez l'une des années proposées." in error_of(forged, "start_year")
    assert create_year(client, 2027, "autre").status_code == 422
    with models.db.connection_context():
        assert SchoolYear.select().count() == 1


def test_an_agent_cannot_create_a_year(client, auth):
    auth.login("agent")
    assert client.post("/agents/admin/catalogue/creer",
                       data={"start_year": "2027", "start_from": "vide"}).status_code in (400, 403)
