"""One rendering convention: the nav's current tab, htmx's answers to errors."""
import re


def current_tab(html):
    match = re.search(r'<a href="[^"]*" aria-current="page">([^<]+)', html)
    return match.group(1).strip() if match else None


def test_the_current_tab_comes_from_the_blueprint(client, auth):
    auth.login("famille 16122")
    assert current_tab(client.get("/mon-dossier/").get_data(as_text=True)) == "MON DOSSIER"
    assert current_tab(client.get("/messagerie/envoyer").get_data(as_text=True)) == "MESSAGERIE"
    assert current_tab(client.get("/inscription/").get_data(as_text=True)) == "INSCRIPTION"


def test_the_staff_area_comes_from_the_view_module(client, auth):
    auth.login("agent")
    assert current_tab(client.get("/agents/").get_data(as_text=True)) == "ESPACE AGENTS"
    assert current_tab(client.get("/agents/messages/").get_data(as_text=True)) == "MESSAGES"


def test_an_expired_form_under_htmx_reloads_the_page_saying_why(client, auth):
    """htmx swaps no 4xx answer: a stale CSRF token must not fail silently."""
    auth.login("famille 16122")
    response = client.post("/mon-dossier/personnes-autorisees", data={"last_name": "X"},
                           headers={"HX-Request": "true", "X-CSRFToken": "périmé"})
    assert response.status_code == 400 and response.headers["HX-Refresh"] == "true"
    page = client.get("/mon-dossier/personnes-autorisees").get_data(as_text=True)
    assert "Le formulaire a expiré" in page


def test_an_expired_form_without_htmx_gets_a_page(client, auth):
    auth.login("famille 16122")
    response = client.post("/mon-dossier/personnes-autorisees", data={"last_name": "X"})
    assert response.status_code == 400 and "Formulaire expiré" in response.get_data(as_text=True)
