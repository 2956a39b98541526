"""MESSAGERIE, staff side: the messages of each service, read state, replies that notify."""
import html
import io

import pytest

from domain.family.contact import family_email_address
from domain import audit
from models import AuditLog, Family, Guardian, Message, MessageAttachment, MessageThread, User
from tests.test_messagerie import pdf_bytes, post_message


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def family_message(client, auth):
    """Family 16122 writes to Scolarité with a PDF; then the agent signs in."""
    auth.login("famille 16122")
    post_message(client, auth, service="Scolarité", theme="Réclamations",
                 subject="Bus du matin", body="Le bus passe trop tôt.",
                 attachment_1=(io.BytesIO(pdf_bytes("Horaires")), "horaires.pdf"))
    auth.logout()
    auth.login("agent")
    return MessageThread.get(MessageThread.subject == "Bus du matin")


def test_staff_list_marks_unread_threads_and_filters_by_service(client, family_message):
    page = text_of(client.get("/agents/messages/"))
    assert "Bus du matin" in page and "16122 – DUPONT" in page
    assert "Sortie scolaire du jeudi" in page  # the demo thread of family 16123
    row = page[page.index("Bus du matin") - 600:page.index("Bus du matin") + 300]
    assert 'class="unread"' in row and "1 non lu(s)" in row
    assert 'Scolarité <span class="badge" aria-label="1 non lu(s)">1</span>' in page
    filtered = text_of(client.get("/agents/messages/", query_string={"service": "Scolarité"}))
    assert "Bus du matin" in filtered and "Sortie scolaire du jeudi" not in filtered


def test_opening_a_thread_marks_it_read_by_staff(client, family_message):
    page = text_of(client.get(f"/agents/messages/{family_message.id}"))
    assert "Le bus passe trop tôt." in page and "horaires.pdf" in page
    [message] = family_message.messages
    assert Message.get_by_id(message.id).read_by_staff_at is not None
    listing = text_of(client.get("/agents/messages/"))
    row = listing[listing.index("Bus du matin"):listing.index("Bus du matin") + 300]
    assert "non lu" not in row and ">Lu<" in row


def test_staff_downloads_the_attachment(client, family_message):
    attachment = MessageAttachment.get()
    response = client.get(f"/agents/messages/piece-jointe/{attachment.id}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "horaires.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/agents/messages/piece-jointe/999999").status_code == 404


def test_staff_reply_is_logged_and_the_family_is_notified(client, auth, mailbox,
                                                          family_message):
    url = f"/agents/messages/{family_message.id}"
    response = client.post(url + "/repondre", data={
        "csrf_token": auth.csrf(url), "body": "Bonjour, nous avons prévenu le transporteur."})
    assert response.status_code == 303 and response.headers["Location"] == url
    reply = family_message.messages.order_by(Message.id.desc()).first()
    assert reply.from_staff and reply.author.email == "agent@mairie.example.org"
    assert reply.body == "Bonjour, nous avons prévenu le transporteur."
    log = AuditLog.get(AuditLog.action == audit.MESSAGE_REPLIED)
    assert log.user.email == "agent@mairie.example.org"
    assert log.family.account_number == 16122
    [mail] = mailbox.to("famille.dupont@example.org")
    assert mail["Subject"] == "Portail Famille : réponse à votre message « Bus du matin »"
    assert f"http://localhost/messagerie/fil/{family_message.id}" in mailbox.text(mail)
    assert "Scolarité" in mailbox.html(mail)
    # The family sees one unread message, then reads it.
    auth.logout()
    auth.login("famille 16122")
    assert "Vous avez 1 message(s) non lu(s)" in text_of(client.get("/"))
    received = text_of(client.get("/messagerie/"))
    assert "Bus du matin" in received and ">Non lu</span>" in received
    thread_page = text_of(client.get(f"/messagerie/fil/{family_message.id}"))
    assert "nous avons prévenu le transporteur" in thread_page
    assert "Vous avez 0 message(s) non lu(s)" in text_of(client.get("/"))


def test_empty_reply_is_refused_next_to_the_field(client, auth, mailbox, family_message):
    url = f"/agents/messages/{family_message.id}"
    response = client.post(url + "/repondre", data={"csrf_token": auth.csrf(url), "body": ""})
    page = text_of(response)
    assert response.status_code == 200
    assert '<p class="error" id="body-error">Écrivez votre réponse.</p>' in page
    assert family_message.messages.count() == 1
    assert mailbox.messages == [] and AuditLog.select().count() == 0


def test_reply_without_csrf_token_is_refused(client, mailbox, family_message):
    response = client.post(f"/agents/messages/{family_message.id}/repondre",
                           data={"body": "Sans jeton"})
    assert response.status_code == 400
    assert family_message.messages.count() == 1 and mailbox.messages == []


def test_staff_urls_of_unknown_threads_are_404(client, family_message):
    assert client.get("/agents/messages/999999").status_code == 404


def test_notification_goes_to_the_first_guardian_when_the_user_has_no_email(app, client):
    family = Family.get(Family.account_number == 16124)
    Guardian.update(email="claire.petit@example.org").where(Guardian.family == family).execute()
    assert family_email_address(family) == "famille.petit@example.org"
    User.update(email=None).where(User.family == family).execute()
    assert family_email_address(family) == "claire.petit@example.org"
    family = Family.get(Family.account_number == 16122)
    assert family_email_address(family) == "famille.dupont@example.org"
