"""Helpers shared by the test modules: reading pages, finding the demo's rows, signing in.

Fixtures live in ``tests/fixtures/`` (loaded by ``tests/conftest.py``); rows a test
creates come from ``tests/factories.py``.
"""
import datetime
import html
import re
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import models
from blueprints.common import STAFF_PREFIX
from models import Activity, Child, Enrolment, Family, Modalite, SchoolYear

#: Europe/Paris as the tests spell it, not the app's constant: a test of the time rules
#: must not lean on what it checks.
PARIS = ZoneInfo("Europe/Paris")
#: 2026/2027 as the commune's zone C calendar has it, unsaved: for the rules tested
#: without a database.
GUIDE_YEAR = SchoolYear(id=1, label="2026/2027", start_date=datetime.date(2026, 9, 1),
                        end_date=datetime.date(2027, 7, 2))

#: The header htmx sends with each of its requests (a fragment is wanted).
HTMX = {"HX-Request": "true"}

# --- Reading pages -----------------------------------------------------------


def _html(page):
    """The HTML of a test-client response, or ``page`` itself when it is a string."""
    return page if isinstance(page, str) else page.get_data(as_text=True)


def text_of(page):
    """The page as a user reads it: tags dropped, entities decoded, no-break spaces as
    spaces, whitespace squeezed (``page``: a response or HTML)."""
    text = re.sub(r"<[^>]+>", " ", _html(page))
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u00a0", " ")).strip()


def unescaped(page):
    """The HTML of ``page`` (a response or HTML) with its entities decoded, tags kept: for
    assertions on markup (``'<option selected value="…">'``)."""
    return html.unescape(_html(page))


def error_of(page, field_id):
    """The error shown next to the field ``field_id``, or None; fails unless the field
    points at it (``aria-describedby``)."""
    page = _html(page)
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    if match is None:
        return None
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', page)
    assert control and f"{field_id}-error" in control.group(0), f"{field_id}: error not tied"
    return html.unescape(match.group(1))



def all_at_once(target, count, timeout=60):
    """Run ``target(index)`` for each index below ``count``, each in a thread of its own,
    all at once (a race); wait for them, ``timeout`` seconds each at most, then open this
    thread's database connection again."""
    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    models.db.connect(reuse_if_open=True)



def enrol_online(client, auth, kid, *activities, raw=None):
    """The signed-in family's INSCRIPTION form for ``kid``, sent with the ticked
    activities (or the ``raw`` values)."""
    values = raw if raw is not None else [str(a.id) for a in activities]
    return client.post(f"/inscription/enfant/{kid.id}", data={
        f"enfant-{kid.id}-csrf_token": auth.csrf("/inscription/"),
        f"enfant-{kid.id}-activites": values})



def assert_enrols_online(client, auth, kid, activity):
    """The signed-in family enrols ``kid`` at ``activity`` online: accepted, and the
    enrolment is made."""
    response = enrol_online(client, auth, kid, activity)
    assert response.status_code == 303
    assert Enrolment.get_or_none((Enrolment.child == kid) & (Enrolment.activity == activity))


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(page):
    """The CSRF token of the first form in ``page`` (a response or HTML)."""
    match = CSRF_RE.search(_html(page))
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- Crawling: every page a user reaches, and what a strict CSP would block ---


class PageAudit(HTMLParser):
    """Collects links and what a strict Content-Security-Policy would block."""

    def __init__(self):
        super().__init__()
        self.links, self.problems, self.ids = [], [], []
        self.has_title = self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "title":
            self.has_title = True
        if tag == "script" and not attrs.get("src"):
            self.problems.append("inline <script>")
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on") or name.startswith("hx-on") or name.startswith("data-hx-on"):
                self.problems.append(f"{name}= on <{tag}>")
            if value and str(value).strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
            if (name.removeprefix("data-") in ("hx-vals", "hx-headers") and value
                    and value.strip().startswith("js:")):
                self.problems.append(f"{name} with js: on <{tag}>")


def crawl(client, start="/", limit=150):
    """GET every same-site page reachable from ``start`` (a path or a list of paths; no
    downloads, no sign-out)."""
    seen, queue, results = set(), [start] if isinstance(start, str) else list(start), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        results[path] = response
        if response.status_code >= 300 or "text/html" not in response.content_type:
            continue
        audit = PageAudit()
        audit.feed(response.get_data(as_text=True))
        response.audit = audit
        for href in audit.links:
            parts = urlsplit(urljoin(path, href))
            if parts.netloc or parts.scheme not in ("", "http") or parts.path.startswith("/static"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return results


def staff_urls(app):
    """The staff GET URLs without a variable: where a crawl of the back office starts."""
    return [rule.rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith(STAFF_PREFIX + "/") and "GET" in rule.methods
            and not rule.arguments]


def staff_pages(app, client):
    """Every staff page an administrateur reaches on ``client`` (signed in): the staff GET
    URLs without a variable, and every page linked from them (with real ids)."""
    return sorted(path for path, response in crawl(client, staff_urls(app)).items()
                  if urlsplit(path).path.startswith(STAFF_PREFIX + "/")
                  and response.status_code == 200)


# --- The demo's rows ---------------------------------------------------------


def demo_family(account_number):
    """A family of the demo (16122 DUPONT, 16123 BERNARD, 16124 PETIT)."""
    return Family.get(Family.account_number == account_number)


def demo_child(first_name):
    """A child of the demo by first name (LENA, HUGO, CHLOE, TOM...)."""
    return Child.get(Child.first_name == first_name)


def activity(name):
    """An activity of the catalogue by name (``"CL Maternel Mercredis"``)."""
    return Activity.get(Activity.name == name)


def modalite(activity_name, name):
    """A modalité of an activity, both by name."""
    return (Modalite.select().join(Activity)
            .where((Activity.name == activity_name) & (Modalite.name == name)).get())


# --- Signing in --------------------------------------------------------------


def sign_in(client, user):
    """Sign ``user`` in on ``client`` without the password form (fast, for many clients;
    the ``auth`` fixture goes through the real form)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# --- Files to upload ---------------------------------------------------------


def pdf_bytes(title="Justificatif de domicile", lines=("Attestation d'assurance habitation.",)):
    """A small real PDF."""
    from domain.pdf import simple_document
    return simple_document(title, list(lines))


def png_bytes(with_metadata=False, size=(40, 30)):
    """A small real PNG (with a GPS text chunk when ``with_metadata``)."""
    import io

    from PIL import Image, PngImagePlugin
    info = None
    if with_metadata:
        info = PngImagePlugin.PngInfo()
        info.add_text("GPS", "43.6045 1.4440")
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def mail_retry_time_passes(monkeypatch, minutes=1):
    """The outbox's clock moves ``minutes`` on, as if the wait before a retry had passed."""
    import datetime

    from domain import mail
    real = mail._wall_clock
    monkeypatch.setattr(mail, "_wall_clock",
                        lambda: real() + datetime.timedelta(minutes=minutes))
