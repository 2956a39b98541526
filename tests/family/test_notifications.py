"""« Notifications »: each family user chooses which optional emails they receive; the
required ones (invoices, a closed day) always go; a signed one-click link unsubscribes
without signing in (RFC 8058), and only a valid signature does anything."""
import pytest

from domain import audit, email_prefs
from domain.messaging.messages import staff_reply
from models import AuditLog, EmailOptOut, MessageThread, User
from tests.helpers import demo_family, text_of

BERNARD = "famille.bernard@example.org"


def _settings(client, auth, **ticked):
    token = auth.csrf("/mon-dossier/notifications")
    return client.post("/mon-dossier/notifications",
                       data={"csrf_token": token, **{k: "y" for k, v in ticked.items() if v}})


def test_the_page_offers_the_optional_kinds_and_shows_the_required_ones(client, auth):
    auth.login("famille 16123")
    page = client.get("/mon-dossier/notifications")
    text = text_of(page)
    for label in ("Les réponses des services à mes messages",
                  "Les rappels avant les dates limites de réservation",
                  "Les actualités de la commune"):
        assert label in text
    assert "Toujours envoyés" in text and "Mes factures et leurs rappels (obligatoire)" in text
    html = page.get_data(as_text=True)
    assert html.count('type="checkbox"') == 3 and html.count("checked") == 3
    assert 'name="factures"' not in html


def test_unticking_a_kind_stops_it_and_is_audited(client, auth, db):
    auth.login("famille 16123")
    answer = _settings(client, auth, reponses=True, rappels=False, actualites=True)
    assert answer.status_code == 303
    user = User.get(User.email == BERNARD)
    assert [r.kind for r in EmailOptOut.select()] == ["rappels"]
    assert email_prefs.choices(user) == {"reponses": True, "rappels": False,
                                         "actualites": True, "factures": True,
                                         "fermetures": True}
    row = AuditLog.get(AuditLog.action == audit.EMAIL_CHOICES_SET)
    assert row.family_id == demo_family(16123).id and row.user_id == user.id
    page = client.get("/mon-dossier/notifications").get_data(as_text=True)
    assert page.count("checked") == 2
    # Ticked again: emailed again.
    _settings(client, auth, reponses=True, rappels=True, actualites=True)
    assert EmailOptOut.select().count() == 0


def test_a_refused_kind_is_not_sent_the_required_ones_still_are(app, db, mailbox):
    """Replies refused: staff's answer is in the portal, not emailed; invoices and closed
    days cannot be refused."""
    user = User.get(User.email == BERNARD)
    email_prefs.refuse(user.id, email_prefs.REPLIES)
    assert not email_prefs.refuse(user.id, email_prefs.INVOICES)
    assert email_prefs.wanted(BERNARD, email_prefs.INVOICES)
    assert email_prefs.wanted(BERNARD, email_prefs.CLOSURES)
    thread = MessageThread.get(MessageThread.subject == "Sortie scolaire du jeudi")
    agent = User.get(User.email == "agent@mairie.example.org")
    with app.app_context():
        staff_reply(thread, agent, "Bonjour, c'est noté.", lambda _id: "http://x/")
    assert mailbox.to(BERNARD) == []


def test_an_optional_email_carries_the_signed_one_click_headers(app, db, mailbox, client):
    thread = MessageThread.get(MessageThread.subject == "Sortie scolaire du jeudi")
    agent = User.get(User.email == "agent@mairie.example.org")
    with app.app_context():
        staff_reply(thread, agent, "Bonjour, c'est noté.", lambda _id: "http://x/")
    [mail] = mailbox.to(BERNARD)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = mail["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    # A GET (a link checker, a preview) changes nothing; it offers the button.
    page = client.get(path)
    assert page.status_code == 200 and "Me désabonner" in text_of(page)
    assert EmailOptOut.select().count() == 0
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert "vous ne recevrez plus d'email" in text_of(done)
    assert [(r.user.email, r.kind) for r in EmailOptOut.select()] == [(BERNARD, "reponses")]
    # Again: nothing more, no error.
    assert client.post(path).status_code == 200 and EmailOptOut.select().count() == 1


@pytest.mark.parametrize("token", ["pas-un-jeton", "WzMsInJhcHBlbHMiXQ.forged"])
def test_a_forged_or_altered_token_is_refused(app, db, client, token):
    assert client.post(f"/desabonnement/{token}").status_code == 404
    assert client.get(f"/desabonnement/{token}").status_code == 404
    assert EmailOptOut.select().count() == 0


def test_a_token_names_one_kind_of_one_user_and_cannot_be_altered(app, db):
    secret = app.config["SECRET_KEY"]
    user = User.get(User.email == BERNARD)
    token = email_prefs.unsubscribe_token(secret, user.id, "rappels")
    assert email_prefs.read_unsubscribe_token(secret, token) == (user, "rappels")
    assert email_prefs.read_unsubscribe_token("une-autre-cle", token) is None
    assert email_prefs.read_unsubscribe_token(
        secret, email_prefs.unsubscribe_token(secret, user.id, "factures")) is None


def test_the_guides_notifications_under_envoyer_un_message_leads_to_the_choices(client, auth):
    """The guide's « Notifications ▾ » on NOUS ENVOYER UN MESSAGE opens onto the link to
    the choices."""
    auth.login("famille 16122")
    page = client.get("/messagerie/envoyer").get_data(as_text=True)
    assert "<summary>Notifications</summary>" in page
    assert 'href="/mon-dossier/notifications"' in page
