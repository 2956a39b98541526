"""Reminders in the levels the commune sets, each sent once per invoice, and the invoices
handed over to the Trésor public after the last: on the état des restes à recouvrer, no
longer payable online."""
import csv
import datetime
import io
import threading

import pytest

from domain import clock, commune
from domain.billing.notices import invoices_to_remind, remind_unpaid
from domain.billing.payments import PaymentNotPossible, payable_online
from domain.billing.recovery import handed_over_invoices
from models import Family, Invoice, InvoiceReminder, User
from tests.billing_support import october_invoice
from tests.helpers import text_of

DUE = datetime.date(2026, 12, 1)  # October's invoice of 16123 (46,00 €) is due then


def run(app, day):
    """A reminder run on ``day`` at 8:00, as cron would."""
    agent = User.get(User.email == "agent@mairie.example.org")
    stamp = datetime.datetime(day.year, day.month, day.day, 7, 0)
    with app.app_context():
        return remind_unpaid(agent, day, stamp, "http://portail.test",
                             commune.billing_settings().reminder_days)


def levels_of(invoice):
    return [r.level for r in InvoiceReminder.select().where(InvoiceReminder.invoice == invoice)
            .order_by(InvoiceReminder.level)]


@pytest.mark.parametrize("day, level", [(DUE + datetime.timedelta(days=14), None),
                                        (DUE + datetime.timedelta(days=15), 1),
                                        (DUE + datetime.timedelta(days=40), 1)])
def test_the_first_level_is_due_15_days_after_the_due_date(db, day, level):
    due = {invoice.id: lvl for invoice, lvl in invoices_to_remind(day, (15, 30))}
    assert due.get(october_invoice().id) == level


def test_runs_twice_send_each_level_once_then_hand_the_invoice_over(app, db, mailbox):
    invoice = october_invoice()
    day15, day30 = DUE + datetime.timedelta(days=15), DUE + datetime.timedelta(days=30)
    reminded, _ = run(app, day15)
    assert [(i.id, i.level) for i in reminded if i.id == invoice.id] == [(invoice.id, 1)]
    run(app, day15)
    run(app, day15 + datetime.timedelta(days=3))  # level 2 not due yet
    assert levels_of(invoice) == [1]
    assert len(mailbox.to("famille.bernard@example.org")) == 1
    run(app, day30)
    run(app, day30)
    assert levels_of(invoice) == [1, 2]
    mails = mailbox.to("famille.bernard@example.org")
    assert len(mails) == 2
    assert "transmise au Trésor public" in mails[-1]["Subject"]
    assert "Relance n° 2" in mailbox.text(mails[-1])
    assert Invoice.get_by_id(invoice.id).handed_over_at is not None
    # After the last: on the état, not payable online, never reminded again.
    assert [i.id for i in handed_over_invoices()] == [invoice.id]
    with pytest.raises(PaymentNotPossible, match="Trésor public"):
        payable_online(invoice.id, invoice.family_id)
    run(app, day30 + datetime.timedelta(days=60))
    assert levels_of(invoice) == [1, 2]


def test_two_runs_at_once_send_a_level_once(app, db, mailbox):
    day15 = DUE + datetime.timedelta(days=15)
    results = []

    def one():
        with app.app_context():
            import models
            with models.db.connection_context():
                results.append(run(app, day15))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert levels_of(october_invoice()) == [1]
    assert len(mailbox.to("famille.bernard@example.org")) == 1


def test_the_commune_sets_its_levels(app, db, mailbox):
    commune.set_billing_settings(reminder_days=(5,))
    reminded, _ = run(app, DUE + datetime.timedelta(days=5))
    assert october_invoice().id in [i.id for i in reminded]
    assert Invoice.get_by_id(october_invoice().id).handed_over_at is not None
    assert commune.parse_reminder_days("15, 30") == (15, 30)
    assert commune.parse_reminder_days("30, 15") is None
    assert commune.parse_reminder_days("0") is None
    assert commune.parse_reminder_days("quinze") is None


def test_the_etat_des_restes_a_recouvrer_in_csv_and_pdf(app, client, auth, db, mailbox):
    commune.set_billing_settings(reminder_days=(15,))
    run(app, DUE + datetime.timedelta(days=15))
    auth.login("agent")
    page = text_of(client.get("/agents/facturation/restes-a-recouvrer").get_data(as_text=True))
    number = october_invoice().number
    assert number in page and "46,00" in page
    response = client.get("/agents/facturation/restes-a-recouvrer.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:]), delimiter=";"))
    assert rows[0][:2] == ["Facture", "N° de compte"]
    assert rows[1][0] == number and rows[1][1] == "16123" and rows[1][7] == "46,00"
    assert rows[1][8] == "16/12/2026"
    pdf = client.get("/agents/facturation/restes-a-recouvrer.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    auth.logout()
    auth.login("famille 16123")
    family_page = text_of(client.get("/facturation/").get_data(as_text=True))
    assert "transmise au Trésor public" in family_page
    assert f'value="{october_invoice().id}"' not in client.get("/facturation/").get_data(
        as_text=True)


def test_the_remind_command_for_cron(app, db, runner, mailbox):
    app.config["PORTAIL_TODAY"] = "2026-12-16T08:00"
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "1 relance(s)" in result.output
    assert runner.invoke(args=["remind"]).output.startswith("0 relance(s)")
