"""What a probe typed in the back office's filters made 500s —
"²" as an account number (``isdigit()`` then ``int()``) and dates beyond the calendar."""
import pytest

from tests.helpers import unescaped


@pytest.mark.parametrize("path", [
    "/agents/familles/?q=²", "/agents/familles/?q=١٦١٢٢", "/agents/journal/?famille=²",
    "/agents/journal/?famille=١٦١٢٢",
])
def test_odd_digits_in_a_staff_filter_are_no_500(client, auth, path):
    auth.login("agent")
    assert client.get(path).status_code in (200, 400)


def test_an_account_number_in_odd_digits_finds_no_family_in_the_journal(client, auth):
    auth.login("agent")
    page = unescaped(client.get("/agents/journal/?famille=²"))
    assert "Aucune famille n'a ce numéro de compte." in page


@pytest.mark.parametrize("path", [
    "/agents/repas/?date=9999-12-31", "/agents/repas/?date=9999-12-31&periode=mois",
    "/agents/repas/?date=0001-01-01", "/agents/repas/export.csv?date=9999-12-31",
    "/agents/presences/?date=9999-12-31", "/agents/presences/?date=0001-01-01",
    "/agents/occupation/?mois=9999-12", "/agents/occupation/?mois=0001-01",
    "/agents/exports/?du=9999-12-31", "/agents/exports/reservations.csv?du=9999-12-31",
    "/agents/exports/reservations.csv?du=0001-01-01&au=0001-01-31",
    "/agents/facturation/export/factures.csv?du=0001-01-01&au=9999-12-31",
    "/agents/facturation/export/paiements.csv?du=9999-12-31",
    "/agents/journal/?du=0001-01-01&au=9999-12-31",
])
def test_a_date_beyond_the_calendar_is_no_500(client, auth, path):
    auth.login("agent")
    response = client.get(path)
    assert response.status_code in (200, 400), response.status_code


def test_a_date_beyond_the_calendar_gets_the_french_message(client, auth):
    auth.login("agent")
    response = client.get("/agents/repas/?date=9999-12-31")
    assert response.status_code == 400
    assert "Choisissez une date entre 1900 et 2199." in unescaped(response)
