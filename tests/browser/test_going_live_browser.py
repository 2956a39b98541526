"""Going live in Chromium, from an empty database: ``flask create-admin`` prints a link, the
administrateur chooses a password there, signs in, fills « Paramètres de la commune »
and creates the first school year from the standard catalogue; the guide's « CL
Maternel Mercredis » is in its catalogue at the guide's prices."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import axe_violations, make_app, screenshot, served, staff_nav

pytestmark = pytest.mark.browser

PASSWORD = "Girafe bleue sur le toit 42"


@pytest.fixture
def empty_server(tmp_path, smtp_server):
    """The app on an empty SQLite database, served on a free local port."""
    with served(make_app("sqlite:///" + str(tmp_path / "vide.db"), tmp_path,
                         smtp_server.port)) as server:
        yield server


def test_a_new_commune_from_create_admin_to_its_first_year(staff_page, empty_server):
    page = staff_page
    output = empty_server.app.test_cli_runner().invoke(
        args=["create-admin", "maire@castanet.fr", "--name", "Paul Martin"]).output
    path = re.search(r"http://localhost(/invitation/\S+)", output).group(1)
    page.goto(empty_server.url + path)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_load_state()
    page.get_by_label("N° de compte ou adresse email").fill("maire@castanet.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    # The commune's settings.
    page.goto(empty_server.url + "/agents/admin/commune")
    page.get_by_label("Nom de la commune").fill("Ville de Castanet")
    page.get_by_label("Email de contact").fill("enfance@castanet.fr")
    page.get_by_label("Adresse de la régie").fill("Régie Enfance\n1 place de la République")
    page.get_by_label("Horaires d'ouverture de la régie").fill("Mardi et jeudi de 9h à 12h")
    page.get_by_role("button", name="Enregistrer les paramètres").click()
    expect(page.get_by_text("Les paramètres de la commune sont enregistrés.")).to_be_visible()
    expect(page.locator(".site-header .commune")).to_contain_text("Ville de Castanet")
    # The first school year, from the standard catalogue.
    staff_nav(page, "L'année scolaire")
    expect(page.get_by_role("heading", name="Créer l'année scolaire")).to_be_visible()
    assert axe_violations(page) == [] and page.csp_errors == []
    screenshot(page, "going-live-create-year")
    page.get_by_label("Année scolaire*", exact=True).select_option("2026")
    page.get_by_label("Le catalogue standard").check()
    page.get_by_role("button", name="Créer l'année scolaire").click()
    page.wait_for_load_state()
    expect(page.get_by_text("L'année 2026/2027 est créée, du 01/09/2026 au 02/07/2027")) \
        .to_be_visible()
    expect(page.get_by_text("CL Maternel Mercredis").first).to_be_visible()
    # The guide's prices for a family of the middle bracket (QF 701 to 1200).
    middle = "Tranche 2 (QF de 701 à 1200)"
    expect(page.get_by_label(f"CL Maternel Mercredis – Après-midi SANS repas – {middle}")) \
        .to_have_value("5,20")
    expect(page.get_by_label(f"CL Maternel Mercredis – Après-midi AVEC repas – {middle}")) \
        .to_have_value("10,40")
    assert axe_violations(page) == [] and page.csp_errors == []
    screenshot(page, "going-live-year-created")
