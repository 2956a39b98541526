"""Booking on behalf: staff open the family's own PLANNING calendar (MODIFIER, VALIDER,
TERMINER) with the staff's override (no deadline, no place limit) and the reason asked
once at TERMINER; audited, the family gets its recap « modifié par le service »."""
import datetime

from domain import audit
from models import AuditLog, Booking, PendingChange
from tests.conftest import MailBox
from tests.helpers import error_of, text_of, unescaped
from tests.planning_support import CL, SANS, activity, child, enrol, line_key, modalite, token

#: December's Wednesdays: past the families' deadline on 26/11/2026 (the 20th).
DECEMBER = [datetime.date(2026, 12, 2), datetime.date(2026, 12, 9)]


def staff_url(family_id, path=""):
    return f"/agents/familles/{family_id}/planning/{path}"


def test_an_agent_books_past_the_deadline_in_the_familys_calendar_with_one_reason(
        client, auth, db, mailbox):
    lena = child("LENA")
    enrol(lena, CL)
    family_id = lena.family_id
    key = line_key(lena, CL)
    auth.login("agent")
    page = unescaped(client.get(staff_url(family_id) + f"?du=2026-12-01&ligne={key}&modifier=1"))
    assert "Planning - Réservations de la famille DUPONT (16122)" in page
    # The family's own calendar, in edit mode for staff: December's boxes can be ticked.
    assert f'action="/agents/familles/{family_id}/planning/valider#ligne-{key}"' in page
    assert token(DECEMBER[0], modalite(CL, SANS)) in page
    csrf = auth.csrf(staff_url(family_id, "recapitulatif"))
    response = client.post(staff_url(family_id, "valider"), data={
        "ligne": key, "vue": "mensuel", "du": "2026-12-01", "csrf_token": csrf,
        "jours": [token(day, modalite(CL, SANS)) for day in DECEMBER]})
    assert response.status_code == 303
    assert PendingChange.select().where(PendingChange.child == lena).count() == 2
    recap = text_of(client.get(staff_url(family_id, "recapitulatif")))
    assert "Motif des modifications" in recap and "02/12/2026" in recap
    # TERMINER without a reason: refused next to the field, nothing committed.
    response = client.post(staff_url(family_id, "terminer"), data={"csrf_token": csrf})
    assert response.status_code == 422
    assert "Indiquez le motif" in error_of(response, "motif")
    assert Booking.select().where((Booking.child == lena)
                                  & (Booking.activity == activity(CL))).count() == 0
    mailbox.clear()
    response = client.post(staff_url(family_id, "terminer"),
                           data={"csrf_token": csrf, "motif": "Demande par téléphone"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/agents/familles/{family_id}#planning")
    booked = sorted(b.date for b in Booking.select().where(
        (Booking.child == lena) & (Booking.activity == activity(CL))))
    assert booked == DECEMBER
    row = AuditLog.get(AuditLog.action == audit.BOOKING_ON_BEHALF)
    assert audit.details_of(row)["reason"] == "Demande par téléphone"
    [email] = mailbox.to("famille.dupont@example.org")
    assert "(modifié par le service)" in email["Subject"]
    assert "Demande par téléphone" in MailBox.text(email)


def test_the_familys_own_calendar_still_keeps_its_deadline(client, auth, db):
    lena = child("LENA")
    enrol(lena, CL)
    auth.login("famille 16122")
    csrf = auth.csrf("/planning/recapitulatif")
    response = client.post("/planning/valider", data={
        "ligne": line_key(lena, CL), "vue": "mensuel", "du": "2026-12-01", "csrf_token": csrf,
        "jours": [token(day, modalite(CL, SANS)) for day in DECEMBER]})
    assert response.status_code in (303, 422)
    assert PendingChange.select().where(PendingChange.child == lena).count() == 0


def test_another_family_or_a_family_user_never_reaches_the_staff_calendar(client, auth, db):
    lena = child("LENA")
    auth.login("famille 16123")
    assert client.get(staff_url(lena.family_id)).status_code == 404
    auth.logout()
    auth.login("agent")
    assert client.get(staff_url(999999)).status_code == 404
