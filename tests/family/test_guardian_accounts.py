"""A login per legal guardian: both guardians of a family sign in with their own account,
see the same family, and what each does is recorded under their name; a guardian's access
is given by the other guardian or by staff, and removed by staff without touching the
other's.

Demo family 16123 (BERNARD): Nadia (first guardian, « 16123 ») and Karim (second guardian,
his own email) both have a login; the test "now" is 26/11/2026, January is open.
"""
import datetime
import json
import re

from demo import DEMO_LOGINS
from domain import audit
from domain.booking import changes as booking_changes
from domain.family.accounts import make_reset_token
from models import (
    AuditLog,
    Booking,
    Family,
    Guardian,
    InvitationSent,
    MessageThread,
    OutgoingEmail,
    User,
)
from tests.conftest import AuthActions
from tests.family.test_guardian_email_follows import declare_second_guardian
from tests.helpers import activity, csrf_from, demo_child, modalite, text_of, unescaped
from tests.planning_support import CL, SANS, line_key, token

KARIM = "famille 16123 (Karim)"
NEW_PASSWORD = "un-mot-de-passe-solide-2027"


def signed_in(app, who):
    client = app.test_client()
    response = AuthActions(client).login(who)
    assert response.status_code in (302, 303), text_of(response.get_data(as_text=True))
    return client


def book_one_day(client, day):
    """CHLOE's CL Maternel Mercredis on ``day``: VALIDER (the month's grid as sent, with
    the days already booked still ticked), the recap, then TERMINER."""
    chloe = demo_child("CHLOE")
    ticked = [token(b.date, b.modalite) for b in Booking.select().where(
        (Booking.child == chloe) & (Booking.activity == activity(CL))
        & (Booking.date.between(datetime.date(2027, 1, 1), datetime.date(2027, 1, 31))))]
    page = client.get("/planning/recapitulatif").get_data(as_text=True)
    response = client.post("/planning/valider", data={
        "ligne": line_key(chloe, CL), "vue": "mensuel", "du": "2027-01-01",
        "jours": ticked + [token(day, modalite(CL, SANS))],
        "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    recap = client.get("/planning/recapitulatif").get_data(as_text=True)
    response = client.post("/planning/terminer", data={"csrf_token": csrf_from(recap)})
    assert response.status_code == 303 and response.location.endswith("/planning/terminee")
    done = client.get("/planning/terminee").get_data(as_text=True)
    return text_of(recap), text_of(done)


def guardian(first_name):
    return Guardian.get(Guardian.first_name == first_name)


def test_two_guardians_each_book_a_day_and_the_recap_and_audit_name_who(app, db):
    nadia_user = User.get(User.email == "famille.bernard@example.org")
    karim_user = User.get(User.email == DEMO_LOGINS[KARIM][0])
    nadia, karim = signed_in(app, "famille 16123"), signed_in(app, KARIM)
    # Both see the same family and its children.
    for client in (nadia, karim):
        home = unescaped(client.get("/mon-dossier/"))
        assert "Mon compte: [16123]" in home and "HUGO" in home and "CHLOE" in home

    recap, done = book_one_day(nadia, datetime.date(2027, 1, 6))
    assert ("06/01/2027 CHLOE - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas "
            "par Nadia BERNARD") in recap
    assert "par Nadia BERNARD" in done and "Modifications enregistrées" in done
    recap, done = book_one_day(karim, datetime.date(2027, 1, 20))
    assert "20/01/2027 CHLOE - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas " \
        "par Karim BERNARD" in recap
    assert "par Nadia BERNARD" not in recap and "par Karim BERNARD" in done

    chloe = demo_child("CHLOE")
    booked = {b.date: b.booked_by_id for b in Booking.select().where(
        (Booking.child == chloe) & (Booking.activity == activity(CL))
        & Booking.date.in_([datetime.date(2027, 1, 6), datetime.date(2027, 1, 20)]))}
    assert booked == {datetime.date(2027, 1, 6): nadia_user.id,
                      datetime.date(2027, 1, 20): karim_user.id}
    commits = list(AuditLog.select().where(AuditLog.action == audit.BOOKING_COMMITTED)
                   .order_by(AuditLog.id))
    assert [row.user_id for row in commits] == [nadia_user.id, karim_user.id]
    # The staff's journal names each person.
    staff = signed_in(app, "agent")
    journal = text_of(staff.get("/agents/journal/?famille=16123").get_data(as_text=True))
    assert "Nadia BERNARD (famille.bernard@example.org) 16123 – BERNARD Réservations de la " \
        "famille 1 réservation(s), 0 annulation(s) : Réservation Mer. 06/01/2027" in journal
    assert "Karim BERNARD (karim.bernard@example.org) 16123 – BERNARD Réservations de la " \
        "famille 1 réservation(s), 0 annulation(s) : Réservation Mer. 20/01/2027" in journal

    # Removing Karim's access leaves Nadia's untouched.
    nadia_token = User.get_by_id(nadia_user.id).session_token
    family = Family.get(Family.account_number == 16123)
    page = staff.get(f"/agents/familles/{family.id}").get_data(as_text=True)
    assert "actif (karim.bernard@example.org) Retirer l'accès" in text_of(page)
    response = staff.post(f"/agents/familles/{family.id}/responsables/"
                          f"{guardian('Karim').id}/acces/retirer",
                          data={"motif": "Séparation : décision du juge", "csrf_token":
                                csrf_from(page)})
    assert response.status_code == 303
    assert "L'accès au portail de Karim BERNARD est retiré." in unescaped(
        staff.get(response.location))
    assert karim.get("/planning/").status_code in (302, 303)  # his session died
    assert nadia.get("/planning/").status_code == 200
    assert User.get_by_id(nadia_user.id).session_token == nadia_token
    assert User.get_by_id(nadia_user.id).is_active
    assert not User.get_by_id(karim_user.id).is_active
    refused = AuthActions(app.test_client()).login(KARIM)
    assert "N° de compte, email ou mot de passe incorrect." in unescaped(refused)
    removal = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED)
    assert removal.user.email == "agent@mairie.example.org"
    assert "Séparation : décision du juge" in removal.details
    # What Karim booked still names him.
    assert "par Karim BERNARD" not in text_of(nadia.get("/planning/recapitulatif")
                                              .get_data(as_text=True))
    assert Booking.get(Booking.date == datetime.date(2027, 1, 20), Booking.child == chloe,
                       Booking.activity == activity(CL)).booked_by_id == karim_user.id


def invitation_path(mailbox, address):
    """The link of the last invitation ``address`` received (sent through the outbox)."""
    assert OutgoingEmail.select().where(OutgoingEmail.recipient == address).exists()
    mail = mailbox.to(address)[-1]
    return re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mail)).group(1)


def choose_password(app, path):
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303, text_of(response.get_data(as_text=True))
    return client


def session_of(app, client):
    """The client's Flask session as the server reads it from its cookie."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_confirmation_reads_its_changes_back_from_the_database_not_the_cookie(app, db):
    nadia = signed_in(app, "famille 16123")
    signed_in(app, KARIM)  # two accounts: the confirmation names who made each change
    _, done = book_one_day(nadia, datetime.date(2027, 1, 6))
    assert ("Modifications enregistrées Mer. 06/01/2027 : CHLOE - 2026/2027 - CL Maternel "
            "Mercredis - Après-midi SANS repas par Nadia BERNARD") in done
    commit = AuditLog.get(AuditLog.action == audit.BOOKING_COMMITTED)
    assert session_of(app, nadia)["planning_done"] == {"audit": commit.id}  # no list
    # Read again, the page still lists it; another family's row is never read.
    again = text_of(nadia.get("/planning/terminee").get_data(as_text=True))
    assert "Après-midi SANS repas par Nadia BERNARD" in again
    other = Family.get(Family.account_number == 16122)
    assert booking_changes.confirmation(other.id, commit.id) is None
    listed = booking_changes.confirmation(commit.family_id, commit.id)
    assert listed["changes"]["lines"][0]["by"] == "Nadia BERNARD"
    assert [period["cost"] for period in listed["periods"]] == [1170]


def test_a_removed_guardian_is_invited_again_by_staff_with_a_new_password(app, db, mailbox):
    karim_user = User.get(User.email == DEMO_LOGINS[KARIM][0])
    family = Family.get(Family.account_number == 16123)
    staff = signed_in(app, "agent")
    base = f"/agents/familles/{family.id}/responsables/{guardian('Karim').id}/acces"
    token_ = csrf_from(staff.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    staff.post(base + "/retirer", data={"motif": "", "csrf_token": token_})
    response = staff.post(base, data={"csrf_token": token_})
    assert "Invitation envoyée à karim.bernard@example.org (Karim BERNARD)." in unescaped(
        staff.get(response.location))
    again = User.get_by_id(karim_user.id)
    assert again.is_active and again.password_hash == ""  # the old password is gone
    assert InvitationSent.select().where(InvitationSent.user == again).count() == 1
    assert AuthActions(app.test_client()).login(KARIM).status_code == 401  # refused
    choose_password(app, invitation_path(mailbox, "karim.bernard@example.org"))
    karim = app.test_client()
    assert AuthActions(karim).login("karim.bernard@example.org", NEW_PASSWORD).status_code \
        == 303
    assert "Mon compte: [16123]" in unescaped(karim.get("/mon-dossier/"))
    given = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_GIVEN)
    assert "Accès au portail redonné à Karim BERNARD" in given.details


def test_the_first_guardian_gives_the_second_one_access_from_the_dossier(app, db, client,
                                                                        auth, mailbox):
    """16122: Julie (the account) invites Marc from MON DOSSIER; Marc chooses a password,
    signs in with his email and sees the same family; Julie cannot invite him twice."""
    auth.login("famille 16122")
    marc = guardian("Marc")
    page = client.get("/mon-dossier/").get_data(as_text=True)
    text = text_of(page)
    assert "Accès au portail : actif (vous)" in text
    assert "Accès au portail : aucun Donner accès au portail à Marc DUPONT" \
        in text
    response = client.post(f"/mon-dossier/responsables/{marc.id}/acces",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    text = text_of(client.get(response.location).get_data(as_text=True))
    assert "Invitation envoyée à marc.dupont@example.org" in text
    assert "Accès au portail : invitation envoyée" in text
    assert "Donner accès au portail" not in text
    account = User.get(User.email == "marc.dupont@example.org")
    assert account.guardian_id == marc.id and account.family_id == marc.family_id
    given = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_GIVEN)
    assert given.user.email == "famille.dupont@example.org"
    # A second click changes nothing.
    client.post(f"/mon-dossier/responsables/{marc.id}/acces", data={"csrf_token": csrf_from(page)})
    assert User.select().where(User.guardian == marc).count() == 1
    assert InvitationSent.select().where(InvitationSent.user == account).count() == 1

    choose_password(app, invitation_path(mailbox, "marc.dupont@example.org"))
    marc_client = app.test_client()
    assert AuthActions(marc_client).login("marc.dupont@example.org", NEW_PASSWORD) \
        .status_code == 303
    dossier = unescaped(marc_client.get("/mon-dossier/"))
    assert "Mon compte: [16122]" in dossier and "LENA" in dossier


def test_a_family_never_reaches_another_familys_guardian(app, db, client, auth):
    auth.login("famille 16122")
    karim = guardian("Karim")
    page = client.get("/mon-dossier/").get_data(as_text=True)
    response = client.post(f"/mon-dossier/responsables/{karim.id}/acces",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    assert User.select().where(User.guardian == karim).count() == 1  # his own, untouched


def test_a_guardian_cannot_give_back_an_access_staff_removed(app, db):
    family = Family.get(Family.account_number == 16123)
    karim = guardian("Karim")
    staff = signed_in(app, "agent")
    token_ = csrf_from(staff.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    staff.post(f"/agents/familles/{family.id}/responsables/{karim.id}/acces/retirer",
               data={"motif": "", "csrf_token": token_})
    nadia = signed_in(app, "famille 16123")
    page = nadia.get("/mon-dossier/").get_data(as_text=True)
    assert "Accès au portail : retiré" in text_of(page)
    assert "Donner accès au portail" not in text_of(page)
    response = nadia.post(f"/mon-dossier/responsables/{karim.id}/acces",
                          data={"csrf_token": csrf_from(page)})
    assert "écrivez au service « Données du Dossier Famille »" in unescaped(
        nadia.get(response.location))
    assert not User.get(User.guardian == karim).is_active


def test_each_guardians_message_shows_its_author(app, db):
    """Karim writes to a service: his thread names him, for him (« Vous »), for Nadia and
    for staff."""
    karim = signed_in(app, KARIM)
    page = karim.get("/messagerie/envoyer").get_data(as_text=True)
    response = karim.post("/messagerie/envoyer", data={
        "service": "ALAE - Restauration", "theme": "Informations", "subject": "Sortie du 6",
        "body": "HUGO sera absent.", "csrf_token": csrf_from(page)})
    assert response.status_code == 303, text_of(response.get_data(as_text=True))
    thread = MessageThread.get(MessageThread.subject == "Sortie du 6")
    assert "Vous (Karim BERNARD)" in text_of(karim.get(f"/messagerie/fil/{thread.id}")
                                                  .get_data(as_text=True))
    nadia = signed_in(app, "famille 16123")
    text = text_of(nadia.get(f"/messagerie/fil/{thread.id}").get_data(as_text=True))
    assert "Karim BERNARD , le 26/11/2026" in text and "Vous (Karim" not in text
    staff = signed_in(app, "agent")
    assert "Famille BERNARD (Karim BERNARD)" in text_of(
        staff.get(f"/agents/messages/{thread.id}").get_data(as_text=True))


def karim_writes(app, subject):
    """Karim writes to a service; returns the thread."""
    karim = signed_in(app, KARIM)
    page = karim.get("/messagerie/envoyer").get_data(as_text=True)
    assert karim.post("/messagerie/envoyer", data={
        "service": "ALAE - Restauration", "theme": "Informations", "subject": subject,
        "body": "HUGO sera absent.", "csrf_token": csrf_from(page)}).status_code == 303
    return MessageThread.get(MessageThread.subject == subject)


def test_what_a_replaced_guardian_did_still_names_him(app, db, client, auth):
    """Karim books a day and writes to a service; then Nadia declares Paul MARTIN in his
    place, validated: his booking, his message and his journal lines still name Karim,
    never Paul (who did none of it)."""
    karim_user = User.get(User.email == DEMO_LOGINS[KARIM][0])
    book_one_day(signed_in(app, KARIM), datetime.date(2027, 1, 20))
    thread = karim_writes(app, "Sortie du 6")
    declare_second_guardian(client, auth, "Paul", "Martin", "paul.martin@exemple.fr",
                            decision="autre-personne")
    assert guardian("Paul").last_name == "MARTIN"

    staff = signed_in(app, "agent")
    journal = text_of(staff.get("/agents/journal/?famille=16123").get_data(as_text=True))
    assert "Karim BERNARD (karim.bernard@example.org) 16123 – BERNARD Réservations de la " \
        "famille 1 réservation(s), 0 annulation(s) : Réservation Mer. 20/01/2027" in journal
    assert "Paul MARTIN (karim.bernard" not in journal
    assert "Famille BERNARD (Karim BERNARD)" in text_of(
        staff.get(f"/agents/messages/{thread.id}").get_data(as_text=True))
    nadia = signed_in(app, "famille 16123")
    text = text_of(nadia.get(f"/messagerie/fil/{thread.id}").get_data(as_text=True))
    assert "Karim BERNARD , le 26/11/2026" in text and "Paul MARTIN" not in text
    assert booking_changes.confirmation(
        karim_user.family_id, AuditLog.get(AuditLog.action == audit.BOOKING_COMMITTED).id
    )["changes"]["lines"][0]["by"] == "Karim BERNARD"
    # His account is his, kept with the family's history, no longer Paul's guardian row.
    account = User.get_by_id(karim_user.id)
    assert (account.is_active, account.guardian_id, account.family_id, account.email) == (
        False, None, karim_user.family_id, "karim.bernard@example.org")


def test_the_guardian_who_replaced_another_is_invited_with_a_new_account(app, db, client,
                                                                         auth, mailbox):
    """After the replacement, Nadia's MON DOSSIER shows Paul without an access (not
    « retiré »: Karim's was removed, not Paul's) and lets her invite him, like any
    guardian without one; Paul gets a new account, Karim's stays his and inactive, and
    neither Karim's password nor a link sent to Karim opens Paul's."""
    karim_user = User.get(User.email == DEMO_LOGINS[KARIM][0])
    reset = make_reset_token(app.config["SECRET_KEY"], karim_user)
    declare_second_guardian(client, auth, "Paul", "Martin", "paul.martin@exemple.fr",
                            decision="autre-personne")
    paul = guardian("Paul")
    auth.logout()
    auth.login("famille 16123")
    page = client.get("/mon-dossier/").get_data(as_text=True)
    text = text_of(page)
    assert "Accès au portail : aucun Donner accès au portail à Paul MARTIN" in text
    assert "retiré" not in text
    response = client.post(f"/mon-dossier/responsables/{paul.id}/acces",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert "Invitation envoyée à paul.martin@exemple.fr" in text_of(
        client.get(response.location).get_data(as_text=True))

    account = User.get(User.guardian == paul)
    assert account.id != karim_user.id and account.email == "paul.martin@exemple.fr"
    assert account.family_id == paul.family_id and account.password_hash == ""
    karims = User.get_by_id(karim_user.id)
    assert not karims.is_active and karims.email == "karim.bernard@example.org"
    assert karims.guardian_id is None and karims.person_name == "Karim BERNARD"
    assert "Accès au portail donné à Paul MARTIN" in AuditLog.get(
        AuditLog.action == audit.GUARDIAN_ACCESS_GIVEN).details
    for login in ("paul.martin@exemple.fr", "karim.bernard@example.org"):
        assert AuthActions(app.test_client()).login(login, DEMO_LOGINS[KARIM][1]
                                                    ).status_code == 401
    assert app.test_client().get(f"/reinitialiser/{reset}").status_code == 400
    choose_password(app, invitation_path(mailbox, "paul.martin@exemple.fr"))
    paul_client = app.test_client()
    assert AuthActions(paul_client).login("paul.martin@exemple.fr", NEW_PASSWORD) \
        .status_code == 303
    assert "Mon compte: [16123]" in unescaped(paul_client.get("/mon-dossier/"))
    assert "Accès au portail : actif (vous)" in text_of(
        paul_client.get("/mon-dossier/").get_data(as_text=True))


def test_the_agent_removes_the_replaced_guardians_access_and_nobody_else_changes(
        app, db, client, auth):
    """The replacement's journal row names the agent who validated and why; every other
    account (Nadia's, other families') keeps its guardian and its name."""
    karim_user = User.get(User.email == DEMO_LOGINS[KARIM][0])
    others = {user.id: (user.guardian_id, user.display_name, user.is_active)
              for user in User.select().where(User.id != karim_user.id)}
    declare_second_guardian(client, auth, "Paul", "Martin", "paul.martin@exemple.fr",
                            decision="autre-personne")
    assert {user.id: (user.guardian_id, user.display_name, user.is_active)
            for user in User.select().where(User.id.in_(list(others)))} == others
    entry = AuditLog.get(AuditLog.action == audit.GUARDIAN_ACCESS_REMOVED)
    assert entry.user.email == "agent@mairie.example.org"
    assert entry.family_id == karim_user.family_id
    assert json.loads(entry.details)["reason"] == "Remplacé comme second responsable par Paul MARTIN"
