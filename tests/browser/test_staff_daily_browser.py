"""Back office in a browser, as an agent on a desktop and on a 768 px tablet: the
acceptance paths of validations and bookings on behalf, active search, axe."""
import datetime
import io
import re

import pytest
from playwright.sync_api import expect
from werkzeug.datastructures import FileStorage

import models
from domain.family.quotient import declare_quotient
from domain.messaging.messages import send_family_message
from domain.uploads import check_upload
from models import Child, DossierValidation, Enrolment, Family, QFDeclaration, User
from tests.conftest import axe_violations, browser_login, opened_page, screenshot
from tests.family.test_dossier_quotient import attestation_pdf
from tests.planning_support import activity

pytestmark = pytest.mark.browser



def in_db(server):
    """The live server's database, from the test's thread."""
    context = server.app.app_context()
    return context, models.db.connection_context()


def run(server, function):
    with server.app.app_context(), models.db.connection_context():
        return function()


def fits_width(page):
    """No horizontal scroll of the page itself (tables scroll in their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_agent_validates_16124s_actualisation_then_the_family_enregistre(
        staff_page, live_server, smtp_server, browser):
    page = staff_page

    def family_writes():
        petit = Family.get(Family.account_number == 16124)
        user = User.get(User.family == petit)
        send_family_message(petit, user, "Actualisation Dossier Famille", "Centre de loisirs",
                            "Actualisation", "Voici mon dossier.", [], False,
                            lambda thread_id: f"http://localhost/messagerie/{thread_id}")
    run(live_server, family_writes)
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="1 dossier à valider").click()
    expect(page.get_by_role("heading", name="Famille 16124 – PETIT : dossier 2026/2027")
           ).to_be_visible()
    assert axe_violations(page) == []
    assert fits_width(page)
    screenshot(page, "staff-dossiers")
    smtp_server.clear()
    page.get_by_role("button", name="Valider le dossier de la famille 16124").click()
    expect(page.locator(".flash-success")).to_contain_text("validé")
    expect(page.get_by_text("Aucune actualisation de dossier")).to_be_visible()
    [mail] = smtp_server.to("famille.petit@example.org")
    assert "accusé de réception" in smtp_server.text(mail)
    assert run(live_server, lambda: DossierValidation.get(
        DossierValidation.family == Family.get(Family.account_number == 16124)).status
               ) == DossierValidation.VALIDATED
    # The family can ENREGISTRER a line at once.
    with opened_page(browser, "desktop", "famille") as family_page:
        browser_login(family_page, live_server, "famille 16124")
        family_page.goto(live_server.url + "/inscription/")
        # The whole row is the checkbox's label (a 44 px target): tap it, as a parent would.
        family_page.locator("label", has_text="2026/2027 - CL Élémentaire Mercredis").click()
        expect(family_page.get_by_label("2026/2027 - CL Élémentaire Mercredis")).to_be_checked()
        family_page.get_by_role("button", name="ENREGISTRER").first.click()
        expect(family_page.get_by_text("« 2026/2027 - CL Élémentaire Mercredis » est ouverte et "
                                        "validée")).to_be_visible()
    assert page.csp_errors == []


def test_agent_validates_a_qf_from_next_month(staff_page, live_server, smtp_server):
    page = staff_page

    def declare():
        petit = Family.get(Family.account_number == 16124)
        upload = check_upload(FileStorage(io.BytesIO(attestation_pdf()), "caf.pdf"))
        declare_quotient(petit, User.get(User.family == petit), 650, upload)
    run(live_server, declare)
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/")
    page.get_by_role("link", name="1 quotient à valider").click()
    expect(page.get_by_role("heading", name="Famille 16124 – PETIT : quotient 650")
           ).to_be_visible()
    expect(page.get_by_text("Tranche 1 (QF jusqu'à 700)")).to_be_visible()
    frame = page.locator("iframe.attestation-preview")
    expect(frame).to_be_visible()
    assert page.get_by_role("link", name="Télécharger l'attestation (caf.pdf)").count() == 1
    date = page.get_by_label("Date d'effet*")
    assert date.input_value() == "2026-12-01"
    assert axe_violations(page) == []
    assert fits_width(page)
    screenshot(page, "staff-quotients")
    smtp_server.clear()
    button = page.get_by_role("button", name="Valider le quotient de la famille 16124")
    # The PDF viewer (an out-of-process frame) repaints while Playwright scrolls to the
    # button, and a click during that scroll is lost: scroll first, then click.
    button.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    button.click()
    expect(page.locator(".flash-success")).to_contain_text("validé à partir du 01/12/2026")
    [mail] = smtp_server.to("famille.petit@example.org")
    assert "01/12/2026" in smtp_server.text(mail)
    saved = run(live_server, lambda: QFDeclaration.get(
        QFDeclaration.family == Family.get(Family.account_number == 16124)))
    assert saved.effective_from == datetime.date(2026, 12, 1)
    assert page.csp_errors == []


def test_agent_finds_lena_opens_her_familys_calendar_and_journal(staff_page, live_server,
                                                                smtp_server):
    page = staff_page
    run(live_server, lambda: Enrolment.create(child=Child.get(Child.first_name == "LENA"),
                                              activity=activity("CL Maternel Mercredis")))
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/familles/")
    page.get_by_label("Nom, n° de compte, prénom d'un enfant, email ou téléphone").fill("lena")
    # Results as you type (htmx), and the URL follows.
    expect(page.get_by_text("1 famille trouvée")).to_be_visible()
    expect(page).to_have_url(live_server.url + "/agents/familles/?q=lena")
    assert axe_violations(page) == []
    screenshot(page, "staff-families-search")
    page.get_by_role("link", name="DUPONT").click()
    expect(page.get_by_role("heading", name="Famille DUPONT (compte n° 16122)")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-family")
    # Booking on behalf happens in the family's own calendar (tests/browser/
    # test_year_lines_browser.py books December there); the family page leads to it.
    page.get_by_role("link", name="Réserver pour la famille (son planning)").click()
    expect(page.get_by_role("heading", name=re.compile("de la famille DUPONT"))).to_be_visible()
    assert axe_violations(page) == []
    page.goto(live_server.url + page.url.split(live_server.url)[1].split("/planning")[0])
    page.get_by_role("link", name="Tout le journal de la famille").click()
    expect(page).to_have_url(re.compile(r"/agents/journal/\?famille="))
    expect(page.get_by_role("heading", name="Journal des modifications")).to_be_visible()
    assert axe_violations(page) == []
    assert fits_width(page)
    screenshot(page, "staff-journal")
    assert page.csp_errors == []


def test_search_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/familles/")
    page.get_by_label("Nom, n° de compte, prénom d'un enfant, email ou téléphone").fill("16123")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("1 famille trouvée")).to_be_visible()
    expect(page.get_by_role("link", name="BERNARD")).to_be_visible()
