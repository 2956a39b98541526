"""Sign-in, sign-out, password policy and reset, as ASVS and the CNIL ask."""
import datetime
import re

import pytest

from app import create_app
from domain import clock
from domain.family import throttle
from domain.family.accounts import make_reset_token
from models import LoginThrottle, User
from tests.conftest import csrf_from
from tests.helpers import error_of


def login_page_token(client):
    return csrf_from(client.get("/connexion").get_data(as_text=True))


def post_login(client, identifier, password, **extra):
    data = {"identifier": identifier, "password": password,
            "csrf_token": login_page_token(client), **extra}
    return client.post("/connexion", data=data)


def without_tokens(html):
    """The page with its CSRF tokens blanked, to compare two answers."""
    return re.sub(r'(value="|X-CSRFToken": ")[^"]+"', r'\1"', html)


@pytest.mark.parametrize("identifier", ["16122", "famille.dupont@example.org",
                                        " FAMILLE.DUPONT@example.org "])
def test_family_signs_in_with_account_number_or_email(client, identifier):
    response = post_login(client, identifier, "famille-lena-16122")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Mon compte: [16122]" in page
    assert "DÉCONNEXION" in page


def test_staff_signs_in_to_the_back_office(client, auth):
    response = auth.login("agent")
    assert response.headers["Location"] == "/agents/"
    assert client.get("/agents/").status_code == 200


def test_wrong_password_does_not_tell_whether_the_account_exists(client):
    wrong = post_login(client, "16122", "not-the-right-password")
    unknown = post_login(client, "99999", "not-the-right-password")
    unknown_email = post_login(client, "personne@example.org", "not-the-right-password")
    assert wrong.status_code == unknown.status_code == unknown_email.status_code == 401
    assert "N° de compte, email ou mot de passe incorrect." in wrong.get_data(as_text=True)
    assert without_tokens(wrong.get_data(as_text=True)) == without_tokens(
        unknown.get_data(as_text=True))
    # What was typed is kept, the password is not.
    assert 'value="16122"' in wrong.get_data(as_text=True)
    assert "not-the-right-password" not in wrong.get_data(as_text=True)


def test_a_sign_in_form_sent_empty_is_refused_next_to_its_fields(client):
    """An empty field is a refused form (422), not wrong credentials (401)."""
    response = post_login(client, "", "")
    assert response.status_code == 422
    assert error_of(response, "identifier") == "Indiquez votre n° de compte ou votre email."
    assert error_of(response, "password") == "Indiquez votre mot de passe."


@pytest.mark.parametrize("identifier", ["16122", "99999"])
def test_sixth_wrong_password_in_a_row_is_delayed_and_says_so(client, db, identifier):
    for attempt in range(5):
        response = post_login(client, identifier, f"wrong-password-{attempt}")
        assert "Trop de tentatives" not in response.get_data(as_text=True) or attempt == 4
    # The 6th try is refused without even looking at the password, and says why.
    response = post_login(client, identifier, "famille-lena-16122")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Trop de tentatives de connexion ont échoué. Réessayez dans 1 minute." in page
    assert client.get("/").status_code == 302  # still not signed in
    # The delay grows: one more failure after it means two minutes.
    LoginThrottle.update(last_failure_at=clock.utc_now() - datetime.timedelta(minutes=2)).execute()
    post_login(client, identifier, "wrong-again")
    response = post_login(client, identifier, "famille-lena-16122")
    assert "Réessayez dans 2 minutes." in response.get_data(as_text=True)
    # Once the delay has passed, the right password works again.
    LoginThrottle.update(last_failure_at=clock.utc_now() - datetime.timedelta(minutes=3)).execute()
    if identifier == "16122":
        assert post_login(client, identifier, "famille-lena-16122").status_code == 303


def test_failures_are_counted_in_the_database_across_workers(db):
    for _ in range(5):
        throttle.record_failure("16122")
    row = LoginThrottle.get(LoginThrottle.identifier == "16122")
    assert row.consecutive_failures == 5 and row.day_failures == 5
    assert throttle.wait_remaining("16122") is not None
    throttle.record_success("16122")
    assert throttle.wait_remaining("16122") is None
    assert LoginThrottle.get(LoginThrottle.identifier == "16122").day_failures == 5


def test_at_most_25_failures_a_day(db):
    now = datetime.datetime(2026, 11, 26, 10, 0)
    LoginThrottle.create(identifier="16122", consecutive_failures=0, day_failures=25,
                         day=now.date(), last_failure_at=now)
    remaining = throttle.wait_remaining("16122", now=now)
    assert remaining == datetime.timedelta(hours=14)
    assert throttle.describe_wait(remaining) == "Réessayez dans 14 heures."
    assert throttle.wait_remaining("16122", now=now + datetime.timedelta(hours=15)) is None


def test_cookie_captured_before_sign_out_opens_nothing_after(app, client, auth):
    auth.login()
    captured = client.get_cookie("session").value
    assert client.get("/planning/").status_code == 200
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("session", captured)
    for path in ("/", "/planning/", "/mon-dossier/", "/messagerie/"):
        response = replay.get(path)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


def test_password_change_ends_the_other_sessions(app, client, auth):
    auth.login()
    other = app.test_client()
    AuthOther = type(auth)
    AuthOther(other).login()
    assert other.get("/").status_code == 200
    response = client.post("/mot-de-passe", data={
        "current": "famille-lena-16122", "password": "trois petits chats sur le toit",
        "confirm": "trois petits chats sur le toit", "csrf_token": auth.csrf("/mot-de-passe")})
    assert response.status_code == 303
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is over


@pytest.mark.parametrize("password, message", [
    ("123qweasdzxc", "figure dans les listes de mots de passe divulgués"),
    ("qwerty123456", "figure dans les listes de mots de passe divulgués"),
    ("court", "au moins 12 caractères"),
    ("aaaaaaaaaaaaaaaa", "trop facile à deviner"),
])
def test_weak_or_breached_password_is_refused(client, auth, password, message):
    auth.login()
    response = client.post("/mot-de-passe", data={
        "current": "famille-lena-16122", "password": password, "confirm": password,
        "csrf_token": auth.csrf("/mot-de-passe")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in error_of(page, "password")
    assert 'aria-invalid="true"' in page
    auth.logout()
    assert post_login(client, "16122", "famille-lena-16122").status_code == 303


@pytest.mark.parametrize("password, message", [
    ("x" * 73, "trop facile à deviner"),  # zxcvbn raised beyond 72 characters: a 500
    ("x" * 300, "trop facile à deviner"),
    ("trois petits chats sur le toit de la mairie, " * 2, None),  # 92 characters
])
def test_a_password_longer_than_zxcvbn_scores_is_judged_not_a_500(client, auth, password,
                                                                  message):
    auth.login()
    response = client.post("/mot-de-passe", data={
        "current": "famille-lena-16122", "password": password, "confirm": password,
        "csrf_token": auth.csrf("/mot-de-passe")})
    if message is None:
        assert response.status_code == 303
    else:
        assert response.status_code == 422
        assert message in error_of(response.get_data(as_text=True), "password")


def test_forgotten_password_link_works_once(app, client, mailbox):
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    response = client.post("/mot-de-passe-oublie", data={
        "identifier": "16122", "csrf_token": csrf_from(page)})
    assert "Si ce compte existe" in response.get_data(as_text=True)
    [mail] = mailbox.to("famille.dupont@example.org")
    link = re.search(r"http://localhost(/reinitialiser/\S+)", mailbox.text(mail)).group(1)
    form = client.get(link).get_data(as_text=True)
    new_password = "un bateau vert sous la pluie"
    response = client.post(link, data={"password": new_password, "confirm": new_password,
                                       "csrf_token": csrf_from(form)})
    assert response.status_code == 303
    assert post_login(client, "16122", new_password).status_code == 303
    # The same link a second time: refused.
    assert client.get(link).status_code == 400
    assert "n'est plus valable" in client.get(link).get_data(as_text=True)


def test_forgotten_password_forms_sent_wrong_are_refused_next_to_the_field(client, mailbox):
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    empty = client.post("/mot-de-passe-oublie", data={"identifier": " ",
                                                      "csrf_token": csrf_from(page)})
    assert empty.status_code == 422
    assert error_of(empty, "identifier") == "Indiquez votre n° de compte ou votre email."
    assert mailbox.messages == []
    client.post("/mot-de-passe-oublie", data={"identifier": "16122",
                                              "csrf_token": csrf_from(page)})
    [mail] = mailbox.to("famille.dupont@example.org")
    link = re.search(r"http://localhost(/reinitialiser/\S+)", mailbox.text(mail)).group(1)
    weak = client.post(link, data={"password": "azerty", "confirm": "azerty",
                                   "csrf_token": csrf_from(client.get(link).get_data(
                                       as_text=True))})
    assert weak.status_code == 422
    assert "au moins 12 caractères" in error_of(weak, "password")
    assert post_login(client, "16122", "famille-lena-16122").status_code == 303  # unchanged


def test_forgotten_password_gives_the_same_answer_for_unknown_accounts(client, mailbox):
    answers = []
    for identifier in ("16122", "99999", "nobody@example.org"):
        page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
        answers.append(without_tokens(client.post("/mot-de-passe-oublie", data={
            "identifier": identifier, "csrf_token": csrf_from(page)}).get_data(as_text=True)))
    assert answers[0] == answers[1] == answers[2]
    assert len(mailbox.messages) == 1


def test_expired_reset_link_is_refused(app, client, db):
    user = User.get(User.email == "famille.dupont@example.org")
    token = make_reset_token(app.config["SECRET_KEY"], user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(f"/reinitialiser/{token}").status_code == 400
    assert client.get("/reinitialiser/forged-token").status_code == 400


@pytest.mark.parametrize("next_url, expected", [
    ("/planning/", "/planning/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/agents/", "/"),  # a family is never sent to a staff page
])
def test_next_url_stays_on_the_site(client, next_url, expected):
    response = post_login(client, "16122", "famille-lena-16122", next=next_url)
    assert response.headers["Location"] == expected


def test_a_new_session_at_sign_in(client):
    before = login_page_token(client)
    post_login(client, "16122", "famille-lena-16122")
    after = csrf_from(client.get("/").get_data(as_text=True))
    assert before != after


def test_session_cookie_flags(client):
    response = post_login(client, "16122", "famille-lena-16122")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_key_and_uses_secure_cookies(tmp_path):
    config = {"ENV_NAME": "production", "SECRET_KEY": None,
              "DATABASE_URL": "sqlite:///" + str(tmp_path / "p.db"),
              "UPLOAD_DIR": str(tmp_path / "u")}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)
    config.update(SECRET_KEY="x" * 32, SESSION_COOKIE_SECURE=True,
                  PUBLIC_URL="https://portail.example.org")
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is True


def test_reset_link_goes_to_the_first_guardian_when_the_account_has_no_email(client, mailbox):
    from models import Family, Guardian, db as database
    with database.connection_context():
        family = Family.get(Family.account_number == 16122)
        User.update(email=None).where(User.family == family).execute()
        Guardian.update(position=3 - Guardian.position).where(Guardian.family == family).execute()
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    response = client.post("/mot-de-passe-oublie", data={"identifier": "16122",
                                                         "csrf_token": csrf_from(page)})
    assert response.status_code == 200
    assert [m.envelope_rcpt for m in mailbox.messages] == [["marc.dupont@example.org"]]


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_sign_in(client, db):
    from argon2 import PasswordHasher, profiles

    from domain.family.passwords import hasher
    old = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash("famille-lena-16122")
    User.update(password_hash=old).where(User.email == "famille.dupont@example.org").execute()

    assert post_login(client, "16122", "pas-le-bon-mot-de-passe").status_code == 401
    assert User.get(User.email == "famille.dupont@example.org").password_hash == old

    assert post_login(client, "16122", "famille-lena-16122").status_code == 303
    renewed = User.get(User.email == "famille.dupont@example.org").password_hash
    assert renewed != old and not hasher().check_needs_rehash(renewed)
    client.post("/deconnexion", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert post_login(client, "famille.dupont@example.org", "famille-lena-16122").status_code == 303
