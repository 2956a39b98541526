"""Forged requests against the running portal (uploads, ids, throttles, payments, mail): each rule a test."""
import datetime
import io
import struct
import time
import zlib

import pytest

import models
from models import (Family, Message, MessageThread, OutgoingEmail, QFDeclaration, StoredFile,
                    User)
from tests.conftest import TEST_NOW, csrf_from, make_app
from tests.helpers import text_of, unescaped


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def pixel_flood_png(side=8940):
    """A valid black-and-white PNG of ``side`` × ``side`` pixels that weighs a few KB."""
    row = b"\x00" + bytes((side + 7) // 8)  # filter byte + one bit per pixel
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0,
                                                                0, 0))
            + _chunk(b"IDAT", body) + _chunk(b"IEND", b""))


# --- 1. Pixel flood ----------------------------------------------------------


def test_a_pixel_flood_attachment_is_refused_from_its_header(client, auth, db):
    auth.login()
    flood = pixel_flood_png()
    assert len(flood) < 400_000
    token = auth.csrf("/messagerie/envoyer")
    started = time.perf_counter()
    response = client.post("/messagerie/envoyer", data={
        "csrf_token": token, "service": "Centres de Loisirs", "theme": "Modifications",
        "subject": "Photo", "body": "Bonjour", "attachment_1": (io.BytesIO(flood), "photo.png")},
        content_type="multipart/form-data")
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert "Cette image est trop grande (8940 × 8940 pixels)" in unescaped(response)
    assert elapsed < 2, f"the image was decoded ({elapsed:.1f} s)"
    assert MessageThread.select().where(MessageThread.subject == "Photo").count() == 0
    assert StoredFile.select().where(StoredFile.original_name == "photo.png").count() == 0


def test_a_pixel_flood_qf_attestation_is_refused(client, auth, db):
    auth.login()
    response = client.post("/mon-dossier/quotient", data={
        "csrf_token": auth.csrf("/mon-dossier/quotient"), "quotient": "640",
        "attestation": (io.BytesIO(pixel_flood_png()), "attestation.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Cette image est trop grande" in unescaped(response)
    assert QFDeclaration.select().where(QFDeclaration.quotient == 640).count() == 0


def test_a_phone_photo_of_usual_size_is_still_accepted(app):
    from PIL import Image
    from werkzeug.datastructures import FileStorage
    from domain.uploads import check_upload
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(out, "JPEG")
    with app.app_context():
        checked = check_upload(FileStorage(io.BytesIO(out.getvalue()), "photo.jpg"))
    assert checked.content_type == "image/jpeg"


# --- 2. Mot de passe oublié: limited per account and per client -----------------


def ask_reset(client, identifier, environ=None):
    token = csrf_from(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    return client.post("/mot-de-passe-oublie", data={"identifier": identifier,
                                                     "csrf_token": token},
                       environ_base=environ or {})


def test_forgotten_password_sends_a_few_mails_per_account_then_stops(client, mailbox):
    for n in range(1, 41):
        response = ask_reset(client, "16122", {"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 200  # the same answer every time
        assert "Si ce compte existe" in unescaped(response)
    assert len(mailbox.to("famille.dupont@example.org")) == 3


def test_forgotten_password_is_limited_per_client(client, mailbox, db):
    from domain.family import throttle
    numbers = [f.account_number for f in Family.select().order_by(Family.id)]
    for _ in range(4):
        for number in numbers:
            response = ask_reset(client, str(number), {"REMOTE_ADDR": "192.0.2.7"})
            assert "Si ce compte existe" in unescaped(response)
    assert len(mailbox.messages) == throttle.RESET_REQUESTS_PER_CLIENT
    # Another client is not held up by this one.
    ask_reset(client, "16124", {"REMOTE_ADDR": "192.0.2.8"})
    assert len(mailbox.messages) == throttle.RESET_REQUESTS_PER_CLIENT + 1


# --- 3. Changing the password is throttled ---------------------------------------


def change_password(client, auth, current):
    return client.post("/mot-de-passe", data={
        "current": current, "password": "trois petits chats sur le toit",
        "confirm": "trois petits chats sur le toit", "csrf_token": auth.csrf("/mot-de-passe")})


def test_the_current_password_cannot_be_guessed_on_the_change_form(client, auth, db):
    auth.login()
    for attempt in range(12):
        page = unescaped(change_password(client, auth, "mauvais-mot-de-passe"))
        assert ("Le mot de passe actuel est incorrect." if attempt < 5
                else "Trop d'essais ont échoué. Réessayez dans") in page
    response = change_password(client, auth, "famille-lena-16122")
    assert response.status_code == 422
    assert "Trop d'essais ont échoué." in unescaped(response)
    user = User.get(User.family == Family.get(Family.account_number == 16122))
    from domain.family.passwords import verify_password
    assert verify_password(user.password_hash, "famille-lena-16122")


# --- 4. Sign-in throttle per account, whatever names it ---------------------------


def post_login(client, identifier, password):
    token = csrf_from(client.get("/connexion").get_data(as_text=True))
    return client.post("/connexion", data={"identifier": identifier, "password": password,
                                           "csrf_token": token})


def test_failures_on_the_account_number_also_lock_the_email(client):
    for _ in range(7):
        post_login(client, "16124", "mauvais")
    response = post_login(client, "famille.petit@example.org", "famille-petit-16124")
    assert response.status_code == 401
    assert "Trop de tentatives de connexion ont échoué." in unescaped(response)


def test_unknown_identifiers_are_counted_each_on_its_own(client):
    for _ in range(5):
        post_login(client, "inconnu@example.org", "mauvais")
    assert "Trop de tentatives" in unescaped(post_login(client, "inconnu@example.org", "x"))
    assert "Trop de tentatives" not in unescaped(post_login(client, "autre@example.org", "x"))


def test_a_password_reset_clears_the_accounts_count(client, mailbox):
    import re
    for _ in range(7):
        post_login(client, "famille.petit@example.org", "mauvais")
    ask_reset(client, "16124")
    [mail] = mailbox.to("famille.petit@example.org")
    link = re.search(r"http://localhost(/reinitialiser/\S+)", mailbox.text(mail)).group(1)
    token = csrf_from(client.get(link).get_data(as_text=True))
    response = client.post(link, data={"password": "trois petits chats sur le toit",
                                       "confirm": "trois petits chats sur le toit",
                                       "csrf_token": token})
    assert response.status_code == 303
    assert post_login(client, "16124", "trois petits chats sur le toit").status_code == 303


# --- 5. ``next`` with control characters -------------------------------------------


@pytest.mark.parametrize("target", ["/\r\nx", "/planning/\x00", "/\tx", "/x\x7f"])
def test_a_next_with_control_characters_goes_home(client, target):
    token = csrf_from(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={
        "identifier": "16122", "password": "famille-lena-16122", "csrf_token": token,
        "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_probe_next_url_signs_in(client):
    page = client.get("/connexion?next=/%0D%0Ax").get_data(as_text=True)
    response = client.post("/connexion?next=/%0D%0Ax", data={
        "identifier": "16122", "password": "famille-lena-16122", "csrf_token": csrf_from(page),
        "next": "/\r\nx"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


# --- 6. A quotient too large to be a number ----------------------------------------


@pytest.mark.parametrize("value, message", [
    ("9" * 309, "Le quotient familial est un nombre entre"),
    ("-" + "9" * 400, "Le quotient familial est un nombre entre"),
    ("1_000", "Indiquez un nombre entier"),
    ("٨٥٠", "Indiquez un nombre entier"),
])
def test_a_quotient_of_309_nines_gets_a_french_message(client, auth, db, value, message):
    auth.login()
    response = client.post("/mon-dossier/quotient", data={
        "csrf_token": auth.csrf("/mon-dossier/quotient"), "quotient": value},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in unescaped(response)


# --- 7. The email change sends a few links per user ----------------------------------


def test_the_email_change_sends_a_few_links_then_says_why_not(client, auth, mailbox):
    auth.login()
    for n in range(15):
        response = client.post("/mon-dossier/coordonnees/email", data={
            "csrf_token": auth.csrf("/mon-dossier/coordonnees/email"),
            "new_email": f"nouvelle{n}@example.org", "password": "famille-lena-16122"})
    assert len(mailbox.messages) == 3
    assert response.status_code == 422
    assert "Trop de demandes de changement d'adresse aujourd'hui." in unescaped(response)


# --- 8. HSTS in production -------------------------------------------------------------


def test_production_sends_strict_transport_security(tmp_path, smtp_server):
    application = make_app("sqlite:///" + str(tmp_path / "p.db"), tmp_path, smtp_server.port,
                           ENV_NAME="production")
    response = application.test_client().get("/connexion")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_development_sends_no_strict_transport_security(client):
    assert "Strict-Transport-Security" not in client.get("/connexion").headers


# --- 9. ASCII digits only in URLs --------------------------------------------------------


@pytest.mark.parametrize("digits", ["٢", "²", "２", "1٢"])
def test_non_ascii_digits_in_an_id_are_404(client, auth, db, digits):
    auth.login()
    lena = models.Child.get(models.Child.first_name == "LENA")
    assert client.get(f"/mon-dossier/enfants/{lena.id}").status_code == 200
    arabic = str(lena.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(f"/mon-dossier/enfants/{arabic}").status_code == 404
    assert client.get(f"/mon-dossier/enfants/{digits}").status_code == 404


# --- 10. Two dots in a file name ---------------------------------------------------------


def test_two_dots_in_a_file_name_are_fine(client, auth, db):
    from domain.pdf import simple_document
    auth.login()
    token = auth.csrf("/messagerie/envoyer")
    response = client.post("/messagerie/envoyer", data={
        "csrf_token": token, "service": "Centres de Loisirs", "theme": "Modifications",
        "subject": "Facture", "body": "Bonjour",
        "attachment_1": (io.BytesIO(simple_document("Facture", ["2026"])), "facture..2026.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert StoredFile.get(StoredFile.original_name == "facture..2026.pdf")


@pytest.mark.parametrize("name", ["../etc/passwd.pdf", "a/b.pdf", "a\\b.pdf", "a\x00b.pdf",
                                  "a\nb.pdf"])
def test_path_separators_and_control_characters_are_still_refused(name):
    from domain.uploads import UploadError, clean_filename
    with pytest.raises(UploadError):
        clean_filename(name, ".pdf")


# --- 12. Every stored timestamp from the one clock --------------------------------------


def test_stored_timestamps_follow_portail_today(client, auth, db):
    auth.login()
    client.post("/messagerie/envoyer", data={
        "csrf_token": auth.csrf("/messagerie/envoyer"), "service": "Centres de Loisirs",
        "theme": "Modifications", "subject": "Horodatage", "body": "Bonjour"},
        content_type="multipart/form-data")
    thread = MessageThread.get(MessageThread.subject == "Horodatage")
    message = Message.get(Message.thread == thread)
    paris = datetime.datetime.fromisoformat(TEST_NOW).replace(
        tzinfo=datetime.timezone(datetime.timedelta(hours=1)))  # November: UTC+1
    expected = paris.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    assert thread.created_at == expected
    assert message.created_at == expected
    user = User.get(User.family == Family.get(Family.account_number == 16122))
    assert user.password_changed_at is None or user.password_changed_at <= expected
    for email in OutgoingEmail.select():
        assert email.created_at == expected


# --- 11. Browser tests wait with locators, never with eval'd strings -------------------


def test_no_browser_test_waits_with_a_javascript_string():
    """``page.wait_for_function`` with a string is eval: the strict CSP refuses it whenever
    the condition is not already true. Wait with locators and ``expect``."""
    import pathlib
    import re
    pattern = re.compile(r"wait_for_function\(\s*[rbuf]*['\"]")
    offenders = [f"{path.name}:{number}"
                 for path in pathlib.Path(__file__).parent.parent.rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_the_password_and_email_change_forms_share_one_count(client, auth):
    """Guesses of the current password on one form count on the other: switching forms
    gives no more tries."""
    auth.login("famille 16122")
    for _ in range(5):
        assert "Le mot de passe actuel est incorrect." in unescaped(
            change_password(client, auth, "mauvais-mot-de-passe"))
    page = client.post("/mon-dossier/coordonnees/email", data={
        "csrf_token": auth.csrf("/mon-dossier/coordonnees/email"),
        "new_email": "nouvelle@example.org", "password": "famille-lena-16122"})
    assert "Trop d'essais ont échoué" in unescaped(page)


def test_a_nul_character_in_a_form_or_a_query_is_a_400_not_a_500(client, auth):
    """PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"): found by
    the generated inputs on "mot de passe oublié"; refused before any query, everywhere."""
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    response = client.post("/mot-de-passe-oublie", data={
        "identifier": "16122\x00", "csrf_token": csrf_from(page)})
    assert response.status_code == 400 and "Demande invalide" in text_of(response)
    auth.login("agent")
    assert client.get("/agents/familles/?q=DUP%00ONT").status_code == 400
    assert client.get("/agents/familles/?q=DUPONT").status_code == 200
