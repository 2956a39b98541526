"""« Mon enfant est malade »: a parent declares booked days absent for
illness, even past the booking deadline, with the certificate now or within the
commune's delay (7 days in the demo); staff accept or refuse it; the monthly run
never bills a day whose certificate was accepted and bills a day without one.

On the demo HUGO (family 16123) is booked on ALAE Matin every school day of
January 2027 (0,60 € a day, 20 days).
"""
import datetime
import io

from models import Attendance, AuditLog, Booking, Family, Invoice, InvoiceLine
from tests.helpers import activity, csrf_from, demo_child, text_of

THURSDAY = datetime.date(2027, 1, 14)
MATIN = "ALAE Matin"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(app, when):
    app.config["PORTAIL_TODAY"] = when


def hugo_booking(day=THURSDAY):
    return Booking.get((Booking.child == demo_child("HUGO")) & (Booking.activity == activity(MATIN))
                       & (Booking.date == day))


def declare(client, booking, certificate=True):
    page = client.get("/planning/malade").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "jour": str(booking.id)}
    if certificate:
        data["certificat"] = (io.BytesIO(PDF), "certificat.pdf")
    return client.post("/planning/malade", data=data, content_type="multipart/form-data")


def send_certificate_later(client, booking):
    """The certificate for ``booking``'s day, sent after the declaration: (its absence
    mark, the answer)."""
    mark = Attendance.get((Attendance.child == booking.child) & (Attendance.date == booking.date))
    page = client.get("/planning/malade").get_data(as_text=True)
    return mark, client.post("/planning/malade/certificat", content_type="multipart/form-data",
                             data={"csrf_token": csrf_from(page), "absence": str(mark.id),
                                   "certificat-suite": (io.BytesIO(PDF), "certificat.pdf")})


def january_matin_line():
    invoice = (Invoice.select().join(Family).where((Family.account_number == 16123)
                                                   & (Invoice.period_month == 1)
                                                   & (Invoice.period_year == 2027)).get())
    return (InvoiceLine.select().where((InvoiceLine.invoice == invoice)
                                       & (InvoiceLine.child_name == "HUGO")
                                       & InvoiceLine.label.startswith(MATIN)).get())


def register_url(day=THURSDAY):
    return f"/agents/presences/?date={day.isoformat()}&activite={activity(MATIN).id}"


def test_hugo_ill_with_a_certificate_accepted_is_credited_on_january(app, client, auth, db, runner):
    at(app, "2027-01-14T07:30")  # past the deadline of January (20/12)
    auth.login("famille 16123")
    booking = hugo_booking()
    assert "Mon enfant est malade" in text_of(client.get("/").get_data(as_text=True))
    assert declare(client, booking).status_code == 303
    page = text_of(client.get("/planning/malade").get_data(as_text=True))
    assert "14/01/2027 – HUGO – ALAE Matin : absent (malade), justificatif à examiner" in page
    planning = text_of(client.get("/planning/?du=2027-01-01&vue=mois").get_data(as_text=True))
    assert "Mon enfant est malade : déclarer une absence" in planning
    auth.logout()
    auth.login("agent")
    register = client.get(register_url()).get_data(as_text=True)
    assert "Absent (malade)" in text_of(register)
    mark = Attendance.get((Attendance.child == booking.child) & (Attendance.date == THURSDAY))
    certificate = client.get(f"/agents/presences/maladie/{mark.id}/certificat")
    assert certificate.status_code == 200 and certificate.data == PDF
    response = client.post(f"/agents/presences/maladie/{mark.id}", data={
        "decision": "accepter", "date": THURSDAY.isoformat(), "activite": activity(MATIN).id,
        "csrf_token": csrf_from(register)})
    assert response.status_code == 303
    assert Attendance.get_by_id(mark.id).illness == Attendance.ILLNESS_ACCEPTED
    log = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert log.action == "illness.reviewed" and "justificatif accepté" in log.details
    auth.logout()
    at(app, "2027-02-01T09:00")
    result = runner.invoke(args=["invoice", "2027-01"])
    assert result.exit_code == 0, result.output
    line = january_matin_line()
    assert (line.quantity, line.amount_cents) == (20, 1200)
    # The same invoice gives the day back: a credit line of that day's price.
    credit = InvoiceLine.get(InvoiceLine.label == "Absence pour maladie du 14/01/2027 (ALAE Matin)")
    assert credit.invoice_id == line.invoice_id
    assert (credit.child_name, credit.quantity, credit.amount_cents) == ("HUGO", 1, -60)
    assert credit.invoice.total_cents == sum(
        other.amount_cents for other in credit.invoice.lines)
    # A later run does not credit it again.
    at(app, "2027-03-01T09:00")
    runner.invoke(args=["invoice", "2027-02"])
    assert InvoiceLine.select().where(
        InvoiceLine.label.startswith("Absence pour maladie")).count() == 1


def test_hugo_ill_without_a_certificate_after_the_delay_is_billed(app, client, auth, db, runner):
    at(app, "2027-01-14T07:30")
    auth.login("famille 16123")
    booking = hugo_booking()
    assert declare(client, booking, certificate=False).status_code == 303
    page = text_of(client.get("/planning/malade").get_data(as_text=True))
    assert "absent (malade), certificat à envoyer avant le 21/01/2027" in page
    # Eight days later the certificate comes too late.
    at(app, "2027-01-22T09:00")
    mark, late = send_certificate_later(client, booking)
    assert late.status_code == 400
    assert "Le délai de 7 jours pour envoyer le certificat est dépassé" in text_of(
        late.get_data(as_text=True))
    assert Attendance.get_by_id(mark.id).certificate is None
    at(app, "2027-02-01T09:00")
    result = runner.invoke(args=["invoice", "2027-01"])
    assert result.exit_code == 0, result.output
    line = january_matin_line()
    assert (line.quantity, line.amount_cents) == (20, 1200)


def test_a_certificate_sent_within_the_delay_can_be_accepted(app, client, auth, db):
    at(app, "2027-01-14T07:30")
    auth.login("famille 16123")
    booking = hugo_booking()
    assert declare(client, booking, certificate=False).status_code == 303
    at(app, "2027-01-20T09:00")
    mark, sent = send_certificate_later(client, booking)
    assert sent.status_code == 303
    assert Attendance.get_by_id(mark.id).certificate is not None


def test_a_file_that_is_not_a_certificate_is_refused_next_to_its_field(app, client, auth, db):
    at(app, "2027-01-14T07:30")
    auth.login("famille 16123")
    booking = hugo_booking()
    page = client.get("/planning/malade").get_data(as_text=True)
    response = client.post("/planning/malade", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "jour": str(booking.id),
        "certificat": (io.BytesIO(b"<html>x</html>"), "certificat.pdf")})
    assert response.status_code == 400
    assert "Seuls ces formats sont acceptés" in text_of(response.get_data(as_text=True))
    assert not Attendance.select().where(Attendance.illness != "").exists()


def test_another_familys_booking_cannot_be_declared(app, client, auth, db):
    at(app, "2027-01-14T07:30")
    auth.login("famille 16122")
    page = client.get("/planning/malade").get_data(as_text=True)
    response = client.post("/planning/malade", data={"csrf_token": csrf_from(page),
                                                     "jour": str(hugo_booking().id)})
    assert response.status_code == 400
    assert not Attendance.select().where(Attendance.illness != "").exists()


def test_a_declared_day_leaves_the_canteens_meal_count(app, db):
    from domain.booking import attendance
    canteen = activity("Restauration Élémentaire")
    day = THURSDAY
    meal = Booking.create(child=demo_child("HUGO"), activity=canteen,
                          modalite=canteen.modalites.get(), date=day, price_cents=350)
    before = attendance.meal_counts(day, day)[3][day].meals
    Attendance.create(child=meal.child, activity=canteen, date=day, status=Attendance.EXCUSED,
                      illness=Attendance.ILLNESS_PENDING, justification="Maladie")
    after = attendance.meal_counts(day, day)[3].get(day)
    assert (after.meals if after else 0) == before - 1


def test_a_day_already_invoiced_is_credited_by_the_next_run_once(app, client, auth, db, runner):
    """Accepted after January was issued: January's invoice is not edited, February's
    run adds a credit line of that day's price, and a later run does not add it again."""
    at(app, "2027-01-14T07:30")
    auth.login("famille 16123")
    booking = hugo_booking()
    assert declare(client, booking).status_code == 303
    auth.logout()
    at(app, "2027-02-01T09:00")
    assert runner.invoke(args=["invoice", "2027-01"]).exit_code == 0
    january = january_matin_line()
    assert (january.quantity, january.amount_cents) == (20, 1200)
    at(app, "2027-02-03T09:00")
    auth.login("agent")
    register = client.get(register_url()).get_data(as_text=True)
    mark = Attendance.get((Attendance.child == booking.child) & (Attendance.date == THURSDAY))
    assert client.post(f"/agents/presences/maladie/{mark.id}", data={
        "decision": "accepter", "csrf_token": csrf_from(register)}).status_code == 303
    auth.logout()
    at(app, "2027-03-01T09:00")
    assert runner.invoke(args=["invoice", "2027-02"]).exit_code == 0
    assert InvoiceLine.get_by_id(january.id).amount_cents == 1200  # never edited
    credit = InvoiceLine.get(InvoiceLine.label == "Absence pour maladie du 14/01/2027 (ALAE Matin)")
    assert (credit.child_name, credit.quantity, credit.amount_cents) == ("HUGO", 1, -60)
    assert credit.invoice.period_month == 2 and credit.invoice.family.account_number == 16123
    at(app, "2027-04-01T09:00")
    runner.invoke(args=["invoice", "2027-03"])
    assert InvoiceLine.select().where(InvoiceLine.label.startswith("Absence pour maladie")).count() == 1
