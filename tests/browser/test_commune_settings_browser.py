"""« Paramètres de la commune » in Chromium, as the administrateur on a desktop and on a
768 px tablet: the form reads well, a wrong value is named next to its field, a logo
uploaded shows in the header; axe-clean, nothing blocked by the CSP."""
import pytest
from playwright.sync_api import expect

from tests.conftest import axe_violations, browser_login, screenshot, staff_nav
from tests.helpers import png_bytes

pytestmark = pytest.mark.browser


def test_administrateur_sets_the_commune_and_its_logo(staff_page, live_server, tmp_path):
    page = staff_page
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(size=(480, 160)))
    browser_login(page, live_server, "administrateur")
    staff_nav(page, "COMMUNE")
    expect(page.get_by_role("heading", name="Paramètres de la commune")).to_be_visible()
    assert axe_violations(page) == [] and page.csp_errors == []
    screenshot(page, "commune-settings")
    # A day that not every month has: named next to the field, nothing saved.
    page.get_by_label("Jour limite du mois").fill("31")
    page.get_by_role("button", name="Enregistrer les paramètres").click()
    page.wait_for_load_state()
    expect(page.locator("#deadline_day-error")).to_contain_text("Indiquez un jour entre 1 et 28")
    expect(page.get_by_label("Jour limite du mois")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    screenshot(page, "commune-settings-error")
    page.get_by_label("Jour limite du mois").fill("15")
    page.get_by_label("Logo (PNG ou JPEG, 512 Ko au plus)").set_input_files(str(logo))
    page.get_by_role("button", name="Enregistrer les paramètres").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Les paramètres de la commune sont enregistrés.")).to_be_visible()
    expect(page.get_by_label("Jour limite du mois")).to_have_value("15")
    header_logo = page.locator(".site-header img.commune-logo")
    expect(header_logo).to_be_visible()
    # Visible is not loaded: wait for the image's own width (0 until it has arrived).
    expect(header_logo).to_have_js_property("naturalWidth", 480)
    assert axe_violations(page) == [] and page.csp_errors == []
    screenshot(page, "commune-settings-saved")
