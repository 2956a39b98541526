"""Forged input found in review: never a 500, never another family's data."""
import pytest

#: An id past SQLite's 64-bit INTEGER (and PostgreSQL's bigint).
HUGE_ID = "99999999999999999999"

FAMILY_GETS = ["/mon-dossier/enfants/{}", "/mon-dossier/enfants/{}/fiche-sanitaire",
               "/mon-dossier/enfants/{}/droit-image", "/mon-dossier/documents/{}",
               "/mon-dossier/quotient/{}/attestation", "/messagerie/fil/{}",
               "/messagerie/piece-jointe/{}"]
FAMILY_POSTS = ["/mon-dossier/enfants/{}/vaccins", "/mon-dossier/enfants/1/vaccins/{}/supprimer",
                "/mon-dossier/personnes-autorisees/{}/supprimer", "/messagerie/fil/{}/repondre",
                "/inscription/enfant/{}", "/planning/retirer/{}"]


@pytest.mark.parametrize("path", FAMILY_GETS)
def test_huge_id_in_a_family_url_is_404(client, auth, path):
    auth.login()
    response = client.get(path.format(HUGE_ID))
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", FAMILY_POSTS)
def test_huge_id_in_a_family_post_is_404(client, auth, path):
    auth.login()
    token = auth.csrf("/mon-dossier/personnes-autorisees")
    response = client.post(path.format(HUGE_ID), data={"csrf_token": token, "body": "Bonjour"})
    assert response.status_code == 404


@pytest.mark.parametrize("method, path", [("get", "/agents/messages/{}"),
                                          ("get", "/agents/messages/piece-jointe/{}"),
                                          ("post", "/agents/messages/{}/repondre")])
def test_huge_id_in_a_staff_url_is_404(client, auth, method, path):
    auth.login("agent")
    token = auth.csrf("/agents/messages/")
    response = getattr(client, method)(path.format(HUGE_ID),
                                       data={"csrf_token": token, "body": "Bonjour"})
    assert response.status_code == 404


def test_a_forged_subject_with_line_breaks_injects_no_header_and_blocks_no_mail(
        client, auth, mailbox):
    from models import OutgoingEmail
    auth.login("famille 16122")
    token = auth.csrf("/messagerie/envoyer")
    response = client.post("/messagerie/envoyer", data={
        "csrf_token": token, "service": "Centres de Loisirs", "theme": "Modifications",
        "subject": "Mercredi\r\nBcc: pirate@example.net", "body": "Bonjour",
        "confirm_by_email": "y"}, content_type="multipart/form-data")
    assert response.status_code == 303
    [mail] = mailbox.to("famille.dupont@example.org")
    assert mail["Subject"] == ("Portail Famille : confirmation de votre message "
                               "« Mercredi Bcc: pirate@example.net »")
    assert mail["Bcc"] is None
    assert mailbox.to("pirate@example.net") == []
    assert OutgoingEmail.select().where(OutgoingEmail.sent_at.is_null()).count() == 0


@pytest.mark.parametrize("identifier", ["²", "١٦١٢٢", HUGE_ID])
def test_odd_digits_as_an_account_number_are_wrong_credentials(client, identifier):
    from tests.conftest import csrf_from
    token = csrf_from(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"identifier": identifier,
                                               "password": "famille-lena-16122",
                                               "csrf_token": token})
    assert response.status_code == 401
    assert "N° de compte, email ou mot de passe incorrect." in response.get_data(as_text=True)


@pytest.mark.parametrize("identifier", ["²", HUGE_ID])
def test_odd_digits_in_forgotten_password_get_the_usual_answer(client, mailbox, identifier):
    from tests.conftest import csrf_from
    token = csrf_from(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    response = client.post("/mot-de-passe-oublie", data={"identifier": identifier,
                                                         "csrf_token": token})
    assert response.status_code == 200
    assert mailbox.messages == []


@pytest.mark.parametrize("variant", ["016122", "0000016122", " 16122 "])
def test_the_sign_in_throttle_is_per_account_not_per_spelling(client, variant):
    from tests.conftest import csrf_from
    token = csrf_from(client.get("/connexion").get_data(as_text=True))
    for _ in range(5):
        client.post("/connexion", data={"identifier": "16122", "password": "mauvais",
                                        "csrf_token": token})
    response = client.post("/connexion", data={"identifier": variant,
                                               "password": "famille-lena-16122",
                                               "csrf_token": token})
    assert response.status_code == 401
    assert "Trop de tentatives de connexion ont échoué." in response.get_data(as_text=True)


def test_a_forged_guardian_index_in_coordonnees_is_no_500(client, auth):
    from models import Guardian
    auth.login()
    token = auth.csrf("/mon-dossier/coordonnees")
    before = [(g.phone_mobile, g.profession) for g in
              Guardian.select().where(Guardian.family == 1).order_by(Guardian.id)]
    response = client.post("/mon-dossier/coordonnees", data={
        "csrf_token": token, "address": "12 rue des Écoles", "postal_code": "31000",
        "city": "Saint-Exemple", "guardians-2-phone_mobile": "06 12 34 56 78"})
    assert response.status_code in (200, 303)
    after = [(g.phone_mobile, g.profession) for g in
             Guardian.select().where(Guardian.family == 1).order_by(Guardian.id)]
    assert after == before


def test_a_postal_code_in_other_digits_is_refused_next_to_its_field(client, auth):
    from models import Family
    auth.login()
    token = auth.csrf("/mon-dossier/coordonnees")
    response = client.post("/mon-dossier/coordonnees", data={
        "csrf_token": token, "address": "12 rue des Écoles", "postal_code": "٣١٠٠٠",
        "city": "Saint-Exemple"})
    assert response.status_code == 422
    assert "Le code postal compte 5 chiffres." in response.get_data(as_text=True)
    assert Family.get(Family.account_number == 16122).postal_code == "31000"


# --- Planning: odd digits and dates beyond the holiday data (review findings) ---

from tests.planning_support import CL, line_key, page_token  # noqa: E402


@pytest.mark.parametrize("path", ["/planning/basculer", "/planning/valider", "/planning/cocher",
                                  "/planning/jour"])
@pytest.mark.parametrize("key", ["²-1", "1-²", "99999999999999999999-1"])
def test_odd_digits_in_a_planning_line_are_404(client, lena, path, key):
    response = client.post(path, data={"ligne": key, "csrf_token": page_token(client)})
    assert response.status_code == 404


def test_odd_digits_as_the_modalite_to_tick_are_refused(client, lena):
    response = client.post("/planning/cocher", data={
        "ligne": line_key(lena, CL), "cocher": "²", "du": "2027-01-01",
        "csrf_token": page_token(client)})
    assert response.status_code == 422
    assert "n&#39;appartient pas à cette activité" in response.get_data(as_text=True)


def test_a_month_beyond_the_holiday_data_shows_this_month(client, lena):
    response = client.get("/planning/?du=2029-01-01&vue=mensuel")
    assert response.status_code == 200
    assert "Novembre 2026" in response.get_data(as_text=True)


def test_a_year_without_holiday_data_is_a_clear_error_not_a_guess():
    import datetime

    from domain.catalogue.school_calendar import CalendarDataMissing, covered_years, holiday_period
    last = covered_years()[1]
    with pytest.raises(CalendarDataMissing):
        holiday_period(datetime.date(last + 1, 1, 5), "C")
