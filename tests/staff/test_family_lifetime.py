"""Children and guardians for a family's lifetime: staff add a child to a family created
from COMPTES and the family enrols her; an archived child leaves PLANNING and the
registers and stays on old invoices; the second guardian; the schools page."""
import json

from domain import audit
from domain.booking.attendance import register
from models import AuditLog, Booking, Child, Family, Guardian, School, User
from tests import factories
from tests.helpers import (
    activity,
    assert_enrols_online,
    demo_child,
    demo_family,
    error_of,
    sign_in,
    text_of,
    unescaped,
)
from tests.staff.test_staff_accounts import create_family

JAURES = "École élémentaire Jean Jaurès"
FERRY = "École maternelle Jules Ferry"


def add_child(client, auth, family, **overrides):
    path = f"/agents/familles/{family.id}/enfants/nouveau"
    data = {"csrf_token": auth.csrf(path), "last_name": "Martin", "first_name": "Inès",
            "birth_date": "14/03/2021", "sex": "F", "school_name": FERRY,
            "school_type": "publique", "class_level": "MS"}
    data.update(overrides)
    return client.post(path, data=data)


def test_staff_add_a_child_to_16125_created_from_comptes_and_the_family_enrols_her(
        client, auth, db):
    auth.login("agent")
    assert create_family(client, auth).status_code == 303
    family = Family.get(Family.account_number == 16125)
    form = client.get(f"/agents/familles/{family.id}/enfants/nouveau").get_data(as_text=True)
    assert f"{FERRY} (TPS, PS, MS, GS)" in unescaped(form)
    # A class the chosen school does not teach, a missing birth date: French, next to the field.
    refused = add_child(client, auth, family, class_level="CP")
    assert refused.status_code == 422
    assert error_of(refused, "school_name") == \
        "Cette école n'a pas de classe CP : TPS, PS, MS, GS."
    refused = add_child(client, auth, family, birth_date="")
    assert error_of(refused, "birth_date") == "Indiquez la date de naissance (JJ/MM/AAAA)."
    assert Child.select().where(Child.family == family).count() == 0
    assert add_child(client, auth, family).status_code == 303
    ines = Child.get(Child.family == family)
    assert (ines.first_name, ines.last_name, ines.sex, ines.school_name, ines.class_level) == \
        ("INÈS", "MARTIN", "F", FERRY, "MS")
    added = AuditLog.get(AuditLog.action == audit.CHILD_ADDED)
    assert added.family_id == family.id and json.loads(added.details)["after"]["first_name"] == \
        "INÈS"
    assert "INÈS MARTIN" in text_of(client.get(f"/agents/familles/{family.id}")
                                    .get_data(as_text=True))
    auth.logout()
    # The family (its dossier validated for the year) enrols her in INSCRIPTION.
    factories.dossier_validation(family)
    client_user = User.get(User.family == family)
    sign_in(client, client_user)
    page = unescaped(client.get("/inscription/"))
    assert "INÈS" in page and "CL Maternel Mercredis" in page
    assert_enrols_online(client, auth, ines, activity("CL Maternel Mercredis"))


def test_an_archived_child_is_gone_from_planning_and_still_on_old_invoices(client, auth, db):
    bernard, chloe = demo_family(16123), demo_child("CHLOE")
    booked = Booking.select().where(Booking.child == chloe).first()
    assert chloe.id in {row.child.id for row in register(booked.activity, booked.date)}
    auth.login("famille 16123")
    assert "CHLOE" in text_of(client.get("/planning/?du=2026-10-01").get_data(as_text=True))
    auth.logout()
    auth.login("agent")
    path = f"/agents/familles/{bernard.id}/enfants/{chloe.id}/archiver"
    assert client.post(path, data={"csrf_token": auth.csrf(f"/agents/familles/{bernard.id}")}
                       ).status_code == 303
    assert Child.get_by_id(chloe.id).archived_at is not None
    # Gone from the attendance register of a day she is booked on; her booking is kept.
    assert chloe.id not in {row.child.id for row in register(booked.activity, booked.date)}
    assert Booking.select().where(Booking.child == chloe).exists()
    assert json.loads(AuditLog.get(AuditLog.action == audit.CHILD_ARCHIVED).details)[
        "after"] == {"archive": True}
    auth.logout()
    auth.login("famille 16123")
    planning = text_of(client.get("/planning/?du=2026-10-01").get_data(as_text=True))
    assert "CHLOE" not in planning and "HUGO" in planning
    assert "CHLOE" not in text_of(client.get("/inscription/").get_data(as_text=True))
    invoices = text_of(client.get("/facturation/factures").get_data(as_text=True))
    assert "CHLOE – CL Maternel Mercredis - Après-midi AVEC repas 2 × 7,80 € = 15,60 €" in invoices
    # Her enrolment page is gone too: an archived child cannot be enrolled.
    assert client.post(f"/inscription/enfant/{chloe.id}", data={
        f"enfant-{chloe.id}-csrf_token": auth.csrf("/inscription/")}).status_code == 404


def test_staff_add_edit_and_remove_the_second_guardian_audited(client, auth, db):
    dupont = demo_family(16122)
    auth.login("agent")
    path = f"/agents/familles/{dupont.id}/second-responsable"
    Guardian.delete().where((Guardian.family == dupont) & (Guardian.position == 2)).execute()
    data = {"csrf_token": auth.csrf(path), "civility": "M.", "last_name": "Dupont",
            "first_name": "Marc", "email": "", "phone_mobile": "", "phone_home": ""}
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    assert error_of(refused, "email") == "Indiquez au moins un email ou un téléphone."
    assert client.post(path, data=dict(data, phone_mobile="06 01 02 03 04")).status_code == 303
    marc = Guardian.get((Guardian.family == dupont) & (Guardian.position == 2))
    assert (marc.civility, marc.last_name, marc.phone_mobile) == ("M.", "DUPONT",
                                                                  "06 01 02 03 04")
    assert client.post(path, data=dict(data, first_name="Marco", phone_mobile="06 01 02 03 04")
                       ).status_code == 303
    edited = AuditLog.select().where(AuditLog.action == audit.GUARDIAN_EDITED) \
        .order_by(AuditLog.id.desc()).first()
    details = json.loads(edited.details)
    assert details["before"] == {"first_name": "Marc"} and details["after"] == \
        {"first_name": "Marco"}
    assert client.post(path + "/retirer", data={"csrf_token": auth.csrf(path)}
                       ).status_code == 303
    assert not Guardian.select().where((Guardian.family == dupont)
                                       & (Guardian.position == 2)).exists()


def test_the_administrateur_adds_edits_and_archives_a_school(client, auth, db):
    auth.login("administrateur")
    path = "/agents/admin/ecoles/nouvelle"
    data = {"csrf_token": auth.csrf(path), "name": "École maternelle Pasteur",
            "kind": "maternelle", "levels": ["PS", "MS", "GS"],
            "next_school": str(School.get(School.name == JAURES).id)}
    refused = client.post(path, data=dict(data, levels=[]))
    assert refused.status_code == 422
    assert "Cochez au moins une classe." in unescaped(refused)
    assert client.post(path, data=dict(data, name=FERRY)).status_code == 422
    assert client.post(path, data=data).status_code == 303
    pasteur = School.get(School.name == "École maternelle Pasteur")
    assert (pasteur.level_list, pasteur.next_school.name) == (("PS", "MS", "GS"), JAURES)
    listing = text_of(client.get("/agents/admin/ecoles/").get_data(as_text=True))
    assert "École maternelle Pasteur" in listing and "PS, MS, GS" in listing
    # Renaming a school renames it on its children.
    ferry = School.get(School.name == FERRY)
    edit = f"/agents/admin/ecoles/{ferry.id}/modifier"
    assert client.post(edit, data={"csrf_token": auth.csrf(edit), "name": "École Jules Ferry",
                                   "kind": "maternelle", "levels": ["TPS", "PS", "MS", "GS"],
                                   "next_school": ""}).status_code == 303
    assert demo_child("LENA").school_name == "École Jules Ferry"
    archive = f"/agents/admin/ecoles/{pasteur.id}/archiver"
    assert client.post(archive, data={"csrf_token": auth.csrf("/agents/admin/ecoles/")}
                       ).status_code == 303
    assert School.get_by_id(pasteur.id).archived
    form = unescaped(client.get(f"/agents/familles/{demo_family(16122).id}/enfants/nouveau"))
    assert "<option value=\"École maternelle Pasteur\"" not in form and \
        f"<option value=\"{JAURES}\"" in form
    auth.logout()
    auth.login("agent")
    assert client.get("/agents/admin/ecoles/").status_code == 403
