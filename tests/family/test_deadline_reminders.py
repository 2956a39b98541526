"""Reminders before the booking deadlines: a few days before the monthly cutoff (for
open monthly lines with nothing booked next month) and before a holiday window closes
(for a line of that period with nothing booked); each once, none to a family that
booked, none to one that refused reminders."""
import datetime

import pytest

from domain import email_prefs
from domain.booking.deadline_reminders import due_reminders, send_due
from models import (
    Activity,
    Booking,
    BookingWindow,
    Child,
    DeadlineReminder,
    Modalite,
    SchoolYear,
    User,
)
from tests import factories
from tests.helpers import demo_family

pytestmark = pytest.mark.app_config(PORTAIL_TODAY="2026-12-17T08:00")
DUPONT, BERNARD = "famille.dupont@example.org", "famille.bernard@example.org"
DEC_17 = datetime.date(2026, 12, 17)


def test_run_twice_on_17_december_sends_each_due_reminder_once(app, db, runner, mailbox):
    """The acceptance: 16122 (Restauration open, janvier empty) is reminded once; 16123,
    whose janvier is booked, never; the second run sends nothing."""
    first = runner.invoke(args=["deadline-reminders"])
    assert first.exit_code == 0, first.output
    assert "1 rappel(s) envoyé(s)." in first.output
    second = runner.invoke(args=["deadline-reminders"])
    assert "0 rappel(s) envoyé(s)." in second.output
    [mail] = mailbox.to(DUPONT)
    assert mail["Subject"] == "Rappel : réservez janvier 2027 avant le 20/12/2026"
    body = mailbox.text(mail)
    assert "LENA – Restauration Maternelle" in body and "/planning/" in body
    assert mailbox.to(BERNARD) == []
    assert [(r.family.account_number, r.kind, r.deadline) for r in DeadlineReminder.select()] \
        == [(16122, "mois", datetime.date(2026, 12, 20))]


def test_the_reminder_carries_the_one_click_unsubscribe_headers(app, db, runner, mailbox,
                                                                client):
    """RFC 8058: List-Unsubscribe with the signed address, List-Unsubscribe-Post; a POST
    to it without signing in stops the reminders."""
    runner.invoke(args=["deadline-reminders"])
    [mail] = mailbox.to(DUPONT)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost/desabonnement/") and url in mailbox.text(mail)
    path = url.removeprefix("http://localhost")
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert not email_prefs.wanted(DUPONT, email_prefs.REMINDERS)
    assert email_prefs.wanted(DUPONT, email_prefs.REPLIES)


def test_a_family_that_refused_reminders_gets_none(app, db, runner, mailbox):
    email_prefs.refuse(User.get(User.email == DUPONT).id, email_prefs.REMINDERS)
    result = runner.invoke(args=["deadline-reminders"])
    assert "0 rappel(s) envoyé(s)." in result.output
    assert mailbox.to(DUPONT) == [] and DeadlineReminder.select().count() == 0


def test_not_due_before_the_days_nor_after_the_deadline(app, db):
    """Three days by default: from the 17th to the 20th, not on the 16th nor the 21st."""
    assert due_reminders(datetime.date(2026, 12, 16)) == []
    assert [d.family.account_number for d in due_reminders(datetime.date(2026, 12, 20))] \
        == [16122]
    assert due_reminders(datetime.date(2026, 12, 21)) == []
    assert [d.family.account_number for d in due_reminders(datetime.date(2026, 12, 15), 5)] \
        == [16122]


def test_a_booked_day_of_the_next_month_means_no_reminder(app, db):
    lena = Child.get(Child.first_name == "LENA")
    canteen = Activity.get(Activity.name == "Restauration Maternelle")
    Booking.create(child=lena, activity=canteen, modalite=canteen.modalites.first(),
                   date=datetime.date(2027, 1, 5), price_cents=300)
    assert due_reminders(DEC_17) == []


def _window_closing(day):
    """Hiver's window closes on ``day``; TOM (16124) has the CLV Hiver line open."""
    year = SchoolYear.select().where((SchoolYear.start_date <= DEC_17)
                                     & (SchoolYear.end_date >= DEC_17)).get()
    window = BookingWindow.get((BookingWindow.school_year == year)
                               & (BookingWindow.period == "Hiver"))
    window.opens_on, window.closes_on = datetime.date(2026, 12, 1), day
    window.save()
    clv = Activity.get((Activity.school_year == year) & (Activity.holiday_period == "Hiver"))
    factories.enrolment(Child.get(Child.first_name == "TOM"), clv.name)
    return clv


def test_a_holiday_window_closing_soon_reminds_the_family_that_has_not_booked(
        app, db, mailbox):
    clv = _window_closing(datetime.date(2026, 12, 19))
    with app.app_context():
        assert send_due(DEC_17, "http://localhost/planning/") == 2  # 16122's month too
        assert send_due(DEC_17, "http://localhost/planning/") == 0
    [mail] = mailbox.to("famille.petit@example.org")
    assert mail["Subject"] == ("Rappel : les réservations des vacances (Hiver) ferment le "
                               "19/12/2026")
    assert f"TOM – {clv.name}" in mailbox.text(mail)
    assert DeadlineReminder.get(DeadlineReminder.family == demo_family(16124)).kind \
        == "fenetre:Hiver"


def test_a_booked_holiday_day_means_no_window_reminder(app, db):
    clv = _window_closing(datetime.date(2026, 12, 19))
    Booking.create(child=Child.get(Child.first_name == "TOM"), activity=clv,
                   modalite=Modalite.get(Modalite.activity == clv), date=datetime.date(
                       2027, 2, 22), price_cents=1000)
    assert [d.family.account_number for d in due_reminders(DEC_17)] == [16122]


def test_the_monthly_deadline_follows_the_communes_deadline_day(app, db):
    """A commune whose deadline is the 18th: due from the 15th, for the 18th."""
    from domain import commune
    from models import Commune
    Commune.update(deadline_day=18).execute()
    # An email rendered outside a request (an earlier test's) leaves settings bound.
    commune.bind(None)
    [due] = due_reminders(datetime.date(2026, 12, 15))
    assert (due.family.account_number, due.deadline) == (16122, datetime.date(2026, 12, 18))
    assert due_reminders(datetime.date(2026, 12, 19)) == []
