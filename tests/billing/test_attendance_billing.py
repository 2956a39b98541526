"""Attendance that counts, and the monthly run's rough edges.

On the demo, January 2027: HUGO (family 16123, CE2) is booked on ALAE Matin every
school day (0,60 € a day, 20 days); he is enrolled on Restauration Élémentaire but
booked on no January meal. The agent ticks the register on the day (the clock is
moved as the month goes), the administrateur issues January on 01/02/2027.
"""
import csv
import datetime
import io

import pytest

from domain.billing.run import preview_month
from domain.booking import attendance
from domain.formats import euros as euros_nbsp
from models import (
    Attendance,
    AuditLog,
    Booking,
    Family,
    Invoice,
    InvoicedBooking,
    InvoiceLine,
    OutgoingEmail,
    User,
)
from tests.billing_support import october_invoice
from tests.helpers import activity, csrf_from, demo_child, text_of

TUESDAY = datetime.date(2027, 1, 12)
MATIN, MATIN_MODALITE = "ALAE Matin", "Matin 7h30-8h20"
CANTEEN = "Restauration Élémentaire"


def euros(cents):
    """An amount as ``text_of`` reads it (the no-break space as a space)."""
    return euros_nbsp(cents).replace("\u00a0", " ")


def at(app, when):
    """Move the portal's clock (Paris time)."""
    app.config["PORTAIL_TODAY"] = when


def register_url(activity_name, day=TUESDAY):
    return f"/agents/presences/?date={day.isoformat()}&activite={activity(activity_name).id}"


def tick(client, kid, status, justification="", activity_name=MATIN, day=TUESDAY):
    page = client.get(register_url(activity_name, day)).get_data(as_text=True)
    return client.post("/agents/presences/pointer", data={
        "date": day.isoformat(), "activite": activity(activity_name).id, "enfant": kid.id,
        "statut": status, "justificatif": justification, "csrf_token": csrf_from(page)})


def hugo_line(label):
    """HUGO's January line ``label`` on family 16123's invoice (None if not billed)."""
    invoice = (Invoice.select().join(Family).where((Family.account_number == 16123)
                                                   & (Invoice.period_month == 1)
                                                   & (Invoice.period_year == 2027)).get())
    return (InvoiceLine.select().where((InvoiceLine.invoice == invoice)
                                       & (InvoiceLine.child_name == "HUGO")
                                       & (InvoiceLine.label == label)).first())


def billed_days(kid, activity_name):
    return sorted(b.date for b in Booking.select().join(InvoicedBooking).switch(Booking)
                  .where((Booking.child == kid) & (Booking.activity == activity(activity_name))))


@pytest.mark.parametrize("billed", [False, True], ids=["not-billed", "billed"])
def test_hugo_excused_with_a_justification_follows_the_communes_choice(app, client, auth, db,
                                                                       runner, billed):
    hugo, chloe = demo_child("HUGO"), demo_child("CHLOE")
    at(app, "2027-01-12T09:00")
    auth.login("agent")
    assert tick(client, hugo, Attendance.EXCUSED, "  Certificat   médical ").status_code == 303
    # Excused without a justification: billed whatever the setting.
    assert tick(client, chloe, Attendance.EXCUSED).status_code == 303
    register = text_of(client.get(register_url(MATIN)).get_data(as_text=True))
    assert "Excusé (justificatif : Certificat médical)" in register
    auth.logout()
    auth.login("administrateur")
    run_page = "/agents/admin/facturation/emission?mois=2027-01"
    assert "Absences excusées avec justificatif : non facturées" in text_of(
        client.get(run_page).get_data(as_text=True))
    if billed:
        response = client.post("/agents/admin/facturation/absences-excusees?mois=2027-01",
                               data={"regle-billed": "oui", "regle-csrf_token": auth.csrf(run_page)})
        assert response.status_code == 303
        log = AuditLog.select().order_by(AuditLog.id.desc()).first()
        assert log.action == "commune.billing_set" and log.user.role == User.ROLE_ADMIN
    at(app, "2027-02-01T09:00")
    preview = text_of(client.get(run_page).get_data(as_text=True))
    excused_text = "HUGO – ALAE Matin, 12/01/2027 : absence excusée non facturée " \
                   "(Certificat médical)"
    assert (excused_text in preview) is not billed
    result = runner.invoke(args=["invoice", "2027-01"])
    assert result.exit_code == 0, result.output
    line = hugo_line(f"{MATIN} - {MATIN_MODALITE}")
    days = billed_days(hugo, MATIN)
    if billed:
        assert (line.quantity, line.amount_cents) == (20, 1200) and TUESDAY in days
    else:
        assert (line.quantity, line.amount_cents) == (19, 1140) and TUESDAY not in days
    assert TUESDAY in billed_days(chloe, MATIN)


def test_a_child_added_as_present_is_billed_as_a_booked_day_and_flagged(app, client, auth, db,
                                                                        runner):
    hugo = demo_child("HUGO")
    canteen = activity(CANTEEN)
    meal = canteen.modalites.get()
    at(app, "2027-01-12T12:30")
    auth.login("agent")
    url = register_url(CANTEEN)
    page = client.get(url).get_data(as_text=True)
    assert "Ajouter un enfant présent sans réservation" in text_of(page)
    assert f'<option value="{hugo.id}">BERNARD HUGO (CE2)</option>' in page
    missing = client.post("/agents/presences/ajouter", data={
        "date": TUESDAY.isoformat(), "activite": canteen.id, "ajout-modalite": meal.id,
        "csrf_token": csrf_from(page)})
    assert missing.status_code == 422
    assert "Choisissez l'enfant présent." in text_of(missing.get_data(as_text=True))
    assert not Booking.select().where((Booking.child == hugo)
                                      & (Booking.activity == canteen)).exists()
    added = client.post("/agents/presences/ajouter", data={
        "date": TUESDAY.isoformat(), "activite": canteen.id, "ajout-enfant": hugo.id,
        "ajout-modalite": meal.id, "csrf_token": csrf_from(page)})
    assert added.status_code == 303
    booking = Booking.get((Booking.child == hugo) & (Booking.activity == canteen))
    mark = Attendance.get((Attendance.child == hugo) & (Attendance.activity == canteen))
    assert (booking.date, mark.status, mark.added_on_site) == (TUESDAY, "present", True)
    register = text_of(client.get(url).get_data(as_text=True))
    assert "BERNARD HUGO" in register and "Ajouté sur place (sans réservation)" in register
    assert "1 présent(s)" in register
    # (viewing the register leaves its own row: health.register_viewed)
    log = (AuditLog.select().where(AuditLog.action == "attendance.added")
           .order_by(AuditLog.id.desc()).first())
    assert log is not None and log.family_id == hugo.family_id
    # Twice: refused, next to the field.
    again = client.post("/agents/presences/ajouter", data={
        "date": TUESDAY.isoformat(), "activite": canteen.id, "ajout-enfant": hugo.id,
        "ajout-modalite": meal.id, "csrf_token": csrf_from(page)})
    assert again.status_code == 422
    auth.logout()
    auth.login("administrateur")
    at(app, "2027-02-01T09:00")
    preview = text_of(client.get("/agents/admin/facturation/emission?mois=2027-01")
                      .get_data(as_text=True))
    label = f"{CANTEEN} - {meal.name}"
    price = euros(booking.price_cents)
    assert f"HUGO – {label} : 1 × {price} = {price} dont 1 ajouté(s) sur place : 12/01/2027" \
        in preview
    assert "1 journée(s) d'enfants ajoutés présents sur place seront facturées." in preview
    assert runner.invoke(args=["invoice", "2027-01"]).exit_code == 0
    line = hugo_line(label)
    assert (line.quantity, line.amount_cents) == (1, booking.price_cents)
    assert billed_days(hugo, CANTEEN) == [TUESDAY]


def test_a_day_to_come_cannot_be_ticked(app, client, auth, db):
    hugo = demo_child("HUGO")
    at(app, "2027-01-12T18:00")
    auth.login("agent")
    tomorrow = TUESDAY + datetime.timedelta(days=1)
    page = client.get(register_url(MATIN, tomorrow)).get_data(as_text=True)
    text = text_of(page)
    assert "BERNARD HUGO" in text and "Jour à venir : le pointage ouvre le jour même." in text
    assert "attendance_mark" not in page and "/agents/presences/pointer" not in page
    assert "/agents/presences/ajouter" not in page
    refused = tick(client, hugo, Attendance.PRESENT, day=tomorrow)
    assert refused.status_code == 303
    assert "On ne pointe pas un jour à venir" in text_of(
        client.get(refused.location).get_data(as_text=True))
    htmx = client.post("/agents/presences/pointer", data={
        "date": tomorrow.isoformat(), "activite": activity(MATIN).id, "enfant": hugo.id,
        "statut": "present"}, headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    assert htmx.status_code == 422
    added = client.post("/agents/presences/ajouter", data={
        "date": tomorrow.isoformat(), "activite": activity(CANTEEN).id, "ajout-enfant": hugo.id,
        "ajout-modalite": activity(CANTEEN).modalites.get().id, "csrf_token": csrf_from(page)})
    assert added.status_code == 422
    assert not Attendance.select().where(Attendance.date == tomorrow).exists()
    assert not Booking.select().where((Booking.child == hugo) & (Booking.date == tomorrow)
                                      & (Booking.activity == activity(CANTEEN))).exists()
    # Today's register still ticks.
    assert tick(client, hugo, Attendance.PRESENT).status_code == 303
    with pytest.raises(attendance.FutureDay):
        attendance.mark(activity(MATIN), hugo.id, tomorrow, Attendance.PRESENT, None)


def test_the_command_refuses_january_on_the_15th_and_issues_it_on_february_1st(app, db,
                                                                              runner, mailbox):
    at(app, "2027-01-15T10:00")
    refused = runner.invoke(args=["invoice", "2027-01"])
    assert refused.exit_code != 0
    assert "Janvier 2027 n'est pas terminé" in refused.output
    assert "à partir du 01/02/2027" in refused.output and "--force" in refused.output
    assert Invoice.select().where((Invoice.period_month == 1)
                                  & (Invoice.period_year == 2027)).count() == 0
    at(app, "2027-02-01T08:00")
    queued_before = OutgoingEmail.select().count()
    issued = runner.invoke(args=["invoice", "2027-01"])
    assert issued.exit_code == 0, issued.output
    count = Invoice.select().where((Invoice.period_month == 1)
                                   & (Invoice.period_year == 2027)).count()
    assert count >= 1 and f"{count} facture(s) émise(s) pour janvier 2027" in issued.output
    # The emails are queued in the outbox (sent later), not said "envoyés": one per
    # invoice and account of its family (16123's two guardians each get theirs).
    queued = OutgoingEmail.select().count() - queued_before
    assert queued > count
    assert f"{queued} email(s) mis en file d'envoi" in issued.output
    assert "envoyé(s)" not in issued.output


def test_the_preview_lists_each_familys_lines_and_total(app, client, auth, db):
    at(app, "2027-02-01T09:00")
    auth.login("administrateur")
    response = client.get("/agents/admin/facturation/emission?mois=2027-01")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Factures par famille" in page
    with app.app_context():
        drafts = preview_month(2027, 1, "C")["drafts"]
    assert drafts
    for draft in drafts:
        row = f"{draft.account_number} – {draft.family_name}"
        assert row in page
        for line in draft.lines:
            assert (f"{line.child_name} – {line.label} : {line.quantity} × "
                    f"{euros(line.unit_price_cents)} = {euros(line.amount_cents)}") in page
        assert euros(draft.total_cents) in page
    # HUGO's mornings, counted by hand: 20 school days at 0,60 €.
    assert f"HUGO – {MATIN} - {MATIN_MODALITE} : 20 × 0,60 € = 12,00 €" in page
    # The confirmation box is part of the form; Émettre alone does nothing.
    assert "Je confirme l'émission" in page


def test_a_credit_note_reads_avoir_for_the_family_and_staff(app, client, auth, db):
    october = october_invoice()
    path = f"/agents/facturation/factures/{october.id}"
    auth.login("administrateur")
    response = client.post(f"/agents/admin/facturation/factures/{october.id}/avoir", data={
        "avoir-amount": "15,60", "avoir-reason": "Sortie annulée", "avoir-confirm": "y",
        "csrf_token": auth.csrf(path)})
    assert response.status_code == 303
    credit = Invoice.get(Invoice.corrects == october)
    family_page = text_of(client.get(f"/agents/familles/{october.family_id}")
                          .get_data(as_text=True))
    assert f"Avoir N° {credit.number} 10/2026 − 15,60 € Avoir sur la facture N° " \
           f"{october.number}" in family_page
    export = client.get("/agents/facturation/export/factures.csv?du=01/11/2026&au=30/11/2026")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    [credit_row] = [row for row in rows if row[0] == credit.number]
    assert credit_row[1] == "Avoir" and credit_row[-1] == "Avoir"
    auth.logout()
    auth.login("famille 16123")
    page = text_of(client.get("/facturation/factures?mois=2026-10").get_data(as_text=True))
    card = page[page.index(f"Avoir N° {credit.number}"):]
    card = card[:card.index("(PDF)")]
    assert "Avoir en votre faveur (corrige la facture N° " + october.number + ")" in card
    assert "payer" not in card.lower()


def test_a_date_outside_the_known_calendar_is_a_french_message_not_a_503(client, auth, db):
    auth.login("agent")
    response = client.get(f"/agents/presences/?date=0001-01-01&activite={activity(MATIN).id}")
    assert response.status_code == 400
    assert "Choisissez une date" in text_of(response.get_data(as_text=True))
    page = client.get("/agents/presences/").get_data(as_text=True)
    refused = client.post("/agents/presences/ajouter", data={
        "date": "0001-01-01", "activite": activity(CANTEEN).id, "csrf_token": csrf_from(page)})
    assert refused.status_code == 400
