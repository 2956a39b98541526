"""The emails of billing say what the family owes: a new invoice gives its number, month,
total, due date and the link to FACTURATION; a reminder gives what is still due (after
a counter payment), its level, and after the last level that the invoice goes to the
Trésor public. Each reminder is stamped on the invoice and audited with its figures;
an invoice gets one level per run, in order, each on its day."""
import datetime

from domain import audit
from domain.billing.adjustments import record_counter_payment
from domain.billing.notices import invoices_to_remind, remind_unpaid, send_invoice_emails
from models import AuditLog, Guardian, Invoice, InvoiceReminder, User
from tests.billing_support import october_invoice

DUE = datetime.date(2026, 12, 1)  # October's invoice of 16123 (46,00 €) is due then
MOTHER = "famille.bernard@example.org"


def agent():
    return User.get(User.email == "agent@mairie.example.org")


def run(app, day, levels=(15, 30)):
    stamp = datetime.datetime(day.year, day.month, day.day, 7, 0)
    with app.app_context():
        return remind_unpaid(agent(), day, stamp, "http://portail.test/", levels), stamp


def text_of(mailbox, mail):
    return mailbox.text(mail).replace("\r\n", "\n").replace("\xa0", " ")


def reminders_of(invoice):
    return [(r.level, r.sent_at) for r in InvoiceReminder.select()
            .where(InvoiceReminder.invoice == invoice).order_by(InvoiceReminder.level)]


def test_a_new_invoice_email_gives_number_month_total_due_date_and_link(app, db, mailbox):
    invoice = october_invoice()
    with app.app_context():
        mails = send_invoice_emails([invoice.id], "http://portail.test/MAIRIEX/")
    assert mails == len(mailbox.messages) >= 1
    [mail] = mailbox.to(MOTHER)
    assert mail["Subject"] == "Votre facture de octobre 2026 est disponible"
    text = text_of(mailbox, mail)
    assert f"Votre facture N° {invoice.number} de octobre 2026 est disponible" in text
    assert "Montant : 46,00 €" in text and "À payer avant le : 01/12/2026" in text
    assert "http://portail.test/MAIRIEX/facturation/\n" in text
    assert "Relance" not in text and "Trésor public" not in text


def test_no_invoice_no_email(app, db, mailbox):
    with app.app_context():
        assert send_invoice_emails([], "http://portail.test") == 0
    assert mailbox.to(MOTHER) == []


def test_over_a_thousand_invoice_ids_mail_each_invoice_once(app, db, mailbox):
    invoice = october_invoice()
    other = (Invoice.select().where((Invoice.family == invoice.family)
                                    & (Invoice.id != invoice.id)).order_by(Invoice.id).first())
    with app.app_context():
        mails = send_invoice_emails([invoice.id] * 1000 + [other.id], "http://portail.test")
    assert mails == len(mailbox.messages)
    subjects = sorted(m["Subject"] for m in mailbox.to(MOTHER))
    assert len(subjects) == 2 and len(set(subjects)) == 2


def test_a_reminder_gives_what_is_still_due_after_a_counter_payment(app, db, mailbox):
    invoice = october_invoice()
    record_counter_payment(invoice.id, 1000, "especes", "", agent(),
                           datetime.datetime(2026, 12, 2, 9, 0))
    (reminded, mails), stamp = run(app, DUE + datetime.timedelta(days=15))
    mine = [i for i in reminded if i.id == invoice.id]
    assert [(i.level, i.handed_over) for i in mine] == [(1, False)]
    [mail] = mailbox.to(MOTHER)
    assert mail["Subject"] == "Rappel : votre facture de octobre 2026 reste à régler"
    text = text_of(mailbox, mail)
    assert (f"Sauf erreur de notre part, votre facture N° {invoice.number} de octobre 2026 "
            "n'est pas encore réglée : il reste 36,00 € à payer (échéance du 01/12/2026)") in text
    assert "Relance n°" not in text and "http://portail.test/facturation/" in text
    assert mails == len(mailbox.messages)
    stored = Invoice.get_by_id(invoice.id)
    assert stored.reminded_at == stamp and stored.handed_over_at is None
    assert reminders_of(invoice) == [(1, stamp)]
    [entry] = AuditLog.select().where((AuditLog.action == audit.INVOICE_REMINDED)
                                      & (AuditLog.family == invoice.family))
    assert entry.user_id == agent().id
    assert audit.details_of(entry)["summary"].replace("\xa0", " ") == \
        f"Relance n° 1 de la facture N° {invoice.number} (36,00 € à payer)"


def test_the_last_level_hands_the_invoice_over_and_says_so(app, db, mailbox):
    invoice = october_invoice()
    (_, _), first = run(app, DUE + datetime.timedelta(days=15))
    mailbox.clear()
    (reminded, _), last = run(app, DUE + datetime.timedelta(days=30))
    assert [(i.level, i.handed_over) for i in reminded if i.id == invoice.id] == [(2, True)]
    [mail] = mailbox.to(MOTHER)
    assert mail["Subject"] == "Votre facture de octobre 2026 est transmise au Trésor public"
    text = text_of(mailbox, mail)
    assert f"Relance n° 2 : sauf erreur de notre part, votre facture N° {invoice.number}" in text
    assert "il reste 46,00 € à payer" in text and "transmise au Trésor public" in text
    assert "http://portail.test/facturation/" not in text
    stored = Invoice.get_by_id(invoice.id)
    assert stored.reminded_at == last and stored.handed_over_at == last
    assert reminders_of(invoice) == [(1, first), (2, last)]
    assert [i.id for i in Invoice.select().where(Invoice.handed_over_at.is_null(False))] == \
        [invoice.id]
    summaries = [audit.details_of(e)["summary"].replace("\xa0", " ") for e in AuditLog.select().where(
        (AuditLog.action == audit.INVOICE_REMINDED) & (AuditLog.family == invoice.family))
        .order_by(AuditLog.id)]
    assert summaries == [
        f"Relance n° 1 de la facture N° {invoice.number} (46,00 € à payer)",
        f"Relance n° 2 de la facture N° {invoice.number} (46,00 € à payer) ; "
        "facture transmise au Trésor public"]


def test_only_the_invoices_reminded_are_stamped(app, db, mailbox):
    (reminded, _), stamp = run(app, DUE + datetime.timedelta(days=15))
    ids = {i.id for i in reminded}
    assert october_invoice().id in ids
    for invoice in Invoice.select():
        assert (invoice.reminded_at == stamp) == (invoice.id in ids)
        assert invoice.handed_over_at is None


def test_one_level_per_run_each_on_its_day(app, db, mailbox):
    invoice = october_invoice()

    def level_on(day):
        return {i.id: lvl for i, lvl in invoices_to_remind(day, (15, 30))}.get(invoice.id)

    assert level_on(DUE + datetime.timedelta(days=90)) == 1  # never reminded: level 1 first
    run(app, DUE + datetime.timedelta(days=15))
    assert level_on(DUE + datetime.timedelta(days=29)) is None
    assert level_on(DUE + datetime.timedelta(days=30)) == 2
    run(app, DUE + datetime.timedelta(days=30))
    assert level_on(DUE + datetime.timedelta(days=365)) is None  # handed over


def test_a_family_without_any_address_gets_no_email_but_is_still_reminded(app, db, mailbox):
    invoice = october_invoice()
    User.update(is_active=False).where(User.family == invoice.family).execute()
    Guardian.update(email="").where(Guardian.family == invoice.family).execute()
    with app.app_context():
        assert send_invoice_emails([invoice.id], "http://portail.test") == 0
    (reminded, _), stamp = run(app, DUE + datetime.timedelta(days=15))
    assert invoice.id in [i.id for i in reminded]
    assert reminders_of(invoice) == [(1, stamp)]
    assert mailbox.to(MOTHER) == []


def copies_of(invoice, count, due_date):
    """``count`` more unpaid invoices like ``invoice``, due on ``due_date``."""
    fields = {k: v for k, v in invoice.__data__.items() if k != "id"}
    rows = [dict(fields, number=f"T2026-{n:05d}", due_date=due_date) for n in range(count)]
    for start in range(0, count, 200):
        Invoice.insert_many(rows[start:start + 200]).execute()
    return [i.id for i in Invoice.select(Invoice.id).where(Invoice.number.startswith("T2026-"))]


def test_each_invoices_own_level_counts_among_two_thousand(db):
    invoice = october_invoice()
    others = copies_of(invoice, 2000, DUE - datetime.timedelta(days=1))  # listed before it
    reminders = [{"invoice": i, "level": 1, "sent_at": datetime.datetime(2026, 12, 16, 7)}
                 for i in others + [invoice.id]]
    for start in range(0, len(reminders), 200):
        InvoiceReminder.insert_many(reminders[start:start + 200]).execute()
    due = {i.id: lvl for i, lvl in invoices_to_remind(DUE + datetime.timedelta(days=30), (15, 30))}
    assert due[invoice.id] == 2
    assert all(due[i] == 2 for i in others) and len(due) >= 2001


def test_two_invoices_at_different_levels_each_get_their_next(db):
    invoice = october_invoice()
    [other] = copies_of(invoice, 1, DUE)
    InvoiceReminder.insert_many([
        {"invoice": invoice.id, "level": 1, "sent_at": datetime.datetime(2026, 12, 16, 7)},
        {"invoice": other, "level": 1, "sent_at": datetime.datetime(2026, 12, 16, 7)},
        {"invoice": other, "level": 2, "sent_at": datetime.datetime(2026, 12, 31, 7)}]).execute()
    due = {i.id: lvl for i, lvl in invoices_to_remind(DUE + datetime.timedelta(days=60),
                                                      (15, 30, 45))}
    assert (due[invoice.id], due[other]) == (2, 3)
