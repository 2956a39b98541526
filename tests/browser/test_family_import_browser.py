"""In Chromium: an agent imports a CSV of families (the dry run names the wrong line and
column, the fixed file is imported) on a desktop and a 768 px tablet; a family declares a
child from "Mes enfants" on a 360×740 phone. Axe-clean, nothing blocked by the CSP."""
import pytest
from playwright.sync_api import expect

from tests.conftest import axe_violations, browser_login, opened_page, screenshot
from tests.domain.test_family_import import ROWS, csv_bytes

pytestmark = pytest.mark.browser


def assert_clean(page):
    assert axe_violations(page) == []
    assert page.csp_errors == []


def test_agent_imports_a_csv_after_a_dry_run_that_names_the_wrong_line(
        staff_page, live_server, tmp_path):
    page = staff_page
    wrong = list(ROWS)
    wrong[2] = wrong[2].replace("01/02/2018", "31/02/2018")
    bad, good = tmp_path / "familles.csv", tmp_path / "familles-corrige.csv"
    bad.write_bytes(csv_bytes(wrong))
    good.write_bytes(csv_bytes())
    browser_login(page, live_server, "agent")
    page.get_by_role("navigation", name="Pages « Au quotidien »").get_by_role(
        "link", name="FAMILLES").click()
    page.get_by_role("navigation", name="Familles").get_by_role("link", name="Importer").click()
    page.wait_for_load_state()
    assert_clean(page)
    page.get_by_label("Fichier des familles (CSV ou XLSX)*").set_input_files(str(bad))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_text("2 familles, 3 enfants, 1 erreur")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="31/02/2018")
    expect(row).to_contain_text("4")
    expect(row).to_contain_text("enfant_naissance (S)")
    expect(page.get_by_role("button", name="Importer")).to_have_count(0)
    screenshot(page, "staff-import-dry-run-errors")
    assert_clean(page)
    page.get_by_role("link", name="Envoyer un fichier corrigé").click()
    page.get_by_label("Fichier des familles (CSV ou XLSX)*").set_input_files(str(good))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_text("2 familles, 3 enfants, 0 erreur")).to_be_visible()
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("Import terminé : 2 famille(s) créée(s)")).to_be_visible()
    expect(page.get_by_role("heading", name="Inviter les familles")).to_be_visible()
    screenshot(page, "staff-import-done-invitations")
    assert_clean(page)


def test_a_family_declares_a_child_on_a_phone(browser, live_server, tmp_path):
    with opened_page(browser, "phone") as page:
        browser_login(page, live_server, "famille 16122")
        page.goto(live_server.url + "/mon-dossier/enfants/")
        page.get_by_role("link", name="Déclarer un enfant").click()
        page.wait_for_load_state()
        assert_clean(page)
        page.get_by_label("Prénom*").fill("Rose")
        page.get_by_label("Date de naissance*").fill("2023-02-11")
        page.get_by_label("Sexe").select_option("F")
        page.get_by_label("École*").select_option("École maternelle Jules Ferry")
        page.get_by_label("Classe*").select_option("CM1")
        page.get_by_role("button", name="Envoyer la déclaration").click()
        expect(page.get_by_text("Cette école n'a pas de classe CM1 : TPS, PS, MS, GS.")) \
            .to_be_visible()
        screenshot(page, "family-declare-child-error")
        assert_clean(page)
        page.get_by_label("Classe*").select_option("PS")
        page.get_by_role("button", name="Envoyer la déclaration").click()
        expect(page.get_by_text("ROSE est déclarée")).to_be_visible()
        expect(page.get_by_text("en attente de validation")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways on a phone: {width}px"
        screenshot(page, "family-declare-child-sent")
        assert_clean(page)
