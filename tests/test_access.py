"""Who may open what, French error pages, CSRF, and pages fit for a strict CSP."""
import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from blueprints.common import STAFF_PREFIX

FAMILY_TABS = ["/", "/mon-dossier/", "/inscription/", "/planning/", "/facturation/",
               "/messagerie/", "/actualites/"]


@pytest.mark.parametrize("path", FAMILY_TABS + ["/agents/"])
def test_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


@pytest.mark.parametrize("path", FAMILY_TABS)
def test_expired_session_during_htmx_request_redirects_the_whole_page(client, path):
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/connexion?next=")
    assert response.get_data() == b""


@pytest.mark.parametrize("path", FAMILY_TABS)
def test_family_tabs_open_for_a_family_and_are_404_for_staff(client, auth, path):
    auth.login("famille 16122")
    assert client.get(path).status_code == 200
    auth.logout()
    auth.login("agent")
    assert client.get(path).status_code == 404


def staff_pages(app, client):
    """Every staff page an administrateur reaches on ``client`` (signed in): the staff GET
    URLs without a variable, and every page linked from them (with real ids)."""
    static = [rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith(STAFF_PREFIX + "/") and "GET" in rule.methods
              and not rule.arguments]
    return sorted(path for path, response in crawl(client, static).items()
                  if urlsplit(path).path.startswith(STAFF_PREFIX + "/")
                  and response.status_code == 200)


def test_family_opening_a_staff_url_gets_404(app, client, auth):
    auth.login("administrateur")
    pages = staff_pages(app, client)
    assert {"/agents/", "/agents/messages/"} <= set(pages)
    assert any(re.fullmatch(r"/agents/messages/\d+", path) for path in pages)  # a real thread
    auth.logout()
    auth.login("famille 16122")
    for path in pages:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.get_data(as_text=True)


def test_unknown_url_is_a_french_404_page(client, auth):
    auth.login()
    response = client.get("/cette-page-n-existe-pas")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 404
    assert '<html lang="fr">' in page
    assert "<title>Page introuvable" in page
    assert "La page demandée n'existe pas" in page


@pytest.mark.parametrize("path, data", [
    ("/connexion", {"identifier": "16122", "password": "famille-lena-16122"}),
    ("/deconnexion", {}),
    ("/mot-de-passe-oublie", {"identifier": "16122"}),
])
def test_post_without_csrf_token_is_refused(client, auth, path, data):
    if path == "/deconnexion":
        auth.login()
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    if path == "/deconnexion":
        assert client.get("/").status_code == 200  # still signed in


def test_htmx_post_with_csrf_header_is_accepted(client, auth):
    auth.login()
    token = auth.csrf()
    response = client.post("/deconnexion", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_security_headers(client, auth):
    auth.login()
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- Every page reachable by a user, crawled: no 500, and fit for the strict CSP ---


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
            if name in ("hx-vals", "hx-headers") and value and value.strip().startswith("js:"):
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


@pytest.mark.parametrize("who", ["famille 16122", "famille 16123", "famille 16124", "agent"])
def test_every_reachable_page_answers_without_error_and_fits_a_strict_csp(client, auth, who):
    auth.login(who)
    start = "/agents/" if who == "agent" else "/"
    results = crawl(client, start)
    assert len(results) >= (1 if who == "agent" else 7)
    for path, response in results.items():
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        audit = getattr(response, "audit", None)
        if audit is None:
            continue
        page = response.get_data(as_text=True)
        assert audit.problems == [], f"{path}: {audit.problems}"
        assert audit.has_title, f"{path} has no <title>"
        assert '<html lang="fr">' in page, path
        duplicates = {i for i in audit.ids if audit.ids.count(i) > 1}
        assert not duplicates, f"{path} repeats ids {duplicates}"
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)[^\"' ]+\.(js|css)", page), \
            f"{path} loads a script or style from another host"


def test_boosted_navigation_gets_the_whole_page(client, auth):
    """hx-boost swaps the whole body: a boosted GET must get the page with its header."""
    auth.login()
    response = client.get("/planning/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>" in page and "Mon compte: [16122]" in page
