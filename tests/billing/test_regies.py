"""Several régies: each bills its own activities, one invoice per family and régie,
numbered without gaps in the régie's own series (even when two runs race), paid
online with the régie's PayFiP client number, printed and exported under its name."""
import csv
import datetime
import io

from blueprints.payfip_simulator.routes import OPERATIONS
from domain import clock
from domain.billing import regies
from domain.billing.adjustments import issue_credit_note
from domain.billing.run import issue_month, preview_month
from domain.family.passwords import hash_password
from models import AuditLog, Booking, Family, Invoice, InvoicedBooking, InvoiceLine, Regie, User
from tests.billing.test_pdf_text import text_of_pdf
from tests.billing_support import choose, race_billing_runs, served, start_payment  # noqa: F401 (fixture)
from tests.planning_support import (
    CL,
    SANS,
    QueryCounter,
    activity,
    book_whole_month,
    enrol,
    modalite,
    new_family,
)

FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
CANTEEN = "Restauration Maternelle"


def admin():
    return User.get(User.role == User.ROLE_ADMIN)


def centre_de_loisirs(payfip=""):
    """A second régie collecting the Wednesday centre de loisirs (the canteen stays in
    the main régie)."""
    return regies.create_regie(admin(), "Régie extrascolaire", "CL", "ACL", payfip,
                               [activity(CL).id])


def numbers(regie):
    return sorted(i.number for i in Invoice.select().where(
        regies.of_regie(regie) & (Invoice.kind == Invoice.INVOICE)
        & Invoice.number.contains("2027-")))


def test_canteen_and_centre_de_loisirs_make_two_invoices_each_in_its_regie(app, db):
    with app.app_context():
        extra = centre_de_loisirs()
        for account in (60001, 60002, 60003):  # canteen and centre de loisirs each
            new_family(account, children=1, lines=2, book_month=datetime.date(2027, 1, 1))
        preview = preview_month(2027, 1, "C")
        ids = issue_month(2027, 1, "C", FEB_1, force=True)
    family = Family.get(Family.account_number == 60001)
    invoices = list(Invoice.select().where(Invoice.family == family).order_by(Invoice.number))
    assert len(invoices) == 2
    by_regie = {invoice.regie_id: invoice for invoice in invoices}
    main = regies.main_regie()
    canteen, leisure = by_regie[main.id], by_regie[extra.id]
    assert {line.label.split(" - ")[0] for line in canteen.lines} == {CANTEEN}
    assert {line.label.split(" - ")[0] for line in leisure.lines} == {CL}
    assert leisure.number.startswith("CL2027-") and canteen.number.startswith("F2027-")
    # Each régie's series runs from 1 without a gap (the main one also bills 16123's ALAE).
    mine = numbers(extra)  # our three families, and the demo's own January CL days
    assert mine == [f"CL2027-{n:05d}" for n in range(1, len(mine) + 1)] and len(mine) >= 3
    main_numbers = numbers(main)
    assert main_numbers == [f"F2027-{n:05d}" for n in range(1, len(main_numbers) + 1)]
    assert len(ids) == len(mine) + len(main_numbers) == preview["invoices"]
    issued = Invoice.select().where(Invoice.id << ids)
    assert preview["families"] == len({i.family_id for i in issued}) < preview["invoices"]
    assert [name for name, _, _ in preview["per_regie"]] == [main.name, "Régie extrascolaire"]
    # Every booking billed once, on the invoice of its activity's régie.
    cl_bookings = Booking.select().where((Booking.activity == activity(CL))
                                         & (Booking.child << family.children))
    billed = (InvoicedBooking.select(InvoicedBooking, InvoiceLine).join(InvoiceLine)
              .where(InvoicedBooking.booking << cl_bookings))
    assert {b.line.invoice_id for b in billed} == {leisure.id}


def test_two_runs_racing_number_each_regie_without_gaps(app, db):
    """Two runs of the same month and two of the next, at once: every booking is billed
    once, and each régie's numbers are unique and gapless (its counter row is locked
    inside the issuing transaction)."""
    with app.app_context():
        extra = centre_de_loisirs()
    for account in range(60001, 60009):
        new_family(account, children=1, lines=2, book_month=datetime.date(2027, 1, 1))
        new_family(account + 100, children=1, lines=2, book_month=datetime.date(2027, 2, 1))
    results, errors = race_billing_runs(app, FEB_1)
    assert not errors
    assert sorted(len(r) for r in results)[:2] == [0, 0]
    mine = numbers(extra)  # our 16 families, and the demo's own CL days
    assert mine == [f"CL2027-{n:05d}" for n in range(1, len(mine) + 1)] and len(mine) >= 16
    main_numbers = numbers(regies.main_regie())
    assert main_numbers == [f"F2027-{n:05d}" for n in range(1, len(main_numbers) + 1)]
    assert len(main_numbers) >= 16
    in_months = Booking.date.between(datetime.date(2027, 1, 1), datetime.date(2027, 2, 28))
    assert InvoicedBooking.select().join(Booking).where(in_months).count() \
        == Booking.select().where(in_months).count()


def test_a_credit_note_follows_its_invoice_regie_and_series(app, db):
    with app.app_context():
        extra = centre_de_loisirs()
        new_family(60001, children=1, lines=2, book_month=datetime.date(2027, 1, 1))
        issue_month(2027, 1, "C", FEB_1, force=True)
        family = Family.get(Family.account_number == 60001)
        leisure = Invoice.get((Invoice.family == family) & (Invoice.regie == extra))
        canteen = Invoice.get((Invoice.family == family) & (Invoice.regie != extra))
        credit = issue_credit_note(leisure.id, 100, "Sortie annulée", admin(), FEB_1)
        other = issue_credit_note(canteen.id, 100, "Repas non servi", admin(), FEB_1)
    assert (credit.number, credit.regie_id) == ("ACL2027-00001", extra.id)
    assert other.number == "A2027-00001" and other.regie_id == regies.main_regie().id


def test_online_payment_uses_the_regie_payfip_number(app, client, auth, db, served):  # noqa: F811
    with app.app_context():
        extra = centre_de_loisirs(payfip="123456")
        leisure_activity = activity(CL)
    family = Family.get(Family.account_number == 16123)
    kid = family.children.first()
    enrol(kid, CL)
    Booking.create(child=kid, activity=leisure_activity, modalite=modalite(CL, SANS),
                   date=datetime.date(2027, 1, 6), price_cents=520)
    with app.app_context():
        issue_month(2027, 1, "C", FEB_1, force=True)
    leisure = Invoice.get((Invoice.family == family) & (Invoice.regie == extra))
    october = Invoice.get((Invoice.family == family) & (Invoice.period_month == 10))
    _, idop = start_payment(client, auth, leisure)
    assert OPERATIONS[idop]["numcli"] == "123456"
    choose(client, idop, "payer")
    assert Invoice.get_by_id(leisure.id).status == Invoice.PAID  # its numcli checked back
    _, main_idop = start_payment(client, auth, october, login=False)
    assert OPERATIONS[main_idop]["numcli"] == app.config["PAYFIP_NUMCLI"]


def test_the_pdf_names_the_regie_and_the_exports_keep_to_one_regie(app, client, auth, db):
    with app.app_context():
        extra = centre_de_loisirs()
        new_family(60001, children=1, lines=2, book_month=datetime.date(2027, 1, 1))
        issue_month(2027, 1, "C", clock.now(), force=True)
    family = Family.get(Family.account_number == 60001)
    leisure = Invoice.get((Invoice.family == family) & (Invoice.regie == extra))
    auth.login("administrateur")
    text = text_of_pdf(client.get(f"/agents/facturation/factures/{leisure.id}.pdf").data)
    assert "Service Enfance - Régie extrascolaire" in text
    invoice_page = client.get(f"/agents/facturation/factures/{leisure.id}").get_data(
        as_text=True)
    assert "<dt>Régie</dt><dd>Régie extrascolaire</dd>" in invoice_page
    page = client.get("/agents/facturation/").get_data(as_text=True)
    assert f'<option value="{extra.id}">Régie extrascolaire</option>' in page
    response = client.get(f"/agents/facturation/export/factures.csv?regie={extra.id}")
    assert "factures-CL-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:]), delimiter=";"))
    assert leisure.number in [row[0] for row in rows[1:]]
    assert all(row[0].startswith("CL2026-") for row in rows[1:])
    every = client.get("/agents/facturation/export/factures.csv").data.decode("utf-8")
    assert leisure.number in every and "F2026-00001" in every
    main = client.get(f"/agents/facturation/export/factures.csv?regie={regies.main_regie().id}"
                      ).data.decode("utf-8")
    assert leisure.number not in main and "F2026-00001" in main  # and the older invoices
    assert client.get("/agents/facturation/export/factures.csv?regie=999999").status_code == 404
    assert client.get("/agents/facturation/export/paiements.csv?regie=abc").status_code == 404


def test_the_administrateur_adds_a_regie_and_assigns_it_an_activity(app, client, auth, db):
    auth.login("administrateur")
    page = client.get("/agents/admin/facturation/regies/").get_data(as_text=True)
    assert "Régie des accueils périscolaires" in page and "RÉGIES" in page
    form = client.get("/agents/admin/facturation/regies/nouvelle").get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {"csrf_token": token, "name": "Régie extrascolaire", "invoice_prefix": "cl",
            "credit_prefix": "F", "payfip_client": "123456", "activities": [str(activity(CL).id)]}
    refused = client.post("/agents/admin/facturation/regies/nouvelle", data=data)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Le préfixe F est celui de la régie « Régie des accueils périscolaires »" in body
    assert 'value="Régie extrascolaire"' in body  # nothing typed is lost
    data.update(credit_prefix="ACL", payfip_client="12345")
    body = client.post("/agents/admin/facturation/regies/nouvelle", data=data).get_data(
        as_text=True)
    assert "Le numéro client PayFiP compte 6 chiffres." in body
    data.update(payfip_client="123456")
    saved = client.post("/agents/admin/facturation/regies/nouvelle", data=data)
    assert saved.status_code == 303
    regie = Regie.get(Regie.name == "Régie extrascolaire")
    assert (regie.invoice_prefix, regie.credit_prefix, regie.payfip_client) == (
        "CL", "ACL", "123456")
    assert activity(CL).regie_id == regie.id
    log = AuditLog.select().where(AuditLog.action == "regie.created").get()
    assert CL in log.details
    # Unchecked, the activity goes back to the main régie; the change is audited.
    edit = f"/agents/admin/facturation/regies/{regie.id}/modifier"
    data.pop("activities")
    assert client.post(edit, data=data).status_code == 303
    assert activity(CL).regie_id == regies.main_regie().id
    assert AuditLog.select().where(AuditLog.action == "regie.updated").count() == 1


def test_a_regie_keeps_its_prefix_once_it_has_issued_invoices(app, client, auth, db):
    """The main régie has issued invoices: its series cannot be renamed (its numbers
    must keep running)."""
    auth.login("administrateur")
    main = regies.main_regie()
    edit = f"/agents/admin/facturation/regies/{main.id}/modifier"
    token = client.get(edit).get_data(as_text=True).split(
        'name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(edit, data={"csrf_token": token, "name": main.name,
                                       "invoice_prefix": "G", "credit_prefix": "A"})
    assert response.status_code == 422
    assert "ses préfixes ne changent plus" in response.get_data(as_text=True)
    assert Regie.get_by_id(main.id).invoice_prefix == "F"



def test_the_family_reads_which_regie_each_invoice_is_from(app, client, auth, db):
    """Two régies: FACTURATION names each invoice's régie (to pay and to consult); with
    one régie, nothing is said."""
    with app.app_context():
        family, user, _ = new_family(60001, children=1, lines=2,
                                     book_month=datetime.date(2027, 1, 1))
        user.password_hash = hash_password("un-mot-de-passe-solide")
        user.save()
        issue_month(2027, 1, "C", FEB_1, force=True)  # canteen and CL: one régie, one invoice
    auth.login("60001", "un-mot-de-passe-solide")
    page = client.get("/facturation/factures?mois=2027-01").get_data(as_text=True)
    assert "Émise le" in page and regies.main_regie().name not in page
    with app.app_context():
        centre_de_loisirs()
        kid = family.children.get()
        for line in (CANTEEN, CL):  # February booked as January was
            book_whole_month(kid, activity(line), datetime.date(2027, 2, 1), family)
        issue_month(2027, 2, "C", datetime.datetime(2027, 3, 1, 9, tzinfo=clock.PARIS),
                    force=True)
    february = list(Invoice.select().where((Invoice.family == family)
                                           & (Invoice.period_month == 2)))
    assert len(february) == 2
    page = client.get("/facturation/factures?mois=2027-02").get_data(as_text=True)
    to_pay = client.get("/facturation/").get_data(as_text=True)
    for invoice in february:
        name = Regie.get_by_id(invoice.regie_id).name
        assert f"{name} · Émise le" in page
        assert f"(02/2027, {name})" in to_pay


def test_facturation_reads_the_regies_names_in_one_query(app, client, auth, db):
    """The FACTURATION pages that list invoices name the régies (several: each invoice
    says its own) in one query, their ids and names, without making sure first that the
    main régie exists (two before); the history, which names none, reads none (two
    before)."""
    with app.app_context():
        family, user, _ = new_family(60002, children=1, lines=2,
                                     book_month=datetime.date(2027, 1, 1))
        user.password_hash = hash_password("un-mot-de-passe-solide")
        user.save()
        extra = centre_de_loisirs()
        issue_month(2027, 1, "C", FEB_1, force=True)
        with QueryCounter() as counter:
            names = regies.regie_names()
        assert counter.count == 1
        main = regies.main_regie()
        assert names == {main.id: main.name, extra.id: "Régie extrascolaire"}
    auth.login("60002", "un-mot-de-passe-solide")
    for url, reads in (("/facturation/", 1), ("/facturation/factures?mois=2027-01", 1),
                       ("/facturation/historique", 0)):
        with QueryCounter() as counter:
            page = client.get(url)
        assert page.status_code == 200
        assert ("Régie extrascolaire ·" in page.get_data(as_text=True)
                or ", Régie extrascolaire)" in page.get_data(as_text=True)) == bool(reads)
        regie_reads = [sql for sql in counter.statements if 'FROM "regie"' in sql]
        assert len(regie_reads) == reads, regie_reads
