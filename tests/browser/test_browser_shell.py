"""The shell in Chromium, as a phone and as a desktop: sign in, six tabs, sign out."""
import pytest

from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser

TABS = ["ACCUEIL", "MON DOSSIER", "INSCRIPTION", "PLANNING - RÉSERVATIONS", "FACTURATION",
        "MESSAGERIE", "ACTUALITÉS"]


def test_sign_in_see_tabs_and_tiles_then_sign_out(page, live_server):
    page.goto(live_server.url + "/")
    assert "/connexion" in page.url
    screenshot(page, "login")
    browser_login(page, live_server)
    assert page.locator("header").get_by_text("Mon compte: [16122]").is_visible()
    nav = page.get_by_role("navigation", name="Onglets du portail")
    for tab in TABS:
        assert nav.get_by_role("link", name=tab).is_visible()
    tiles = page.locator(".tile")
    assert tiles.count() == 6
    assert page.get_by_role("link", name="Effectuer de nouvelles réservations").is_visible()
    screenshot(page, "accueil")
    if page.device == "phone":
        # On a phone the tabs form a grid of 4 x 2 short names, at most 120 px high.
        boxes = [nav.get_by_role("link", name=t).bounding_box() for t in TABS]
        assert boxes[0]["y"] == boxes[3]["y"] < boxes[4]["y"]
        assert nav.bounding_box()["height"] <= 120
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    else:
        # On a desktop the tiles form a grid of three columns.
        first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
        assert first["y"] == second["y"] and first["x"] < second["x"]
    nav.get_by_role("link", name="PLANNING - RÉSERVATIONS").click()
    page.wait_for_url("**/planning/")
    assert page.title().startswith("Planning")
    page.get_by_role("button", name="DÉCONNEXION").click()
    page.wait_for_url("**/connexion")
    page.goto(live_server.url + "/")
    assert "/connexion" in page.url
    assert page.csp_errors == []
