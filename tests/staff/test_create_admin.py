"""``flask --app app create-admin EMAIL``: the first administrateur of a commune (or another).

It prints a single-use invitation link, or asks for a password on the terminal; a weak
password and an email already used are refused with a clear French message.
"""
import re

import models
from models import AuditLog, User
from tests.helpers import csrf_from

LINK = re.compile(r"http://localhost(/invitation/\S+)")
STRONG = "girafe-violon-orage-31"


def _users():
    with models.db.connection_context():
        return list(User.select())


def test_create_admin_prints_an_invitation_link_that_works_once(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["create-admin", "Maire@Commune.fr"])
    assert result.exit_code == 0, result.output
    assert "Compte administrateur maire@commune.fr créé, sans mot de passe." in result.output
    (admin,) = _users()
    assert admin.role == User.ROLE_ADMIN and admin.email == "maire@commune.fr"
    assert admin.password_hash == ""
    path = LINK.search(result.output).group(1)
    client = empty_app.test_client()
    page = client.get(path).get_data(as_text=True)
    assert "mot de passe" in page.lower()
    answer = client.post(path, data={"csrf_token": csrf_from(page), "password": STRONG,
                                     "confirm": STRONG})
    assert answer.status_code == 303
    # Single use: the password it set changed what the link carries.
    assert client.get(path).status_code == 400
    with models.db.connection_context():
        assert AuditLog.select().where(AuditLog.action == "account.created").count() == 1


def test_create_admin_with_password_asks_it_twice_hidden(empty_app):
    result = empty_app.test_cli_runner().invoke(
        args=["create-admin", "admin@commune.fr", "--name", "Paul Martin", "--password"],
        input=f"{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert STRONG not in result.output  # hidden input: never echoed
    assert "Compte administrateur admin@commune.fr créé, avec le mot de passe saisi" in \
        result.output
    client = empty_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    signed_in = client.post("/connexion", data={"identifier": "admin@commune.fr",
                                                "password": STRONG,
                                                "csrf_token": csrf_from(page)})
    assert signed_in.status_code in (302, 303)
    assert client.get("/agents/").status_code == 200


def test_create_admin_refuses_a_weak_password_as_the_portal_does(empty_app):
    result = empty_app.test_cli_runner().invoke(
        args=["create-admin", "admin@commune.fr", "--password"], input="motdepasse\nmotdepasse\n")
    assert result.exit_code == 1
    assert "Le mot de passe doit contenir au moins 12 caractères." in result.output
    result = empty_app.test_cli_runner().invoke(
        args=["create-admin", "admin@commune.fr", "--password"],
        input="azertyuiop123\nazertyuiop123\n")
    assert result.exit_code == 1
    assert "mots de passe divulgués" in result.output or "trop facile" in result.output
    assert _users() == []


def test_create_admin_refuses_an_email_already_used_and_a_bad_one(empty_app):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["create-admin", "admin@commune.fr"]).exit_code == 0
    again = runner.invoke(args=["create-admin", "ADMIN@commune.fr"])
    assert again.exit_code == 1
    assert "Un compte utilise déjà cette adresse email." in again.output
    bad = runner.invoke(args=["create-admin", "pas-une-adresse"])
    assert bad.exit_code == 1 and "n'est pas une adresse email valide" in bad.output
    assert len(_users()) == 1


def test_a_second_administrateur_can_be_added(empty_app):
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["create-admin", "un@commune.fr"])
    assert runner.invoke(args=["create-admin", "deux@commune.fr"]).exit_code == 0
    assert sorted(u.email for u in _users()) == ["deux@commune.fr", "un@commune.fr"]
