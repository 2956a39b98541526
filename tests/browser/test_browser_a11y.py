"""Accessibility (RGAA): axe-core finds no violation on the shell's pages, phone and desktop."""
import pytest

from tests.conftest import axe_violations, browser_login

pytestmark = pytest.mark.browser


def test_sign_in_page_has_no_axe_violation(page, live_server):
    page.goto(live_server.url + "/connexion")
    assert axe_violations(page) == []


def test_errors_are_tied_to_their_fields(page, live_server):
    page.goto(live_server.url + "/connexion")
    page.get_by_role("button", name="Se connecter").click()
    identifier = page.get_by_label("N° de compte ou adresse email")
    assert identifier.get_attribute("aria-invalid") == "true"
    described = identifier.get_attribute("aria-describedby").split()
    messages = [page.locator(f"#{i}").inner_text() for i in described]
    assert "Indiquez votre n° de compte ou votre email." in messages
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["/", "/mon-dossier/", "/inscription/", "/planning/",
                                  "/facturation/", "/messagerie/", "/actualites/"])
def test_family_tabs_have_no_axe_violation(page, live_server, path):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + path)
    assert axe_violations(page) == []


def test_focus_is_visible(page, live_server):
    page.goto(live_server.url + "/connexion")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
