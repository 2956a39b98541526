"""MESSAGERIE, family side: NOUS ENVOYER UN MESSAGE, attachments, threads, read state, access."""
import io
import os
import re
import socket

import pytest
from PIL import Image

from domain.mail import deliver_pending
from tests.helpers import mail_retry_time_passes
from models import (DossierValidation, Family, Message, MessageAttachment, MessageThread,
                    OutgoingEmail, StoredFile)
from tests.helpers import error_of, pdf_bytes, png_bytes, text_of, unescaped

SIX_MO = 6 * 1024 * 1024
ACTUALISATION = "Actualisation Dossier Famille"


def message_data(token, **overrides):
    data = {"csrf_token": token, "service": "Centres de Loisirs", "theme": "Modifications",
            "subject": "Mercredi 9 décembre", "body": "Bonjour,\nLENA ne viendra pas.\nMerci"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_message(client, auth, **overrides):
    token = auth.csrf("/messagerie/envoyer")
    return client.post("/messagerie/envoyer", data=message_data(token, **overrides),
                       content_type="multipart/form-data")


@pytest.fixture
def family(client, auth):
    auth.login("famille 16122")
    return client


# --- The form ----------------------------------------------------------------


def test_form_has_the_guide_labels_and_services(family):
    page = unescaped(family.get("/messagerie/envoyer"))
    assert "Les champs obligatoires sont précédés d'un astérisque (*)" in page
    for label in ("Service*", "Thème*", "Objet*", "Message*", "1er pièce jointe",
                  "2ème pièce jointe", "3ème pièce jointe", "4ème pièce jointe",
                  "Confirmation par email", "ENVOYER"):
        assert f">{label}<" in page, label
    assert page.count("Taille maximum : 6 Mo") == 4
    services = re.findall(r'<option[^>]*value="([^"]*)"', page.split('id="theme"')[0])
    assert services == ["", "ALAE - Restauration", "Centres de Loisirs",
                        "Crèche - Petite Enfance", "Données du Dossier Famille",
                        "PAI - ALLERGIE- MDPH", "Règlement - Facture", "Scolarité", ACTUALISATION]
    assert "--- Veuillez sélectionner un service ---" in page
    assert 'enctype="multipart/form-data"' in page


def test_query_parameters_prefill_the_form(family):
    page = unescaped(family.get("/messagerie/envoyer", query_string={
        "service": ACTUALISATION, "theme": "Renouvellement en école publique",
        "subject": "Actualisation"}))
    assert f'<option selected value="{ACTUALISATION}">' in page
    assert '<option selected value="Renouvellement en école publique">' in page
    assert 'value="Actualisation"' in page
    theme_options = re.findall(r'<option[^>]*value="([^"]*)"', page.split('id="theme"')[1])
    assert theme_options == ["", "Entrée Petite Section – CP en école publique",
                             "Renouvellement en école publique", "Centre de loisirs"]
    # "Précisions" tell what each attachment is for.
    assert "Justificatif de domicile en PDF" in page


def test_unknown_prefill_values_are_ignored(family):
    page = unescaped(family.get("/messagerie/envoyer", query_string={
        "service": "Piscine", "theme": "Centre de loisirs"}))
    assert '<option selected value="">--- Veuillez sélectionner un service ---' in page
    assert "Centre de loisirs</option>" not in page


def test_theme_list_is_swapped_alone_under_htmx(family):
    response = family.get("/messagerie/envoyer/themes", headers={"HX-Request": "true"},
                          query_string={"service": ACTUALISATION, "theme": "Informations"})
    fragment = unescaped(response)
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="theme-choice"')
    assert "<html" not in fragment and "<nav" not in fragment
    assert "Centre de loisirs</option>" in fragment and "Informations" not in fragment
    # A theme that also belongs to the new service stays selected.
    # The attachments' hints follow the service, swapped out of band.
    assert ('<p class="hint" id="attachment_1-hint" data-hx-swap-oob="true">Justificatif de '
            'domicile en PDF') in fragment
    assert fragment.count('data-hx-swap-oob="true"') == 4
    kept = unescaped(family.get("/messagerie/envoyer/themes", headers={"HX-Request": "true"},
                              query_string={"service": "Scolarité", "theme": "Réclamations"}))
    assert '<option selected value="Réclamations">' in kept
    assert 'id="attachment_1-hint" data-hx-swap-oob="true">Taille maximum : 6 Mo</p>' in kept


def test_theme_url_without_htmx_is_the_whole_form(family):
    page = unescaped(family.get("/messagerie/envoyer/themes",
                              query_string={"service": "Scolarité"}))
    assert "<title>Envoyer un message" in page
    assert '<option selected value="Scolarité">' in page
    assert "Réclamations</option>" in page
    assert 'data-hx-swap-oob' not in page and page.count('id="attachment_1-hint"') == 1


def test_the_service_select_asks_htmx_for_its_themes_inside_the_real_form(family):
    page = unescaped(family.get("/messagerie/envoyer"))
    form = page[page.index('<form method="post" action="/messagerie/envoyer"'):]
    select = re.search(r'<select[^>]*id="service"[^>]*>', form).group(0)
    assert 'data-hx-get="/messagerie/envoyer/themes"' in select
    assert 'data-hx-target="#theme-choice"' in select
    assert '<noscript>' in form and 'name="choose_service"' in form


def test_choose_service_button_reloads_the_themes_without_javascript(family, auth):
    response = post_message(family, auth, theme="", choose_service="1", service=ACTUALISATION,
                            subject="Actualisation", body="Bonjour")
    page = unescaped(response)
    assert response.status_code == 200
    assert "Centre de loisirs</option>" in page
    assert 'value="Actualisation"' in page and "\nBonjour</textarea>" in page
    assert 'class="error"' not in page  # choosing a service is not a failed send
    assert Message.select().where(Message.body == "Bonjour").count() == 0


# --- Sending -----------------------------------------------------------------


def test_family_sends_a_message_with_two_attachments_and_confirmation(family, auth, mailbox,
                                                                      app):
    pdf = pdf_bytes()
    response = post_message(family, auth, confirm_by_email="y",
                            attachment_1=(io.BytesIO(pdf), "assurance habitation.pdf"),
                            attachment_2=(io.BytesIO(png_bytes(True)), "fiche.png"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/messagerie/envoyes"
    thread = MessageThread.get(MessageThread.subject == "Mercredi 9 décembre")
    assert thread.family.account_number == 16122
    assert (thread.service, thread.theme) == ("Centres de Loisirs", "Modifications")
    [message] = thread.messages
    assert not message.from_staff and message.confirm_by_email
    assert message.body == "Bonjour,\nLENA ne viendra pas.\nMerci"
    files = [a.file for a in message.attachments.order_by(MessageAttachment.position)]
    assert [f.original_name for f in files] == ["assurance habitation.pdf", "fiche.png"]
    assert [f.content_type for f in files] == ["application/pdf", "image/png"]
    for stored in files:
        path = os.path.join(app.config["UPLOAD_DIR"], stored.stored_name)
        assert os.path.exists(path) and "static" not in path
        assert stored.stored_name not in ("assurance habitation.pdf", "fiche.png")
    with Image.open(os.path.join(app.config["UPLOAD_DIR"], files[1].stored_name)) as image:
        assert "GPS" not in image.info  # metadata stripped
    # Shown in Message(s) envoyé(s), with a flash.
    sent = unescaped(family.get("/messagerie/envoyes"))
    assert "Votre message a été envoyé. Une confirmation vous est envoyée par email." in sent
    assert "Mercredi 9 décembre" in sent and "Centres de Loisirs – Modifications" in sent
    # The confirmation email went out through SMTP.
    [mail] = mailbox.to("famille.dupont@example.org")
    assert mail["Subject"] == ("Portail Famille : confirmation de votre message "
                               "« Mercredi 9 décembre »")
    body = mailbox.text(mail)
    assert "Service : Centres de Loisirs" in body and "LENA ne viendra pas." in body
    assert "Pièces jointes : assurance habitation.pdf, fiche.png" in body
    assert f"http://localhost/messagerie/fil/{thread.id}" in body
    # The family downloads its attachment, as a download that nothing sniffs.
    attachment = message.attachments.order_by(MessageAttachment.position).first()
    download = family.get(f"/messagerie/piece-jointe/{attachment.id}")
    assert download.status_code == 200
    assert download.data == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_no_confirmation_email_unless_asked(family, auth, mailbox):
    assert post_message(family, auth).status_code == 303
    assert Message.select().where(Message.body.contains("LENA ne viendra pas")).count() == 1
    assert mailbox.messages == []
    assert OutgoingEmail.select().count() == 0


def test_message_to_actualisation_puts_the_dossier_in_waiting(family, auth):
    family_row = Family.get(Family.account_number == 16122)
    before = DossierValidation.get(DossierValidation.family == family_row)
    before.status = DossierValidation.DRAFT  # sections being checked, not sent yet
    before.save()
    response = post_message(family, auth, service=ACTUALISATION, subject="Actualisation",
                            theme="Entrée Petite Section – CP en école publique",
                            attachment_1=(io.BytesIO(pdf_bytes()), "domicile.pdf"))
    assert response.status_code == 303
    after = DossierValidation.get_by_id(before.id)
    assert after.status == DossierValidation.PENDING
    assert after.theme == "Entrée Petite Section – CP en école publique"


def test_a_down_mail_server_breaks_nothing_and_the_mail_goes_later(app, family, auth,
                                                                    mailbox, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app.extensions["mail"].port = closed
    response = post_message(family, auth, confirm_by_email="y")
    assert response.status_code == 303
    assert Message.select().where(Message.body.contains("LENA ne viendra pas")).count() == 1
    [email] = OutgoingEmail.select()
    assert email.sent_at is None and email.last_error and email.attempts == 1
    assert mailbox.messages == []
    app.extensions["mail"].port = mailbox.port  # the server is back
    mail_retry_time_passes(monkeypatch)
    with app.app_context():
        assert deliver_pending() == 1
    [mail] = mailbox.to("famille.dupont@example.org")
    assert "confirmation de votre message" in mail["Subject"]


# --- Bad input: a French message next to the field, nothing typed lost --------

BIG = b"%PDF-1.4\n" + b"0" * (SIX_MO + 1 - 9)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
PNG_HTML = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(document.cookie)</script></html>"

def upload(data, name):
    """A file as the test client sends it (a fresh stream each time)."""
    return (io.BytesIO(data), name)


BAD_INPUTS = {
    "missing subject": ({"subject": ""}, "subject", "Indiquez l'objet de votre message."),
    "missing body": ({"body": "  "}, "body", "Écrivez votre message."),
    "missing service": ({"service": "", "theme": ""}, "service", "Sélectionnez un service."),
    "missing theme": ({"theme": ""}, "theme", "Sélectionnez un thème."),
    "theme of another service": ({"theme": "Centre de loisirs"}, "theme",
                                 "Ce thème ne correspond pas au service choisi"),
    "file of 6 Mo + 1 byte": ({"attachment_2": (BIG, "gros.pdf")}, "attachment_2",
                              "« gros.pdf » dépasse la taille maximale de 6 Mo."),
    "pdf that is an HTML page": ({"attachment_2": (HTML_PAGE, "facture.pdf")},
                                 "attachment_2", "n'est ni un PDF, ni une image JPEG ou PNG"),
    "png that is also HTML": ({"attachment_2": (PNG_HTML, "photo.png")},
                              "attachment_2", "Ce fichier contient du code HTML"),
    "name with ../": ({"attachment_2": (b"%PDF-1.4 ok", "../../etc/passwd.pdf")},
                      "attachment_2", "Le nom du fichier n'est pas valide"),
    "fifth attachment": ({"attachment_2": (b"%PDF-1.4 b", "b.pdf"),
                          "attachment_3": (b"%PDF-1.4 c", "c.pdf"),
                          "attachment_4": (b"%PDF-1.4 d", "d.pdf"),
                          "attachment_5": (b"%PDF-1.4 e", "e.pdf")},
                         "attachments", "Vous pouvez joindre 4 fichiers au plus."),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_refused_next_to_its_field_and_nothing_typed_is_lost(
        family, auth, app, case):
    overrides, field_id, expected = BAD_INPUTS[case]
    files_before = set(os.listdir(app.config["UPLOAD_DIR"]))
    fields = {k: upload(*v) if isinstance(v, tuple) else v for k, v in overrides.items()}
    response = post_message(family, auth, confirm_by_email="y",
                            attachment_1=upload(pdf_bytes(), "assurance.pdf"), **fields)
    page = unescaped(response)
    assert response.status_code == 422
    if field_id == "attachments":
        assert f'<p class="error" id="attachments-error">{expected}</p>' in page
    else:
        assert expected in (error_of(page, field_id) or ""), page[page.find("<form"):]
    assert "Votre message n'a pas été envoyé" in page
    # Nothing saved, not even the good attachment; no file written.
    assert Message.select().join(MessageThread).join(Family).where(
        Family.account_number == 16122).count() == 0
    assert StoredFile.select().where(StoredFile.original_name == "assurance.pdf").count() == 0
    assert set(os.listdir(app.config["UPLOAD_DIR"])) == files_before
    # What was typed is still there; the files must be chosen again.
    typed = message_data("x", **{k: v for k, v in overrides.items()
                                 if not k.startswith("attachment")})
    if typed["subject"]:
        assert f'value="{typed["subject"]}"' in page
    if typed["body"].strip():
        assert "LENA ne viendra pas." in page
    if typed["service"]:
        assert f'<option selected value="{typed["service"]}">' in page
    if typed["theme"] and field_id != "theme":
        assert f'<option selected value="{typed["theme"]}">' in page
    assert re.search(r'<input checked id="confirm_by_email"', page)
    assert "sélectionnez à nouveau vos fichiers" in page
    assert "« assurance.pdf » était correct : sélectionnez-le à nouveau." in page


def test_every_refused_file_gets_its_own_message(family, auth):
    response = post_message(family, auth,
                            attachment_1=upload(HTML_PAGE, "a.pdf"),
                            attachment_3=upload(b"", "vide.pdf"),
                            attachment_4=upload(pdf_bytes(), "ok.pdf"))
    page = unescaped(response)
    assert "n'est ni un PDF" in error_of(page, "attachment_1")
    assert error_of(page, "attachment_2") is None
    assert "Le fichier est vide." in error_of(page, "attachment_3")
    assert error_of(page, "attachment_4") is None
    assert "« ok.pdf » était correct" in page
    assert StoredFile.select().where(StoredFile.original_name == "ok.pdf").count() == 0


def test_a_too_big_file_is_refused_before_it_is_read_whole():
    from werkzeug.datastructures import FileStorage
    from domain.messaging.messages import check_attachments

    class WatchedStream(io.BytesIO):
        largest_read = 0

        def read(self, size=-1):
            data = super().read(size)
            WatchedStream.largest_read = max(WatchedStream.largest_read, len(data))
            return data

    stream = WatchedStream(BIG)
    checked, errors = check_attachments([("attachment_1", FileStorage(stream, "gros.pdf"))])
    assert checked == [] and "dépasse la taille maximale de 6 Mo" in errors["attachment_1"]
    assert WatchedStream.largest_read == 0


def test_post_without_csrf_token_is_refused(family):
    response = family.post("/messagerie/envoyer", data=message_data(None))
    assert response.status_code == 400
    assert Message.select().where(Message.body.contains("LENA ne viendra pas")).count() == 0


# --- Threads and read state -----------------------------------------------------


def test_unread_count_decreases_when_a_thread_is_opened(client, auth):
    auth.login("famille 16123")
    home = unescaped(client.get("/"))
    assert "Vous avez 2 message(s) non lu(s)" in home
    # The tab's badge, and what a screen reader reads of it (no aria-label on a span).
    assert '<span class="badge">2<span class="visually-hidden"> message(s) non lu(s)</span>' in home
    assert "MESSAGERIE 2 message(s) non lu(s)" in text_of(home)
    received = unescaped(client.get("/messagerie/"))
    assert received.count(">Non lu</span>") == 2
    thread = MessageThread.get(MessageThread.subject == "Sortie scolaire du jeudi")
    page = unescaped(client.get(f"/messagerie/fil/{thread.id}"))
    assert "un pique-nique sera fourni par la cantine" in page
    assert "HUGO mangera-t-il" in page
    assert "MESSAGERIE 1 message(s) non lu(s)" in text_of(page)  # the tab, already
    assert "Vous avez 1 message(s) non lu(s)" in unescaped(client.get("/"))
    staff_message = thread.messages.where(Message.from_staff).get()
    assert staff_message.read_by_family_at is not None
    assert unescaped(client.get("/messagerie/")).count(">Non lu</span>") == 1


def test_family_writes_again_in_its_thread(client, auth):
    auth.login("famille 16123")
    thread = MessageThread.get(MessageThread.subject == "Sortie scolaire du jeudi")
    url = f"/messagerie/fil/{thread.id}"
    empty = client.post(url + "/repondre", data={"csrf_token": auth.csrf(url), "body": " "})
    assert empty.status_code == 422
    assert "Écrivez votre réponse." in error_of(unescaped(empty), "body")
    response = client.post(url + "/repondre", data={"csrf_token": auth.csrf(url),
                                                    "body": "Merci beaucoup !"})
    assert response.status_code == 303 and response.headers["Location"] == url
    last = thread.messages.order_by(Message.id.desc()).first()
    assert (last.body, last.from_staff, last.read_by_staff_at) == ("Merci beaucoup !", False,
                                                                    None)
    assert "Merci beaucoup !" in unescaped(client.get("/messagerie/envoyes"))


# --- Another family's objects: 404 for every URL -----------------------------


@pytest.fixture
def other_family_objects(client, auth):
    """A message with an attachment sent by family 16123; then 16122 signs in."""
    auth.login("famille 16123")
    post_message(client, auth, attachment_1=(io.BytesIO(pdf_bytes()), "privé.pdf"))
    auth.logout()
    attachment = MessageAttachment.get()
    message = attachment.message
    auth.login("famille 16122")
    return {"thread": message.thread_id, "message": message.id, "attachment": attachment.id}


@pytest.mark.parametrize("method, url", [
    ("get", "/messagerie/fil/{thread}"),
    ("post", "/messagerie/fil/{thread}/repondre"),
    ("get", "/messagerie/piece-jointe/{attachment}"),
    ("get", "/agents/messages/{thread}"),
    ("post", "/agents/messages/{thread}/repondre"),
    ("get", "/agents/messages/piece-jointe/{attachment}"),
])
def test_another_familys_thread_message_or_attachment_is_404(client, auth,
                                                              other_family_objects, method, url):
    path = url.format(**other_family_objects)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": auth.csrf("/messagerie/"),
                                           "body": "Je lis vos messages"})
    assert response.status_code == 404
    page = unescaped(response)
    assert "Page introuvable" in page and "privé.pdf" not in page
    assert Message.select().where(Message.body == "Je lis vos messages").count() == 0


def test_another_familys_messages_are_not_listed(client, auth, other_family_objects):
    for path in ("/messagerie/", "/messagerie/envoyes"):
        page = unescaped(client.get(path))
        assert "Mercredi 9 décembre" not in page and "Sortie scolaire" not in page
