"""Going live, end to end, through HTTP only: from an empty database the administrateur
signs in, fills the settings, creates a school and the first year from the standard
catalogue and publishes it, imports 3 families (the dry run names the wrong line and
column; the fixed file imports them), invites them; one family accepts by email,
declares a child that staff validate, enrols her in « CL Maternel Mercredis » and books
the guide's four Wednesdays of janvier 2027 at 4 × 5,20 € = 20,80 €."""
import io
import re

import pytest

import models
from domain.family.import_file import COLUMN_NAMES
from models import Child, ChildDeclaration, Family, SchoolYear
from tests import factories
from tests.conftest import make_app
from tests.family.test_planning import finish, tick
from tests.helpers import activity, csrf_from, text_of, unescaped
from tests.planning_support import CL, JANUARY
from tests.staff.test_going_live import SETTINGS, create_year, signed_in_admin

FERRY = "École maternelle Jules Ferry"
PASSWORD = "Girafe bleue sur le toit 42"
IMPORT = "/agents/familles/importer"


def family_row(last, first, email, qf):
    """A family of one guardian and no child yet, quotient ``qf`` from 01/09/2026."""
    row = dict.fromkeys(COLUMN_NAMES, "")
    row.update(r1_civilite="Mme", r1_nom=last, r1_prenom=first, r1_email=email,
               r1_tel_portable="06 11 22 33 44", qf=qf, qf_date="01/09/2026")
    address = {"adresse": "1 rue Haute", "code_postal": "31000", "ville": "Saint-Exemple"}
    row.update({k: v for k, v in address.items() if k in row})
    return ";".join(row[name] for name in COLUMN_NAMES)


def csv_file(rows):
    return ("\r\n".join([";".join(COLUMN_NAMES)] + rows) + "\r\n").encode("cp1252")


@pytest.fixture
def going_live_app(database_url, tmp_path, smtp_server):
    """An empty database; "today" 05/12/2026: janvier 2027 can still be booked
    (the settings' cutoff day is the 20th)."""
    application = make_app(database_url, tmp_path, smtp_server.port,
                           PORTAIL_TODAY="2026-12-05T10:00")
    yield application
    if not models.db.is_closed():
        models.db.close()


def post(client, path, data, **kwargs):
    return client.post(path, data=dict(data, csrf_token=csrf_from(client.get(path))), **kwargs)


def test_from_an_empty_database_a_family_books_four_wednesdays_at_20_80(going_live_app,
                                                                        mailbox):
    admin = signed_in_admin(going_live_app)
    # The commune's settings, a school, the first year from the standard catalogue.
    assert post(admin, "/agents/admin/commune", SETTINGS,
                content_type="multipart/form-data").status_code == 303
    assert post(admin, "/agents/admin/ecoles/nouvelle", {
        "name": FERRY, "kind": "maternelle", "levels": ["PS", "MS", "GS"],
        "next_school": ""}).status_code == 303
    assert FERRY in text_of(admin.get("/agents/admin/ecoles/"))
    answer = create_year(admin, 2026, "standard")
    assert answer.status_code == 303
    with models.db.connection_context():
        year = SchoolYear.get()
    publish = f"/agents/admin/catalogue/{year.id}/publier"
    page = admin.get(f"/agents/admin/catalogue/{year.id}")
    assert admin.post(publish, data={"csrf_token": csrf_from(page), "confirmer": "1"}
                      ).status_code == 303
    with models.db.connection_context():
        assert SchoolYear.get().is_published

    # FAMILLES › Importer: 3 families, the third line's quotient wrong.
    rows = [family_row("LEBLANC", "Hélène", "helene.leblanc@example.org", "850"),
            family_row("GARÇON", "François", "francois.garcon@example.org", "540"),
            family_row("MARTIN", "Léa", "lea.martin@example.org", "huit cents")]
    upload = post(admin, IMPORT, {"file": (io.BytesIO(csv_file(rows)), "familles.csv")},
                  content_type="multipart/form-data")
    check = admin.get(upload.headers["Location"])
    assert check.status_code == 422
    text = text_of(check.get_data(as_text=True))
    assert "1 erreur" in text
    assert re.search(r"\b4 qf \([A-Z]+\) « huit cents »", text), text
    rows[2] = family_row("MARTIN", "Léa", "lea.martin@example.org", "1300")
    upload = post(admin, IMPORT, {"file": (io.BytesIO(csv_file(rows)), "familles.csv")},
                  content_type="multipart/form-data")
    location = upload.headers["Location"]
    assert "3 familles, 0 enfant, 0 erreur" in text_of(admin.get(location)
                                                       .get_data(as_text=True))
    done = post(admin, location, {})
    assert done.status_code == 303
    with models.db.connection_context():
        assert Family.select().count() == 3

    # « Inviter les familles »: Hélène accepts from the email and signs in.
    invitations = "/agents/familles/invitations"
    assert post(admin, invitations + "/inviter", {}).status_code == 303
    assert len(mailbox.messages) == 3
    [mail] = mailbox.to("helene.leblanc@example.org")
    link = re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mail)).group(1)
    family = going_live_app.test_client()
    assert post(family, link, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    signed_in = post(family, "/connexion", {"identifier": "helene.leblanc@example.org",
                                            "password": PASSWORD})
    assert signed_in.status_code in (302, 303)

    # « Déclarer un enfant », validated by staff.
    assert "Déclarer un enfant" in unescaped(family.get("/mon-dossier/enfants/"))
    declared = post(family, "/mon-dossier/enfants/declarer", {
        "last_name": "LEBLANC", "first_name": "Rose", "birth_date": "2023-02-11", "sex": "F",
        "school_name": FERRY, "class_level": "PS"}, content_type="multipart/form-data")
    assert declared.status_code == 303
    with models.db.connection_context():
        declaration = ChildDeclaration.get()
    validated = admin.post(
        f"/agents/validations/enfants/{declaration.id}/valider",
        data={"csrf_token": csrf_from(admin.get("/agents/validations/enfants"))})
    assert validated.status_code == 303
    with models.db.connection_context():
        rose = Child.get(Child.first_name == "ROSE")
        leblanc = rose.family
        # The year's dossier validated, as staff do in VALIDATIONS (see test_family_lifetime).
        factories.dossier_validation(leblanc)

    # INSCRIPTION: « CL Maternel Mercredis ».
    assert "ROSE" in text_of(family.get("/inscription/").get_data(as_text=True))
    with models.db.connection_context():
        line = activity(CL)
    enrolled = family.post(f"/inscription/enfant/{rose.id}", data={
        f"enfant-{rose.id}-csrf_token": csrf_from(family.get("/inscription/")),
        f"enfant-{rose.id}-activites": [str(line.id)]})
    assert enrolled.status_code == 303

    # PLANNING: the four Wednesdays of janvier 2027, the recap, TERMINER.
    for count in range(1, 5):
        assert tick(family, rose, JANUARY[:count]).status_code == 200
    text = text_of(family.get("/planning/recapitulatif").get_data(as_text=True))
    for day in ("06/01/2027", "13/01/2027", "20/01/2027", "27/01/2027"):
        assert (f"{day} ROSE - 2026/2027 - CL Maternel Mercredis - Après-midi SANS repas "
                "à l'unité 5,20 €") in text
    assert "4 modifications à l'unité : 20,80 €" in text
    finished = finish(family)
    assert finished.status_code == 303 and finished.headers["Location"] == "/planning/terminee"
    done = text_of(family.get("/planning/terminee").get_data(as_text=True))
    assert ("ROSE : Janvier 2027 2026/2027 - CL Maternel Mercredis Coût de la période : "
            "20,80 €") in done
