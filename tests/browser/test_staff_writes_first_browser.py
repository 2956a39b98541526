"""In Chromium: a school's closure confirmed then reopened, and a message to
the families booked on a Wednesday with its recipient count, at desktop and 768 px;
a family's reply with an attachment on a 360×740 phone. axe-clean, no CSP error, no
horizontal scroll."""
import datetime

import pytest
from playwright.sync_api import expect

import models
from domain.pdf import simple_document
from models import Booking, Child, MessageThread
from tests.conftest import axe_violations, book_lena, browser_login, opened_page, screenshot

pytestmark = pytest.mark.browser
WEDNESDAY = datetime.date(2027, 1, 6)


def lena_booked(server, child_id):
    with server.app.app_context(), models.db.connection_context():
        return Booking.select().where((Booking.child == child_id)
                                      & (Booking.date == WEDNESDAY)).exists()


def ferry_bookings(server):
    """(bookings, families) of Jules Ferry's children on the Wednesday."""
    with server.app.app_context(), models.db.connection_context():
        rows = list(Booking.select(Booking, Child).join(Child)
                    .where((Booking.date == WEDNESDAY)
                           & (Child.school_name == "École maternelle Jules Ferry")))
        return len(rows), len({b.child.family_id for b in rows})


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_school_closure_is_confirmed_then_reopened(staff_page, live_server):
    page = staff_page
    lena, _ = book_lena(live_server, WEDNESDAY)
    bookings, families = ferry_bookings(live_server)
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/fermetures/")
    form = page.get_by_role("region", name="Fermer une journée ou une période")
    form.get_by_label("Du", exact=True).fill("2027-01-06")
    form.get_by_label("Où").select_option(label="École maternelle Jules Ferry")
    form.get_by_label("Activité", exact=True).select_option(label="Toutes les activités")
    form.get_by_label("Motif").fill("Grève des ATSEM")
    assert axe_violations(page) == []
    screenshot(page, "closure-form")
    form.get_by_role("button", name="Fermer…").click()
    expect(page.get_by_role("heading", name="Confirmer la fermeture du 06/01/2027")).to_be_visible()
    expect(page.locator("#closure-counts")).to_contain_text(
        f"{bookings} réservation(s) seront annulées (elles ne seront pas facturées) ; "
        f"{families} famille(s) seront prévenues par email.")
    expect(page.get_by_role("row", name="DUPONT (16122)")).to_contain_text(
        "06/01/2027 : LENA – CL Maternel Mercredis")
    assert axe_violations(page) == []
    assert fits(page)
    screenshot(page, "closure-confirmation")
    assert lena_booked(live_server, lena)  # nothing happened yet
    page.get_by_role("button", name="Confirmer la fermeture").click()
    expect(page.get_by_role("status")).to_contain_text(f"{bookings} réservation(s) annulée(s)")
    assert not lena_booked(live_server, lena)
    page.get_by_role("link", name="Rouvrir le 06/01/2027").click()
    expect(page.locator("#reopen-counts")).to_contain_text(
        f"{bookings} réservation(s) sur {bookings}")
    assert axe_violations(page) == []
    assert fits(page)
    screenshot(page, "closure-reopen")
    page.get_by_role("button", name="Rouvrir").click()
    expect(page.get_by_role("status")).to_contain_text(f"{bookings} réservation(s) rétablie(s)")
    assert lena_booked(live_server, lena)
    assert page.csp_errors == []


def test_a_message_to_wednesday_s_families_shows_its_recipients(staff_page, live_server):
    page = staff_page
    book_lena(live_server, WEDNESDAY)
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/messages/")
    page.get_by_role("link", name="Écrire aux familles").click()
    page.get_by_label("Les familles ayant une réservation un jour donné").check()
    page.get_by_label("Jour (familles ayant une réservation ce jour-là)").fill("2027-01-06")
    page.get_by_label("Service qui écrit").select_option("Centres de Loisirs")
    page.get_by_label("Sujet").fill("Sortie au zoo")
    page.get_by_label("Message", exact=True).fill("Prévoir une casquette : "
                                                  "https://mairie.example.org/zoo")
    assert axe_violations(page) == []
    screenshot(page, "group-message-form")
    page.get_by_role("button", name="Voir les destinataires").click()
    count = page.locator("#recipient-count")
    expect(count).to_contain_text("famille(s) recevront ce message dans leur MESSAGERIE")
    expect(page.get_by_role("row", name="16122")).to_contain_text("famille.dupont@example.org")
    expect(page.get_by_role("link", name="https://mairie.example.org/zoo")).to_have_attribute(
        "rel", "noopener")
    assert axe_violations(page) == []
    assert fits(page)
    screenshot(page, "group-message-recipients")
    page.get_by_role("button", name="Envoyer à").click()
    expect(page.get_by_role("status")).to_contain_text("Message « Sortie au zoo » envoyé")
    with live_server.app.app_context(), models.db.connection_context():
        assert MessageThread.select().where(MessageThread.subject == "Sortie au zoo").count() >= 1
    assert page.csp_errors == []


@pytest.fixture
def phone(browser):
    with opened_page(browser, "phone") as page:
        yield page


def test_a_family_replies_with_an_attachment_on_a_phone(phone, live_server, tmp_path):
    page = phone
    pdf = tmp_path / "autorisation-sortie.pdf"
    pdf.write_bytes(simple_document("Autorisation de sortie", ["HUGO BERNARD"]))
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/messagerie/")
    page.get_by_role("link", name="Sortie scolaire du jeudi").first.click()
    page.get_by_label("Votre réponse*").fill("Voici l'autorisation signée.")
    page.get_by_label("1er pièce jointe").set_input_files(str(pdf))
    assert fits(page)
    page.get_by_role("button", name="ENVOYER").click()
    expect(page.get_by_role("status")).to_contain_text("Votre message a été envoyé.")
    expect(page.get_by_role("link", name="autorisation-sortie.pdf")).to_be_visible()
    assert axe_violations(page) == []
    assert fits(page)
    screenshot(page, "family-reply-attachment")
    assert page.csp_errors == []
