"""Espace agents, FACTURATION: the run (administrateur), unpaid invoices, counter
payments, credit notes, reminders and CSV exports; every write audited."""
import csv
import io
import json

from models import AuditLog, Family, Invoice, Payment, User
from tests.billing_support import october_invoice
from tests.planning_support import CL, JANUARY, SANS, child, enrol, text_of
from tests.billing.test_billing_run import book


def _post(client, auth, path, data, page):
    return client.post(path, data=dict(data, csrf_token=auth.csrf(page)))


def test_agents_see_unpaid_invoices_but_only_the_administrateur_runs_a_month(client, auth, db):
    auth.login("agent")
    page = text_of(client.get("/agents/facturation/").get_data(as_text=True))
    assert "F2026-00002" in page and "46,00 €" in page and "F2026-00001" not in page
    assert "Facturer un mois" not in page
    assert client.get("/agents/admin/facturation/emission").status_code == 403
    token = {"csrf_token": auth.csrf("/agents/facturation/")}
    assert client.post("/agents/admin/facturation/emission?mois=2027-01",
                       data=token).status_code == 403
    october = october_invoice()
    assert client.post(f"/agents/admin/facturation/factures/{october.id}/avoir",
                       data=token).status_code == 403
    assert Invoice.select().where(Invoice.period_month == 1).count() == 0
    auth.logout()
    auth.login("famille 16123")
    assert client.get("/agents/facturation/").status_code == 404


def test_the_administrateur_previews_then_issues_a_month(client, auth, db, mailbox):
    lena = child("LENA")
    enrol(lena, CL)
    book(lena, CL, SANS, JANUARY)
    auth.login("administrateur")
    page = text_of(client.get("/agents/admin/facturation/emission?mois=2027-01")
                   .get_data(as_text=True))
    assert "Aperçu : Janvier 2027" in page and "2 famille(s)" in page
    assert "CL Maternel Mercredis 5 " in page  # LENA's 4 Wednesdays and CHLOE's day
    assert "Ce mois n'est pas terminé" in page
    assert Invoice.select().where(Invoice.period_month == 1).count() == 0  # a preview only
    response = _post(client, auth, "/agents/admin/facturation/emission?mois=2027-01", {},
                     "/agents/admin/facturation/emission?mois=2027-01")
    assert response.status_code == 303
    assert Invoice.select().where(Invoice.period_month == 1).count() == 2
    assert mailbox.to("famille.dupont@example.org")[0]["Subject"] == \
        "Votre facture de janvier 2027 est disponible"
    log = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert log.action == "invoice.issued" and "2 facture(s)" in json.loads(log.details)["summary"]
    again = _post(client, auth, "/agents/admin/facturation/emission?mois=2027-01", {},
                  "/agents/admin/facturation/emission?mois=2027-01")
    assert "Rien à facturer" in text_of(client.get(again.location).get_data(as_text=True))
    bad = client.get("/agents/admin/facturation/emission?mois=2027-13")
    assert bad.status_code == 422 and "Choisissez un mois" in bad.get_data(as_text=True)


def test_a_counter_payment_is_checked_recorded_and_audited(client, auth, db):
    october = october_invoice()
    path = f"/agents/facturation/factures/{october.id}"
    auth.login("agent")
    bad = _post(client, auth, path + "/paiement", {"amount": "abc", "method": "cheque"}, path)
    assert bad.status_code == 422
    assert 'id="amount-error"' in bad.get_data(as_text=True)
    assert "par exemple 20,80" in bad.get_data(as_text=True)
    no_ref = _post(client, auth, path + "/paiement", {"amount": "10", "method": "cheque"}, path)
    assert "Indiquez la référence" in no_ref.get_data(as_text=True)
    too_much = _post(client, auth, path + "/paiement", {"amount": "46,01", "method": "especes"},
                     path)
    assert "entre 0,01 € et 46,00 €" in text_of(too_much.get_data(as_text=True))
    ok = _post(client, auth, path + "/paiement",
               {"amount": "46,00", "method": "cesu", "reference": "CESU 123-456"}, path)
    assert ok.status_code == 303
    payment = Payment.get((Payment.invoice == october) & (Payment.provider == "guichet"))
    assert (payment.amount_cents, payment.method, payment.reference, payment.status) == (
        4600, "cesu", "CESU 123-456", "payee")
    assert Invoice.get_by_id(october.id).status == "payee"
    log = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert log.action == "payment.recorded" and log.family_id == october.family_id
    assert log.user.email == "agent@mairie.example.org"


def test_the_administrateur_issues_a_credit_note_from_the_invoice_page(client, auth, db):
    october = october_invoice()
    path = f"/agents/facturation/factures/{october.id}"
    auth.login("administrateur")
    page = client.get(path).get_data(as_text=True)
    assert 'id="avoir-amount"' in page and 'id="amount"' in page
    unreadable = _post(client, auth, f"/agents/admin/facturation/factures/{october.id}/avoir",
                       {"avoir-amount": "cinq", "avoir-reason": "Erreur"}, path)
    assert unreadable.status_code == 422
    assert "par exemple 5,20" in unreadable.get_data(as_text=True)
    refused = _post(client, auth, f"/agents/admin/facturation/factures/{october.id}/avoir",
                    {"avoir-amount": "50", "avoir-reason": "Erreur"}, path)
    assert refused.status_code == 422 and "entre 0,01 € et 46,00 €" in text_of(
        refused.get_data(as_text=True))
    done = _post(client, auth, f"/agents/admin/facturation/factures/{october.id}/avoir",
                 {"avoir-amount": "15,60", "avoir-reason": "Sortie annulée"}, path)
    assert done.status_code == 303
    page = text_of(client.get(path).get_data(as_text=True))
    assert "Avoir N° A2026-00001" in page and "Reste à payer 30,40 €" in page
    assert Invoice.get_by_id(october.id).total_cents == 4600  # never changed
    auth.logout()
    auth.login("famille 16123")
    family_page = text_of(client.get("/facturation/historique").get_data(as_text=True))
    assert "Avoir N° A2026-00001" in family_page and "Solde du compte : 30,40 € à régler" in \
        family_page


def test_the_reminder_button_sends_the_level_due_once(app, client, auth, db, mailbox):
    app.config["PORTAIL_TODAY"] = "2026-12-16T10:00"  # October's invoice was due 01/12
    auth.login("agent")
    first = _post(client, auth, "/agents/facturation/relances", {}, "/agents/facturation/")
    assert first.status_code == 303
    [mail] = mailbox.to("famille.bernard@example.org")
    assert mail["Subject"] == "Rappel : votre facture d'octobre 2026 reste à régler" or \
        mail["Subject"] == "Rappel : votre facture de octobre 2026 reste à régler"
    assert "46,00" in mailbox.text(mail)
    assert Invoice.get_by_id(october_invoice().id).reminded_at is not None
    assert AuditLog.select().where(AuditLog.action == "invoice.reminded").count() == 1
    _post(client, auth, "/agents/facturation/relances", {}, "/agents/facturation/")
    assert len(mailbox.to("famille.bernard@example.org")) == 1


def test_csv_exports_follow_the_back_office_conventions(app, client, auth, db):
    Family.update(name="=HYPERLINK(\"http://evil\")").where(
        Family.account_number == 16123).execute()
    auth.login("agent")
    response = client.get("/agents/facturation/export/factures.csv?du=2026-09-01&au=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert rows[0][:3] == ["Numéro", "Type", "Facture corrigée"]
    assert rows[1] == ["F2026-00001", "Facture", "", "16123", "'=HYPERLINK(\"http://evil\")",
                       "09/2026", "01/10/2026", "31/10/2026", "53,60", "Payée"]
    assert rows[2][0] == "F2026-00002" and rows[2][8] == "46,00"
    payments = client.get("/agents/facturation/export/paiements.csv?du=2026-10-01&au=2026-10-31")
    rows = list(csv.reader(io.StringIO(payments.data.decode("utf-8")[1:]), delimiter=";"))
    assert rows[1] == ["11/10/2026", "F2026-00001", "16123", "'=HYPERLINK(\"http://evil\")",
                       "Chèque", "Chèque n° 1234567", "", "53,60"]


def test_csv_export_period_reads_french_dates(client, auth):
    """The export's dates are typed as the rest of the back office's (JJ/MM/AAAA)."""
    auth.login("agent")
    response = client.get("/agents/facturation/export/paiements.csv?du=01/10/2026&au=31/10/2026")
    assert response.status_code == 200
    assert "paiements-2026-10-01-2026-10-31.csv" in response.headers["Content-Disposition"]


def test_the_invoice_export_names_each_corrected_invoice_in_the_same_queries(app, db):
    """Credit notes name the invoice they correct, however many: no query per row."""
    from domain import clock
    from domain.billing.adjustments import issue_credit_note
    from domain.billing.exports import invoices_csv
    from models import User
    from tests.planning_support import QueryCounter
    admin = User.get(User.role == User.ROLE_ADMIN)
    invoices = list(Invoice.select().where(Invoice.kind != Invoice.CREDIT_NOTE)
                    .order_by(Invoice.id).limit(2))
    first, last = clock.today().replace(day=1), clock.today()

    def export():
        with app.app_context(), QueryCounter() as counter:
            text = invoices_csv(first.replace(month=9), last)
        return list(csv.reader(io.StringIO(text[1:]), delimiter=";")), len(counter.statements)

    _, queries_without = export()
    with app.app_context():
        for invoice in invoices:
            issue_credit_note(invoice.id, 100, "Sortie annulée", admin, clock.now())
    rows, queries_with = export()
    credits = [row for row in rows if row[1] == "Avoir"]
    assert [row[2] for row in credits] == [invoice.number for invoice in invoices]
    assert [row[8] for row in credits] == ["-1,00", "-1,00"]
    assert queries_with == queries_without == 1
