"""Accounts in the back office: family accounts with an invitation, reset links, the
administrateur's staff accounts (roles, deactivation that ends open sessions)."""
import json
import re

import pytest

from domain import audit
from models import AuditLog, Family, User
from tests.helpers import error_of, unescaped

NEW_PASSWORD = "Girafe bleue sur le toit 42"


def link_in(mailbox, address, path_start):
    [mail] = mailbox.to(address)
    match = re.search(r"http://localhost(" + re.escape(path_start) + r"[^\s<\"]+)",
                      mailbox.text(mail))
    assert match, mailbox.text(mail)
    return match.group(1)


def create_family(client, auth, **overrides):
    data = {"family_name": "Martin", "guardian_last_name": "Martin",
            "guardian_first_name": "Aïcha", "relationship": "Mère",
            "email": "Aicha.Martin@Example.org",
            "csrf_token": auth.csrf("/agents/comptes/nouvelle-famille")}
    data.update(overrides)
    return client.post("/agents/comptes/nouvelle-famille", data=data)


def test_agent_creates_a_family_account_and_the_invitation_sets_the_password(
        client, auth, mailbox):
    auth.login("agent")
    response = create_family(client, auth)
    assert response.status_code == 303
    family = Family.get(Family.name == "MARTIN")
    assert family.account_number == 16125  # one above the demo's largest
    [guardian] = family.guardians
    assert (guardian.first_name, guardian.last_name, guardian.email, guardian.relationship) == \
        ("Aïcha", "MARTIN", "aicha.martin@example.org", "Mère")
    user = User.get(User.family == family)
    assert user.email == "aicha.martin@example.org" and user.role == "family"
    listing = unescaped(client.get(response.headers["Location"]))
    assert "Compte n° 16125 créé pour la famille MARTIN" in listing
    assert "Invitation en attente" in listing
    actions = [r.action for r in AuditLog.select().where(AuditLog.family == family)
               .order_by(AuditLog.id)]
    assert actions == [audit.ACCOUNT_CREATED, audit.ACCOUNT_INVITED]
    created = AuditLog.get(AuditLog.action == audit.ACCOUNT_CREATED)
    assert created.user.email == "agent@mairie.example.org"
    assert json.loads(created.details)["after"]["account_number"] == 16125

    [mail] = mailbox.to("aicha.martin@example.org")
    assert mail["Subject"] == "Portail Famille : votre compte est créé, choisissez votre mot de passe"
    assert "n° 16125" in mailbox.text(mail) and "valable 7 jours" in mailbox.text(mail)
    link = link_in(mailbox, "aicha.martin@example.org", "/invitation/")
    auth.logout()

    # Before the invitation is used, nothing signs in.
    assert "incorrect" in unescaped(auth.login("16125", password="un essai au hasard"))
    page = unescaped(client.get(link))
    assert "Bienvenue sur le Portail Famille" in page and "n° 16125" in page
    weak = client.post(link, data={"password": "azerty", "confirm": "azerty",
                                   "csrf_token": auth.csrf(link)})
    assert weak.status_code == 422
    assert "au moins 12 caractères" in error_of(weak, "password")
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "csrf_token": auth.csrf(link)})
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"
    # The link works once.
    assert client.get(link).status_code == 400
    assert "n'est plus valable" in unescaped(client.get(link))
    # The family signs in with its number.
    response = auth.login("16125", password=NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Mon compte: [16125]" in unescaped(client.get("/"))


@pytest.mark.parametrize("overrides, field, message", [
    ({"family_name": ""}, "family_name", "Indiquez le nom de la famille."),
    ({"guardian_first_name": "  "}, "guardian_first_name",
     "Indiquez le prénom du responsable légal."),
    ({"email": "pas-une-adresse"}, "email", "Cette adresse email n'est pas valide."),
    ({"email": "famille.dupont@example.org"}, "email",
     "Un compte utilise déjà cette adresse email."),
    ({"email": "FAMILLE.DUPONT@example.org"}, "email",
     "Un compte utilise déjà cette adresse email."),
    ({"relationship": "Cousin"}, "relationship", "Choisissez un lien dans la liste."),
    ({"family_name": "X" * 81}, "family_name", "ne doit pas dépasser 80 caractères"),
])
def test_bad_family_account_input_is_refused_next_to_the_field(client, auth, mailbox,
                                                                overrides, field, message):
    auth.login("agent")
    families = Family.select().count()
    response = create_family(client, auth, **overrides)
    assert response.status_code == 422
    assert message in (error_of(response, field) or "")  # shown by the field, tied to it
    page = unescaped(response)
    assert Family.select().count() == families and mailbox.messages == []
    if field != "family_name":  # what was typed is kept
        assert 'value="Martin"' in page


def test_resend_invitation_and_reset_link(client, auth, mailbox):
    auth.login("agent")
    create_family(client, auth)
    user = User.get(User.email == "aicha.martin@example.org")
    mailbox.clear()
    token = auth.csrf("/agents/comptes/")
    response = client.post(f"/agents/comptes/{user.id}/invitation",
                           data={"csrf_token": token, "back": "/agents/comptes/?q=16125"})
    assert response.status_code == 303 and response.headers["Location"] == "/agents/comptes/?q=16125"
    assert len(mailbox.to("aicha.martin@example.org")) == 1
    assert "Invitation renvoyée à aicha.martin@example.org." in unescaped(client.get("/agents/comptes/"))
    # A reset link goes to an account that has a password.
    dupont = User.get(User.email == "famille.dupont@example.org")
    mailbox.clear()
    client.post(f"/agents/comptes/{dupont.id}/lien-mot-de-passe", data={"csrf_token": token})
    link = link_in(mailbox, "famille.dupont@example.org", "/reinitialiser/")
    log = AuditLog.get(AuditLog.action == audit.PASSWORD_RESET_SENT)
    assert log.family.account_number == 16122 and log.user.email == "agent@mairie.example.org"
    # The invitation of an account with a password is refused (the reset link is the way).
    mailbox.clear()
    client.post(f"/agents/comptes/{dupont.id}/invitation", data={"csrf_token": token})
    assert mailbox.messages == []
    # An agent's own account is not a family account: 404 on the agents' routes.
    agent = User.get(User.email == "agent@mairie.example.org")
    assert client.post(f"/agents/comptes/{agent.id}/lien-mot-de-passe",
                       data={"csrf_token": token}).status_code == 404
    # The reset link works as from "mot de passe oublié".
    auth.logout()
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "csrf_token": auth.csrf(link)}).status_code == 303
    assert auth.login("16122", password=NEW_PASSWORD).status_code == 303


def test_invitation_and_reset_tokens_are_not_interchangeable_and_expire(app, client, auth,
                                                                       mailbox):
    auth.login("agent")
    create_family(client, auth)
    invitation = link_in(mailbox, "aicha.martin@example.org", "/invitation/")
    token = invitation.rsplit("/", 1)[1]
    assert client.get(f"/reinitialiser/{token}").status_code == 400
    app.config["INVITATION_MAX_AGE"] = -1
    assert client.get(invitation).status_code == 400
    app.config["INVITATION_MAX_AGE"] = 3600
    assert client.get(invitation).status_code == 200


def test_account_search(client, auth):
    auth.login("agent")
    page = unescaped(client.get("/agents/comptes/", query_string={"q": "16123"}))
    assert "BERNARD" in page and "DUPONT" not in page
    page = unescaped(client.get("/agents/comptes/", query_string={"q": "dupont"}))
    assert "16122" in page and "BERNARD" not in page
    page = unescaped(client.get("/agents/comptes/", query_string={"q": "personne"}))
    assert "Aucun compte ne correspond à « personne »." in page


# --- Administrateur ----------------------------------------------------------

ADMIN_PAGES = ["/agents/admin/comptes/", "/agents/admin/services"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_403_for_agents_404_for_families(client, auth, path):
    assert client.get(path).status_code == 302
    auth.login("famille 16122")
    assert client.get(path).status_code == 404
    auth.logout()
    auth.login("agent")
    response = client.get(path)
    assert response.status_code == 403 and "Accès réservé" in unescaped(response)
    auth.logout()
    auth.login("administrateur")
    assert client.get(path).status_code == 200


def test_agent_cannot_post_to_admin_actions(client, auth):
    auth.login("agent")
    agent = User.get(User.email == "agent@mairie.example.org")
    token = auth.csrf("/agents/")
    for path in (f"/agents/admin/comptes/{agent.id}/activation",
                 f"/agents/admin/comptes/{agent.id}/role", "/agents/admin/comptes/nouveau"):
        assert client.post(path, data={"csrf_token": token, "active": "0",
                                       "role": "administrateur"}).status_code == 403
    assert User.get_by_id(agent.id).is_active and User.get_by_id(agent.id).role == "agent"


def invite_staff(client, auth, display_name, email, role):
    """The administrateur's « Nouveau compte » form, sent."""
    return client.post("/agents/admin/comptes/nouveau", data={
        "display_name": display_name, "email": email, "role": role,
        "csrf_token": auth.csrf("/agents/admin/comptes/")})


def test_admin_creates_an_agent_who_accepts_the_invitation(client, auth, mailbox):
    auth.login("administrateur")
    response = invite_staff(client, auth, "Léa Garnier", "lea.garnier@mairie.example.org",
                            "agent")
    assert response.status_code == 303
    user = User.get(User.email == "lea.garnier@mairie.example.org")
    assert user.role == "agent" and user.family is None and not user.password_hash
    page = unescaped(client.get("/agents/admin/comptes/"))
    assert "Léa Garnier" in page and "Invitation en attente" in page
    link = link_in(mailbox, "lea.garnier@mairie.example.org", "/invitation/")
    assert "Un compte agent du Portail Famille a été créé pour vous" in mailbox.text(
        mailbox.to("lea.garnier@mairie.example.org")[0])
    auth.logout()
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                            "csrf_token": auth.csrf(link)})
    response = auth.login("lea.garnier@mairie.example.org", password=NEW_PASSWORD)
    assert response.headers["Location"] == "/agents/"
    assert client.get("/agents/comptes/").status_code == 200
    assert client.get("/agents/admin/comptes/").status_code == 403


@pytest.mark.parametrize("data, message", [
    ({"display_name": "", "email": "x@mairie.example.org", "role": "agent"},
     "Indiquez le prénom et le nom de l'agent."),
    ({"display_name": "X", "email": "agent@mairie.example.org", "role": "agent"},
     "Un compte utilise déjà cette adresse email."),
    ({"display_name": "X", "email": "x@mairie.example.org", "role": "family"},
     "Choisissez le rôle : agent ou administrateur."),
])
def test_bad_staff_account_input(client, auth, mailbox, data, message):
    auth.login("administrateur")
    users = User.select().count()
    response = invite_staff(client, auth, **data)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="\w+-error">' + re.escape(message), unescaped(response))
    assert User.select().count() == users and mailbox.messages == []


def test_admin_sets_roles_but_not_their_own(client, auth):
    auth.login("administrateur")
    agent = User.get(User.email == "agent@mairie.example.org")
    admin = User.get(User.email == "admin@mairie.example.org")
    token = auth.csrf("/agents/admin/comptes/")
    client.post(f"/agents/admin/comptes/{agent.id}/role",
                data={f"role-{agent.id}-csrf_token": token,
                      f"role-{agent.id}-role": "administrateur"})
    assert User.get_by_id(agent.id).role == "administrateur"
    log = AuditLog.get(AuditLog.action == audit.ACCOUNT_ROLE_SET)
    assert json.loads(log.details)["before"] == {"role": "agent"}
    response = client.post(f"/agents/admin/comptes/{admin.id}/role",
                           data={f"role-{admin.id}-csrf_token": token,
                                 f"role-{admin.id}-role": "agent"})
    assert "Vous ne pouvez pas retirer votre propre rôle" in unescaped(
        client.get(response.headers["Location"]))
    assert User.get_by_id(admin.id).role == "administrateur"
    response = client.post(f"/agents/admin/comptes/{agent.id}/role",
                           data={f"role-{agent.id}-csrf_token": token,
                                 f"role-{agent.id}-role": "roi"})
    assert response.status_code == 303
    assert User.get_by_id(agent.id).role == "administrateur"


def test_deactivated_agent_open_session_is_refused_on_its_next_request(app, auth, client):
    agent_client = app.test_client()
    from tests.conftest import AuthActions
    AuthActions(agent_client).login("agent")
    assert agent_client.get("/agents/messages/").status_code == 200
    auth.login("administrateur")
    agent = User.get(User.email == "agent@mairie.example.org")
    response = client.post(f"/agents/admin/comptes/{agent.id}/activation",
                           data={"csrf_token": auth.csrf("/agents/admin/comptes/"), "active": "0"})
    assert response.status_code == 303
    assert "est désactivé" in unescaped(client.get("/agents/admin/comptes/"))
    # The agent's open session ends at once: the next request goes to the sign-in page.
    response = agent_client.get("/agents/messages/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    assert agent_client.get("/agents/messages/", headers={"HX-Request": "true"}).status_code == 401
    # And the agent cannot sign in again.
    response = AuthActions(agent_client).login("agent")
    assert response.status_code == 401 and "incorrect" in unescaped(response)
    log = AuditLog.get(AuditLog.action == audit.ACCOUNT_DEACTIVATED)
    assert log.user.email == "admin@mairie.example.org"
    # Reactivated, the agent signs in again.
    client.post(f"/agents/admin/comptes/{agent.id}/activation",
                data={"csrf_token": auth.csrf("/agents/admin/comptes/"), "active": "1"})
    assert AuthActions(agent_client).login("agent").status_code == 303


def test_admin_deactivates_a_family_account_but_not_their_own(client, auth):
    auth.login("administrateur")
    dupont = User.get(User.email == "famille.dupont@example.org")
    token = auth.csrf("/agents/comptes/")
    client.post(f"/agents/admin/comptes/{dupont.id}/activation",
                data={"csrf_token": token, "active": "0", "back": "/agents/comptes/?q=16122"})
    assert not User.get_by_id(dupont.id).is_active
    assert "Désactivé" in unescaped(client.get("/agents/comptes/?q=16122"))
    admin = User.get(User.email == "admin@mairie.example.org")
    response = client.post(f"/agents/admin/comptes/{admin.id}/activation",
                           data={"csrf_token": token, "active": "0", "back": "//evil.example"})
    assert response.headers["Location"] == "/agents/admin/comptes/"
    assert "Vous ne pouvez pas désactiver votre propre compte." in unescaped(
        client.get("/agents/admin/comptes/"))
    assert User.get_by_id(admin.id).is_active


def test_an_administrateur_s_invitation_says_administrateur_not_agent(client, auth, mailbox):
    auth.login("administrateur")
    response = invite_staff(client, auth, "Paul Roux", "paul.roux@mairie.example.org",
                            "administrateur")
    assert response.status_code == 303
    text = mailbox.text(mailbox.to("paul.roux@mairie.example.org")[0])
    assert "Un compte administrateur du Portail Famille a été créé pour vous" in text
    assert "compte agent" not in text
