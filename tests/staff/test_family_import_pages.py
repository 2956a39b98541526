"""FAMILLES › Importer and « Inviter les familles »: the dry run names the wrong line and
column and writes nothing; « Importer » writes the checked file; invitations go through
the outbox, are followed (queued, sent, failed, accepted) and « relancer » reaches those
who have not accepted."""
import datetime
import io
import re

from domain import audit
from models import AuditLog, Family, InvitationSent, User
from tests.domain.test_family_import import ROWS, csv_bytes
from tests.helpers import error_of, text_of, unescaped

PAGE = "/agents/familles/importer"


def upload(client, auth, data, name="familles.csv"):
    return client.post(PAGE, data={"csrf_token": auth.csrf(PAGE),
                                   "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_the_template_has_the_header_and_two_example_rows(client, auth, db):
    auth.login("agent")
    response = client.get(PAGE + "/modele.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("numero_compte;r1_civilite;r1_nom;r1_prenom;r1_email")
    assert len(lines) == 3 and "Hélène" in lines[1]
    page = text_of(client.get(PAGE).get_data(as_text=True))
    assert "enfant_naissance Enfant : date de naissance, JJ/MM/AAAA." in page


def test_the_dry_run_names_the_line_and_column_then_the_fixed_file_is_imported(
        client, auth, db):
    auth.login("agent")
    families = Family.select().count()
    wrong = list(ROWS)
    wrong[1] = wrong[1].replace("12/10/2016", "12/13/2016")
    response = upload(client, auth, csv_bytes(wrong))
    assert response.status_code == 303
    check = client.get(response.headers["Location"])
    assert check.status_code == 422
    page = text_of(check.get_data(as_text=True))
    assert "2 familles, 3 enfants, 1 erreur" in page
    assert "3 enfant_naissance (S) « 12/13/2016 » n'est pas une date (JJ/MM/AAAA)." in page
    assert "Importer" not in re.findall(r"<button[^>]*>([^<]*)</button>",
                                        check.get_data(as_text=True))
    # « Importer » on a file with errors writes nothing.
    client.post(response.headers["Location"],
                data={"csrf_token": auth.csrf(response.headers["Location"])})
    assert Family.select().count() == families
    # The fixed file: checked, then imported in one go.
    response = upload(client, auth, csv_bytes())
    location = response.headers["Location"]
    assert "2 familles, 3 enfants, 0 erreur" in text_of(client.get(location)
                                                        .get_data(as_text=True))
    assert Family.select().count() == families
    done = client.post(location, data={"csrf_token": auth.csrf(location)})
    assert done.status_code == 303 and done.headers["Location"] == "/agents/familles/invitations"
    assert Family.select().count() == families + 2
    entry = AuditLog.get(AuditLog.action == audit.FAMILIES_IMPORTED)
    assert entry.user.email == "agent@mairie.example.org" and "familles.csv" in entry.details
    assert "2 famille(s) créée(s)" in unescaped(client.get("/agents/familles/invitations"))


def test_an_empty_or_unreadable_file_gets_a_french_message(client, auth, db):
    auth.login("agent")
    response = client.post(PAGE, data={"csrf_token": auth.csrf(PAGE)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert error_of(response, "file") == "Choisissez le fichier des familles (CSV ou XLSX)."
    response = upload(client, auth, b"bonjour;monde\r\n")
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 303 and follow.headers["Location"] == PAGE
    assert "La première ligne doit nommer les colonnes" in unescaped(client.get(PAGE))


def test_another_agent_cannot_open_the_kept_file(client, auth, db):
    from tests import factories
    from tests.helpers import sign_in
    auth.login("agent")
    location = upload(client, auth, csv_bytes()).headers["Location"]
    auth.logout()
    other = factories.staff_user("autre.agent@mairie.example.org")
    sign_in(client, other)
    assert client.get(location).status_code == 404
    assert client.get(PAGE + "/" + "0" * 32).status_code == 404


def test_invitations_are_queued_followed_and_reminded(client, auth, db, mailbox, app):
    auth.login("agent")
    location = upload(client, auth, csv_bytes()).headers["Location"]
    client.post(location, data={"csrf_token": auth.csrf(location)})
    page = "/agents/familles/invitations"
    assert "2 familles importées sans mot de passe n'ont pas encore été invitées" in \
        unescaped(client.get(page))
    response = client.post(page + "/inviter", data={"csrf_token": auth.csrf(page)})
    assert response.status_code == 303
    assert InvitationSent.select().count() == 2
    [mail] = mailbox.to("helene.leblanc@example.org")
    assert "choisissez votre mot de passe" in mail["Subject"]
    text = text_of(client.get(page).get_data(as_text=True))
    assert "Envoyée : 2" in text and "Acceptée : 0" in text
    # Inviting again sends nothing new.
    client.post(page + "/inviter", data={"csrf_token": auth.csrf(page)})
    assert InvitationSent.select().count() == 2
    # Hélène accepts.
    link = re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mail)).group(1)
    auth.logout()
    password = "Girafe bleue sur le toit 42"
    assert client.post(link, data={"password": password, "confirm": password,
                                   "csrf_token": auth.csrf(link)}).status_code == 303
    auth.login("agent")
    text = text_of(client.get(page).get_data(as_text=True))
    assert "Envoyée : 1" in text and "Acceptée : 1" in text
    # Relancer after 7 days: only François, who has not accepted.
    for sent in InvitationSent.select():
        sent.created_at -= datetime.timedelta(days=8)
        sent.save()
    mailbox.clear()
    refused = client.post(page + "/relancer", data={"csrf_token": auth.csrf(page), "days": "x"})
    assert refused.status_code == 422
    assert error_of(refused, "days") == "Indiquez un nombre entier de jours."
    assert client.post(page + "/relancer", data={"csrf_token": auth.csrf(page), "days": "7"}
                       ).status_code == 303
    assert [m.envelope_rcpt for m in mailbox.messages] == [["francois.garcon@example.org"]]
    assert InvitationSent.select().join(User).where(
        User.email == "francois.garcon@example.org").count() == 2
    assert AuditLog.select().where(AuditLog.action == audit.FAMILIES_INVITED).count() == 2
