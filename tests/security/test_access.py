"""Who may open what, French error pages, CSRF, and pages fit for a strict CSP."""
import html
import re

import pytest

from tests.helpers import crawl, staff_pages

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
