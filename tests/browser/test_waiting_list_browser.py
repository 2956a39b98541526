"""A waiting list that moves, in Chromium on a phone (360×740) and a desktop: one place
on Wednesday 13/01/2027, booked by 16122's LENA; 16123 puts CHLOE on the list from
the sentence under PLANNING's grid (rank 1, « n°1 » in the cell), can leave it from
there; on a desktop (1280 and 1024 px) the month fits its box, every day's column as
wide as the others; 16122 cancels through PLANNING and TERMINER: CHLOE is booked and
16123 emailed once (read back from the SMTP server)."""
import datetime
import re

import pytest
from playwright.sync_api import expect

import models
from models import Attendance, Booking, DayOverride, WaitingListEntry
from tests import factories
from tests.conftest import axe_violations, browser_login, screenshot
from tests.planning_support import CL, SANS, activity, child, enrol

pytestmark = pytest.mark.browser


def said(locator):
    """The text of an element as a screen reader reads it, one space between words."""
    return " ".join(locator.text_content().split())

WEDNESDAY = datetime.date(2027, 1, 13)
BERNARD = "famille.bernard@example.org"
JOIN = f"liste d'attente du 13/01/2027 : {SANS}"
LEAVE = "Quitter la liste d'attente du 13/01/2027"


@pytest.fixture
def full_wednesday(live_server):
    """CL on 13/01/2027: one place, LENA's (CHLOE, booked on CL's other Wednesdays in the
    demo, is not that day); HUGO declared ill on 14/01 (certificate accepted), so that
    the month shows both."""
    with live_server.app.app_context(), models.db.connection_context():
        cl = activity(CL)
        Booking.delete().where((Booking.activity == cl) & (Booking.date == WEDNESDAY)).execute()
        DayOverride.create(activity=cl, date=WEDNESDAY, capacity=1)
        lena = child("LENA")
        enrol(lena, CL)
        factories.booking(lena, CL, WEDNESDAY, modalite=SANS, price_cents=520)
        hugo = child("HUGO")
        matin = Booking.get((Booking.child == hugo) & (Booking.date == datetime.date(2027, 1, 14)))
        Attendance.create(child=hugo, activity=matin.activity_id, date=matin.date,
                          status=Attendance.EXCUSED, illness=Attendance.ILLNESS_ACCEPTED,
                          justification="Maladie : certificat médical")
        return cl.id


def cl_line(page, name):
    return page.locator("section.pl-child", has_text=name).locator("section.pl-line",
                                                                   has_text=CL)


def sign_in_as(page, server, who):
    page.context.clear_cookies()
    browser_login(page, server, who)
    page.goto(server.url + "/planning/?du=2027-01-01")
    page.get_by_text("Janvier 2027", exact=True).wait_for()


def day_columns(line):
    """The 31 day headers of ``line``'s January, after checking that every column is as
    wide as the others (a waiting or ill day included)."""
    days = line.locator("thead th")
    assert days.count() == 31
    widths = [round(days.nth(i).bounding_box()["width"]) for i in range(31)]
    assert max(widths) - min(widths) <= 1, widths
    return days


def assert_the_month_fits(line):
    """Every day's column of ``line``'s month as wide as the others, the whole month
    inside its box with nothing to scroll, and the texts of the grid and of the
    sentence under it readable (0.75 rem at least)."""
    region = line.locator(".pl-scroll")
    box = region.bounding_box()
    days = day_columns(line)
    last = days.nth(30).bounding_box()
    assert days.nth(30).inner_text().split()[:2] == ["Di", "31"]
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 0.5, (last, box)
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth")
    for text in (days.first, line.locator("tbody th").first, line.locator(".pl-special li").first):
        size = text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 12, size


def big_enough(locator):
    box = locator.bounding_box()
    return box["width"] >= 44 and box["height"] >= 44


def test_chloe_waits_for_the_full_wednesday_and_gets_lenas_place(page, live_server,
                                                                  full_wednesday, smtp_server):
    sign_in_as(page, live_server, "famille 16123")
    line = cl_line(page, "CHLOE")
    join = line.get_by_role("button", name=JOIN)
    assert join.is_visible() and big_enough(join)
    join.scroll_into_view_if_needed()
    screenshot(page, "planning-jour-complet")
    assert "complet" in line.locator("thead").inner_text()
    join.click()
    page.get_by_text("CHLOE est sur la liste d'attente du 13/01/2027 : rang 1.").wait_for()
    line = cl_line(page, "CHLOE")
    cell = line.locator("td.w")
    expect(cell).to_have_text(re.compile("liste d'attente — rang 1"))
    assert line.get_by_role("button", name=JOIN).count() == 0
    leave = line.get_by_role("button", name=LEAVE)
    assert big_enough(leave)
    # The ill day of the same month, in words.
    hugo = page.locator("section.pl-child", has_text="HUGO").locator(
        "section.pl-line", has_text="ALAE Matin")
    ill = hugo.locator("td.m")
    assert ill.count() == 1
    assert "absent (malade)" in said(ill) and "justificatif accepté" in said(ill)
    # The cells show « n°1 » and « ✚ »; a sentence under each grid says the days in words.
    sentences = ("Me 13/01 : liste d'attente — rang 1", "Je 14/01 : absent (malade), "
                 "justificatif accepté")
    assert sentences[0] in line.locator(".pl-special").inner_text()
    assert sentences[1] in hugo.locator(".pl-special").inner_text()
    assert line.locator(".pl-special").get_by_role("button", name=LEAVE).is_visible()
    if page.device == "phone":  # the month scrolls sideways, its columns all alike
        for region in (line, hugo):
            day_columns(region)
    else:
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            for region in (line, hugo):
                assert_the_month_fits(region)
        page.set_viewport_size({"width": 1366, "height": 900})
    cell.scroll_into_view_if_needed()
    ill.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == [] and page.csp_errors == []
    screenshot(page, "planning-malade-et-liste-attente")

    # Leaving from the cell, then joining again: rank 1 again.
    leave.click()
    page.get_by_text("Vous avez quitté la liste d'attente.").wait_for()
    with live_server.app.app_context(), models.db.connection_context():
        assert WaitingListEntry.select().count() == 0
    cl_line(page, "CHLOE").get_by_role("button", name=JOIN).click()
    page.get_by_text("rang 1.").wait_for()

    # 16122 cancels LENA's Wednesday through PLANNING and TERMINER.
    sign_in_as(page, live_server, "famille 16122")
    line = cl_line(page, "LENA")
    line.get_by_role("link", name=re.compile("MODIFIER")).click()
    key = line.get_attribute("id").removeprefix("ligne-")
    if page.device == "phone":
        page.locator(f"#jour-{key}-{WEDNESDAY}").get_by_label("Pas de réservation").click()
    else:
        grid = page.locator("form.pl-grid")
        with page.expect_response("**/planning/basculer"):
            grid.get_by_label(f"Me 13 : {SANS}").uncheck()
    page.get_by_role("button", name="VALIDER", exact=True).click()
    page.get_by_text("vos choix (Janvier 2027) sont gardés").wait_for()
    page.get_by_role("link", name=re.compile("TERMINER LES MODIFICATIONS")).first.click()
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    page.get_by_role("button", name="TERMINER", exact=True).click()
    page.get_by_role("heading", name="VOTRE RESERVATION EST TERMINEE").wait_for()

    with live_server.app.app_context(), models.db.connection_context():
        [booked] = Booking.select().where((Booking.activity == full_wednesday)
                                          & (Booking.date == WEDNESDAY))
        assert booked.child.first_name == "CHLOE" and booked.modalite.name == SANS
        assert WaitingListEntry.select().count() == 0
    promoted = [m for m in smtp_server.to(BERNARD) if "place s'est libérée" in m["Subject"]]
    assert len(promoted) == 1
    body = smtp_server.text(promoted[0])
    assert "13/01/2027" in body and "CHLOE" in body

    # CHLOE's cell now says booked, with no waiting list left.
    sign_in_as(page, live_server, "famille 16123")
    line = cl_line(page, "CHLOE")
    assert line.locator("td.b").count() == 1
    assert line.locator("td.w").count() == 0 and line.locator(".pl-special").count() == 0
