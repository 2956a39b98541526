"""Who in a family gets a billing email — an invoice's reminder, a debit's notice, a
rejected debit — is one rule: each active account of the family (invoices are always
sent, whatever the account chose), else the first guardian who gave an email."""
import datetime

from domain import clock, commune, email_prefs
from domain.billing import direct_debit, mandates
from domain.billing.notices import remind_unpaid
from domain.billing.run import issue_month
from domain.family.contact import billing_addresses
from models import DebitItem, Family, User
from tests.billing_support import october_invoice

FEB_1 = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=clock.PARIS)
MOTHER, FATHER = "famille.bernard@example.org", "karim.bernard@example.org"


def bernard():
    return Family.get(Family.account_number == 16123)


def father_signs_up(active=True):
    """The second guardian of 16123 has an account of his own (the demo gives him one),
    active or removed."""
    father = User.get_or_none(User.email == FATHER) or User.create(
        email=FATHER, password_hash="x", family=bernard(), session_token="k")
    father.is_active = active
    father.save()
    return father


def admin():
    return User.get(User.email == "admin@mairie.example.org")


def test_each_active_account_gets_every_billing_email(app, db, mailbox):
    father_signs_up()
    # The father refused every optional email: invoices still come.
    for kind in email_prefs.OPTIONAL:
        email_prefs.refuse(User.get(User.email == FATHER).id, kind)
    assert not email_prefs.refuse(User.get(User.email == FATHER).id, email_prefs.INVOICES)
    with app.app_context():
        mandates.sign(bernard().id, "BERNARD Nadia", "FR76 3000 6000 0112 3456 7890 189", "",
                      None, FEB_1)
        issue_month(2027, 1, "C", FEB_1)
        commune.set_billing_settings(
            sepa_creditor_id="FR72ZZZ123456", sepa_creditor_iban="FR7630001007941234567890185",
            sepa_creditor_bic="BDFEFRPPXXX", debit_day=15)
        direct_debit.build_collection(2027, 1, datetime.date(2027, 2, 15),
                                      commune.billing_settings(), admin(), FEB_1)
        [notice_mother] = mailbox.to(MOTHER)
        [notice_father] = mailbox.to(FATHER)
        assert notice_mother["Subject"] == notice_father["Subject"]
        assert notice_father["Subject"].startswith("Prélèvement de ")
        mailbox.clear()
        direct_debit.record_debit_rejection(DebitItem.get().id, "AM04",
                                            commune.billing_settings(), admin(), FEB_1)
        assert [m["Subject"] for m in mailbox.to(MOTHER)] == \
            [m["Subject"] for m in mailbox.to(FATHER)] != []
        mailbox.clear()
        day = october_invoice().due_date + datetime.timedelta(days=15)
        remind_unpaid(admin(), day, datetime.datetime(day.year, day.month, day.day, 7),
                      "http://portail.test", (15, 30))
    assert len(mailbox.to(MOTHER)) == len(mailbox.to(FATHER)) >= 1
    assert mailbox.to(FATHER)[0]["Subject"].startswith("Rappel : votre facture")


def test_an_inactive_account_gets_nothing_and_a_family_without_account_its_guardian(db):
    father_signs_up(active=False)
    assert billing_addresses([bernard().id]) == {bernard().id: [MOTHER]}
    User.update(is_active=False).where(User.family == bernard().id).execute()
    # No account left: the first guardian who gave an email (the mother, first in order).
    assert billing_addresses([bernard().id]) == {bernard().id: [MOTHER]}
    User.update(is_active=True).where(User.email == FATHER).execute()
    assert billing_addresses([bernard().id]) == {bernard().id: [FATHER]}


def test_an_optional_kind_respects_each_accounts_choice(db):
    father = father_signs_up()
    email_prefs.refuse(father.id, email_prefs.NEWS)
    family_id = bernard().id
    assert billing_addresses([family_id], email_prefs.NEWS) == {family_id: [MOTHER]}
    assert billing_addresses([family_id]) == {family_id: [MOTHER, FATHER]}
