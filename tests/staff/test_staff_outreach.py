"""Staff write first: a message to a group of families reaches each family
once, in MESSAGERIE and by email, after a page that counts them; a news item can be
emailed to every family; addresses in messages and news are links (rel="noopener")
and HTML typed in them stays text.
"""
import pytest

from models import AuditLog, Booking, Child, Family, MessageThread, News
from tests import factories
from tests.conftest import MailBox
from tests.helpers import sign_in, text_of
from tests.planning_support import CL, JANUARY

WEDNESDAY = JANUARY[0]  # 06/01/2027
GARDERIE = "Garderie Mercredi Scolaire"

pytestmark = pytest.mark.app_config(PORTAIL_TODAY="2027-01-04T09:00")


@pytest.fixture
def wednesday(db):
    """91001: two children booked on the Wednesday (CL and the garderie); 91002: one
    child booked that day; 91003: booked the Wednesday after only."""
    twins = factories.family(91001)
    for first, activity in (("ANNA", CL), ("BASILE", GARDERIE)):
        kid = factories.child(twins, first)
        factories.enrolment(kid, activity)
        factories.booking(kid, activity, WEDNESDAY)
    other = factories.family(91002)
    kid = factories.child(other, "CLARA")
    factories.enrolment(kid, CL)
    factories.booking(kid, CL, WEDNESDAY)
    later = factories.family(91003)
    kid = factories.child(later, "DAVID")
    factories.enrolment(kid, CL)
    factories.booking(kid, CL, JANUARY[1])
    return twins, other, later


def post(client, auth, **data):
    data["csrf_token"] = auth.csrf("/agents/messages/ecrire")
    return client.post("/agents/messages/ecrire", data=data)


def booked_families(day):
    return set(Family.select(Family.account_number).join(Child).join(Booking)
               .where(Booking.date == day).distinct().tuples())


def test_a_message_to_the_families_booked_on_a_wednesday_reaches_each_once(
        app, client, auth, wednesday, mailbox):
    expected = {account for (account,) in booked_families(WEDNESDAY)}
    assert {91001, 91002} <= expected and 91003 not in expected
    auth.login("agent")
    form = {"destinataires": "jour", "jour": "06/01/2027", "service": "Centres de Loisirs",
            "sujet": "Sortie au zoo", "message": "Prévoir une casquette.\nDétails : "
                                                 "https://mairie.example.org/zoo"}
    page = text_of(post(client, auth, **form))
    assert (f"{len(expected)} famille(s) recevront ce message dans leur MESSAGERIE, dont "
            f"{len(expected)} par email : les familles ayant une réservation le 06/01/2027."
            ) in page
    assert "91001 FAMILLE91001 f91001@example.org" in page and "91003" not in page
    assert MessageThread.select().where(MessageThread.subject == "Sortie au zoo").count() == 0

    response = post(client, auth, confirmer="1", **form)
    assert response.status_code == 303
    threads = list(MessageThread.select().where(MessageThread.subject == "Sortie au zoo"))
    assert sorted(t.family.account_number for t in threads) == sorted(expected)  # each once
    assert [m.envelope_rcpt[0] for m in mailbox.messages].count("f91001@example.org") == 1
    assert "f91003@example.org" not in [m.envelope_rcpt[0] for m in mailbox.messages]
    assert len(mailbox.messages) == len(expected)
    email = next(m for m in mailbox.messages if m.envelope_rcpt == ["f91001@example.org"])
    assert email["Subject"] == "Portail Famille : Sortie au zoo"
    assert "Prévoir une casquette." in MailBox.text(email)
    assert ('<a href="https://mairie.example.org/zoo" rel="noopener">'
            in MailBox.html(email))
    assert AuditLog.select().where(AuditLog.action == "message.sent").count() == len(expected)

    # The family finds it in MESSAGERIE, unread, and the link is a link.
    family_client = app.test_client()
    sign_in(family_client, wednesday[0].users.get())
    inbox = text_of(family_client.get("/messagerie/"))
    assert "Sortie au zoo" in inbox
    thread = next(t for t in threads if t.family_id == wednesday[0].id)
    html = family_client.get(f"/messagerie/fil/{thread.id}").get_data(as_text=True)
    assert '<a href="https://mairie.example.org/zoo" rel="noopener">' in html
    # Another family's thread stays out of reach.
    other = next(t for t in threads if t.family_id == wednesday[1].id)
    assert family_client.get(f"/messagerie/fil/{other.id}").status_code == 404


def test_one_family_by_account_and_a_school_are_counted_before_sending(client, auth,
                                                                       wednesday, mailbox):
    auth.login("agent")
    base = {"service": "Scolarité", "sujet": "Dossier", "message": "Bonjour."}
    page = text_of(post(client, auth, destinataires="famille", famille="91002", **base))
    assert "1 famille(s) recevront ce message" in page
    assert "la famille FAMILLE91002 (91002)" in page
    response = post(client, auth, destinataires="famille", famille="99999", **base)
    assert response.status_code == 422
    assert 'id="famille-error"' in response.get_data(as_text=True)
    assert "Aucune famille n'a ce numéro de compte." in text_of(response)
    response = post(client, auth, destinataires="jour", jour="", **base)
    assert 'id="jour-error">Indiquez le jour.' in response.get_data(as_text=True)
    response = post(client, auth, destinataires="toutes", service="", sujet="x", message="y")
    assert 'id="service-error">Choisissez le service qui écrit.' in \
        response.get_data(as_text=True)
    everyone = Family.select().count()
    page = text_of(post(client, auth, destinataires="toutes", **base))
    assert f"{everyone} famille(s) recevront ce message" in page
    assert mailbox.messages == [] and MessageThread.select().where(
        MessageThread.subject == "Dossier").count() == 0


def test_a_news_item_is_emailed_with_its_links_and_a_script_stays_text(app, client, auth,
                                                                       mailbox):
    auth.login("agent")
    path = "/agents/actualites/nouvelle"
    body = ("Les menus : https://mairie.example.org/menus?mois=1&x=2 ou www.example.org. "
            "<script>alert(1)</script> javascript:alert(2)")
    response = client.post(path, data={
        "title": "Menus de janvier", "body": body, "service": "", "display_from": "",
        "display_until": "", "action": "publier", "email_families": "y",
        "csrf_token": auth.csrf(path)})
    assert response.status_code == 303
    assert News.get(News.title == "Menus de janvier").published
    with_address = {f.id for f in Family.select()
                    if any(u.email for u in f.users) or any(g.email for g in f.guardians)}
    assert len(mailbox.messages) == len(with_address) > 0
    email = mailbox.messages[0]
    assert email["Subject"] == "Portail Famille : Menus de janvier"
    html = MailBox.html(email)
    assert ('<a href="https://mairie.example.org/menus?mois=1&amp;x=2" rel="noopener">'
            "https://mairie.example.org/menus?mois=1&amp;x=2</a>") in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert AuditLog.select().where(AuditLog.action == "news.emailed").count() == 1

    auth.logout()
    auth.login("famille 16122")
    page = client.get("/actualites/").get_data(as_text=True)
    assert ('<a href="https://mairie.example.org/menus?mois=1&amp;x=2" rel="noopener">'
            in page)
    assert '<a href="http://www.example.org" rel="noopener">www.example.org</a>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'href="javascript' not in page


def test_publishing_without_the_box_emails_nobody(client, auth, mailbox):
    auth.login("agent")
    path = "/agents/actualites/nouvelle"
    client.post(path, data={"title": "Sans email", "body": "Texte.", "service": "",
                            "display_from": "", "display_until": "", "action": "publier",
                            "csrf_token": auth.csrf(path)})
    assert News.get(News.title == "Sans email").published
    assert mailbox.messages == []

