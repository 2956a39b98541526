"""« Rester connecté sur cet appareil » in Chromium, as a phone and as a desktop: ticked,
the browser is still signed in once closed and opened again (only the cookies that
outlive it kept); not ticked, it is signed out."""
import pytest

from demo import DEMO_LOGINS
from tests.conftest import axe_violations, screenshot
from tests.fixtures.browser import opened_page

pytestmark = pytest.mark.browser


def sign_in(page, server, remember):
    identifier, password = DEMO_LOGINS["famille 16122"]
    page.goto(server.url + "/connexion")
    page.get_by_label("N° de compte ou adresse email").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    if remember:
        page.get_by_label("Rester connecté sur cet appareil").check()
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Mon compte: [16122]").wait_for()


def reopened(page):
    """What the browser keeps once closed: the cookies that have an expiry date."""
    cookies = page.context.storage_state()["cookies"]
    return {"cookies": [cookie for cookie in cookies if cookie["expires"] > 0], "origins": []}


@pytest.mark.parametrize("remember", [True, False], ids=["ticked", "not-ticked"])
def test_the_browser_closed_and_opened_again(browser, device, live_server, remember):
    with opened_page(browser, device) as page:
        page.goto(live_server.url + "/connexion")
        if device == "phone":  # the label ticks the box: a 44 px high target
            assert page.locator("label[for=remember]").bounding_box()["height"] >= 44
        if remember:
            screenshot(page, "login-remember")
            assert axe_violations(page) == []
        sign_in(page, live_server, remember)
        kept = reopened(page)
    with opened_page(browser, device, storage_state=kept) as page:
        page.goto(live_server.url + "/planning/")
        if remember:
            page.get_by_text("Mon compte: [16122]").wait_for()
            assert page.title().startswith("Planning")
        else:
            page.wait_for_url("**/connexion?next=**")
            assert page.get_by_role("button", name="Se connecter").is_visible()
        assert page.csp_errors == []
