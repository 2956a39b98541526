"""INSCRIPTION in Chromium, as a phone (360×740) and as a desktop."""
import pytest

from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser

LINE = "2026/2027 - CL Maternel Mercredis"


def test_lena_opens_cl_maternel_mercredis(page, live_server):
    browser_login(page, live_server, "famille 16122")
    page.get_by_role("navigation", name="Onglets du portail").get_by_role(
        "link", name="INSCRIPTION").click()
    page.wait_for_url("**/inscription/")
    assert page.title().startswith("Inscription")
    lena = page.locator("section", has=page.get_by_role("heading", name="LENA DUPONT"))
    assert lena.get_by_role("group", name="Centres de loisirs").is_visible()
    screenshot(page, "inscription-before")
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Playwright's screenshot leaves empty style="" attributes on inputs (caret hiding),
    # which htmx would copy under the strict CSP: start again from a clean page.
    page.reload()
    box = lena.get_by_role("checkbox", name=LINE)
    box.check()
    lena.get_by_role("button", name="ENREGISTRER").click()
    page.wait_for_load_state()
    status = page.get_by_role("status").filter(has_text=LINE)
    assert "est ouverte et validée" in status.inner_text()
    opened = lena.locator("li.line-open", has_text=LINE)
    assert opened.get_by_text("Ouverte", exact=True).is_visible()
    assert lena.get_by_role("checkbox", name=LINE).count() == 0
    screenshot(page, "inscription-after")
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.csp_errors == []


def test_unvalidated_dossier_reads_only(page, live_server):
    browser_login(page, live_server, "famille 16124")
    page.goto(live_server.url + "/inscription/")
    assert page.get_by_text("n'est pas encore validé").is_visible()
    assert page.get_by_role("link", name="Actualiser mon dossier").is_visible()
    assert page.get_by_role("checkbox").count() == 0
    assert page.get_by_role("button", name="ENREGISTRER").count() == 0
    screenshot(page, "inscription-dossier")
    if page.device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    browser_login(page, live_server, "famille 16122")
    page.goto(live_server.url + "/inscription/")
    page.get_by_role("checkbox", name="2026/2027 - ALAE Soir 1").check()
    page.get_by_role("button", name="ENREGISTRER").click()
    page.wait_for_load_state()
    assert "jours d'école réservés à partir du 04/01/2027" in page.get_by_role(
        "status").first.inner_text()
    assert page.locator("li.line-open", has_text="2026/2027 - ALAE Soir 1").is_visible()


def test_enregistrer_without_a_tick_says_so_next_to_the_lines(page, live_server):
    from tests.conftest import axe_violations
    browser_login(page, live_server, "famille 16122")
    page.goto(live_server.url + "/inscription/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="ENREGISTRER").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Rien n'a été enregistré. LENA : Cochez au moins une activité à ouvrir." \
        == " ".join(alert.inner_text().split())
    box = page.get_by_role("checkbox", name="2026/2027 - ALAE Matin")
    error = page.locator("#" + box.get_attribute("aria-describedby"))
    assert error.inner_text() == "Cochez au moins une activité à ouvrir."
    alert.get_by_role("link").click()  # the summary leads to the message, by the lines
    assert page.evaluate("document.activeElement.id") == error.get_attribute("id")
    assert axe_violations(page) == []
    screenshot(page, "inscription-error")
    page.get_by_role("button", name="DÉCONNEXION").click()
    page.wait_for_url("**/connexion")
    browser_login(page, live_server, "famille 16124")
    page.goto(live_server.url + "/inscription/")
    assert axe_violations(page) == []


def test_outside_the_period_the_tab_points_to_the_messagerie(page, live_server):
    live_server.app.config["PORTAIL_TODAY"] = "2027-06-21T00:00"
    browser_login(page, live_server, "famille 16122")
    page.goto(live_server.url + "/inscription/")
    assert page.get_by_text("La période d'inscription est fermée.").is_visible()
    assert page.get_by_role("checkbox").count() == 0
    screenshot(page, "inscription-closed")
    page.reload()  # without the screenshot's leftovers (see above)
    page.get_by_role("link", name="Écrire au service Centres de Loisirs").click()
    page.wait_for_url("**/messagerie/**")
    if "/envoyer" in page.url:  # the pre-filled message, where the messagerie offers it
        assert page.get_by_label("Objet", exact=False).input_value() == \
            "Inscription LENA - 2026/2027"
    assert page.csp_errors == []
