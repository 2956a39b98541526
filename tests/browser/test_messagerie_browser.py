"""MESSAGERIE and ACTUALITÉS in Chromium, as a phone (360×740) and as a desktop."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from domain.pdf import simple_document
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def files(tmp_path):
    """A real PDF, a real PNG and a "PDF" that is an HTML page, on disk."""
    pdf = tmp_path / "justificatif-domicile.pdf"
    pdf.write_bytes(simple_document("Attestation d'assurance habitation", ["Famille DUPONT"]))
    png = tmp_path / "fiche-contacts.png"
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 90, 160)).save(out, "PNG")
    png.write_bytes(out.getvalue())
    fake = tmp_path / "facture.pdf"
    fake.write_bytes(b"<!doctype html><html><body><script>alert(1)</script></body></html>")
    return {"pdf": str(pdf), "png": str(png), "fake": str(fake)}


def open_new_message(page, server):
    page.get_by_role("navigation", name="Onglets du portail").get_by_role(
        "link", name="MESSAGERIE").click()
    page.wait_for_url("**/messagerie/")
    page.get_by_role("navigation", name="Messagerie").get_by_role(
        "link", name="Envoyer un message").click()
    page.wait_for_url("**/messagerie/envoyer")


def theme_options(page):
    return page.locator("#theme option").all_inner_texts()


def test_family_sends_a_message_with_two_attachments(page, live_server, smtp_server, files):
    browser_login(page, live_server)
    open_new_message(page, live_server)
    assert page.get_by_role("heading", name="NOUS ENVOYER UN MESSAGE").is_visible()
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Objet*").fill("Absence de LENA mercredi")
    # The theme list follows the service, swapped by htmx without reloading the page.
    page.get_by_label("Service*").select_option("Actualisation Dossier Famille")
    page.wait_for_selector("#theme option:text('Centre de loisirs')", state="attached")
    assert "Informations" not in theme_options(page)
    assert "Justificatif de domicile" in page.locator("#attachment_1-hint").inner_text()
    page.get_by_label("Service*").select_option("Centres de Loisirs")
    page.wait_for_selector("#theme option:text('Réclamations')", state="attached")
    assert theme_options(page) == ["--- Veuillez sélectionner un thème ---", "Informations",
                                   "Modifications", "Réclamations"]
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#attachment_1-hint").inner_text() == "Taille maximum : 6 Mo"
    assert page.get_by_label("Objet*").input_value() == "Absence de LENA mercredi"
    assert not page.get_by_role("button", name="Choisir ce service").is_visible()
    page.get_by_label("Thème*").select_option("Modifications")
    page.get_by_label("Message*").fill("Bonjour,\nLENA ne viendra pas mercredi.\nCordialement")
    page.get_by_label("1er pièce jointe").set_input_files(files["pdf"])
    page.get_by_label("2ème pièce jointe").set_input_files(files["png"])
    page.get_by_label("Confirmation par email").check()
    screenshot(page, "messagerie-envoyer")
    assert axe_violations(page) == []
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="ENVOYER").click()
    page.wait_for_url("**/messagerie/envoyes")
    assert page.get_by_text("Votre message a été envoyé.").is_visible()
    sent = page.locator(".message-item").first
    assert sent.get_by_role("link", name="Absence de LENA mercredi").is_visible()
    assert "Centres de Loisirs – Modifications" in sent.inner_text()
    screenshot(page, "messagerie-envoyes")
    assert axe_violations(page) == []
    sent.get_by_role("link", name="Absence de LENA mercredi").click()
    page.wait_for_url("**/messagerie/fil/*")
    assert page.get_by_role("link", name="justificatif-domicile.pdf").is_visible()
    assert page.get_by_role("link", name="fiche-contacts.png").is_visible()
    screenshot(page, "messagerie-fil")
    assert axe_violations(page) == []
    [mail] = smtp_server.to("famille.dupont@example.org")
    assert "« Absence de LENA mercredi »" in mail["Subject"]
    assert "justificatif-domicile.pdf, fiche-contacts.png" in smtp_server.text(mail)
    assert page.csp_errors == []


def test_bad_file_and_missing_subject_keep_what_was_typed(page, live_server, files):
    browser_login(page, live_server)
    page.goto(live_server.url + "/messagerie/envoyer?service=Scolarit%C3%A9&theme=Informations")
    page.get_by_label("Message*").fill("Voici la facture demandée.")
    page.get_by_label("1er pièce jointe").set_input_files(files["fake"])
    page.get_by_label("2ème pièce jointe").set_input_files(files["png"])
    page.get_by_role("button", name="ENVOYER").click()
    page.wait_for_selector("#subject-error")
    assert page.locator("#subject-error").inner_text() == "Indiquez l'objet de votre message."
    assert "n'est ni un PDF" in page.locator("#attachment_1-error").inner_text()
    assert "« fiche-contacts.png » était correct" in page.locator("#attachment_2-hint").inner_text()
    assert page.get_by_text("sélectionnez à nouveau vos fichiers").is_visible()
    assert page.get_by_label("Message*").input_value() == "Voici la facture demandée."
    assert page.get_by_label("Service*").input_value() == "Scolarité"
    assert page.get_by_label("Thème*").input_value() == "Informations"
    screenshot(page, "messagerie-erreurs")
    assert axe_violations(page) == []
    assert page.csp_errors == []


def test_without_javascript_the_service_button_loads_its_themes(page_without_js, live_server,
                                                                smtp_server):
    page = page_without_js
    browser_login(page, live_server)
    page.goto(live_server.url + "/messagerie/envoyer")
    page.get_by_label("Service*").select_option("Actualisation Dossier Famille")
    page.get_by_label("Objet*").fill("Actualisation")
    page.get_by_role("button", name="Choisir ce service").click()
    page.wait_for_load_state()
    page.get_by_label("Thème*").select_option("Renouvellement en école publique")
    assert page.get_by_label("Objet*").input_value() == "Actualisation"
    page.get_by_label("Message*").fill("Pas de changement cette année.")
    screenshot(page, "messagerie-sans-js")
    page.get_by_role("button", name="ENVOYER").click()
    page.wait_for_url("**/messagerie/envoyes")
    assert page.get_by_role("link", name="Actualisation").first.is_visible()
    assert smtp_server.messages == []  # no confirmation asked


def test_unread_messages_then_staff_reply(page, live_server, smtp_server):
    browser_login(page, live_server, "famille 16123")
    nav = page.get_by_role("navigation", name="Onglets du portail")
    # The badge's count, and what a screen reader says of the tab (hidden text, not aria-label).
    unread_tab = nav.get_by_role("link", name="MESSAGERIE")
    expect(unread_tab.locator(".badge")).to_contain_text("2")
    expect(unread_tab).to_have_accessible_name(
        re.compile(r"^messagerie 2 message\(s\) non lu\(s\)$", re.I))
    assert page.get_by_text("Vous avez 2 message(s) non lu(s)").is_visible()
    nav.get_by_role("link", name="MESSAGERIE").click()
    page.wait_for_url("**/messagerie/")
    assert page.locator(".tag-unread").count() == 2
    screenshot(page, "messagerie-recus")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Sortie scolaire du jeudi").click()
    page.wait_for_url("**/messagerie/fil/*")
    expect(unread_tab).to_have_accessible_name(
        re.compile(r"^messagerie 1 message\(s\) non lu\(s\)$", re.I))
    page.get_by_role("button", name="DÉCONNEXION").click()
    page.wait_for_url("**/connexion")
    # The agent answers the other thread; the family is told by email.
    browser_login(page, live_server, "agent")
    page.get_by_role("link", name="MESSAGES").click()
    page.wait_for_url("**/agents/messages/")
    screenshot(page, "agents-messages")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Sortie scolaire du jeudi").click()
    page.get_by_label("Votre réponse*").fill("Le pique-nique sera prêt à 11h30.")
    page.get_by_role("button", name="ENVOYER LA RÉPONSE").click()
    page.get_by_text("Votre réponse a été envoyée").wait_for()
    assert page.get_by_text("Le pique-nique sera prêt à 11h30.").is_visible()
    screenshot(page, "agents-message-fil")
    assert axe_violations(page) == []
    [mail] = smtp_server.to("famille.bernard@example.org")
    assert "Sortie scolaire du jeudi" in mail["Subject"]
    assert page.csp_errors == []


def test_news_page(page, live_server):
    browser_login(page, live_server)
    page.get_by_role("navigation", name="Onglets du portail").get_by_role(
        "link", name="ACTUALITÉS").click()
    page.wait_for_url("**/actualites/")
    # The demo's Noël news is shown while the Noël booking window is open (from 02/11).
    noel = page.locator(".news-item").filter(has_text="vacances de Noël")
    assert noel.get_by_role("heading").inner_text() == \
        "Réservations des centres de loisirs : vacances de Noël"
    assert "Centres de Loisirs – 02/11/2026" in noel.inner_text()
    screenshot(page, "actualites")
    assert axe_violations(page) == []
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
