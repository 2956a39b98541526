"""« Mon enfant est malade » in Chromium, on a phone (360×740) and a desktop: a parent
declares HUGO ill on 14/01/2027 at 7:30 (past the deadline) with a certificate, from
ACCUEIL; the day says « absent (malade) » in PLANNING and on staff's register, staff
accept, January bills one day less; without a certificate the day is billed."""
import pytest

import models
from models import Activity, Attendance, Family, Invoice, InvoiceLine
from tests.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


def said(locator):
    """The text of an element as a screen reader reads it, one space between words."""
    return " ".join(locator.text_content().split())

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


def _planning_cell(page, server):
    """HUGO's ALAE Matin cell of 14/01/2027 in PLANNING's January."""
    page.goto(server.url + "/planning/?du=2027-01-01")
    page.get_by_text("Janvier 2027", exact=True).wait_for()
    line = page.locator("section.pl-child", has_text="HUGO").locator("section.pl-line",
                                                                     has_text="ALAE Matin")
    cell = line.locator("td.m")
    assert cell.count() == 1
    column = cell.evaluate("td => td.cellIndex")
    assert line.locator("thead th").nth(column - 1).inner_text().startswith("Je 14")
    cell.scroll_into_view_if_needed()
    return cell


def _sign_in(page, server, who):
    page.context.clear_cookies()
    browser_login(page, server, who)


def _january_matin(server):
    """(days, cents) of HUGO's ALAE Matin line on 16123's January invoice, issued now,
    and the cents of its illness credit lines."""
    result = server.app.test_cli_runner().invoke(args=["invoice", "2027-01"])
    assert result.exit_code == 0, result.output
    with server.app.app_context(), models.db.connection_context():
        line = (InvoiceLine.select().join(Invoice).join(Family)
                .where((Family.account_number == 16123) & (Invoice.period_month == 1)
                       & (InvoiceLine.child_name == "HUGO")
                       & InvoiceLine.label.startswith("ALAE Matin")).get())
        credits = [other.amount_cents for other in InvoiceLine.select().where(
            (InvoiceLine.invoice == line.invoice_id)
            & InvoiceLine.label.startswith("Absence pour maladie du 14/01/2027"))]
        return line.quantity, line.amount_cents, credits


def _declare(page, server, certificate):
    page.goto(server.url + "/planning/malade")
    page.get_by_label("14/01/2027 – HUGO – ALAE Matin").check()
    if certificate:
        page.get_by_label("Certificat médical (PDF, JPEG ou PNG").set_input_files(
            {"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Déclarer l'absence").click()
    page.get_by_text("Absence pour maladie enregistrée (1 jour(s)).").wait_for()


def test_the_ill_day_in_planning_accepted_by_staff_is_credited_on_january(page, live_server):
    """With a certificate: PLANNING's cell says « absent (malade) », justification to
    examine; staff accept it on the register; the cell says accepted; January's invoice
    bills HUGO's ALAE Matin (20 × 0,60 €) and credits the ill day (−0,60 €)."""
    live_server.app.config["PORTAIL_TODAY"] = "2027-01-14T07:30"
    browser_login(page, live_server, "famille 16123")
    _declare(page, live_server, certificate=True)
    cell = _planning_cell(page, live_server)
    assert "absent (malade)" in said(cell)
    assert "justificatif à examiner" in said(cell)
    assert page.csp_errors == [] and axe_violations(page) == []
    screenshot(page, "malade-planning")

    _sign_in(page, live_server, "agent")
    with live_server.app.app_context(), models.db.connection_context():
        matin = Activity.get(Activity.name == "ALAE Matin").id
    page.goto(f"{live_server.url}/agents/presences/?date=2027-01-14&activite={matin}")
    row = page.locator(".att-row", has_text="HUGO")
    assert "Absent (malade)" in row.inner_text()
    row.get_by_role("button", name="Accepter le justificatif de HUGO BERNARD").click()
    page.locator(".att-row", has_text="HUGO").get_by_text("justificatif accepté").wait_for()

    _sign_in(page, live_server, "famille 16123")
    assert "justificatif accepté" in said(_planning_cell(page, live_server))
    live_server.app.config["PORTAIL_TODAY"] = "2027-02-01T09:00"
    assert _january_matin(live_server) == (20, 1200, [-60])


def test_without_a_certificate_the_day_says_so_then_is_billed(page, live_server):
    """Without a certificate: the cell says the certificate is awaited; nothing sent
    within the 7 days, January bills the day (20 × 0,60 €)."""
    live_server.app.config["PORTAIL_TODAY"] = "2027-01-14T07:30"
    browser_login(page, live_server, "famille 16123")
    _declare(page, live_server, certificate=False)
    cell = _planning_cell(page, live_server)
    assert "absent (malade)" in said(cell) and "certificat attendu" in said(cell)
    screenshot(page, "malade-planning-sans-certificat")
    live_server.app.config["PORTAIL_TODAY"] = "2027-02-01T09:00"
    assert _january_matin(live_server) == (20, 1200, [])
