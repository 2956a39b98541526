"""A guardian's portal account signs in with their email: when the service changes that
email (the second guardian's page, the coordonnées page), the sign-in
email follows (a family's declaration, which the other parent may have made, does not move
it), the old address is told, the journal keeps it; an address that is already
another account's is refused next to the field, and nothing is saved.

Demo family 16123 (BERNARD): Karim, the second guardian, signs in with
karim.bernard@example.org.
"""
import html
import json
import re

import pytest

from demo import DEMO_LOGINS
from domain import audit
from domain.family.accounts import make_reset_token
from models import AuditLog, Family, Guardian, GuardianDeclaration, User
from tests.conftest import AuthActions
from tests.helpers import error_of, text_of, unescaped

KARIM_EMAIL, KARIM_PASSWORD = DEMO_LOGINS["famille 16123 (Karim)"]
NEW_EMAIL = "karim.b@exemple.fr"


def karim():
    return Guardian.get(Guardian.first_name == "Karim")


def second_guardian_form(auth, family, **changes):
    path = f"/agents/familles/{family.id}/second-responsable"
    data = {"csrf_token": auth.csrf(path), "civility": "M.", "last_name": "BERNARD",
            "first_name": "Karim", "email": KARIM_EMAIL, "phone_mobile": "",
            "phone_home": ""}
    return path, dict(data, **changes)


def signs_in(app, login, password=KARIM_PASSWORD):
    return AuthActions(app.test_client()).login(login, password).status_code == 303


def test_staff_change_karims_email_and_he_signs_in_with_the_new_one(app, client, auth, db,
                                                                   mailbox):
    family = Family.get(Family.account_number == 16123)
    account = User.get(User.email == KARIM_EMAIL)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, email="Karim.B@Exemple.fr")
    assert "un nouvel email devient aussi son adresse de connexion" in text_of(
        client.get(path).get_data(as_text=True))
    assert client.post(path, data=data).status_code == 303

    assert karim().email == NEW_EMAIL
    assert User.get_by_id(account.id).email == NEW_EMAIL
    assert signs_in(app, NEW_EMAIL) and not signs_in(app, KARIM_EMAIL)
    # The family's page shows the access under the new address.
    page = text_of(client.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    assert f"actif ({NEW_EMAIL})" in page
    # The old address is told, through the test SMTP server.
    [notice] = mailbox.to(KARIM_EMAIL)
    assert notice["Subject"] == "Portail Famille : votre adresse email a changé"
    body = mailbox.text(notice)
    assert "Le service enfance de la mairie a enregistré votre nouvelle adresse email." in body
    assert f"n° 16123 est désormais {NEW_EMAIL}" in body
    entry = AuditLog.get(AuditLog.action == audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED)
    details = json.loads(entry.details)
    assert (entry.family_id, details["before"], details["after"]) == (
        family.id, {"email": KARIM_EMAIL}, {"email": NEW_EMAIL})
    assert entry.user.email == "agent@mairie.example.org"


def test_an_address_of_another_account_is_refused_next_to_the_field(app, client, auth, db,
                                                                    mailbox):
    family = Family.get(Family.account_number == 16123)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, email="famille.dupont@example.org",
                                      phone_mobile="06 11 22 33 44")
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    assert error_of(refused, "email") == (
        "L'adresse famille.dupont@example.org est déjà celle d'un autre compte du portail : "
        "Karim BERNARD ne pourrait plus se connecter. Indiquez une autre adresse.")
    # What was typed is still there; nothing is saved, nobody is told.
    page = unescaped(refused)
    assert 'value="famille.dupont@example.org"' in page and 'value="06 11 22 33 44"' in page
    assert karim().email == KARIM_EMAIL and karim().phone_mobile != "06 11 22 33 44"
    assert User.select().where(User.email == KARIM_EMAIL).exists()
    assert mailbox.to(KARIM_EMAIL) == []
    # A blank email would leave him without a way to sign in.
    blank = client.post(path, data=dict(data, email=""))
    assert error_of(blank, "email") == (
        "Karim BERNARD se connecte au portail avec son adresse email : indiquez sa nouvelle "
        "adresse (ou retirez d'abord son accès au portail).")
    assert signs_in(app, KARIM_EMAIL)


def declare_second_guardian(client, auth, first_name, last_name, email, decision=None):
    """Nadia, signed in as 16123, declares ``first_name last_name`` (with ``email``) as her
    second guardian; an agent validates it (saying ``decision`` of the new names: a
    spelling corrected or another person, when asked)."""
    auth.login("famille 16123")
    path = "/mon-dossier/coordonnees/second-responsable"
    assert client.post(path, data={
        "csrf_token": auth.csrf(path), "civility": "M.", "last_name": last_name,
        "first_name": first_name, "email": email, "phone_mobile": "",
        "phone_home": ""}).status_code == 303
    auth.logout()
    auth.login("agent")
    declaration = GuardianDeclaration.get()
    data = {"csrf_token": auth.csrf("/agents/validations/enfants")}
    if decision:
        data["decision"] = decision
    assert client.post(f"/agents/validations/responsables/{declaration.id}/valider",
                       data=data).status_code == 303
    assert GuardianDeclaration.get_by_id(declaration.id).status == \
        GuardianDeclaration.VALIDATED


def declare_only(client, auth, first_name, last_name):
    """Nadia declares ``first_name last_name`` as second guardian; an agent is signed in
    after, the declaration still waiting."""
    auth.login("famille 16123")
    path = "/mon-dossier/coordonnees/second-responsable"
    assert client.post(path, data={
        "csrf_token": auth.csrf(path), "civility": "M.", "last_name": last_name,
        "first_name": first_name, "email": "", "phone_mobile": "06 11 22 33 44",
        "phone_home": ""}).status_code == 303
    auth.logout()
    auth.login("agent")


def test_staff_see_whom_a_declaration_replaces_and_that_his_access_ends(client, auth, db):
    """One parent may declare another person in the other's place: before « Valider »,
    the service reads whom the declaration would replace, and says whether it is another
    person (Karim loses his access) or his name's spelling corrected; then, that his access
    is removed."""
    declare_only(client, auth, "Paul", "Martin")
    page = text_of(client.get("/agents/validations/enfants").get_data(as_text=True))
    assert "Second responsable actuel Karim BERNARD (compte sur le portail)" in page
    assert "Le nom a changé : s'agit-il de la même personne ?* Corriger l'orthographe du " \
        "nom de Karim BERNARD : il garde son accès au portail Une autre personne remplace " \
        "Karim BERNARD : son accès au portail lui est retiré" in page
    declaration = GuardianDeclaration.get()
    response = client.post(f"/agents/validations/responsables/{declaration.id}/valider",
                           data={"csrf_token": auth.csrf("/agents/validations/enfants"),
                                 "decision": "autre-personne"})
    assert response.status_code == 303
    assert "Paul MARTIN est second responsable de la famille 16123 – BERNARD. L'accès au " \
        "portail de Karim BERNARD est retiré." in unescaped(client.get(response.location))


def test_a_declaration_correcting_the_spelling_replaces_nobody(client, auth, db):
    declare_only(client, auth, "Karim", "Bernârd")
    page = text_of(client.get("/agents/validations/enfants").get_data(as_text=True))
    assert "second responsable M. Karim BERNÂRD" in page and "Remplace" not in page


def test_a_declared_email_never_moves_the_other_guardians_sign_in(app, client, auth, db,
                                                                 mailbox):
    """MON DOSSIER: Nadia declares Karim again with an address she chose. Validated, it is
    Karim's contact email, but his account still signs in with his own: following it
    would let Nadia ask a reset link there and sign in as Karim. He changes it from his
    account (confirmed by a link to the new address), or the service does."""
    declare_second_guardian(client, auth, "Karim", "Bernard", NEW_EMAIL)
    assert karim().email == NEW_EMAIL  # his contact email
    assert User.get(User.guardian == karim().id).email == KARIM_EMAIL  # his sign-in
    assert signs_in(app, KARIM_EMAIL) and not signs_in(app, NEW_EMAIL)
    assert mailbox.to(KARIM_EMAIL) == []
    assert not AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED).exists()


def test_a_declaration_with_another_accounts_address_moves_no_account(app, client, auth, db):
    declare_second_guardian(client, auth, "Karim", "Bernard", "famille.dupont@example.org")
    assert karim().email == "famille.dupont@example.org"
    assert User.get(User.guardian == karim().id).email == KARIM_EMAIL
    assert signs_in(app, KARIM_EMAIL)
    assert User.select().where(User.email == "famille.dupont@example.org").count() == 1


def coordonnees_form(client, auth, family):
    """The staff's « Modifier les coordonnées » of ``family`` as it is shown."""
    path = f"/agents/familles/{family.id}/coordonnees"
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": auth.csrf(path)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data.setdefault(name, html.unescape(value))
    for name in re.findall(r'<input[^>]*name="([^"]+)"', page):
        data.setdefault(name, "")
    return path, data


def test_staff_change_the_first_guardians_email_on_the_coordonnees_page(app, client, auth, db,
                                                                       mailbox):
    """Nadia (16123's first guardian) signs in with famille.bernard@example.org: the
    service corrects her email, her sign-in email follows, the old address is told."""
    family = Family.get(Family.account_number == 16123)
    nadia = Guardian.get(Guardian.first_name == "Nadia")
    old = nadia.email
    account = User.get(User.guardian == nadia)
    assert account.email == old == "famille.bernard@example.org"
    auth.login("agent")
    path, data = coordonnees_form(client, auth, family)
    assert data["guardians-0-email"] == old
    # A phone changed, the email left as it was: the sign-in email stays, nobody is told.
    assert client.post(path, data=dict(data, **{"guardians-0-phone_work": "01 23 45 67 89"})
                       ).status_code == 303
    assert User.get_by_id(account.id).email == old and mailbox.to(old) == []
    # Another account's address: said next to Nadia's email field, nothing saved.
    refused = client.post(path, data=dict(data, **{"guardians-0-email": KARIM_EMAIL,
                                                   "address": "5 rue Neuve"}))
    assert refused.status_code == 422
    assert error_of(refused, "guardians-0-email").startswith(
        f"L'adresse {KARIM_EMAIL} est déjà celle d'un autre compte du portail")
    assert Family.get_by_id(family.id).address != "5 rue Neuve"
    # Her new address.
    assert client.post(path, data=dict(data, **{"guardians-0-email": "Nadia.B@Exemple.fr"})
                       ).status_code == 303
    assert Guardian.get_by_id(nadia.id).email == "nadia.b@exemple.fr"
    assert User.get_by_id(account.id).email == "nadia.b@exemple.fr"
    assert signs_in(app, "nadia.b@exemple.fr", DEMO_LOGINS["famille 16123"][1])
    assert "désormais nadia.b@exemple.fr" in mailbox.text(mailbox.to(old)[-1])
    edited = AuditLog.select().where(AuditLog.action == audit.FAMILY_EDITED) \
        .order_by(AuditLog.id.desc()).get()
    changed = json.loads(edited.details)
    assert (changed["before"]["Nadia BERNARD : email"], changed["after"]["Nadia BERNARD : email"]
            ) == (old, "nadia.b@exemple.fr")
    assert AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED).count() == 1


def test_an_email_out_of_step_with_the_account_does_not_block_other_changes(app, client,
                                                                           auth, db):
    """A guardian whose email differs from their sign-in email (set before this rule):
    editing their phone leaves both as they are."""
    Guardian.update(email="").where(Guardian.first_name == "Karim").execute()
    family = Family.get(Family.account_number == 16123)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, email="", phone_mobile="06 11 22 33 44")
    assert client.post(path, data=data).status_code == 303
    assert karim().phone_mobile == "06 11 22 33 44"
    assert signs_in(app, KARIM_EMAIL)


def test_a_declaration_of_another_person_ends_the_old_guardians_access(app, client, auth, db,
                                                                      mailbox):
    """Nadia declares Paul MARTIN in Karim's place: Karim's account must not become Paul's
    sign-in (Karim would sign in with his password under Paul's address, and be told it):
    his access is removed instead (the service may then invite Paul)."""
    karims_account = User.get(User.email == KARIM_EMAIL)
    declare_second_guardian(client, auth, "Paul", "Martin", "paul.martin@exemple.fr",
                            decision="autre-personne")
    account = User.get_by_id(karims_account.id)
    assert not account.is_active and account.email == KARIM_EMAIL
    assert not signs_in(app, "paul.martin@exemple.fr") and not signs_in(app, KARIM_EMAIL)
    assert all("paul.martin" not in mailbox.text(message)
               for message in mailbox.to(KARIM_EMAIL))
    assert AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED).count() == 0
    assert AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).count() == 1


def test_a_link_sent_to_the_old_address_no_longer_works(app, client, auth, db, mailbox):
    """The service changes Karim's email (his old mailbox may be someone else's now): a
    reset link already sent to the old address must not set the password of the account
    that now signs in with the new one."""
    family = Family.get(Family.account_number == 16123)
    token = make_reset_token(app.config["SECRET_KEY"], User.get(User.email == KARIM_EMAIL))
    assert app.test_client().get(f"/reinitialiser/{token}").status_code == 200
    auth.login("agent")
    path, data = second_guardian_form(auth, family, email=NEW_EMAIL)
    assert client.post(path, data=data).status_code == 303
    assert app.test_client().get(f"/reinitialiser/{token}").status_code == 400


def test_staff_naming_another_person_end_the_old_guardians_access(app, client, auth, db,
                                                                 mailbox):
    """The service enters Paul MARTIN in Karim's place (his address left blank, then
    Paul's): Karim's account does not follow Paul's email (he would sign in as Paul with
    his own password); his access ends, his account keeps his name, and Paul is a
    guardian without an access, whom the service may invite."""
    family = Family.get(Family.account_number == 16123)
    karims_account = User.get(User.email == KARIM_EMAIL)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, first_name="Paul", last_name="Martin",
                                      email="paul.martin@exemple.fr",
                                      decision="autre-personne")
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert ("Le second responsable légal est enregistré. L'accès au portail de Karim BERNARD "
            "est retiré") in unescaped(client.get(response.location))
    account = User.get_by_id(karims_account.id)
    assert (account.is_active, account.email, account.guardian_id, account.person_name) == (
        False, KARIM_EMAIL, None, "Karim BERNARD")
    assert not signs_in(app, "paul.martin@exemple.fr") and not signs_in(app, KARIM_EMAIL)
    assert mailbox.to(KARIM_EMAIL) == []
    assert not AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED).exists()
    assert AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).count() == 1
    page = text_of(client.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    assert "paul.martin@exemple.fr" in page and "aucun Inviter Paul MARTIN" in page


def test_staff_leave_a_replacing_persons_email_blank(app, client, auth, db):
    """Paul has no email yet: that is no reason to refuse him (the sign-in email of
    Karim's account is not his concern)."""
    family = Family.get(Family.account_number == 16123)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, first_name="Paul", last_name="Martin",
                                      email="", phone_mobile="06 11 22 33 44",
                                      decision="autre-personne")
    assert client.post(path, data=data).status_code == 303
    paul = Guardian.get(Guardian.first_name == "Paul")
    assert paul.email == "" and not User.select().where(User.guardian == paul).exists()
    assert not signs_in(app, KARIM_EMAIL)


def test_staff_correcting_the_spelling_keep_the_guardians_access(app, client, auth, db):
    family = Family.get(Family.account_number == 16123)
    account = User.get(User.email == KARIM_EMAIL)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, first_name=" karim ", last_name="Bernard")
    assert client.post(path, data=data).status_code == 303
    second = Guardian.get((Guardian.family == family) & (Guardian.position == 2))
    assert second.first_name == "karim" and User.get_by_id(account.id).guardian_id == second.id
    assert signs_in(app, KARIM_EMAIL)
    assert not AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).exists()


@pytest.mark.parametrize("first_name, last_name", [
    ("Kârim", "BERNARD"), ("Karim", "BERNÂRD"), ("Karim", "Ber-nard"), ("Karim", "Ber'nard")])
def test_an_accent_hyphen_or_apostrophe_corrected_keep_the_guardians_access(
        app, client, auth, db, first_name, last_name):
    """Capitals often lose their accents (LEFEVRE for Lefèvre): putting one back, or a
    hyphen (Jean Pierre, Jean-Pierre), an apostrophe (D ANGELO, D'ANGELO), is the
    spelling corrected the page speaks of, not another person: the access stays."""
    family = Family.get(Family.account_number == 16123)
    account = User.get(User.email == KARIM_EMAIL)
    auth.login("agent")
    path, data = second_guardian_form(auth, family, first_name=first_name,
                                      last_name=last_name)
    assert "Si vous indiquez une autre personne, Karim BERNARD perd son accès au portail, et " \
        "la nouvelle personne peut être invitée depuis la fiche ; corriger les majuscules, " \
        "les accents, les espaces, les tirets ou les apostrophes de son nom ne le lui retire " \
        "pas." in text_of(client.get(path).get_data(as_text=True))
    assert client.post(path, data=data).status_code == 303
    second = Guardian.get((Guardian.family == family) & (Guardian.position == 2))
    assert User.get_by_id(account.id).guardian_id == second.id
    assert signs_in(app, KARIM_EMAIL)


def test_staff_withdrawing_the_second_guardian_end_his_access(app, client, auth, db):
    """« Retirer le second responsable »: Karim's account must not go on signing in for
    the family without a guardian; it keeps his name for what he did."""
    family = Family.get(Family.account_number == 16123)
    account = User.get(User.email == KARIM_EMAIL)
    auth.login("agent")
    path, data = second_guardian_form(auth, family)
    assert "Retirer le second responsable Son accès au portail, s'il en a un, lui est aussi " \
        "retiré." in text_of(
        client.get(path).get_data(as_text=True))
    response = client.post(f"/agents/familles/{family.id}/second-responsable/retirer",
                           data={"csrf_token": data["csrf_token"]})
    assert response.status_code == 303
    assert "Le second responsable légal est retiré. L'accès au portail de Karim BERNARD est " \
        "retiré." in unescaped(client.get(response.location))
    assert not Guardian.select().where(Guardian.first_name == "Karim").exists()
    account = User.get_by_id(account.id)
    assert (account.is_active, account.guardian_id, account.person_name) == (
        False, None, "Karim BERNARD")
    assert not signs_in(app, KARIM_EMAIL)
    assert "Retiré comme second responsable par le service" in AuditLog.get(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).details
