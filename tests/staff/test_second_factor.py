"""Staff second factor: TOTP enrolment (QR code, manual key), sign-in with a code or a
recovery code, single use, throttling, required in production, reset by the administrateur."""
import re
import time

import pyotp
import pytest

from domain import audit
from domain.staff import second_factor
from models import AuditLog, RecoveryCode, User
from tests.conftest import AuthActions
from tests.helpers import unescaped


def csrf(client, path):
    from tests.conftest import csrf_from
    return csrf_from(client.get(path).get_data(as_text=True))


def enrol(client, path="/connexion/double-authentification"):
    """Open the enrolment page, read the manual key, confirm with a fresh code; returns
    (secret, recovery codes)."""
    page = unescaped(client.get(path))
    assert "<svg" in page and 'class="totp-qr"' in page
    secret = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = client.post(path, data={"code": pyotp.TOTP(secret).now(),
                                       "csrf_token": csrf(client, path)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/connexion/codes-de-secours"
    codes_page = unescaped(client.get("/connexion/codes-de-secours"))
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>",
                       codes_page)
    assert len(codes) == 10
    # Shown once.
    assert "ont déjà été affichés" in unescaped(client.get("/connexion/codes-de-secours"))
    return secret, codes


def next_code(secret):
    """The code of the next 30-second step (accepted: phones drift); the current one was
    used to enrol, and a code works once."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def post_code(client, code):
    return client.post("/connexion/code", data={"code": code,
                                                "csrf_token": csrf(client, "/connexion/code")})


def test_agent_enrols_then_signs_in_with_a_code_and_with_a_recovery_code(client, auth):
    auth.login("agent")
    assert "pas active" in unescaped(client.get("/agents/securite"))
    bad = client.post("/connexion/double-authentification",
                      data={"code": "000000",
                            "csrf_token": csrf(client, "/connexion/double-authentification")})
    assert bad.status_code == 422
    assert re.search(r'<p class="error" id="code-error">Ce code n\'est pas le bon',
                     unescaped(bad))
    secret, codes = enrol(client)
    agent = User.get(User.email == "agent@mairie.example.org")
    assert agent.totp_secret == secret and agent.totp_enabled_at is not None
    # Recovery codes are stored hashed, never in clear.
    stored = [r.code_hash for r in RecoveryCode.select().where(RecoveryCode.user == agent)]
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)
    assert "est <strong>active</strong>" in unescaped(client.get("/agents/securite"))
    auth.logout()

    # The password alone no longer signs in: the code step comes next.
    response = auth.login("agent")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion/code"
    assert client.get("/agents/").status_code == 302  # not signed in yet
    wrong = post_code(client, "123456")
    assert wrong.status_code == 401 and "Ce code n'est pas valable" in unescaped(wrong)
    response = post_code(client, next_code(secret))
    assert response.status_code == 303 and response.headers["Location"] == "/agents/"
    assert client.get("/agents/").status_code == 200
    auth.logout()

    # A recovery code signs in once.
    auth.login("agent")
    response = post_code(client, codes[0].upper().replace("-", " "))
    assert response.status_code == 303
    assert "il vous en reste 9" in unescaped(client.get("/agents/"))
    assert_spent(client, auth, codes[0])


def assert_spent(client, auth, code):
    """Signed out and in again, ``code`` (used once already) is refused: still out."""
    auth.logout()
    auth.login("agent")
    assert post_code(client, code).status_code == 401
    assert client.get("/agents/").status_code == 302


def test_a_totp_code_works_once(client, auth):
    auth.login("agent")
    secret, _ = enrol(client)
    auth.logout()
    # The code that enrolled cannot sign in: its 30-second step is spent.
    auth.login("agent")
    agent = User.get(User.email == "agent@mairie.example.org")
    enrolled_step = agent.totp_last_step
    assert enrolled_step is not None
    assert post_code(client, pyotp.TOTP(secret).at(enrolled_step * 30)).status_code == 401
    code = next_code(secret)
    assert post_code(client, code).status_code == 303
    assert_spent(client, auth, code)


def test_wrong_codes_are_throttled(client, auth):
    auth.login("agent")
    secret, _ = enrol(client)
    auth.logout()
    auth.login("agent")
    for _ in range(5):
        assert post_code(client, "000000").status_code == 401
    response = post_code(client, next_code(secret))
    assert response.status_code == 429
    assert "Trop de codes erronés. Réessayez dans 1 minute." in unescaped(response)
    assert client.get("/agents/").status_code == 302


def test_required_second_factor_makes_staff_enrol_at_sign_in(app, client, auth, mailbox):
    app.config["STAFF_TOTP_REQUIRED"] = True
    response = auth.login("agent")
    assert response.headers["Location"] == "/connexion/double-authentification"
    assert client.get("/agents/").status_code == 302  # nothing before the enrolment
    assert client.get("/connexion/code").headers["Location"] == "/connexion/double-authentification"
    page = unescaped(client.get("/connexion/double-authentification"))
    assert "Les comptes des agents sont protégés par un second facteur" in page
    secret, _ = enrol(client)
    assert client.get("/agents/").status_code == 200
    # Where it is required, it cannot be turned off.
    assert "Désactiver la double authentification" not in unescaped(client.get("/agents/securite"))
    assert client.post("/agents/securite", data={"action": "disable",
                                                 "csrf_token": auth.csrf("/agents/securite")}
                       ).status_code == 400
    auth.logout()
    # Families are not asked for a code.
    assert auth.login("famille 16122").headers["Location"] == "/"


def test_without_the_setting_demo_staff_sign_in_with_the_password(client, auth):
    response = auth.login("administrateur")
    assert response.status_code == 303 and response.headers["Location"] == "/agents/"


def test_pending_sign_in_of_a_deactivated_account_starts_over(client, auth):
    auth.login("agent")
    enrol(client)
    auth.logout()
    auth.login("agent")
    User.update(is_active=False).where(User.email == "agent@mairie.example.org").execute()
    response = client.get("/connexion/code")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"


def test_new_recovery_codes_replace_the_old_ones(client, auth):
    auth.login("agent")
    _, old = enrol(client)
    response = client.post("/agents/securite", data={"action": "codes",
                                                     "password": "agent-mairie-2026",
                                                     "csrf_token": auth.csrf("/agents/securite")})
    assert response.headers["Location"] == "/connexion/codes-de-secours"
    new = re.findall(r"<li><code>([a-z0-9-]{19})</code></li>",
                     unescaped(client.get("/connexion/codes-de-secours")))
    assert len(new) == 10 and not set(new) & set(old)
    agent = User.get(User.email == "agent@mairie.example.org")
    assert not second_factor.use_recovery_code(agent, old[1])
    assert second_factor.use_recovery_code(agent, new[1])


def test_admin_resets_an_agents_second_factor(app, client, auth):
    agent_client = app.test_client()
    agent_auth = AuthActions(agent_client)
    agent_auth.login("agent")
    enrol(agent_client)
    auth.login("administrateur")
    agent = User.get(User.email == "agent@mairie.example.org")
    assert "Activée" in unescaped(client.get("/agents/admin/comptes/"))
    response = client.post(f"/agents/admin/comptes/{agent.id}/double-authentification",
                           data={"csrf_token": auth.csrf("/agents/admin/comptes/")})
    assert response.status_code == 303
    agent = User.get_by_id(agent.id)
    assert agent.totp_secret is None and RecoveryCode.select().count() == 0
    assert AuditLog.get(AuditLog.action == audit.SECOND_FACTOR_RESET).user.email == \
        "admin@mairie.example.org"
    # The agent's sessions ended; signing in asks for no code now (not required here).
    assert agent_client.get("/agents/").status_code == 302
    assert agent_auth.login("agent").headers["Location"] == "/agents/"


@pytest.mark.parametrize("code, status", [("", 422), ("x" * 41, 422),  # refused form
                                          ("12345", 401), ("abcdef", 401)])  # wrong code
def test_bad_code_input_gets_a_french_message(client, auth, code, status):
    auth.login("agent")
    enrol(client)
    auth.logout()
    auth.login("agent")
    response = post_code(client, code)
    assert response.status_code == status
    assert re.search(r'<p class="error" id="code-error">[A-Z]', unescaped(response))
    assert client.get("/agents/").status_code == 302


def test_the_code_step_keeps_the_page_asked_for(client, auth):
    auth.login("agent")
    secret, _ = enrol(client)
    auth.logout()
    page = client.get("/connexion?next=/agents/comptes/").get_data(as_text=True)
    from tests.conftest import csrf_from
    response = client.post("/connexion?next=/agents/comptes/", data={
        "identifier": "agent@mairie.example.org", "password": "agent-mairie-2026",
        "next": "/agents/comptes/", "csrf_token": csrf_from(page)})
    assert response.headers["Location"] == "/connexion/code"
    response = post_code(client, next_code(secret))
    assert response.headers["Location"] == "/agents/comptes/"


def test_families_have_no_second_factor_pages(client, auth):
    auth.login("famille 16122")
    assert client.get("/connexion/double-authentification").status_code == 404
    assert client.get("/agents/securite").status_code == 404


def test_once_required_an_agent_not_enrolled_must_enrol_before_anything_else(app, client, auth):
    """STAFF_TOTP_REQUIRED turned on while an agent is signed in with the
    password alone: the next staff page asks for the enrolment, not the page."""
    auth.login("agent")
    assert client.get("/agents/").status_code == 200
    app.config["STAFF_TOTP_REQUIRED"] = True
    response = client.get("/agents/familles/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/connexion/double-authentification"
    enrol(client)
    assert client.get("/agents/familles/").status_code == 200


def test_a_session_opened_before_enrolling_elsewhere_must_give_a_code(app, client, auth):
    """An agent enrols in one browser; the session of another browser, signed in with
    the password alone before, now asks for the code."""
    auth.login("agent")
    other = app.test_client()
    AuthActions(other).login("agent")
    assert other.get("/agents/").status_code == 200
    enrol(client)
    response = other.get("/agents/")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion/code"


def test_new_recovery_codes_need_the_password_again(client, auth):
    """A session alone (a cookie copied from an unlocked computer) cannot
    issue new recovery codes."""
    auth.login("agent")
    _, old = enrol(client)
    for password in ("", "pas-le-bon"):
        response = client.post("/agents/securite", data={
            "action": "codes", "password": password, "csrf_token": auth.csrf("/agents/securite")})
        assert response.status_code == 422
        assert "Le mot de passe actuel est incorrect." in unescaped(response)
    assert "Vos codes de secours" not in unescaped(client.get("/connexion/codes-de-secours")) \
        or "ont déjà été affichés" in unescaped(client.get("/connexion/codes-de-secours"))
    agent = User.get(User.email == "agent@mairie.example.org")
    assert second_factor.use_recovery_code(agent, old[0])  # the old codes still hold


def session_of(client):
    """The session cookie's content, as anyone holding the cookie can read it."""
    import base64
    import zlib
    cookie = client.get_cookie("session").value
    compressed = cookie.startswith(".")
    payload = cookie.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if compressed else data).decode()


def test_the_enrolment_secret_and_the_codes_never_travel_in_the_cookie(client, auth):
    auth.login("agent")
    page = unescaped(client.get("/connexion/double-authentification"))
    secret = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert secret not in session_of(client)
    # The same secret on the next visit (kept in the database meanwhile).
    again = unescaped(client.get("/connexion/double-authentification"))
    assert re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', again).group(1) \
        .replace(" ", "") == secret
    client.post("/connexion/double-authentification", data={
        "code": pyotp.TOTP(secret).now(),
        "csrf_token": csrf(client, "/connexion/double-authentification")})
    cookie = session_of(client)
    assert secret not in cookie and not re.search(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", cookie)
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>",
                       unescaped(client.get("/connexion/codes-de-secours")))
    assert len(codes) == 10
    agent = User.get(User.email == "agent@mairie.example.org")
    assert second_factor.use_recovery_code(agent, codes[0])
