"""« Déclarer un enfant »: the family declares a child from "Mes enfants", staff validate it
in VALIDATIONS like a dossier, and the family enrols the child in INSCRIPTION; a refusal
is read on "Mes enfants"."""
import io

from domain import audit
from models import AuditLog, Child, ChildDeclaration, Guardian, GuardianDeclaration
from tests.helpers import (
    activity,
    assert_enrols_online,
    demo_family,
    error_of,
    pdf_bytes,
    text_of,
    unescaped,
)

PAGE = "/mon-dossier/enfants/declarer"
FERRY = "École maternelle Jules Ferry"


def declare(client, auth, **overrides):
    data = {"csrf_token": auth.csrf(PAGE), "last_name": "Dupont", "first_name": "Rose",
            "birth_date": "2023-02-11", "sex": "F", "school_name": FERRY, "class_level": "PS"}
    data.update(overrides)
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def test_a_family_declares_a_child_staff_validate_and_the_family_enrols_her(client, auth, db):
    auth.login("famille 16122")
    assert "Déclarer un enfant" in unescaped(client.get("/mon-dossier/enfants/"))
    form = unescaped(client.get(PAGE))
    assert f"{FERRY} (TPS, PS, MS, GS)" in form
    refused = declare(client, auth, class_level="CM1")
    assert refused.status_code == 422
    assert error_of(refused, "school_name") == \
        "Cette école n'a pas de classe CM1 : TPS, PS, MS, GS."
    refused = declare(client, auth, birth_date="31/02/2023")
    assert error_of(refused, "birth_date") == "Indiquez une date valide (JJ/MM/AAAA)."
    assert ChildDeclaration.select().count() == 0
    response = declare(client, auth, document=(io.BytesIO(pdf_bytes()), "livret.pdf"))
    assert response.status_code == 303
    children = text_of(client.get("/mon-dossier/enfants/").get_data(as_text=True))
    assert "ROSE DUPONT (PS – École maternelle Jules Ferry) : en attente de validation" \
        in children
    assert "ROSE" not in text_of(client.get("/inscription/").get_data(as_text=True))
    auth.logout()

    auth.login("agent")
    assert "1 déclaration d'enfant ou de responsable à valider" in text_of(
        client.get("/agents/").get_data(as_text=True))
    queue = text_of(client.get("/agents/validations/enfants").get_data(as_text=True))
    assert "Famille 16122 – DUPONT : ROSE DUPONT" in queue and "Télécharger le justificatif" in \
        queue
    declaration = ChildDeclaration.get()
    assert client.get(f"/agents/validations/enfants/{declaration.id}/document").status_code == 200
    response = client.post(f"/agents/validations/enfants/{declaration.id}/valider",
                           data={"csrf_token": auth.csrf("/agents/validations/enfants")})
    assert response.status_code == 303
    rose = Child.get(Child.first_name == "ROSE")
    assert (rose.family_id, rose.birth_date.isoformat(), rose.class_level, rose.sex) == \
        (demo_family(16122).id, "2023-02-11", "PS", "F")
    assert AuditLog.select().where(AuditLog.action == audit.CHILD_DECLARATION_VALIDATED).count() \
        == 1
    # Validating twice (another tab) creates nothing more.
    client.post(f"/agents/validations/enfants/{declaration.id}/valider",
                data={"csrf_token": auth.csrf("/agents/validations/enfants")})
    assert Child.select().where(Child.first_name == "ROSE").count() == 1
    auth.logout()

    auth.login("famille 16122")
    assert "ROSE" in text_of(client.get("/inscription/").get_data(as_text=True))
    assert_enrols_online(client, auth, rose, activity("CL Maternel Mercredis"))


def test_a_refused_declaration_shows_its_reason_to_the_family(client, auth, db):
    auth.login("famille 16122")
    declare(client, auth)
    auth.logout()
    auth.login("agent")
    declaration = ChildDeclaration.get()
    prefix = f"refus-enfant-{declaration.id}"
    path = f"/agents/validations/enfants/{declaration.id}/refuser"
    token = auth.csrf("/agents/validations/enfants")
    empty = client.post(path, data={f"{prefix}-csrf_token": token, f"{prefix}-reason": ""})
    assert empty.status_code == 422
    assert client.post(path, data={f"{prefix}-csrf_token": token,
                                   f"{prefix}-reason": "Joignez le livret de famille."}
                       ).status_code == 303
    assert Child.select().where(Child.first_name == "ROSE").count() == 0
    auth.logout()
    auth.login("famille 16122")
    children = text_of(client.get("/mon-dossier/enfants/").get_data(as_text=True))
    assert "refusé – Joignez le livret de famille." in children


def test_a_family_declares_a_second_guardian_and_staff_validate_it(client, auth, db):
    dupont = demo_family(16122)
    Guardian.delete().where((Guardian.family == dupont) & (Guardian.position == 2)).execute()
    auth.login("famille 16122")
    assert "Déclarer un second responsable légal" in unescaped(
        client.get("/mon-dossier/coordonnees"))
    path = "/mon-dossier/coordonnees/second-responsable"
    data = {"csrf_token": auth.csrf(path), "civility": "M.", "last_name": "Dupont",
            "first_name": "Marc", "email": "", "phone_mobile": "", "phone_home": ""}
    refused = client.post(path, data=data)
    assert error_of(refused, "email") == "Indiquez au moins un email ou un téléphone."
    assert client.post(path, data=dict(data, email="Marc.Dupont@Example.org")
                       ).status_code == 303
    assert "MARC DUPONT" not in text_of(client.get("/mon-dossier/").get_data(as_text=True))
    assert "Marc DUPONT : en attente de validation" in text_of(
        client.get(path).get_data(as_text=True))
    auth.logout()
    auth.login("agent")
    queue = text_of(client.get("/agents/validations/enfants").get_data(as_text=True))
    assert "Famille 16122 – DUPONT : second responsable M. Marc DUPONT" in queue
    declaration = GuardianDeclaration.get()
    assert client.post(f"/agents/validations/responsables/{declaration.id}/valider",
                       data={"csrf_token": auth.csrf("/agents/validations/enfants")}
                       ).status_code == 303
    marc = Guardian.get((Guardian.family == dupont) & (Guardian.position == 2))
    assert (marc.civility, marc.first_name, marc.email) == ("M.", "Marc",
                                                            "marc.dupont@example.org")
    entry = AuditLog.select().where(AuditLog.action == audit.GUARDIAN_EDITED).get()
    assert entry.family_id == dupont.id
