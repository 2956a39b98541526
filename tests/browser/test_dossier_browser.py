"""MON DOSSIER in Chromium, as a phone (360×740) and as a desktop: what a parent does."""
import re

import pytest

import models
from domain.pdf import simple_document
from models import Child, Guardian, QFDeclaration
from tests.conftest import axe_violations, browser_login, screenshot


pytestmark = pytest.mark.browser


def query(server, function):
    """Run ``function`` against the live server's database."""
    with server.app.app_context(), models.db.connection_context():
        return function()


def fits_the_screen(page):
    width = page.viewport_size["width"]
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_family_updates_a_phone_number(page, live_server):
    browser_login(page, live_server)
    page.get_by_role("link", name="Modifier mes coordonnées").first.click()
    page.wait_for_url("**/mon-dossier/coordonnees")
    julie = page.get_by_role("group", name="Julie DUPONT (Mère)")
    julie.get_by_label("Téléphone portable").fill("07 81 22 33 44")
    julie.get_by_label("Profession", exact=True).fill("Cadre de santé")
    screenshot(page, "dossier-coordonnees-form")
    page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    page.get_by_text("Vos coordonnées sont enregistrées.").wait_for()
    assert page.url.endswith("/mon-dossier/")
    card = page.locator(".dossier-card", has_text="Julie DUPONT")
    assert "07 81 22 33 44" in card.inner_text() and "Cadre de santé" in card.inner_text()
    assert fits_the_screen(page)
    screenshot(page, "dossier-after-phone-change")
    stored = query(live_server, lambda: Guardian.get(Guardian.first_name == "Julie").phone_mobile)
    assert stored == "07 81 22 33 44"
    assert page.csp_errors == []


def test_invalid_phone_is_explained_next_to_the_field_and_kept(page, live_server):
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/coordonnees")
    marc = page.get_by_role("group", name="Marc DUPONT (Père)")
    mobile = marc.get_by_label("Téléphone portable")
    mobile.fill("06 98 76")
    marc.get_by_label("Employeur").fill("Airbus Helicopters")
    page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    page.locator("#guardians-1-phone_mobile-error").wait_for()
    mobile = page.get_by_role("group", name="Marc DUPONT (Père)").get_by_label(
        "Téléphone portable")
    assert mobile.input_value() == "06 98 76"
    assert mobile.get_attribute("aria-invalid") == "true"
    error = page.locator("#guardians-1-phone_mobile-error")
    assert "Ce numéro de téléphone n'existe pas" in error.inner_text()
    assert "guardians-1-phone_mobile-error" in mobile.get_attribute("aria-describedby")
    assert page.get_by_label("Employeur").nth(1).input_value() == "Airbus Helicopters"
    assert fits_the_screen(page)
    screenshot(page, "dossier-coordonnees-invalid-phone")
    assert axe_violations(page) == []


def test_family_turns_photo_consent_on_for_one_child(page, live_server):
    browser_login(page, live_server)
    page.get_by_role("navigation", name="Onglets du portail").get_by_role(
        "link", name="MON DOSSIER").click()
    page.wait_for_url("**/mon-dossier/")
    # At the bottom of the child's page, after the vaccines, comes "Modifier".
    page.locator("#enfants").get_by_role("link", name=re.compile("LENA DUPONT")).click()
    page.wait_for_url(re.compile(r".*/mon-dossier/enfants/\d+$"))
    section = page.locator("#droit-image")
    assert "Non autorisé" in section.inner_text()
    section.get_by_role("link", name=re.compile("^Modifier")).click()
    yes = page.get_by_label("Oui, j'autorise la prise et la diffusion de photos de mon enfant")
    yes.wait_for()
    assert re.search(r"/mon-dossier/enfants/\d+$", page.url), "htmx swapped the section only"
    # Keyboard and screen-reader users land in the swapped section.
    assert page.evaluate("document.activeElement.closest('#droit-image') !== null")
    yes.check()
    screenshot(page, "dossier-droit-image-modifier")
    page.get_by_role("button", name="Valider").click()
    page.get_by_text("Le droit à l'image de LENA est enregistré : autorisé.").wait_for()
    assert "Oui, autorisé" in page.locator("#droit-image").inner_text()
    assert page.evaluate("document.activeElement.textContent").startswith("Modifier")
    assert fits_the_screen(page)
    screenshot(page, "dossier-droit-image-valide")
    assert query(live_server, lambda: Child.get(Child.first_name == "LENA").photo_consent)
    page.reload()
    assert "Oui, autorisé" in page.locator("#droit-image").inner_text()
    assert page.csp_errors == []


def test_vaccine_added_and_removed_in_place(page, live_server):
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/enfants/")
    page.get_by_role("link", name=re.compile("LENA DUPONT")).click()
    page.wait_for_url(re.compile(r".*/mon-dossier/enfants/\d+$"))
    page.evaluate("window.notReloaded = true")
    vaccines = page.locator("#vaccins")
    vaccines.get_by_label("Vaccin*").fill("ROR (rougeole, oreillons, rubéole)")
    # Refused (422), the section is swapped all the same: the error by its field, the name kept.
    vaccines.get_by_label("Date de la vaccination*").fill("2030-01-01")
    vaccines.get_by_role("button", name="Ajouter le vaccin").click()
    error = page.locator("#vaccins #date-error")
    error.wait_for()
    assert error.inner_text() == "La date ne peut pas être dans le futur."
    assert "date-error" in vaccines.get_by_label("Date de la vaccination*").get_attribute(
        "aria-describedby")
    assert (vaccines.get_by_label("Vaccin*").input_value()
            == "ROR (rougeole, oreillons, rubéole)")
    vaccines.get_by_label("Date de la vaccination*").fill("2024-02-15")
    vaccines.get_by_role("button", name="Ajouter le vaccin").click()
    page.get_by_text("Le vaccin ROR (rougeole, oreillons, rubéole) est ajouté.").wait_for()
    row = page.locator("#vaccins tr", has_text="ROR")
    assert "15/02/2024" in row.inner_text()
    assert page.locator("#vaccins").get_by_label("Vaccin*").input_value() == ""
    assert page.evaluate("document.activeElement.id") == "vaccin-ajouter"
    assert page.evaluate("(w => w.scrollWidth <= w.clientWidth)"
                         "(document.querySelector('#vaccins .table-wrap'))"), "no sideways scroll"
    screenshot(page, "dossier-vaccins")
    row.get_by_role("button", name=re.compile("^Retirer")).click()
    page.get_by_text("Le vaccin est retiré de la fiche.").wait_for()
    assert page.locator("#vaccins tr", has_text="ROR").count() == 0
    assert page.locator("#vaccins tr", has_text="DTP").count() == 1
    assert page.evaluate("window.notReloaded") is True
    assert page.csp_errors == []


def test_photo_consent_without_javascript(page_without_js, live_server):
    page = page_without_js
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/enfants/")
    page.get_by_role("link", name=re.compile("LENA DUPONT")).click()
    page.wait_for_url(re.compile(r".*/mon-dossier/enfants/\d+$"))
    page.locator("#droit-image").get_by_role("link", name=re.compile("^Modifier")).click()
    page.wait_for_url("**/droit-image")
    page.get_by_label("Oui, j'autorise").check()
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r".*/mon-dossier/enfants/\d+(#droit-image)?$"))
    page.get_by_text("Le droit à l'image de LENA est enregistré : autorisé.").wait_for()
    assert "Oui, autorisé" in page.locator("#droit-image").inner_text()


def test_family_declares_its_qf_with_an_attestation(page, live_server, tmp_path):
    attestation = tmp_path / "attestation-caf.pdf"
    attestation.write_bytes(simple_document("Attestation de quotient familial", [
        "Caisse d'allocations familiales de la Haute-Garonne.", "Quotient familial : 640."]))
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/")
    page.get_by_role("link", name="Déclarer mon quotient CAF").first.click()
    page.wait_for_url("**/mon-dossier/quotient")
    page.get_by_label("Mon quotient familial CAF (en euros)*").fill("640")
    page.get_by_label("Attestation de la CAF (PDF, JPEG ou PNG, 6 Mo au plus)*").set_input_files(
        str(attestation))
    screenshot(page, "dossier-quotient-form")
    page.get_by_role("button", name="Déclarer mon quotient").click()
    page.get_by_text("Votre quotient familial (640) est enregistré").wait_for()
    status = page.locator(".dossier-status-en_attente")
    assert "quotient 640" in status.inner_text()
    assert "en attente de validation" in status.inner_text()
    assert "Quotient validé : 850" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    screenshot(page, "dossier-quotient-en-attente")
    with page.expect_download() as download:
        status.get_by_role("link", name="Télécharger l'attestation envoyée").click()
    assert download.value.suggested_filename == "attestation-caf.pdf"
    declaration = query(live_server, lambda: QFDeclaration.get(
        QFDeclaration.status == QFDeclaration.PENDING))
    assert declaration.quotient == 640
    assert axe_violations(page) == []


def test_html_disguised_as_pdf_is_refused_and_the_qf_kept(page, live_server):
    browser_login(page, live_server)
    page.goto(live_server.url + "/mon-dossier/quotient")
    page.get_by_label("Mon quotient familial CAF (en euros)*").fill("640")
    page.get_by_label("Attestation de la CAF (PDF, JPEG ou PNG, 6 Mo au plus)*").set_input_files(
        {"name": "attestation.pdf", "mimeType": "application/pdf",
         "buffer": b"<!DOCTYPE html><html><script>alert(1)</script></html>"})
    page.get_by_role("button", name="Déclarer mon quotient").click()
    error = page.locator("#attestation-error")
    error.wait_for()
    assert "n'est ni un PDF, ni une image JPEG ou PNG" in error.inner_text()
    assert page.get_by_label("Mon quotient familial CAF (en euros)*").input_value() == "640"
    assert fits_the_screen(page)
    screenshot(page, "dossier-quotient-refused-file")


def test_actualisation_checklist_ticks_one_section_at_a_time(page, live_server):
    browser_login(page, live_server, "famille 16124")
    page.goto(live_server.url + "/mon-dossier/actualisation")
    assert "Dossier 2026/2027 : à actualiser" in page.locator("main").inner_text()
    page.evaluate("window.notReloaded = true")
    item = page.locator("#rubrique-enfants")
    item.get_by_role("button", name=re.compile("J'ai vérifié cette rubrique")).click()
    page.locator("#rubrique-enfants.dossier-done").wait_for()
    assert "✓ Vérifiée" in page.locator("#rubrique-enfants").inner_text()
    assert "1 rubrique(s) vérifiée(s) sur 5" in page.locator("#actualisation-progress").inner_text()
    assert page.evaluate("window.notReloaded") is True, "only the item was swapped"
    assert page.evaluate("document.activeElement.id") == "bouton-enfants"
    links = page.get_by_role("link", name=re.compile("^Écrire le message"))
    assert links.count() == 3
    assert fits_the_screen(page)
    screenshot(page, "dossier-actualisation-checklist")
    links.nth(2).click()
    page.wait_for_url("**/messagerie/**")
    # The messagerie's form comes pre-filled with the service, the theme and the subject.
    page.locator('input[name="subject"]').wait_for()
    assert page.locator('select[name="service"]').input_value() == "Actualisation Dossier Famille"
    assert page.locator('select[name="theme"]').input_value() == "Centre de loisirs"
    assert page.locator('input[name="subject"]').input_value() == "Actualisation"
    assert page.csp_errors == []


@pytest.mark.parametrize("path", ["/mon-dossier/", "/mon-dossier/coordonnees",
                                  "/mon-dossier/enfants/", "/mon-dossier/documents",
                                  "/mon-dossier/actualisation", "/mon-dossier/personnes-autorisees"])
def test_dossier_pages_fit_the_screen_and_have_no_axe_violation(page, live_server, path):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + path)
    assert fits_the_screen(page)
    assert axe_violations(page) == []
    screenshot(page, "dossier" + path.replace("/mon-dossier", "").replace("/", "-").rstrip("-"))


def test_child_page_fits_and_has_no_axe_violation(page, live_server):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/mon-dossier/enfants/")
    page.get_by_role("link", name=re.compile("HUGO BERNARD")).click()
    page.wait_for_url(re.compile(r".*/mon-dossier/enfants/\d+$"))
    page.locator("#droit-image").wait_for()
    assert "Arachide" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    assert axe_violations(page) == []
    screenshot(page, "dossier-enfant")
