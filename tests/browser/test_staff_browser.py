"""The back office's accounts, messages, news, documents and second factor in Chromium,
as an agent (and the administrateur) on a desktop and on a 768 px tablet; axe-clean."""
import re

import pyotp
import pytest
from playwright.sync_api import expect

from domain.pdf import simple_document
from tests.conftest import accept_invitation, axe_violations, browser_login, screenshot, staff_nav

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Girafe bleue sur le toit 42"


@pytest.fixture
def pdf_file(tmp_path):
    path = tmp_path / "horaires-bus.pdf"
    path.write_bytes(simple_document("Horaires du bus", ["Départ 8h05."]))
    return str(path)


def assert_clean(page):
    assert axe_violations(page) == []
    assert page.csp_errors == []


def agent_opens(page, server, item):
    """The agent signs in and opens ``item`` of the staff navigation: a clean page."""
    browser_login(page, server, "agent")
    staff_nav(page, item)
    assert_clean(page)


def test_agent_answers_a_message_with_an_attachment_and_marks_it_treated(
        staff_page, live_server, smtp_server, pdf_file):
    page = staff_page
    browser_login(page, live_server, "agent")
    staff_nav(page, "MESSAGES")
    page.get_by_role("link", name="Sortie scolaire du jeudi").click()
    page.wait_for_url(re.compile(r".*/agents/messages/\d+$"))
    assert_clean(page)
    page.get_by_label("Votre réponse*").fill("Bonjour,\nle pique-nique est prévu.")
    page.get_by_label("1er pièce jointe").set_input_files(pdf_file)
    page.get_by_role("button", name="ENVOYER LA RÉPONSE").click()
    expect(page.get_by_text("Votre réponse a été envoyée")).to_be_visible()
    expect(page.get_by_role("link", name="horaires-bus.pdf")).to_be_visible()
    mail = smtp_server.to("famille.bernard@example.org")[-1]
    assert "le pique-nique est prévu." in smtp_server.text(mail)
    page.get_by_role("button", name="Marquer comme traité").click()
    expect(page.locator("#thread-state")).to_contain_text("Traité le")
    screenshot(page, "staff-thread-treated")
    assert_clean(page)


def test_agent_creates_a_family_account_and_the_family_signs_in(
        staff_page, live_server, smtp_server):
    page = staff_page
    agent_opens(page, live_server, "COMPTES")
    page.get_by_role("link", name="Créer un compte famille").click()
    page.wait_for_url("**/agents/comptes/nouvelle-famille")
    page.get_by_role("button", name="Créer le compte et envoyer l'invitation").click()
    expect(page.locator("#family_name-error")).to_have_text("Indiquez le nom de la famille.")
    expect(page.get_by_label("Nom de la famille*")).to_have_attribute(
        "aria-describedby", "family_name-error")
    assert_clean(page)
    page.get_by_label("Nom de la famille*", exact=True).fill("Martin")
    page.get_by_label("Nom du responsable légal*", exact=True).fill("Martin")
    page.get_by_label("Prénom du responsable légal*").fill("Aïcha")
    page.get_by_label("Adresse email (identifiant de connexion)*").fill("aicha.martin@example.org")
    page.get_by_role("button", name="Créer le compte et envoyer l'invitation").click()
    expect(page.get_by_text("Compte n° 16125 créé pour la famille MARTIN")).to_be_visible()
    screenshot(page, "staff-accounts")
    mail = smtp_server.to("aicha.martin@example.org")[-1]
    link = re.search(r"http://localhost(/invitation/\S+)", smtp_server.text(mail)).group(1)
    page.get_by_role("button", name="DÉCONNEXION").click()
    page.goto(live_server.url + link)
    assert_clean(page)
    accept_invitation(page, live_server, link, NEW_PASSWORD, "16125")
    expect(page.get_by_text("Mon compte: [16125]")).to_be_visible()


def test_agent_writes_previews_and_schedules_a_news_item(staff_page, live_server):
    page = staff_page
    agent_opens(page, live_server, "ACTUALITÉS")
    page.get_by_role("link", name="Écrire une actualité").click()
    page.get_by_label("Titre*").fill("Fête de l'école")
    page.get_by_label("Texte*").fill("Rendez-vous samedi à 10h.")
    page.get_by_label("Service").select_option("Scolarité")
    page.get_by_label("Afficher à partir du").fill("2026-11-27")
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu (comme les familles la verront)")).to_be_visible()
    expect(page.get_by_text("Publiée, elle sera affichée à partir du 27/11/2026")).to_be_visible()
    screenshot(page, "staff-news-preview")
    assert_clean(page)
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("enregistrée : programmée")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Fête de l'école"))
    expect(row).to_contain_text("Programmée")


def test_documents_page_refuses_a_missing_file_next_to_the_field(staff_page, live_server,
                                                                 pdf_file):
    page = staff_page
    agent_opens(page, live_server, "DOCUMENTS")
    form = page.locator("form[action*='/documents/commune']")
    form.get_by_label("Catégorie*").select_option("menu")
    form.get_by_label("Titre*").fill("Menus de décembre")
    form.get_by_role("button", name="Mettre en ligne").click()
    expect(page.locator("#commune-file-error")).to_contain_text("Choisissez le fichier")
    assert_clean(page)
    form = page.locator("form[action*='/documents/commune']")
    expect(form.get_by_label("Titre*")).to_have_value("Menus de décembre")
    form.get_by_label("Fichier (PDF, JPEG ou PNG, 6 Mo au plus)*").set_input_files(pdf_file)
    form.get_by_role("button", name="Mettre en ligne").click()
    expect(page.get_by_text("« Menus de décembre » est ajouté")).to_be_visible()
    screenshot(page, "staff-documents")


def test_agent_enrols_an_authenticator(staff_page, live_server):
    page = staff_page
    agent_opens(page, live_server, "SÉCURITÉ")
    page.get_by_role("link", name="Activer la double authentification").click()
    expect(page.locator("svg.totp-qr")).to_be_visible()
    assert_clean(page)
    screenshot(page, "staff-totp-enrol")
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres affiché par l'application*").fill(
        pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10
    assert_clean(page)


@pytest.mark.parametrize("path", ["/agents/admin/comptes/", "/agents/admin/services"])
def test_administrateur_pages_are_clean(staff_page, live_server, path):
    page = staff_page
    browser_login(page, live_server, "administrateur")
    page.goto(live_server.url + path)
    assert_clean(page)
    screenshot(page, "staff-admin-" + path.strip("/").replace("/", "-"))
    # A tablet shows the whole of each table: none scrolls sideways (the agents' table hid
    # its Actions column at 768 px).
    wraps = page.locator(".table-wrap")
    for i in range(wraps.count()):
        wrap, table = wraps.nth(i).bounding_box(), wraps.nth(i).locator("table").bounding_box()
        assert table["width"] <= wrap["width"] + 1, (path, page.device)


def test_counter_payment_choices_sit_beside_their_labels(staff_page, live_server):
    """Espèces, Chèque, CESU, Chèque vacances: each radio on its label's line."""
    page = staff_page
    browser_login(page, live_server, "agent")
    page.goto(live_server.url + "/agents/facturation/")
    page.locator(".staff-table a, table a").first.click()
    radio = page.get_by_label("Chèque", exact=True)
    label = page.locator("label", has_text=re.compile(r"^Chèque$"))
    radio_box, label_box = radio.bounding_box(), label.bounding_box()
    assert abs((radio_box["y"] + radio_box["height"] / 2)
               - (label_box["y"] + label_box["height"] / 2)) < 8
    assert label_box["x"] > radio_box["x"] + radio_box["width"] - 1
    assert_clean(page)


def test_the_back_offices_groups_fit_one_row_and_name_their_landmarks(staff_page, live_server):
    """Four groups on one row (tablet and desktop), the current group's pages below it,
    each navigation landmark with a name of its own."""
    page = staff_page
    browser_login(page, live_server, "administrateur")
    staff_nav(page, "FERMETURES")
    current = page.get_by_role("navigation", name="Pages « L'année scolaire »")
    expect(current.get_by_role("link", name="FERMETURES")).to_have_attribute(
        "aria-current", "page")
    groups = page.get_by_role("navigation", name="Espace agents").get_by_role("link")
    expect(groups).to_have_count(4)
    tops = {round(box["y"]) for box in (groups.nth(index).bounding_box() for index in range(4))}
    assert len(tops) == 1, tops
    expect(current.get_by_role("link", name="CATALOGUE")).to_be_visible()
    screenshot(page, "staff-nav-groups")
    assert_clean(page)
