"""MON DOSSIER › Notifications and Télécharger mes données in Chromium, on a phone
(360×740) and a desktop: a parent refuses the reminders and downloads the ZIP."""
import io
import json
import zipfile

import pytest

import models
from models import EmailOptOut
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


def fits_the_screen(page):
    width = page.viewport_size["width"]
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_parent_refuses_reminders_from_notifications(page, live_server):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/mon-dossier/")
    page.get_by_role("link", name="Notifications").first.click()
    page.wait_for_url("**/mon-dossier/notifications")
    reminders = page.get_by_label("Les rappels avant les dates limites de réservation")
    assert reminders.is_checked()
    reminders.uncheck()
    screenshot(page, "notifications-choices")
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.get_by_text("Vos choix de notifications sont enregistrés.").wait_for()
    assert not page.get_by_label("Les rappels avant les dates limites de réservation") \
        .is_checked()
    assert page.get_by_text("Mes factures et leurs rappels (obligatoire)").is_visible()
    assert fits_the_screen(page) and page.csp_errors == []
    assert axe_violations(page) == []
    screenshot(page, "notifications-saved")
    with live_server.app.app_context(), models.db.connection_context():
        assert [row.kind for row in EmailOptOut.select()] == ["rappels"]


def test_a_parent_downloads_the_familys_data(page, live_server):
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/mon-dossier/")
    page.get_by_role("link", name="Télécharger mes données").first.click()
    page.wait_for_url("**/mon-dossier/mes-donnees")
    assert fits_the_screen(page) and axe_violations(page) == []
    screenshot(page, "mes-donnees")
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger mes données").click()
    download = info.value
    assert download.suggested_filename == "mes-donnees-16123.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    data = json.loads(archive.read("donnees.json"))
    assert {c["first_name"] for c in data["enfants"]} == {"HUGO", "CHLOE"}
    assert any(name.startswith("factures/") for name in archive.namelist())
    assert page.csp_errors == []
