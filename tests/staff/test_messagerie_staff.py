"""MESSAGERIE, staff side: the messages of each service, read state, replies that notify."""
import html
import io
import json
import re

import pytest

from domain import audit
from domain.family.contact import family_email_address
from domain.messaging.messages import SERVICES
from models import AuditLog, Family, Guardian, Message, MessageAttachment, MessageThread, User
from tests.family.test_messagerie import post_message
from tests.helpers import pdf_bytes, text_of, unescaped


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
    page = unescaped(client.get("/agents/messages/"))
    assert "Bus du matin" in page and "16122 – DUPONT" in page
    assert "Sortie scolaire du jeudi" in page  # the demo thread of family 16123
    row = page[page.index("Bus du matin") - 600:page.index("Bus du matin") + 300]
    assert 'class="unread"' in row and "1 non lu(s)" in row
    assert "Scolarité 1 non lu(s)" in text_of(page)  # the badge, as read aloud
    filtered = unescaped(client.get("/agents/messages/", query_string={"service": "Scolarité"}))
    assert "Bus du matin" in filtered and "Sortie scolaire du jeudi" not in filtered


def test_opening_a_thread_marks_it_read_by_staff(client, family_message):
    page = unescaped(client.get(f"/agents/messages/{family_message.id}"))
    assert "Le bus passe trop tôt." in page and "horaires.pdf" in page
    [message] = family_message.messages
    assert Message.get_by_id(message.id).read_by_staff_at is not None
    listing = unescaped(client.get("/agents/messages/"))
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
    assert "Vous avez 1 message(s) non lu(s)" in unescaped(client.get("/"))
    received = unescaped(client.get("/messagerie/"))
    assert "Bus du matin" in received and ">Non lu</span>" in received
    thread_page = unescaped(client.get(f"/messagerie/fil/{family_message.id}"))
    assert "nous avons prévenu le transporteur" in thread_page
    assert "Vous avez 0 message(s) non lu(s)" in unescaped(client.get("/"))


def test_empty_reply_is_refused_next_to_the_field(client, auth, mailbox, family_message):
    url = f"/agents/messages/{family_message.id}"
    response = client.post(url + "/repondre", data={"csrf_token": auth.csrf(url), "body": ""})
    page = unescaped(response)
    assert response.status_code == 422
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


# --- Replies with attachments, "traité", the services' own addresses ---------


def reply(client, auth, thread, body="Voici le règlement signé.", **files):
    url = f"/agents/messages/{thread.id}"
    data = {"csrf_token": auth.csrf(url), "body": body}
    data.update(files)
    return client.post(url + "/repondre", data=data, content_type="multipart/form-data")


def test_agent_answers_with_an_attachment_the_family_sees_both_and_gets_the_text(
        client, auth, mailbox, family_message):
    response = reply(client, auth, family_message,
                     body="Bonjour,\nle bus passera à 8h05 dès lundi.",
                     attachment_1=(io.BytesIO(pdf_bytes("Nouveaux horaires")), "horaires-bus.pdf"))
    assert response.status_code == 303
    answer = family_message.messages.order_by(Message.id.desc()).first()
    [attachment] = answer.attachments
    assert attachment.file.original_name == "horaires-bus.pdf"
    assert attachment.file.family.account_number == 16122
    log = AuditLog.get(AuditLog.action == audit.MESSAGE_REPLIED)
    assert json.loads(log.details)["after"]["attachments"] == ["horaires-bus.pdf"]
    [mail] = mailbox.to("famille.dupont@example.org")
    text = mailbox.text(mail)
    assert "le bus passera à 8h05 dès lundi." in text
    assert "horaires-bus.pdf" in text
    assert "le bus passera à 8h05 dès lundi." in html.unescape(mailbox.html(mail))
    auth.logout()
    auth.login("famille 16122")
    page = unescaped(client.get(f"/messagerie/fil/{family_message.id}"))
    assert "le bus passera à 8h05 dès lundi." in page and "horaires-bus.pdf" in page
    download = client.get(f"/messagerie/piece-jointe/{attachment.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_a_bad_reply_attachment_is_refused_next_to_its_field(client, auth, mailbox,
                                                             family_message):
    response = reply(client, auth, family_message,
                     attachment_1=(io.BytesIO(pdf_bytes()), "ok.pdf"),
                     attachment_2=(io.BytesIO(b"<html><script>x</script>"), "page.pdf"))
    page = unescaped(response)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="attachment_2-error">Ce fichier n\'est ni un PDF',
                     page)
    assert "« ok.pdf » était correct : sélectionnez-le à nouveau." in page
    assert "Voici le règlement signé." in page  # the text is kept
    assert family_message.messages.count() == 1 and mailbox.messages == []


def test_a_thread_marked_treated_leaves_the_list_to_treat_until_the_family_writes(
        client, auth, family_message):
    url = f"/agents/messages/{family_message.id}"
    client.get(url)
    response = client.post(url + "/traite", data={"traite-csrf_token": auth.csrf(url),
                                                  "traite": "1"})
    assert response.status_code == 303
    thread = MessageThread.get_by_id(family_message.id)
    assert thread.treated_at is not None and thread.treated_by.email == "agent@mairie.example.org"
    assert "Traité le 26/11/2026" in unescaped(client.get(url))
    assert AuditLog.get(AuditLog.action == audit.MESSAGE_TREATED).family.account_number == 16122
    assert "Bus du matin" not in unescaped(client.get("/agents/messages/"))
    treated = unescaped(client.get("/agents/messages/", query_string={"etat": "traites"}))
    assert "Bus du matin" in treated and "Traité" in treated
    assert "Bus du matin" in unescaped(client.get("/agents/messages/?etat=tous"))
    # The family writes again: the thread is to treat again.
    auth.logout()
    auth.login("famille 16122")
    client.post(f"/messagerie/fil/{family_message.id}/repondre",
                data={"csrf_token": auth.csrf(f"/messagerie/fil/{family_message.id}"),
                      "body": "Merci, et le soir ?"})
    auth.logout()
    auth.login("agent")
    assert MessageThread.get_by_id(family_message.id).treated_at is None
    assert "Bus du matin" in unescaped(client.get("/agents/messages/"))


def test_treated_without_csrf_is_refused(client, family_message):
    response = client.post(f"/agents/messages/{family_message.id}/traite", data={"traite": "1"})
    assert response.status_code == 400
    assert MessageThread.get_by_id(family_message.id).treated_at is None


def test_a_new_family_message_emails_the_services_own_address(client, auth, mailbox):
    auth.login("administrateur")
    page = unescaped(client.get("/agents/admin/services"))
    assert "Scolarité" in page and 'value=""' in page  # empty in the demo
    index = list(SERVICES).index("Scolarité") + 1
    bad = client.post(f"/agents/admin/services/{index}",
                      data={f"service-{index}-csrf_token": auth.csrf("/agents/admin/services"),
                            f"service-{index}-email": "pas une adresse"})
    assert bad.status_code == 422
    assert re.search(rf'<p class="error" id="service-{index}-email-error">Cette adresse email',
                     unescaped(bad))
    client.post(f"/agents/admin/services/{index}",
                data={f"service-{index}-csrf_token": auth.csrf("/agents/admin/services"),
                      f"service-{index}-email": "scolarite@mairie.example.org",
                      f"service-{index}-active": "y"})
    assert AuditLog.get(AuditLog.action == audit.SERVICE_MAILBOX_SET).user.email == \
        "admin@mairie.example.org"
    assert client.post("/agents/admin/services/99", data={}).status_code in (400, 404)
    auth.logout()
    auth.login("famille 16122")
    mailbox.clear()
    post_message(client, auth, service="Scolarité", theme="Informations",
                 subject="Cantine", body="Question sur la cantine.")
    [mail] = mailbox.to("scolarite@mairie.example.org")
    assert " ".join(mail["Subject"].split()) == ("Portail Famille : nouveau message de la famille DUPONT (16122) "
                               "– Cantine")
    thread = MessageThread.get(MessageThread.subject == "Cantine")
    assert f"http://localhost/agents/messages/{thread.id}" in mailbox.text(mail)
    # Another service (no address) sends nothing to it.
    mailbox.clear()
    post_message(client, auth, service="Centres de Loisirs", theme="Informations",
                 subject="Mercredi", body="Question.")
    assert mailbox.to("scolarite@mairie.example.org") == []
    # The family writing again in the thread tells the service too.
    client.post(f"/messagerie/fil/{thread.id}/repondre",
                data={"csrf_token": auth.csrf(f"/messagerie/fil/{thread.id}"), "body": "Et ?"})
    assert len(mailbox.to("scolarite@mairie.example.org")) == 1
