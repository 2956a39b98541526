"""Every staff view or export of health data (allergies, PAI, diet), and
every export, leaves one audit row: who, what, when."""
import pytest

from models import AuditLog, Child, Family
from tests.planning_support import lena  # noqa: F401  (fixture)
from tests.staff.test_staff_attendance import booked, register_url  # noqa: F401


def rows_since(before, action):
    return list(AuditLog.select().where((AuditLog.id > before) & (AuditLog.action == action)))


def last_id():
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    return last.id if last else 0


@pytest.mark.parametrize("page", ["/agents/presences/?", "/agents/presences/imprimer?"])
def test_the_register_and_its_print_view_leave_one_row(client, booked, db, page):  # noqa: F811
    before = last_id()
    response = client.get(register_url().replace("/agents/presences/?", page))
    assert response.status_code == 200 and "Arachide" in response.get_data(as_text=True)
    [row] = rows_since(before, "health.register_viewed")
    assert row.user.email == "agent@mairie.example.org"
    assert "CL Maternel Mercredis du 06/01/2027 (1 enfant)" in row.details


def test_the_registers_csv_leaves_one_export_row(client, booked, db):  # noqa: F811
    before = last_id()
    response = client.get(register_url().replace("/agents/presences/?",
                                                 "/agents/presences/export.csv?"))
    assert "Arachide" in response.get_data(as_text=True)
    [row] = rows_since(before, "export.downloaded")
    assert "présences avec données de santé" in row.details
    assert AuditLog.select().where(AuditLog.id > before).count() == 1


def test_the_staff_health_edit_page_leaves_one_row(client, auth, db):
    family = Family.get(Family.account_number == 16122)
    child = Child.get((Child.family == family) & (Child.first_name == "LENA"))
    auth.login("agent")
    before = last_id()
    response = client.get(f"/agents/familles/{family.id}/enfants/{child.id}/fiche-sanitaire"
                          "/modifier")
    assert response.status_code == 200 and "Arachide" in response.get_data(as_text=True)
    [row] = rows_since(before, "health.viewed")
    assert row.family_id == family.id and row.user.email == "agent@mairie.example.org"


@pytest.mark.parametrize("path", [
    "/agents/facturation/export/factures.csv?du=2026-09-01&au=2026-11-30",
    "/agents/facturation/export/paiements.csv?du=2026-09-01&au=2026-11-30",
    "/agents/repas/export.csv",
    "/agents/exports/familles.csv",
])
def test_every_export_leaves_one_row_and_sends_one_charset(client, auth, db, path):
    auth.login("agent")
    before = last_id()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert len(rows_since(before, "export.downloaded")) == 1
