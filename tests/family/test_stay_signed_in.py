"""« Rester connecté sur cet appareil »: a family's browser stays signed in for
REMEMBER_DAYS after its sign-in, closed or not; staff never; DÉCONNEXION, a new
password or the end of the days end it."""
import datetime
import email.utils

import pytest

from demo import DEMO_LOGINS
from domain.family.sign_in import stay_has_ended, stay_signed_in_until
from models import Guardian, User
from tests.fixtures.databases import TEST_NOW
from tests.helpers import csrf_from

NOW = datetime.datetime.fromisoformat(TEST_NOW)


def sign_in(client, who="famille 16122", remember=True):
    identifier, password = DEMO_LOGINS[who]
    token = csrf_from(client.get("/connexion").get_data(as_text=True))
    data = {"identifier": identifier, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    answer = client.post("/connexion", data=data)
    assert answer.status_code == 303, answer.status_code
    return answer


def session_cookie(answer):
    (cookie,) = [value for value in answer.headers.getlist("Set-Cookie")
                 if value.startswith("session=")]
    return cookie


def expires(cookie):
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "expires":
            return email.utils.parsedate_to_datetime(value)
    return None


def signed_in(client):
    answer = client.get("/planning/")
    return answer.status_code == 200 and "DÉCONNEXION" in answer.get_data(as_text=True)


def test_the_sign_in_page_offers_it_with_its_days_and_a_warning(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert '<input aria-describedby="remember-hint" id="remember" name="remember" ' \
        'type="checkbox" value="y">' in page
    assert '<label class="inline-label" for="remember">Rester connecté sur cet appareil</label>' \
        in page
    assert "vous restez connecté 30 jours, même après avoir fermé le navigateur. " \
           "Ne cochez pas sur un appareil partagé." in page


def test_a_family_that_ticks_it_keeps_a_cookie_for_30_days(client):
    cookie = session_cookie(sign_in(client))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now + datetime.timedelta(days=29, hours=23) < expires(cookie) \
        <= now + datetime.timedelta(days=30, minutes=1)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert signed_in(client)


def test_without_it_the_cookie_dies_with_the_browser(client):
    assert expires(session_cookie(sign_in(client, remember=False))) is None
    assert signed_in(client)


@pytest.mark.parametrize("who", ["agent", "administrateur"])
def test_staff_are_never_kept_signed_in(client, who):
    assert expires(session_cookie(sign_in(client, who))) is None


def test_the_kept_sign_in_ends_30_days_after_it_began(app, client):
    sign_in(client)
    app.config["PORTAIL_TODAY"] = (NOW + datetime.timedelta(days=29, hours=23)).isoformat()
    assert signed_in(client)
    app.config["PORTAIL_TODAY"] = (NOW + datetime.timedelta(days=30, minutes=1)).isoformat()
    answer = client.get("/planning/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")
    app.config["PORTAIL_TODAY"] = TEST_NOW  # the session itself is gone, not only late
    assert not signed_in(client)


def test_deconnexion_elsewhere_ends_it_on_every_device(app, client):
    sign_in(client)
    other = app.test_client()
    sign_in(other, remember=False)
    token = csrf_from(other.get("/").get_data(as_text=True))
    assert other.post("/deconnexion", data={"csrf_token": token}).status_code == 303
    assert not signed_in(client)


@pytest.mark.app_config(REMEMBER_DAYS=0)
def test_a_commune_may_not_offer_it(app, client):
    # Sessions then keep Flask's own limit (not a day: staff would be cut off mid-work).
    assert app.permanent_session_lifetime == datetime.timedelta(days=31)
    assert 'name="remember"' not in client.get("/connexion").get_data(as_text=True)
    assert expires(session_cookie(sign_in(client))) is None


def test_an_unreadable_end_is_an_end_and_staff_get_none():
    assert stay_has_ended("pas une date", NOW) and stay_has_ended(None, NOW)
    assert not stay_has_ended(NOW.isoformat(), NOW - datetime.timedelta(seconds=1))
    assert stay_has_ended(NOW.isoformat(), NOW)
    assert stay_signed_in_until(User(role=User.ROLE_AGENT), NOW, 30) is None
    assert stay_signed_in_until(User(role=User.ROLE_FAMILY), NOW, 0) is None
    assert stay_signed_in_until(User(role=User.ROLE_FAMILY), NOW, 1) == \
        NOW + datetime.timedelta(days=1)
    assert stay_signed_in_until(User(role=User.ROLE_FAMILY), NOW, 30) == \
        NOW + datetime.timedelta(days=30)


def test_a_new_password_chosen_elsewhere_ends_it(app, client):
    sign_in(client)
    other = app.test_client()
    sign_in(other, remember=False)
    password = DEMO_LOGINS["famille 16122"][1]
    answer = other.post("/mot-de-passe", data={
        "current": password, "password": "trois petits chats sur le toit",
        "confirm": "trois petits chats sur le toit",
        "csrf_token": csrf_from(other.get("/mot-de-passe").get_data(as_text=True))})
    assert answer.status_code == 303 and signed_in(other)
    assert not signed_in(client)


def test_staff_removing_the_access_ends_it(app, client):
    """Karim kept his sign-in; the service removes his access (separated parents): his
    browser is signed out at its next request."""
    sign_in(client, "famille 16123 (Karim)")
    family_id = User.get(User.email == DEMO_LOGINS["famille 16123 (Karim)"][0]).family_id
    karim = Guardian.get(Guardian.first_name == "Karim")
    staff = app.test_client()
    sign_in(staff, "agent", remember=False)
    token = csrf_from(staff.get(f"/agents/familles/{family_id}").get_data(as_text=True))
    assert staff.post(f"/agents/familles/{family_id}/responsables/{karim.id}/acces/retirer",
                      data={"motif": "", "csrf_token": token}).status_code == 303
    assert not signed_in(client)


def test_a_new_password_chosen_on_this_device_keeps_it_here(app, client):
    """The other sessions end; this browser, kept signed in, stays so until the same
    day as before (a new password does not restart the 30 days)."""
    sign_in(client)
    password = DEMO_LOGINS["famille 16122"][1]
    answer = client.post("/mot-de-passe", data={
        "current": password, "password": "trois petits chats sur le toit",
        "confirm": "trois petits chats sur le toit",
        "csrf_token": csrf_from(client.get("/mot-de-passe").get_data(as_text=True))})
    assert answer.status_code == 303 and expires(session_cookie(answer)) is not None
    app.config["PORTAIL_TODAY"] = (NOW + datetime.timedelta(days=30, minutes=1)).isoformat()
    assert not signed_in(client)


@pytest.mark.app_config(REMEMBER_DAYS=1)
def test_one_day_is_said_in_the_singular(client):
    assert "vous restez connecté 1 jour, même après" in client.get("/connexion").get_data(
        as_text=True)
