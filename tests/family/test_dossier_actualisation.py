"""Actualisation du dossier: the checklist, the pre-filled message, staff validation."""
import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.clock import PARIS
from domain.actualisation import validate_actualisation
from domain.family.dossier import (ACTUALISATION_SERVICE, actualisation_submitted, checked_sections,
                                   dossier_status, dossier_validation, set_section_checked)
from domain.family.record import InvalidPhone, normalize_phone
from domain.catalogue.years import current_school_year
from domain import audit
from models import AuditLog, DossierValidation, User
from tests.helpers import demo_family as family
from tests.helpers import text_of

PAGE = "/mon-dossier/actualisation"


def year():
    return current_school_year(datetime.date(2026, 11, 26))


@pytest.mark.parametrize("typed, stored", [
    ("06 12 34 56 78", "06 12 34 56 78"), ("0612345678", "06 12 34 56 78"),
    ("+33 6 12 34 56 78", "06 12 34 56 78"), ("0033612345678", "06 12 34 56 78"),
    ("06.12.34.56.78", "06 12 34 56 78"), ("05-61-12-34-56", "05 61 12 34 56"),
    ("+262 692 12 34 56", "0692 12 34 56"), ("", ""), ("   ", ""),
])
def test_phones_are_stored_in_one_format(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["06 12 34", "06 12 34 56 78 90", "+34 612 345 678",
                                   "06 CALL ME", "12", "<script>", "0" * 40])
def test_invalid_phones_are_refused_in_french(typed):
    with pytest.raises(InvalidPhone) as error:
        normalize_phone(typed)
    assert "Exemple : 06 12 34 56 78." in str(error.value)


def test_checklist_is_a_draft_until_the_message_is_sent(db):
    petit = family(16124)
    assert dossier_status(dossier_validation(petit, year())) == (None, "à actualiser")
    set_section_checked(petit, year(), "enfants", True)
    set_section_checked(petit, year(), "famille", True)
    validation = set_section_checked(petit, year(), "enfants", False)
    assert validation.status == DossierValidation.DRAFT
    assert validation.checked_sections == "famille"
    assert dossier_status(validation) == (None, "à actualiser")
    with pytest.raises(ValueError):
        set_section_checked(petit, year(), "religion", True)
    validation = actualisation_submitted(petit, year(), "Centre de loisirs")
    assert dossier_status(validation) == (DossierValidation.PENDING, "en attente de validation")
    assert checked_sections(dossier_validation(petit, year())) == {"famille"}


def test_validate_actualisation_logs_and_acknowledges_by_email(app, db, mailbox):
    agent = User.get(User.email == "agent@mairie.example.org")
    bernard = family(16123)
    dossier_validation(bernard, year()).delete_instance()  # this year's not sent yet
    validation = actualisation_submitted(bernard, year(), "Renouvellement en école publique")
    now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
    with app.app_context():  # as from a command (a staff view delivers after its request)
        validate_actualisation(validation, agent, now)
    saved = dossier_validation(bernard, year())
    assert saved.status == DossierValidation.VALIDATED
    assert saved.reviewed_by_id == agent.id
    assert saved.reviewed_at == datetime.datetime(2026, 11, 26, 9, 0)  # stored in UTC
    [log] = AuditLog.select().where(AuditLog.family == bernard)
    assert (log.user_id, log.action) == (agent.id, audit.DOSSIER_VALIDATED)
    assert "2026/2027" in log.details and "Renouvellement en école publique" in log.details
    [mail] = mailbox.to("famille.bernard@example.org")
    assert mail["Subject"] == "Portail Famille : votre dossier 2026/2027 est validé"
    assert "compte n° 16123" in mailbox.text(mail)
    assert "2026/2027" in mailbox.html(mail)


def test_dossier_shows_en_attente_then_valide(app, client, auth, db):
    dupont = family(16122)
    dossier_validation(dupont, year()).delete_instance()  # this year's not sent yet
    actualisation_submitted(dupont, year(), "Renouvellement en école publique")
    auth.login()
    assert "Dossier 2026/2027 : en attente de validation" in text_of(client.get("/mon-dossier/"))
    assert "Dossier 2026/2027 : en attente de validation" in text_of(client.get(PAGE))
    with app.app_context():  # as from a command (a staff view delivers after its request)
        validate_actualisation(dossier_validation(dupont, year()),
                               User.get(User.email == "agent@mairie.example.org"),
                               datetime.datetime(2026, 11, 26, 11, 0, tzinfo=PARIS))
    assert "Dossier 2026/2027 : validé" in text_of(client.get("/mon-dossier/"))


def test_checklist_toggle_under_htmx_returns_only_the_item_and_progress(client, auth, db):
    auth.login("famille 16124")
    page = text_of(client.get(PAGE))
    assert "Dossier 2026/2027 : à actualiser" in page
    assert "0 rubrique(s) vérifiée(s) sur 5" in page
    response = client.post(PAGE + "/rubriques/coordonnees", data={"checked": "1"},
                           headers={"HX-Request": "true", "X-CSRFToken": auth.csrf(PAGE)})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<li id="rubrique-coordonnees"') and "<html" not in body
    assert "✓ Vérifiée" in body and 'name="checked" value="0"' in body
    assert re.search(r'id="actualisation-progress"[^>]* data-hx-swap-oob="true"', body)
    assert "1 rubrique(s) vérifiée(s) sur 5" in html.unescape(body)
    assert checked_sections(dossier_validation(family(16124), year())) == {"coordonnees"}


def test_checklist_toggle_without_javascript(client, auth, db):
    auth.login("famille 16124")
    for section in ("famille", "enfants", "coordonnees", "quotient", "documents"):
        response = client.post(f"{PAGE}/rubriques/{section}",
                               data={"csrf_token": auth.csrf(PAGE), "checked": "1"})
        assert response.status_code == 303
        assert response.headers["Location"] == f"{PAGE}#rubrique-{section}"
    page = text_of(client.get(PAGE))
    assert "5 rubrique(s) vérifiée(s) sur 5 : toutes les rubriques sont vérifiées" in page
    assert "Il reste" not in page
    client.post(f"{PAGE}/rubriques/quotient", data={"csrf_token": auth.csrf(PAGE),
                                                    "checked": "0"})
    page = text_of(client.get(PAGE))
    assert "Rubrique « Déclarer mon quotient CAF » : à revoir." in page
    assert "Il reste 1 rubrique(s) à vérifier" in page
    assert client.post(f"{PAGE}/rubriques/inconnue", data={
        "csrf_token": auth.csrf(PAGE), "checked": "1"}).status_code == 404


def test_the_message_step_links_to_the_prefilled_message(app, client, auth):
    auth.login()
    page = client.get(PAGE).get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'<a class="button primary" href="([^"]+)">'
                                                  r'Écrire le message', page)]
    assert len(links) == 3
    if "messagerie.new_message" in app.view_functions:
        queries = [parse_qs(urlsplit(link).query) for link in links]
        assert [q["theme"][0] for q in queries] == [
            "Entrée Petite Section – CP en école publique", "Renouvellement en école publique",
            "Centre de loisirs"]
        assert all(q["service"] == [ACTUALISATION_SERVICE] and q["subject"] == ["Actualisation"]
                   for q in queries)
        assert client.get(links[1]).status_code == 200
    else:
        assert links == ["/messagerie/"] * 3
    text = text_of(client.get(PAGE))
    for attachment in ("Justificatif de domicile en PDF", "Fiche « Contacts Règlement intérieur »",
                       "Divers documents utiles"):
        assert attachment in text


def test_acknowledgement_goes_to_a_guardian_when_the_account_has_no_email(app, db, mailbox):
    petit = family(16124)
    User.update(email=None).where(User.family == petit).execute()
    validation = actualisation_submitted(petit, year(), "Centre de loisirs")
    with app.app_context():
        validate_actualisation(validation, User.get(User.email == "agent@mairie.example.org"),
                               datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    assert [m.envelope_rcpt for m in mailbox.messages] == [["famille.petit@example.org"]]


def test_a_later_actualisation_message_keeps_a_validated_dossier_validated(app, db):
    """Family 16122's dossier is validated for the year: sending another message to the
    service (a forgotten document) must not close its inscriptions."""
    from domain.family.dossier import actualisation_submitted, is_dossier_validated
    from models import Family, SchoolYear
    family, year = Family.get(Family.account_number == 16122), SchoolYear.get()
    assert is_dossier_validated(family, year)
    actualisation_submitted(family, year, "Renouvellement en école publique")
    assert is_dossier_validated(family, year)
