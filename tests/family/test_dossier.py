"""MON DOSSIER through its pages: consult, coordonnées, children, pick-up people, documents."""
import html
import re

import pytest


from domain.files import store_bytes
from domain.pdf import simple_document
from models import Child, Document, Guardian, HealthRecord, PickupPerson, User, Vaccination
from tests import factories
from tests.helpers import demo_child as child_named
from tests.helpers import demo_family as family
from tests.helpers import error_of, text_of


def coordonnees_data(auth, **changes):
    """The coordonnées form of family 16122 as it comes, with ``changes``."""
    data = {"csrf_token": auth.csrf("/mon-dossier/coordonnees"),
            "address": "12 rue des Écoles", "postal_code": "31000", "city": "Saint-Exemple",
            "guardians-0-phone_mobile": "06 12 34 56 78", "guardians-0-phone_home": "",
            "guardians-0-phone_work": "", "guardians-0-profession": "Infirmière",
            "guardians-0-employer": "CHU de Toulouse",
            "guardians-1-phone_mobile": "06 98 76 54 32", "guardians-1-phone_home": "",
            "guardians-1-phone_work": "", "guardians-1-profession": "Technicien",
            "guardians-1-employer": "Airbus"}
    data.update(changes)
    return data


def test_consult_shows_family_guardians_pickup_people_and_children(client, auth, db):
    auth.login("famille 16122")
    response = client.get("/mon-dossier/")
    page = text_of(response)
    assert response.status_code == 200
    assert "Dossier 2026/2027 : validé" in page
    for expected in ("Julie DUPONT (Mère)", "06 12 34 56 78", "famille.dupont@example.org",
                     "Infirmière", "CHU de Toulouse", "Marc DUPONT (Père)", "Airbus",
                     "Monique DUPONT (Grand-mère) – 05 61 00 00 01", "12 rue des Écoles",
                     "31000 Saint-Exemple", "Quotient validé : 850",
                     "Tranche 2 (QF de 701 à 1200)"):
        assert expected in page
    lena = child_named("LENA")
    assert f'href="/mon-dossier/enfants/{lena.id}"' in response.get_data(as_text=True)
    # The ACCUEIL tile's anchors exist on the page.
    for anchor in ("coordonnees", "documents", "famille", "enfants"):
        assert f'id="{anchor}"' in response.get_data(as_text=True)


def test_accueil_tile_links_lead_to_the_dossier(client, auth):
    auth.login()
    accueil = client.get("/").get_data(as_text=True)
    for link in ("/mon-dossier/", "/mon-dossier/coordonnees", "/mon-dossier/documents"):
        assert f'href="{link}"' in accueil
        assert client.get(link).status_code == 200


def test_phone_is_stored_in_the_french_national_format(client, auth, db):
    auth.login()
    response = client.post("/mon-dossier/coordonnees", data=coordonnees_data(
        auth, **{"guardians-0-phone_mobile": "+33 7 81 22 33 44",
                 "guardians-1-phone_work": "0561123456",
                 "guardians-0-profession": "Cadre de santé", "address": "14 rue des Écoles"}))
    assert response.status_code == 303
    julie, marc = Guardian.select().where(Guardian.family == family(16122)).order_by(
        Guardian.position)
    assert julie.phone_mobile == "07 81 22 33 44"
    assert marc.phone_work == "05 61 12 34 56"
    assert julie.profession == "Cadre de santé"
    assert family(16122).address == "14 rue des Écoles"
    page = text_of(client.get(response.headers["Location"]))
    assert "Vos coordonnées sont enregistrées." in page
    assert "07 81 22 33 44" in page and "Cadre de santé" in page


@pytest.mark.parametrize("changes, field_id, message", [
    ({"guardians-0-phone_mobile": "06 12 34"}, "guardians-0-phone_mobile",
     "Ce numéro de téléphone n'existe pas"),
    ({"guardians-0-phone_mobile": "06 CALL ME"}, "guardians-0-phone_mobile",
     "n'utilisez que des chiffres"),
    ({"guardians-1-phone_home": "+34 612 345 678"}, "guardians-1-phone_home",
     "Indiquez un numéro de téléphone français."),
    ({"guardians-1-phone_mobile": ""}, "guardians-1-phone_mobile",
     "Indiquez au moins un numéro de téléphone."),
    ({"address": ""}, "address", "Indiquez votre adresse."),
    ({"postal_code": "3100"}, "postal_code", "Le code postal compte 5 chiffres."),
])
def test_bad_coordonnees_say_why_next_to_the_field_and_keep_what_was_typed(
        client, auth, db, changes, field_id, message):
    auth.login()
    data = coordonnees_data(auth, **{"guardians-0-profession": "Sage-femme", **changes})
    response = client.post("/mon-dossier/coordonnees", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field_id}-error">([^<]+)</p>', page)
    assert error and message in html.unescape(error.group(1))
    described = re.search(rf'<input aria-describedby="([^"]+)"[^>]* id="{field_id}"', page)
    assert f"{field_id}-error" in described.group(1).split()
    assert 'value="Sage-femme"' in page  # nothing typed is lost
    typed = list(changes.values())[0]
    if typed:
        assert f'value="{html.escape(typed)}"' in page
    assert Guardian.get(Guardian.first_name == "Julie").profession == "Infirmière"


def test_email_change_waits_for_the_link_sent_to_the_new_address(client, auth, db, mailbox):
    auth.login()
    response = client.post("/mon-dossier/coordonnees/email", data={
        "csrf_token": auth.csrf("/mon-dossier/coordonnees/email"),
        "new_email": "Julie.Nouvelle@example.org", "password": "famille-lena-16122"})
    assert response.status_code == 303
    user = User.get(User.family == family(16122))
    assert user.email == "famille.dupont@example.org"  # nothing changes yet
    [mail] = mailbox.to("julie.nouvelle@example.org")
    link = re.search(r"http://localhost(/mon-dossier/coordonnees/email/confirmer/\S+)",
                     mailbox.text(mail)).group(1)
    assert "Confirmer ma nouvelle adresse" in text_of(client.get(link))
    assert User.get_by_id(user.id).email == "famille.dupont@example.org"  # a GET changes nothing
    response = client.post(link, data={"csrf_token": auth.csrf(link)})
    assert response.status_code == 303
    assert User.get_by_id(user.id).email == "julie.nouvelle@example.org"
    assert Guardian.get(Guardian.first_name == "Julie").email == "julie.nouvelle@example.org"
    assert mailbox.to("famille.dupont@example.org"), "the old address is told"
    # The link works once; the new address signs in.
    assert client.post(link, data={"csrf_token": auth.csrf(link)}).status_code == 400
    auth.logout()
    assert auth.login("julie.nouvelle@example.org", "famille-lena-16122").status_code == 303


@pytest.mark.parametrize("new_email, password, field_id, message", [
    ("pas-une-adresse", "famille-lena-16122", "new_email", "Cette adresse email n'est pas valide"),
    ("", "famille-lena-16122", "new_email", "Indiquez la nouvelle adresse email."),
    ("julie@example.org", "mauvais-mot-de-passe", "password", "Le mot de passe actuel est incorrect."),
    ("julie@example.org", "", "password", "Indiquez votre mot de passe actuel"),
])
def test_bad_email_change_is_refused_next_to_the_field(client, auth, db, mailbox, new_email,
                                                       password, field_id, message):
    auth.login()
    response = client.post("/mon-dossier/coordonnees/email", data={
        "csrf_token": auth.csrf("/mon-dossier/coordonnees/email"),
        "new_email": new_email, "password": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.unescape(re.search(
        rf'id="{field_id}-error">([^<]+)<', page).group(1))
    if new_email:
        assert f'value="{new_email}"' in page
    assert mailbox.messages == []
    assert User.get(User.family == family(16122)).email == "famille.dupont@example.org"


def test_email_link_of_another_account_or_tampered_is_refused(app, client, auth, db):
    from domain.family.record import make_email_change_token
    other = User.get(User.family == family(16123))
    token = make_email_change_token(app.config["SECRET_KEY"], other, "pirate@example.org")
    auth.login()
    for link in (f"/mon-dossier/coordonnees/email/confirmer/{token}",
                 f"/mon-dossier/coordonnees/email/confirmer/{token[:-2]}xx"):
        response = client.get(link)
        assert response.status_code == 400
        assert "Lien non valable" in text_of(response)
    assert User.get_by_id(other.id).email == "famille.bernard@example.org"


def test_email_already_used_by_another_account_is_refused_at_confirmation(client, auth, db,
                                                                          mailbox):
    auth.login()
    client.post("/mon-dossier/coordonnees/email", data={
        "csrf_token": auth.csrf("/mon-dossier/coordonnees/email"),
        "new_email": "famille.bernard@example.org", "password": "famille-lena-16122"})
    [mail] = mailbox.to("famille.bernard@example.org")
    link = re.search(r"http://localhost(\S+)", mailbox.text(mail)).group(1)
    response = client.post(link, data={"csrf_token": auth.csrf(link)})
    assert response.status_code == 409
    assert "déjà celle d'un autre compte" in text_of(response)
    assert User.get(User.family == family(16122)).email == "famille.dupont@example.org"


def test_child_page_shows_identity_health_vaccines_and_consent(client, auth, db):
    auth.login("famille 16123")
    hugo = child_named("HUGO")
    page = text_of(client.get(f"/mon-dossier/enfants/{hugo.id}"))
    for expected in ("HUGO BERNARD", "École élémentaire Jean Jaurès", "CE2 (élémentaire)",
                     "Dr Roux", "Arachide", "Oui – Trousse d'urgence", "Droit à l'image",
                     "Oui, autorisé"):
        assert expected in page


def test_health_data_of_one_family_never_shows_to_another(client, auth, db):
    auth.login("famille 16122")
    for path in ("/mon-dossier/", "/mon-dossier/enfants/",
                 f"/mon-dossier/enfants/{child_named('LENA').id}"):
        page = text_of(client.get(path))
        # HUGO's PAI (LENA has a peanut allergy of her own since the demo gives her one).
        assert "sac de l'ALAE" not in page and "HUGO" not in page


def test_health_record_is_saved_with_a_medical_diet_only(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}/fiche-sanitaire"
    form_page = client.get(path).get_data(as_text=True)
    diets = re.findall(r'<option[^>]*value="([^"]*)"', form_page)
    assert diets == ["", "vegetarien", "sans_allergene", "panier_repas", "texture_adaptee"]
    assert "porc" not in form_page.lower() and "halal" not in form_page.lower()
    response = client.post(path, data={
        "csrf_token": auth.csrf(path), "doctor_name": "Dr Martin", "doctor_phone": "0561000002",
        "allergies": "Kiwi", "has_pai": "y", "pai_details": "Pas de kiwi", "diet": "sans_allergene"})
    assert response.status_code == 303
    record = HealthRecord.get(HealthRecord.child == lena)
    assert (record.doctor_phone, record.allergies, record.has_pai, record.diet) == (
        "05 61 00 00 02", "Kiwi", True, "sans_allergene")
    page = text_of(client.get(f"/mon-dossier/enfants/{lena.id}"))
    assert "La fiche sanitaire de LENA est enregistrée." in page
    assert "Sans allergène (selon le PAI)" in page


def test_a_diet_outside_the_list_is_refused(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}/fiche-sanitaire"
    response = client.post(path, data={"csrf_token": auth.csrf(path), "doctor_name": "Dr Martin",
                                       "diet": "sans porc"})
    assert response.status_code == 422
    assert error_of(response, "diet") == "Choisissez un régime de la liste."
    assert HealthRecord.get(HealthRecord.child == lena).diet == ""


def test_vaccine_added_then_removed(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}"
    response = client.post(path + "/vaccins", data={
        "csrf_token": auth.csrf(path), "name": "ROR (rougeole, oreillons, rubéole)",
        "date": "2024-02-15"})
    assert response.status_code == 303
    page = text_of(client.get(path))
    assert "ROR (rougeole, oreillons, rubéole)" in page and "15/02/2024" in page
    vaccine = Vaccination.get(Vaccination.name.startswith("ROR"))
    response = client.post(f"{path}/vaccins/{vaccine.id}/supprimer",
                           data={"csrf_token": auth.csrf(path)})
    assert response.status_code == 303
    assert not Vaccination.select().where(Vaccination.id == vaccine.id).exists()


def test_vaccine_under_htmx_returns_only_the_list(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}"
    response = client.post(path + "/vaccins", data={"name": "BCG", "date": "15/03/2023"},
                           headers={"HX-Request": "true", "X-CSRFToken": auth.csrf(path)})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="vaccins"')
    assert "<html" not in body and "Le vaccin BCG est ajouté." in body
    assert "15/03/2023" in body
    assert "HX-Request" in response.headers["Vary"]
    # Refused, the list comes back all the same (htmx swaps a 422), the error by its field.
    refused = client.post(path + "/vaccins", data={"name": "BCG", "date": "2027-01-01"},
                          headers={"HX-Request": "true", "X-CSRFToken": auth.csrf(path)})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert body.lstrip().startswith('<section id="vaccins"') and "<html" not in body
    assert error_of(body, "date") == "La date ne peut pas être dans le futur."
    assert Vaccination.select().where(Vaccination.name == "BCG").count() == 1


@pytest.mark.parametrize("data, field_id, message", [
    ({"name": "", "date": "2024-02-15"}, "name", "Indiquez le nom du vaccin."),
    ({"name": "DTP", "date": ""}, "date", "Indiquez la date."),
    ({"name": "DTP", "date": "31/02/2024"}, "date", "Indiquez une date valide (JJ/MM/AAAA)."),
    ({"name": "DTP", "date": "2027-01-01"}, "date", "La date ne peut pas être dans le futur."),
    ({"name": "DTP", "date": "2001-01-01"}, "date", "La date ne peut pas précéder la naissance"),
])
def test_bad_vaccine_is_refused_and_kept(client, auth, db, data, field_id, message):
    auth.login()
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}"
    before = Vaccination.select().count()
    response = client.post(path + "/vaccins", data={"csrf_token": auth.csrf(path), **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in (error_of(page, field_id) or "")
    assert 'value="DTP"' in page or not data["name"]
    if data["date"]:
        assert f'value="{data["date"]}"' in page
    assert Vaccination.select().count() == before


def test_photo_consent_through_modifier_then_valider(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    child_page = client.get(f"/mon-dossier/enfants/{lena.id}").get_data(as_text=True)
    # "Modifier" sits at the bottom, after the vaccines, where the family finishes reading.
    assert child_page.index('id="droit-image"') > child_page.index('id="vaccins"')
    edit = f"/mon-dossier/enfants/{lena.id}/droit-image"
    assert f'href="{edit}"' in child_page
    form = client.get(edit).get_data(as_text=True)
    assert re.search(r'<input [^>]*checked id="consent-1" name="consent"[^>]* value="non">', form)
    response = client.post(edit, data={"csrf_token": auth.csrf(edit), "consent": "oui"})
    assert response.status_code == 303
    assert Child.get_by_id(lena.id).photo_consent is True
    page = text_of(client.get(response.headers["Location"]))
    assert "Le droit à l'image de LENA est enregistré : autorisé." in page
    assert "Oui, autorisé" in page


def test_photo_consent_under_htmx_swaps_the_section(client, auth, db):
    auth.login()
    lena = child_named("LENA")
    edit = f"/mon-dossier/enfants/{lena.id}/droit-image"
    fragment = client.get(edit, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="droit-image"') and "<html" not in fragment
    # A boosted navigation to the same URL gets the whole page.
    boosted = client.get(edit, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    missing = client.post(edit, data={}, headers={"HX-Request": "true",
                                                  "X-CSRFToken": auth.csrf(edit)})
    assert missing.status_code == 422
    refused = html.unescape(missing.get_data(as_text=True))
    assert refused.lstrip().startswith('<section id="droit-image"') and "<html" not in refused
    assert '<p class="error" id="consent-error">Choisissez « Oui » ou « Non ».</p>' in refused
    assert re.search(r'<input [^>]*aria-describedby="consent-error"[^>]*id="consent-0"', refused)
    saved = client.post(edit, data={"consent": "oui"},
                        headers={"HX-Request": "true", "X-CSRFToken": auth.csrf(edit)})
    body = html.unescape(saved.get_data(as_text=True))
    assert "Oui, autorisé" in body and "est enregistré : autorisé." in body
    assert Child.get_by_id(lena.id).photo_consent is True


def test_pickup_person_added_with_its_phone_then_removed(client, auth, db):
    auth.login()
    path = "/mon-dossier/personnes-autorisees"
    bad = client.post(path, data={"csrf_token": auth.csrf(path), "last_name": "Martin",
                                  "first_name": "Paul", "phone": "12"})
    assert bad.status_code == 422
    assert "Ce numéro de téléphone" in error_of(bad, "phone")
    assert 'value="Paul"' in bad.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": auth.csrf(path), "last_name": "Martin",
                                       "first_name": "Paul", "relationship": "Voisin",
                                       "phone": "0612345678"})
    assert response.status_code == 303
    person = PickupPerson.get(PickupPerson.first_name == "Paul")
    assert (person.last_name, person.phone) == ("MARTIN", "06 12 34 56 78")
    assert "Paul MARTIN (Voisin) – 06 12 34 56 78" in text_of(client.get("/mon-dossier/"))
    response = client.post(f"{path}/{person.id}/supprimer", data={"csrf_token": auth.csrf(path)})
    assert response.status_code == 303
    assert not PickupPerson.select().where(PickupPerson.id == person.id).exists()


def test_documents_of_the_commune_and_of_the_family_grouped_and_downloaded(app, client, auth,
                                                                         db):
    with app.app_context():
        mine = store_bytes(simple_document("Confirmation", ["LENA : Restauration Maternelle"]),
                           "confirmation.pdf", "application/pdf", family=family(16122))
    Document.create(family=family(16122), category="confirmation",
                    title="Confirmation d'inscription 2026/2027", file=mine)
    auth.login()
    response = client.get("/mon-dossier/documents")
    page = text_of(response)
    assert "Confirmations d'inscription Confirmation d'inscription 2026/2027" in page
    assert "Menus du mois Menus du mois" in page
    assert "Règlements intérieurs Règlement intérieur" in page
    assert page.index("Mes documents personnels") < page.index("Documents utiles de la commune")
    for document in Document.select():
        download = client.get(f"/mon-dossier/documents/{document.id}")
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.data.startswith(b"%PDF-")


def test_staff_and_anonymous_never_reach_the_dossier(client, auth, db):
    lena = child_named("LENA")
    path = f"/mon-dossier/enfants/{lena.id}"
    assert client.get(path).status_code == 302
    auth.login("agent")
    assert client.get(path).status_code == 404


def test_every_stored_demo_phone_is_already_in_the_one_format(db):
    """So that a family can save its coordonnées without retyping its numbers."""
    from domain.family.record import normalize_phone
    phones = [p for g in Guardian.select() for p in (g.phone_mobile, g.phone_home, g.phone_work)]
    phones += [p.phone for p in PickupPerson.select()]
    phones += [r.doctor_phone for r in HealthRecord.select()]
    assert [p for p in phones if p and normalize_phone(p) != p] == []
    assert len([p for p in phones if p]) >= 6


def test_unchanged_coordonnees_of_every_demo_family_save(client, auth, db):
    for who in ("famille 16122", "famille 16123", "famille 16124"):
        auth.login(who)
        page = client.get("/mon-dossier/coordonnees").get_data(as_text=True)
        fields = dict(re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        fields = {k: html.unescape(v) for k, v in fields.items()}
        response = client.post("/mon-dossier/coordonnees", data=fields)
        assert response.status_code == 303, who
        auth.logout()


def test_a_child_without_fiche_sanitaire_gets_one_when_the_family_saves_it(client, auth, db):
    petit = family(16124)
    lou = factories.child(petit, "LOU", class_level="PS", school_type=Child.SCHOOL_PRIVATE)
    auth.login("famille 16124")
    page = text_of(client.get(f"/mon-dossier/enfants/{lou.id}"))
    assert "LOU PETIT" in page and "Médecin traitant non renseigné" in page
    path = f"/mon-dossier/enfants/{lou.id}/fiche-sanitaire"
    assert client.get(path).status_code == 200
    assert not HealthRecord.select().where(HealthRecord.child == lou).exists()  # GET: no write
    response = client.post(path, data={"csrf_token": auth.csrf(path), "doctor_name": "Dr Blanc",
                                       "diet": "vegetarien"})
    assert response.status_code == 303
    record = HealthRecord.get(HealthRecord.child == lou)
    assert (record.doctor_name, record.diet, record.has_pai) == ("Dr Blanc", "vegetarien", False)


def test_guessing_the_password_through_the_email_change_is_slowed_down(client, auth, db,
                                                                      mailbox):
    auth.login()
    path = "/mon-dossier/coordonnees/email"
    for _ in range(5):
        client.post(path, data={"csrf_token": auth.csrf(path), "new_email": "x@example.org",
                                "password": "pas-le-bon-mot-de-passe"})
    response = client.post(path, data={"csrf_token": auth.csrf(path),
                                       "new_email": "x@example.org",
                                       "password": "famille-lena-16122"})
    assert "Trop d'essais ont échoué." in text_of(response)
    assert mailbox.messages == []
