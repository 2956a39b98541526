"""Staff say whose a guardian's new names are. A typo corrected (Karim → Karime, BERNARD
→ BERNART) is not a change :func:`guardian_access.same_person` recognises, and taking it
for another person would remove a father's access by mistake: when the names change on a
guardian who has or had a portal account, « Modifier le second responsable » and the
« Valider » of a family's declaration ask the agent (required, nothing chosen by
default) whether it corrects the spelling (the access and the account stay his) or names
another person (his access is removed, his account keeps his name). The decision is in
the journal.

Demo family 16123 (BERNARD): Karim, the second guardian, signs in with
karim.bernard@example.org.
"""
import json
import re

import pytest

from domain import audit
from domain.family import guardian_access, staff_edits
from models import AuditLog, Family, Guardian, GuardianDeclaration, User
from tests.family.test_guardian_email_follows import (
    KARIM_EMAIL,
    declare_only,
    second_guardian_form,
    signs_in,
)
from tests.helpers import text_of, unescaped

QUESTION = ("Le nom a changé : s'agit-il de la même personne ?* Corriger l'orthographe du nom "
            "de Karim BERNARD : il garde son accès au portail Une autre personne remplace "
            "Karim BERNARD : son accès au portail lui est retiré")
PROBLEM = ("Le nom n'est plus celui de Karim BERNARD, qui a un compte sur le portail : "
           "indiquez s'il s'agit de corriger l'orthographe de son nom ou d'une autre personne "
           "qui le remplace.")


def family():
    return Family.get(Family.account_number == 16123)


def second():
    return Guardian.get((Guardian.family == family()) & (Guardian.position == 2))


def karims_account():
    return User.get(User.email == KARIM_EMAIL)


def decision_error(page, prefix):
    """The question's error, tied to each of its choices (``aria-describedby``)."""
    page = unescaped(page)
    match = re.search(rf'<p class="error" id="{prefix}-error">(.*?)</p>', page, re.S)
    radios = re.findall(rf'<input type="radio" id="{prefix}-[^"]*"[^>]*>', page)
    assert len(radios) == 2 and all(f'aria-describedby="{prefix}-error"' in radio
                                    and 'aria-invalid="true"' in radio for radio in radios)
    assert not any("checked" in radio for radio in radios)
    return match.group(1) if match else None


def journal(client):
    return text_of(client.get("/agents/journal/?famille=16123").get_data(as_text=True))


def test_staff_correcting_a_typo_keep_karims_access_and_account(app, client, auth, db):
    account = karims_account()
    auth.login("agent")
    path, data = second_guardian_form(auth, family(), first_name="Karime",
                                      decision="correction")
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert second().first_name == "Karime"
    account = User.get_by_id(account.id)
    assert (account.is_active, account.guardian_id, account.person_name) == (
        True, second().id, "Karime BERNARD")
    assert signs_in(app, KARIM_EMAIL)
    assert not AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).exists()
    edited = AuditLog.get(AuditLog.action == audit.GUARDIAN_EDITED)
    details = json.loads(edited.details)
    assert details["summary"] == (
        "Second responsable légal enregistré par le service : orthographe du nom de Karim "
        "BERNARD corrigée : même personne, son compte du portail reste le sien.")
    assert (details["before"]["first_name"], details["after"]["first_name"]) == (
        "Karim", "Karime")
    assert (details["before"]["décision"], details["after"]["décision"]) == (None, "correction")
    page = journal(client)
    assert "orthographe du nom de Karim BERNARD corrigée" in page
    assert "Nom modifié : — → orthographe corrigée (même personne)" in page


def test_staff_naming_another_person_detach_karims_account(app, client, auth, db):
    account = karims_account()
    auth.login("agent")
    path, data = second_guardian_form(auth, family(), first_name="Karime",
                                      last_name="Bernart", decision="autre-personne")
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert "L'accès au portail de Karim BERNARD est retiré" in unescaped(
        client.get(response.location))
    assert (second().first_name, second().last_name) == ("Karime", "BERNART")
    account = User.get_by_id(account.id)
    assert (account.is_active, account.guardian_id, account.person_name) == (
        False, None, "Karim BERNARD")
    assert not signs_in(app, KARIM_EMAIL)
    summary = json.loads(AuditLog.get(AuditLog.action == audit.GUARDIAN_EDITED).details)[
        "summary"]
    assert summary == ("Second responsable légal enregistré par le service : une autre "
                       "personne remplace Karim BERNARD : son accès au portail lui est "
                       "retiré.")
    assert AuditLog.select().where(
        AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED).count() == 1


@pytest.mark.parametrize("decision", [None, "", "peut-etre"])
def test_no_choice_is_asked_next_to_the_field_and_nothing_is_saved(app, client, auth, db,
                                                                   decision):
    account = karims_account()
    auth.login("agent")
    changes = {"first_name": "Karime", "phone_mobile": "06 11 22 33 44"}
    if decision is not None:
        changes["decision"] = decision
    path, data = second_guardian_form(auth, family(), **changes)
    assert "s'agit-il de la même personne" not in client.get(path).get_data(as_text=True)
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    assert decision_error(refused, "decision") == PROBLEM
    assert QUESTION in text_of(refused.get_data(as_text=True))
    page = unescaped(refused)
    assert 'value="Karime"' in page and 'value="06 11 22 33 44"' in page
    assert (second().first_name, second().phone_mobile) == ("Karim", karim_phone())
    assert User.get_by_id(account.id).guardian_id == second().id
    assert signs_in(app, KARIM_EMAIL)
    assert not AuditLog.select().where(AuditLog.action.in_(
        [audit.GUARDIAN_EDITED, audit.GUARDIAN_ACCESS_REMOVED])).exists()


def karim_phone():
    return Guardian.get(Guardian.email == KARIM_EMAIL).phone_mobile


def test_no_question_without_an_account(app, client, auth, db):
    """A second guardian who never had an account: nothing to keep or end, no question."""
    User.delete().where(User.email == KARIM_EMAIL).execute()
    auth.login("agent")
    path, data = second_guardian_form(auth, family(), first_name="Paul", last_name="Martin")
    assert client.post(path, data=data).status_code == 303
    assert (second().first_name, second().last_name) == ("Paul", "MARTIN")


def test_the_domain_takes_no_guess(db):
    """Without the agent's decision the domain refuses, nothing saved."""
    with pytest.raises(guardian_access.DecisionNeeded):
        staff_edits.set_second_guardian(None, family(), first_name="Karime",
                                        last_name="Bernard", email=KARIM_EMAIL,
                                        civility="M.", phone_mobile="", phone_home="")
    assert second().first_name == "Karim"


def validate(client, auth, declaration, **data):
    return client.post(f"/agents/validations/responsables/{declaration.id}/valider",
                       data={"csrf_token": auth.csrf("/agents/validations/enfants"), **data})


def test_a_declaration_correcting_a_typo_keeps_karims_access(app, client, auth, db):
    account = karims_account()
    declare_only(client, auth, "Karime", "Bernard")
    declaration = GuardianDeclaration.get()
    page = text_of(client.get("/agents/validations/enfants").get_data(as_text=True))
    assert "Second responsable actuel Karim BERNARD (compte sur le portail)" in page
    assert QUESTION in page
    response = validate(client, auth, declaration, decision="correction")
    assert response.status_code == 303
    assert "Karime BERNARD est second responsable de la famille 16123 – BERNARD." in \
        unescaped(client.get(response.location))
    assert "retiré" not in unescaped(client.get("/agents/validations/enfants"))
    assert second().first_name == "Karime"
    account = User.get_by_id(account.id)
    assert (account.is_active, account.guardian_id, account.person_name) == (
        True, second().id, "Karime BERNARD")
    assert signs_in(app, KARIM_EMAIL)
    edited = AuditLog.select().where(AuditLog.action == audit.GUARDIAN_EDITED).get()
    details = json.loads(edited.details)
    assert details["summary"] == (
        "Second responsable déclaré par la famille : validé ; orthographe du nom de Karim "
        "BERNARD corrigée : même personne, son compte du portail reste le sien.")
    assert details["after"]["décision"] == "correction"
    assert "orthographe du nom de Karim BERNARD corrigée" in journal(client)


def test_a_declaration_of_another_person_removes_karims_access(app, client, auth, db):
    account = karims_account()
    declare_only(client, auth, "Karime", "Bernart")
    declaration = GuardianDeclaration.get()
    response = validate(client, auth, declaration, decision="autre-personne")
    assert response.status_code == 303
    assert "Karime BERNART est second responsable de la famille 16123 – BERNARD. L'accès " \
        "au portail de Karim BERNARD est retiré." in unescaped(client.get(response.location))
    account = User.get_by_id(account.id)
    assert (account.is_active, account.guardian_id, account.person_name) == (
        False, None, "Karim BERNARD")
    assert "une autre personne remplace Karim BERNARD : son accès au portail lui est " \
        "retiré" in json.loads(AuditLog.get(AuditLog.action == audit.GUARDIAN_EDITED
                                            ).details)["summary"]


def test_a_declaration_validated_without_a_choice_is_asked_again(app, client, auth, db):
    account = karims_account()
    declare_only(client, auth, "Karime", "Bernard")
    declaration = GuardianDeclaration.get()
    refused = validate(client, auth, declaration)
    assert refused.status_code == 422
    assert decision_error(refused, f"decision-{declaration.id}") == PROBLEM
    assert GuardianDeclaration.get_by_id(declaration.id).status == GuardianDeclaration.PENDING
    assert second().first_name == "Karim"
    assert User.get_by_id(account.id).guardian_id == second().id
    assert not AuditLog.select().where(AuditLog.action.in_(
        [audit.GUARDIAN_EDITED, audit.GUARDIAN_ACCESS_REMOVED])).exists()
