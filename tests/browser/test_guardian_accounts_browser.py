"""A login per legal guardian in Chromium, on a phone (360×740) and a desktop: Julie
DUPONT gives Marc, the second guardian of 16122, his own access from MON DOSSIER, and Marc
signs in with it; the recap of 16123 names which guardian made each change."""
import datetime
import re

import pytest
from playwright.sync_api import expect

import models
from models import Guardian, PendingChange, User
from tests.conftest import MailBox, accept_invitation, axe_violations, browser_login, screenshot
from tests.planning_support import CL, SANS, activity, child, modalite

pytestmark = pytest.mark.browser

NEW_PASSWORD = "marc-dupont-portail-2027"


def guardian_row(page, name):
    """The row of ``name`` in the staff's table of the family's guardians."""
    return page.get_by_role("table", name="Responsables légaux").locator("tr", has_text=name)


def no_sideways_scroll(page):
    width = page.viewport_size["width"]
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_julie_gives_marc_access_from_the_dossier_and_he_signs_in(page, live_server,
                                                                   mailbox):
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/")
    marc = page.locator("li.dossier-card", has_text="Marc DUPONT")
    expect(marc.get_by_text("Accès au portail : aucun")).to_be_visible()
    expect(page.locator("li.dossier-card", has_text="Julie DUPONT")).to_contain_text(
        "Accès au portail : actif (vous)")
    button = marc.get_by_role("button", name="Donner accès au portail à Marc DUPONT")
    expect(button).to_be_visible()
    screenshot(page, "guardian-access-dossier")
    assert no_sideways_scroll(page)
    button.click()
    expect(page.get_by_text("Invitation envoyée à marc.dupont@example.org")).to_be_visible()
    marc = page.locator("li.dossier-card", has_text="Marc DUPONT")
    expect(marc.get_by_text("Accès au portail : invitation envoyée")).to_be_visible()
    expect(marc.get_by_role("button", name=re.compile("Donner accès"))).to_have_count(0)
    screenshot(page, "guardian-access-invited")
    assert axe_violations(page) == []
    assert page.csp_errors == []

    mail = mailbox.to("marc.dupont@example.org")[-1]
    link = re.search(r"http://localhost(/invitation/\S+)", MailBox.text(mail)).group(1)
    assert "votre adresse email" in MailBox.text(mail)
    page.get_by_role("button", name="DÉCONNEXION").click()
    accept_invitation(page, live_server, link, NEW_PASSWORD, "marc.dupont@example.org")
    expect(page.get_by_text("Mon compte: [16122]")).to_be_visible()
    page.goto(live_server.url + "/mon-dossier/")
    expect(page.locator("li.dossier-card", has_text="Marc DUPONT")).to_contain_text(
        "Accès au portail : actif (vous)")
    expect(page.get_by_text("LENA DUPONT")).to_be_visible()


@pytest.fixture
def two_guardians_changes(live_server):
    """16123: Nadia chose CHLOE's 06/01/2027 and Karim her 20/01/2027 (kept, not yet
    committed: both guardians share the family's pending changes)."""
    with live_server.app.app_context(), models.db.connection_context():
        chloe = child("CHLOE")
        for first_name, day in (("Nadia", 6), ("Karim", 20)):
            user = User.get(User.guardian == Guardian.get(Guardian.first_name == first_name))
            PendingChange.create(family=chloe.family_id, child=chloe, activity=activity(CL),
                                 modalite=modalite(CL, SANS), date=datetime.date(2027, 1, day),
                                 action=PendingChange.BOOK, made_by=user)


def test_the_recap_names_the_guardian_who_made_each_change(page, live_server,
                                                             two_guardians_changes, mailbox):
    browser_login(page, live_server, "famille 16123 (Karim)")
    page.goto(live_server.url + "/planning/recapitulatif")
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    rows = page.locator("table.pl-recap tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="06/01/2027")).to_contain_text("par Nadia BERNARD")
    expect(rows.filter(has_text="20/01/2027")).to_contain_text("par Karim BERNARD")
    assert no_sideways_scroll(page)
    screenshot(page, "guardian-recap")
    assert axe_violations(page) == []
    page.get_by_role("button", name="TERMINER", exact=True).click()
    page.get_by_role("heading", name="VOTRE RESERVATION EST TERMINEE").wait_for()
    done = page.locator("section.pl-done-changes")
    expect(done).to_contain_text("Mer. 06/01/2027 : CHLOE - 2026/2027 - CL Maternel Mercredis"
                                 " - Après-midi SANS repas par Nadia BERNARD")
    expect(done).to_contain_text("par Karim BERNARD")
    assert no_sideways_scroll(page)
    screenshot(page, "guardian-done")
    assert page.csp_errors == []


def test_staff_remove_one_guardians_access_and_invite_him_again(staff_page, live_server):
    """16123's page: Karim's access removed with a reason (Nadia's stays active), then
    « Inviter à nouveau »."""
    page = staff_page
    browser_login(page, live_server, "agent")
    with live_server.app.app_context(), models.db.connection_context():
        family_id = child("CHLOE").family_id
    page.goto(f"{live_server.url}/agents/familles/{family_id}")
    karim = guardian_row(page, "Karim BERNARD")
    karim.get_by_text("Retirer l'accès de Karim BERNARD").click()
    karim.get_by_label("Motif (facultatif)").fill("Séparation : demande de Mme BERNARD")
    screenshot(page, "guardian-staff-remove")
    karim.get_by_role("button", name="Retirer l'accès", exact=True).click()
    expect(page.get_by_text("L'accès au portail de Karim BERNARD est retiré.")).to_be_visible()
    expect(guardian_row(page, "Karim BERNARD")).to_contain_text("retiré")
    expect(guardian_row(page, "Nadia BERNARD")).to_contain_text("actif")
    expect(page.locator("table.audit-log")).to_contain_text(
        "Accès au portail retiré à Karim BERNARD (karim.bernard@example.org)")
    screenshot(page, "guardian-staff-removed")
    assert axe_violations(page) == []
    guardian_row(page, "Karim BERNARD").get_by_role(
        "button", name="Inviter à nouveau Karim BERNARD").click()
    expect(page.get_by_role("status")).to_have_text(
        "Invitation envoyée à karim.bernard@example.org (Karim BERNARD).")
    expect(guardian_row(page, "Karim BERNARD")).to_contain_text("invitation envoyée")
    assert page.csp_errors == []
