"""Nobody can lock a family out, and guessing stays slow.

Failures count per account *and* source address (or the owner's device), and on the
account as a whole as a delay only; a completed reset clears the counts; a reset link
still reaches the owner when strangers used the day's up; tries sent in parallel get
no more than tries sent one after another (the attempt is recorded, then decided)."""
import datetime
import re
import threading

import pytest

import models
from domain import clock
from domain.family import throttle
from domain.family.sign_in import TOO_MANY, WRONG_CREDENTIALS, sign_in
from models import LoginThrottle
from tests.conftest import csrf_from
from tests.helpers import all_at_once, unescaped

OWNER_PASSWORD = "famille-petit-16124"


def post_login(client, identifier, password, address="127.0.0.1"):
    token = csrf_from(client.get("/connexion", environ_base={"REMOTE_ADDR": address})
                      .get_data(as_text=True))
    return client.post("/connexion", data={"identifier": identifier, "password": password,
                                           "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def ask_reset(client, identifier, address):
    token = csrf_from(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    return client.post("/mot-de-passe-oublie", data={"identifier": identifier,
                                                     "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def stranger_attacks(app, tries=60, identifier="16124"):
    """A stranger rotating over many addresses sends ``tries`` wrong passwords."""
    stranger = app.test_client()
    for n in range(tries):
        post_login(stranger, identifier, f"devine-{n}", address=f"10.{n // 250}.{n % 250}.9")


def test_the_owner_signs_in_from_their_device_during_an_attack(app, client, db):
    # The owner signed in from this browser once before (it keeps a device mark).
    assert post_login(client, "16124", OWNER_PASSWORD).status_code == 303
    client.post("/deconnexion", data={"csrf_token": csrf_from(
        client.get("/").get_data(as_text=True))})
    stranger_attacks(app)
    # Strangers are slowed down on the account as a whole...
    refused = post_login(app.test_client(), "16124", OWNER_PASSWORD, address="10.9.9.9")
    assert "Trop de tentatives de connexion ont échoué." in unescaped(refused)
    # ... but never the owner's own device, even with the right password now.
    response = post_login(client, "famille.petit@example.org", OWNER_PASSWORD)
    assert response.status_code == 303, unescaped(response)
    assert client.get("/").status_code == 200


def test_the_owner_on_a_new_device_resets_and_signs_in_during_an_attack(app, client, mailbox,
                                                                       db):
    stranger = app.test_client()
    for n in range(5):  # the strangers ask for links too: the day's three are used up
        ask_reset(stranger, "16124", f"10.1.1.{n}")
    assert len(mailbox.to("famille.petit@example.org")) == 3
    stranger_attacks(app)
    # An hour later, the owner on a new phone asks for a link: it arrives.
    LoginThrottle.update(last_failure_at=clock.utc_now() - datetime.timedelta(minutes=61)) \
        .where(LoginThrottle.identifier.startswith("reset-")).execute()
    mailbox.clear()
    ask_reset(client, "16124", "192.0.2.50")
    [mail] = mailbox.to("famille.petit@example.org")
    link = re.search(r"http://localhost(/reinitialiser/\S+)", mailbox.text(mail)).group(1)
    new = "trois petits chats sur le toit"
    token = csrf_from(client.get(link).get_data(as_text=True))
    assert client.post(link, data={"password": new, "confirm": new,
                                   "csrf_token": token}).status_code == 303
    stranger_attacks(app, tries=30)  # the attack goes on
    response = post_login(client, "16124", new, address="192.0.2.50")
    assert response.status_code == 303, unescaped(response)


def test_a_completed_reset_lifts_a_whole_days_failures(app, client, mailbox, db):
    for n in range(throttle.MAX_FAILURES_PER_DAY):  # 25 failures from this address today
        post_login(client, "16124", f"mauvais-{n}")
        LoginThrottle.update(last_failure_at=clock.utc_now() - datetime.timedelta(hours=3)) \
            .execute()
    assert "Trop de tentatives" in unescaped(post_login(client, "16124", OWNER_PASSWORD))
    ask_reset(client, "16124", "127.0.0.1")
    [mail] = mailbox.to("famille.petit@example.org")
    link = re.search(r"http://localhost(/reinitialiser/\S+)", mailbox.text(mail)).group(1)
    new = "trois petits chats sur le toit"
    token = csrf_from(client.get(link).get_data(as_text=True))
    client.post(link, data={"password": new, "confirm": new, "csrf_token": token})
    other_browser = app.test_client()  # not even the reset's browser: the count is gone
    assert post_login(other_browser, "16124", new).status_code == 303


def test_anonymous_failures_do_not_lock_the_administrateur(app, client):
    admin = ("admin@mairie.example.org", "admin-mairie-2026")
    assert post_login(client, *admin).status_code == 303  # the administrateur's browser
    client.post("/deconnexion", data={"csrf_token": csrf_from(
        client.get("/agents/").get_data(as_text=True))})
    stranger_attacks(app, tries=12, identifier=admin[0])
    assert post_login(client, *admin).status_code == 303


def test_a_reset_link_still_reaches_the_owners_device_when_strangers_used_the_days(
        app, client, mailbox, db):
    assert post_login(client, "16124", OWNER_PASSWORD).status_code == 303  # device mark
    stranger = app.test_client()
    for n in range(10):
        ask_reset(stranger, "16124", f"10.2.2.{n}")
    mailbox.clear()
    ask_reset(client, "16124", "127.0.0.1")
    assert len(mailbox.to("famille.petit@example.org")) == 1
    # Strangers still get no more than one an hour.
    mailbox.clear()
    for n in range(10, 20):
        ask_reset(stranger, "16124", f"10.2.2.{n}")
    assert mailbox.to("famille.petit@example.org") == []


def attack_one_day(user_identifier, addresses, start):
    """Guesses an attacker with ``addresses`` addresses gets checked in 24 hours against
    one account, trying as soon as anything is allowed (every minute, from each address
    in turn)."""
    checked, address = 0, 0
    for minute in range(24 * 60):
        now = start + datetime.timedelta(minutes=minute)
        for _ in range(10):
            result = sign_in(user_identifier, f"devine-{minute}-{address}",
                             source=f"10.{address // 250}.{address % 250}.1", now=now)
            address = (address + 1) % addresses
            if result.error.startswith(TOO_MANY):
                break
            checked += 1
    return checked


def test_an_attacker_with_1000_addresses_gets_no_more_guesses_than_before(app, db):
    """Before: 25 a day (and the owner locked out). Now: 22 the first day, 12 a day after."""
    start = datetime.datetime(2026, 12, 1, 0, 0)
    with app.app_context():
        first_day = attack_one_day("16124", 1000, start)
        second_day = attack_one_day("16124", 1000, start + datetime.timedelta(days=1))
    assert first_day == 22
    assert second_day == 12


def parallel(app, count, work):
    """Run ``work(index)`` in ``count`` threads at once, each on its own connection."""
    models.db.close()
    models.init_database(app.config["DATABASE_URL"], pool_size=count + 2)
    start = threading.Barrier(count)
    results = [None] * count

    def run(index):
        with app.app_context(), models.db.connection_context():
            start.wait()
            try:
                results[index] = work(index)
            except Exception as error:  # reported below, never lost in the thread
                results[index] = repr(error)

    all_at_once(run, count, timeout=120)
    return results


def postgres_only(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")


def test_forty_parallel_wrong_passwords_get_five_tries(app, db):
    postgres_only(app)
    results = parallel(app, 40, lambda i: sign_in("16124", f"devine-{i}", source="10.0.0.1").error)
    assert all(isinstance(r, str) and (r.startswith(WRONG_CREDENTIALS) or r.startswith(TOO_MANY))
               for r in results), results[:3]
    assert sum(r.startswith(WRONG_CREDENTIALS) for r in results) == throttle.FREE_FAILURES


def test_forty_parallel_totp_codes_get_five_tries(app, db):
    postgres_only(app)
    from tests.conftest import AuthActions
    from tests.staff.test_second_factor import enrol
    first = app.test_client()
    AuthActions(first).login("agent")
    enrol(first)
    clients = []
    for _ in range(40):
        agent = app.test_client()
        AuthActions(agent).login("agent")  # password right: the code step is next
        token = csrf_from(agent.get("/connexion/code").get_data(as_text=True))
        clients.append((agent, token))

    def wrong_code(index):
        agent, token = clients[index]
        return agent.post("/connexion/code", data={"code": "000000",
                                                   "csrf_token": token}).status_code
    statuses = parallel(app, 40, wrong_code)
    assert statuses.count(401) == throttle.FREE_FAILURES, statuses
    assert statuses.count(429) == 40 - throttle.FREE_FAILURES
