"""PLANNING on a 360x740 phone in Chromium, with and without JavaScript: taps
counted from the planning page to the recap, the line kept in view after each tap and
VALIDER, the tabs' height on every family page, unique ids with two lines in edit mode,
axe-core on the new views."""
import collections
import io
import re

import pytest
from PIL import Image

import models
from tests.browser.test_planning_browser import WEDNESDAYS, recap_then_finish
from tests.conftest import axe_violations, browser_login, opened_page, screenshot
from tests.planning_support import CL, SANS, child, enrol

pytestmark = pytest.mark.browser

CL_ELEM = "CL Élémentaire Mercredis"
FAMILY_PAGES = ("/", "/mon-dossier/", "/inscription/", "/planning/", "/facturation/",
                "/messagerie/", "/actualites/", "/planning/recapitulatif")


@pytest.fixture
def phone(browser):
    with opened_page(browser, "phone") as page:
        yield page


@pytest.fixture
def phone_without_js(browser):
    with opened_page(browser, "phone", "phone-nojs", java_script_enabled=False) as page:
        yield page


@pytest.fixture
def lena_line(live_server):
    with live_server.app.app_context(), models.db.connection_context():
        enrol(child("LENA"), CL)


@pytest.fixture
def hugo_line(live_server):
    with live_server.app.app_context(), models.db.connection_context():
        enrol(child("HUGO"), CL_ELEM)


class Taps:
    """Counts the family's taps (each click, check or tap on the page)."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        self.count += 1
        locator.click()


def in_view(page, locator):
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def no_page_scroll_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def day(page, key, date):
    return page.locator(f"#jour-{key}-{date}")


def line_key(page, child_name, activity_name):
    section = page.locator("section.pl-child", has_text=child_name).locator(
        "section.pl-line", has_text=activity_name)
    return section.get_attribute("id").removeprefix("ligne-")


@pytest.mark.parametrize("javascript", [True, False])
def test_lena_s_four_wednesdays_in_at_most_six_taps(phone, phone_without_js, live_server,
                                                     lena_line, mailbox, javascript):
    page = phone if javascript else phone_without_js
    browser_login(page, live_server)
    page.goto(live_server.url + "/planning/")
    page.get_by_text("Janvier 2027", exact=True).wait_for()  # the first month still open
    key = line_key(page, "LENA", CL)
    taps = Taps()
    taps(page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")))
    page.locator("form.pl-list").wait_for()
    assert not page.locator("form.pl-grid").is_visible()
    for number, date in enumerate(WEDNESDAYS, 1):
        choice = day(page, key, f"2027-01-{date}").get_by_label(SANS)
        if javascript:
            with page.expect_response("**/planning/basculer") as answer:
                taps(choice)
            assert answer.value.status == 200 and len(answer.value.body()) <= 1024
            page.locator(".pl-sticky .pl-pending").get_by_text(
                f"{number} modification{'s' if number > 1 else ''} en attente").wait_for()
            state = page.locator(f"#etat-{key}-2027-01-{date}")
            assert state.inner_text() == "réservation en attente"
        else:
            taps(choice)
        assert choice.is_checked() and in_view(page, choice)  # no jump: still under the thumb
        assert in_view(page, page.get_by_role("button", name="TERMINER LES MODIFICATIONS"))
    assert no_page_scroll_sideways(page)
    screenshot(page, "planning-phone-list")
    if javascript:
        assert axe_violations(page) == []
    taps(page.get_by_role("button", name="TERMINER LES MODIFICATIONS"))
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    assert taps.count <= 6, taps.count
    # The recap: TERMINER first on a phone, never below the red TOUT SUPPRIMER.
    finish = page.get_by_role("button", name="TERMINER", exact=True).bounding_box()
    drop = page.get_by_role("button", name="TOUT SUPPRIMER").bounding_box()
    assert finish["y"] < drop["y"] and finish["height"] >= 44
    if javascript:
        assert axe_violations(page) == []
    recap_then_finish(page, mailbox, "phone-list" + ("" if javascript else "-nojs"),
                      open_recap=False)
    assert no_page_scroll_sideways(page)
    assert page.csp_errors == []


def test_without_javascript_valider_brings_the_line_back_into_view(phone_without_js,
                                                                   live_server, lena_line):
    page = phone_without_js
    browser_login(page, live_server)
    page.goto(live_server.url + "/planning/?du=2027-01-01")
    key = line_key(page, "LENA", CL)
    page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
    page.locator("form.pl-list").wait_for()
    assert in_view(page, page.locator(f"#titre-{key}"))  # the anchor of the edit URL
    day(page, key, "2027-01-27").get_by_label(SANS).click()
    page.get_by_role("button", name="VALIDER", exact=True).click()
    note = page.locator(f"#note-{key}")
    note.get_by_text("vos choix (Janvier 2027) sont gardés").wait_for()
    assert page.evaluate("window.scrollY") > 0 and in_view(page, note)
    # A refusal too: Tout cocher on a closed line is impossible, so forge nothing; a second
    # edit and VALIDER again lands on the line.
    page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
    day(page, key, "2027-01-27").get_by_label("Pas de réservation").click()
    page.get_by_role("button", name="VALIDER", exact=True).click()
    note.wait_for()
    assert in_view(page, page.locator(f"#titre-{key}")) or in_view(page, note)


@pytest.mark.parametrize("javascript", [True, False])
def test_hugo_and_chloe_same_wednesdays_together_in_at_most_eight_taps(
        phone, phone_without_js, live_server, hugo_line, mailbox, javascript):
    page = phone if javascript else phone_without_js
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/planning/")
    page.get_by_text("Janvier 2027", exact=True).wait_for()
    key = line_key(page, "CHLOE", "CL Maternel Mercredis")
    taps = Taps()
    taps(page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")))
    form = page.locator("form.pl-list")
    form.wait_for()
    also = form.get_by_role("group", name="Appliquer aussi à").get_by_label(re.compile("HUGO"))
    if javascript:
        with page.expect_response("**/planning/basculer"):
            taps(also)
    else:
        taps(also)
    for date in WEDNESDAYS:
        choice = day(page, key, f"2027-01-{date}").get_by_label(SANS)
        if javascript:
            with page.expect_response("**/planning/basculer"):
                taps(choice)
        else:
            taps(choice)
    if javascript:
        page.locator(f"#note-{key}").get_by_text("Aussi pour HUGO").wait_for()
        # HUGO's line, further down, shows his four pending Wednesdays without a reload.
        hugo = page.locator("section.pl-child", has_text="HUGO").locator(
            "section.pl-line", has_text=CL_ELEM)
        assert hugo.locator("td.p").count() == 4
    screenshot(page, "planning-phone-two-children" + ("" if javascript else "-nojs"))
    taps(page.get_by_role("button", name="TERMINER LES MODIFICATIONS"))
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    assert taps.count <= 8, taps.count
    rows = page.locator("table.pl-recap tbody tr")
    # 4 Wednesdays each; CHLOE's 13/01 was booked AVEC repas (demo): switching it to SANS is
    # one cancellation and one booking.
    assert rows.count() == 9
    assert rows.filter(has_text="HUGO - 2026/2027 - CL Élémentaire Mercredis - Après-midi "
                                "SANS repas").count() == 4
    assert rows.filter(has_text="CHLOE - 2026/2027 - CL Maternel Mercredis - Après-midi "
                                "SANS repas").count() == 4
    assert page.get_by_text(re.compile(r"9 modifications à l'unité : 23,40\s€")).is_visible()
    page.get_by_role("button", name="TERMINER", exact=True).click()
    page.get_by_role("heading", name="VOTRE RESERVATION EST TERMINEE").wait_for()
    done = page.locator("main").inner_text()
    assert re.search(r"CHLOE : Janvier 2027\s+2026/2027 - CL Maternel Mercredis\s+Coût de la "
                     r"période : 15,60\s€", done)
    assert re.search(r"HUGO : Janvier 2027\s+2026/2027 - CL Élémentaire Mercredis\s+Coût de la "
                     r"période : 15,60\s€", done)
    screenshot(page, "planning-phone-done")
    assert len(mailbox.messages) == 1
    if javascript:
        assert axe_violations(page) == []
    assert no_page_scroll_sideways(page)


def test_two_lines_in_edit_mode_each_tap_ticks_its_own_line(phone, live_server, hugo_line):
    """The issue's defect: MODIFIER on CHLOE's line, then on HUGO's; tapping a modalité
    under HUGO ticks HUGO's choice, never CHLOE's; no id is repeated on the page."""
    page = phone
    browser_login(page, live_server, "famille 16123")
    page.goto(live_server.url + "/planning/?du=2027-01-01")
    chloe = line_key(page, "CHLOE", "CL Maternel Mercredis")
    hugo = line_key(page, "HUGO", CL_ELEM)
    for key in (chloe, hugo):
        page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
        page.locator(f"#ligne-{key} form.pl-list").wait_for()
    with page.expect_response("**/planning/basculer"):
        day(page, hugo, "2027-01-06").get_by_label(SANS).click()
    assert day(page, hugo, "2027-01-06").get_by_label(SANS).is_checked()
    assert not day(page, chloe, "2027-01-06").get_by_label(SANS).is_checked()
    assert day(page, chloe, "2027-01-06").get_by_label("Pas de réservation").is_checked()
    ids = re.findall(r'\sid="([^"]+)"', page.content())
    assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
    assert page.csp_errors == []


def test_tabs_take_at_most_120_px_on_every_family_page(phone, live_server, lena_line):
    page = phone
    browser_login(page, live_server)
    heights = {}
    for path in FAMILY_PAGES + ("/planning/?du=2027-01-01&ligne=x&modifier=1",):
        page.goto(live_server.url + path)
        nav = page.get_by_role("navigation", name="Onglets du portail")
        heights[path] = nav.bounding_box()["height"]
        current = nav.locator("[aria-current=page]")
        if path != "/planning/recapitulatif" or current.count():
            assert current.is_visible() and current.inner_text().strip()  # named, visible
        for link in nav.get_by_role("link").all():
            box = link.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
        assert no_page_scroll_sideways(page), path
    screenshot(page, "tabs-phone")
    assert max(heights.values()) <= 120, heights
    # Editing a line: the tabs stay as small.
    page.goto(live_server.url + "/planning/?du=2027-01-01")
    key = line_key(page, "LENA", CL)
    page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
    page.locator("form.pl-list").wait_for()
    assert page.get_by_role("navigation", name="Onglets du portail").bounding_box()[
        "height"] <= 120
    print("nav heights at 360x740:", heights)


def test_desktop_edit_mode_is_still_the_grid(browser, live_server, lena_line):
    with opened_page(browser, "desktop") as page:
        browser_login(page, live_server)
        page.goto(live_server.url + "/planning/")
        key = line_key(page, "LENA", CL)
        page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
        page.locator("form.pl-grid").wait_for()
        assert not page.locator("form.pl-list").is_visible()
        screenshot(page, "planning-desktop-edit")


def test_touch_targets_are_at_least_44_px(phone, live_server, lena_line):
    """INSCRIPTION's checkboxes (their whole row), the "Écrire au service" links, the recap's
    buttons and its "Retirer"."""
    page = phone
    browser_login(page, live_server)

    def big_enough(locator):
        box = locator.bounding_box()
        return box["height"] >= 44 and box["width"] >= 44

    page.goto(live_server.url + "/inscription/")
    boxes = page.locator("li.line-choice")
    assert boxes.count() > 0
    for index in range(boxes.count()):
        row = boxes.nth(index)
        assert big_enough(row)
        checkbox = row.get_by_role("checkbox")
        before = checkbox.is_checked()
        far = {"x": row.bounding_box()["width"] - 8, "y": 8}  # far from the box itself
        row.click(position=far)
        assert checkbox.is_checked() != before
        row.click(position=far)
    for link in page.get_by_role("link", name=re.compile("Écrire au service")).all():
        assert big_enough(link)
    page.goto(live_server.url + "/planning/?du=2026-12-01")
    for link in page.get_by_role("link", name="Écrire au service").all():
        assert big_enough(link)
    page.goto(live_server.url + "/planning/?du=2027-01-01")
    key = line_key(page, "LENA", CL)
    page.locator(f"#ligne-{key}").get_by_role("link", name=re.compile("MODIFIER")).click()
    page.locator("form.pl-list").wait_for()
    for choice in page.locator("label.pl-choice").all():
        assert big_enough(choice)
    with page.expect_response("**/planning/cocher"):
        page.get_by_role("button", name=f"Tout cocher : {SANS}").click()
    page.get_by_text("4 modifications en attente").first.wait_for()
    page.get_by_role("button", name="TERMINER LES MODIFICATIONS").click()
    page.get_by_role("heading", name="Validation des modifications").wait_for()
    for name in ("TERMINER", "TOUT SUPPRIMER"):
        assert big_enough(page.get_by_role("button", name=name, exact=True))
    assert big_enough(page.get_by_role("link", name="RETOUR"))
    for button in page.get_by_role("button", name=re.compile("^Retirer")).all():
        assert big_enough(button)
    screenshot(page, "planning-recap-targets")
    assert page.csp_errors == []


def test_the_links_under_the_calendar_have_their_bullet_on_their_first_line(
        phone, live_server, lena_line):
    """« Mon enfant est malade… » and the links after it wrap on a phone: each bullet is
    drawn beside the first line of its link (it was beside the last, as the baseline of an
    inline-block is its last line's), and each link is still a 44 px target."""
    page = phone
    browser_login(page, live_server)
    page.goto(live_server.url + "/planning/")
    more = page.locator("ul.pl-more")
    more.scroll_into_view_if_needed()
    image = Image.open(io.BytesIO(more.screenshot())).convert("L")
    list_box = more.bounding_box()
    scale = image.width / list_box["width"]
    screenshot(page, "planning-links")
    links = more.get_by_role("link").all()
    assert len(links) == 3
    wrapped = 0
    for link in links:
        box = link.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
        # The link's lines, as the text's fragments say them (top, bottom), in order.
        lines = link.evaluate("""a => {
            const range = document.createRange();
            range.selectNodeContents(a);
            const tops = new Map();
            for (const r of range.getClientRects()) {
                if (r.width > 0 && !tops.has(Math.round(r.top)))
                    tops.set(Math.round(r.top), [r.top, r.bottom]);
            }
            return [...tops.values()].sort((a, b) => a[0] - b[0]);
        }""")
        wrapped += len(lines) > 1
        item = link.locator("xpath=..").bounding_box()
        # The bullet: the dark pixels left of the link, in its item's height.
        left = int((item["x"] - list_box["x"]) * scale)
        top = int((item["y"] - list_box["y"]) * scale)
        bottom = int((item["y"] + item["height"] - list_box["y"]) * scale)
        rows = [y for y in range(max(top, 0), min(bottom, image.height))
                if any(image.getpixel((x, y)) < 128 for x in range(left))]
        assert rows, "no bullet drawn"
        middle = list_box["y"] + (rows[0] + rows[-1]) / 2 / scale
        first_top, first_bottom = lines[0]
        assert first_top <= middle <= first_bottom, (link.inner_text(), middle, lines)
    assert wrapped, "no link wraps at 360 px: nothing to check"
