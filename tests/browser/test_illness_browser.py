"""« Mon enfant est malade » in Chromium, on a phone (360×740) and a desktop: a parent
declares HUGO ill on 14/01/2027 at 7:30 with a certificate, from ACCUEIL."""
import pytest

import models
from models import Attendance
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_parent_declares_hugo_ill_with_a_certificate(page, live_server):
    live_server.app.config["PORTAIL_TODAY"] = "2027-01-14T07:30"
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Mon enfant est malade").first.click()
    page.wait_for_url("**/planning/malade")
    page.get_by_label("14/01/2027 – HUGO – ALAE Matin").check()
    page.get_by_label("Certificat médical (PDF, JPEG ou PNG").set_input_files(
        {"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Déclarer l'absence").click()
    page.get_by_text("Absence pour maladie enregistrée (1 jour(s)).").wait_for()
    assert page.get_by_text("14/01/2027 – HUGO – ALAE Matin : absent (malade), "
                            "justificatif à examiner").is_visible()
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.csp_errors == [] and axe_violations(page) == []
    screenshot(page, "malade-declare")
    with live_server.app.app_context(), models.db.connection_context():
        mark = Attendance.get(Attendance.illness != "")
        assert mark.certificate is not None and mark.status == Attendance.EXCUSED
