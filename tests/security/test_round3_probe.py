"""An outside probe of round 3's features: régies, the bank's return file, a login per
guardian. Each test is a hole found (it failed before its fix) or a door tried that held.
"""
import re

from models import Family, Guardian, OutgoingEmail, User
from tests.conftest import AuthActions
from tests.helpers import csrf_from

NEW_PASSWORD = "un-mot-de-passe-solide-2027"


def signed_in(app, who):
    client = app.test_client()
    response = AuthActions(client).login(who)
    assert response.status_code in (302, 303)
    return client


def invitation_paths(mailbox, address):
    """The links of every invitation ``address`` received, oldest first."""
    assert OutgoingEmail.select().where(OutgoingEmail.recipient == address).exists()
    return [re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mail)).group(1)
            for mail in mailbox.to(address)]


def staff_post(app, url, family, **data):
    staff = signed_in(app, "agent")
    token = csrf_from(staff.get(f"/agents/familles/{family.id}").get_data(as_text=True))
    return staff.post(url, data={"csrf_token": token, **data})


def test_an_invitation_link_is_dead_once_the_access_is_removed_and_given_again(
        app, db, mailbox):
    """Hole: the link of a first invitation (sent to an address later found wrong) came
    back to life when staff removed the access and invited the guardian again at their
    corrected address: both accounts' fingerprints were "no password yet". Whoever held
    the first mail could choose the password and read the family's record."""
    family = Family.get(Family.account_number == 16122)
    marc = Guardian.get(Guardian.first_name == "Marc")
    base = f"/agents/familles/{family.id}/responsables/{marc.id}/acces"
    staff_post(app, base, family)
    first = invitation_paths(mailbox, "marc.dupont@example.org")[-1]
    assert app.test_client().get(first).status_code == 200  # valid while it is the one
    staff_post(app, base + "/retirer", family, motif="Adresse erronée")
    assert app.test_client().get(first).status_code == 400  # removed: dead
    Guardian.update(email="marc.nouveau@example.org").where(Guardian.id == marc.id).execute()
    staff_post(app, base, family)
    again = invitation_paths(mailbox, "marc.nouveau@example.org")[-1]

    old = app.test_client()
    page = old.get(first)
    assert page.status_code == 400
    response = old.post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                     "csrf_token": csrf_from(old.get("/connexion"))})
    assert response.status_code == 400
    assert User.get(User.guardian == marc).password_hash == ""
    # The new link, at the corrected address, works (once).
    new = app.test_client()
    page = new.get(again)
    assert page.status_code == 200
    response = new.post(again, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                     "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert app.test_client().get(again).status_code == 400
    assert AuthActions(app.test_client()).login("marc.nouveau@example.org",
                                                NEW_PASSWORD).status_code == 303
