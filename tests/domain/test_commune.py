"""The commune's settings have one source, its database row: the environment only seeds it."""
import datetime
import re

from demo import create_demo
from domain import commune
from domain.booking import inscription
from domain.clock import PARIS
from models import Activity, Booking, Child, Commune, SchoolYear, db
from tests.conftest import AuthActions, make_app

#: February 2027: zone C is on holiday 6–21/02, zone A 13–28/02.
SCHOOL_DAY_IN_C_ONLY = datetime.date(2027, 2, 22)  # a Monday: school in C, holiday in A
HOLIDAY_IN_C_ONLY = datetime.date(2027, 2, 8)  # a Monday: holiday in C, school in A


def test_planning_and_inscription_follow_the_row_when_the_environment_disagrees(
        tmp_path, smtp_server):
    """HOLIDAY_ZONE says A, the commune's row says C: both tabs follow C, the same calendar."""
    app = make_app("sqlite:///" + str(tmp_path / "p.db"), tmp_path, smtp_server.port,
                   HOLIDAY_ZONE="A", COMMUNE_NAME="Ville de l'Environnement")
    with app.app_context(), db.connection_context():
        create_demo(datetime.date(2026, 11, 26), "C", "Commune de la Base")
        Commune.update(name="Commune de la Base").execute()
        assert commune.holiday_zone() == "C"
        lena = Child.get(Child.first_name == "LENA")
        matin = Activity.get(Activity.name == "ALAE Matin")
        now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
        inscription.open_lines(lena.family.users.get(), lena, [str(matin.id)], SchoolYear.get(),
                               now)
        booked = {b.date for b in Booking.select().where(Booking.child == lena,
                                                          Booking.activity == matin)}
    assert SCHOOL_DAY_IN_C_ONLY in booked and HOLIDAY_IN_C_ONLY not in booked

    client = app.test_client()
    AuthActions(client).login("famille 16122")
    page = client.get("/planning/?du=2027-02-01&vue=mensuel").get_data(as_text=True)
    assert "Commune de la Base" in page and "Environnement" not in page
    headers = re.findall(r'<th scope="col"( class="x")?>(\w\w \d\d)', page)
    closed = {label for css, label in headers if css}
    assert "Lu 08" in closed and "Lu 22" not in closed


def test_the_environment_seeds_the_row_once(tmp_path, smtp_server):
    """``migrate`` creates the row from the environment; later values do not change it."""
    app = make_app("sqlite:///" + str(tmp_path / "s.db"), tmp_path, smtp_server.port,
                   HOLIDAY_ZONE="b", COMMUNE_NAME="Ville Neuve")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["migrate"]).exit_code == 0
    app.config.update(HOLIDAY_ZONE="A", COMMUNE_NAME="Autre Ville")
    assert runner.invoke(args=["migrate"]).exit_code == 0
    with app.app_context(), db.connection_context():
        assert commune.settings() == commune.CommuneSettings("Ville Neuve", "B")
