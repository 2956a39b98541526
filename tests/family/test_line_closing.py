"""INSCRIPTION: « Désinscrire » a line from a date, lines that exclude each other
(ALAE Soir 1 or Soir 2) and switching from one to the other at a date."""
import datetime

import pytest

from domain import audit
from domain.billing.run import issue_month
from domain.booking import attendance, closing
from domain.catalogue.opening import open_days
from domain.clock import PARIS
from models import AuditLog, Booking, Enrolment, InvoicedBooking
from tests import factories
from tests.conftest import MailBox
from tests.family.test_inscription import child_error
from tests.helpers import (
    activity,
    csrf_from,
    demo_child,
    enrol_online,
    error_of,
    text_of,
    unescaped,
)


def lena_days(name, first=None, last=None):
    """LENA's booked days of the line ``name`` (between ``first`` and ``last``)."""
    query = Booking.select(Booking.date).where((Booking.child == demo_child("LENA"))
                                               & (Booking.activity == activity(name)))
    if first:
        query = query.where(Booking.date >= first)
    if last:
        query = query.where(Booking.date <= last)
    return sorted(b.date for b in query)


def post_form(client, auth, path, prefix, **values):
    token = auth.csrf("/inscription/")
    data = {f"{prefix}-csrf_token": token}
    data.update({f"{prefix}-{name}": value for name, value in values.items()})
    return client.post(path, data=data)


# --- Exclusive lines ----------------------------------------------------------------


def test_soir_1_and_soir_2_ticked_together_are_refused_by_the_field(client, auth, db, mailbox):
    """The guide says Soir 1 **or** Soir 2: both at once open nothing and say why next to
    the child's lines."""
    auth.login("famille 16122")
    lena = demo_child("LENA")
    response = enrol_online(client, auth, lena, activity("ALAE Soir 1"), activity("ALAE Soir 2"))
    assert response.status_code == 422
    message = child_error(unescaped(response), lena)
    assert "« ALAE Soir 1 » et « ALAE Soir 2 » s'excluent" in message
    assert Enrolment.select().where(Enrolment.child == lena).count() == 1  # the canteen only
    assert lena_days("ALAE Soir 1") == lena_days("ALAE Soir 2") == []


def test_soir_2_while_soir_1_is_open_is_refused_and_points_to_the_switch(client, auth, db):
    auth.login("famille 16122")
    lena = demo_child("LENA")
    assert enrol_online(client, auth, lena, activity("ALAE Soir 1")).status_code == 303
    response = enrol_online(client, auth, lena, activity("ALAE Soir 2"))
    assert response.status_code == 422
    message = child_error(unescaped(response), lena)
    assert "« ALAE Soir 1 » est déjà ouverte pour LENA" in message
    assert "Changer pour ALAE Soir 2" in message
    assert lena_days("ALAE Soir 2") == []


def test_switching_soir_1_to_soir_2_from_february_moves_lena_between_the_registers(
        client, auth, db, mailbox):
    """On 26/11/2026 LENA's Soir 1 books from 01/01/2027; switching to Soir 2 from
    01/02/2027 keeps her on Soir 1's register until 29/01 and on Soir 2's from 01/02."""
    auth.login("famille 16122")
    lena = demo_child("LENA")
    enrol_online(client, auth, lena, activity("ALAE Soir 1"))
    mailbox.clear()
    soir_1 = Enrolment.get(child=lena, activity=activity("ALAE Soir 1"))
    page = unescaped(client.get("/inscription/"))
    assert f'id="changer-{soir_1.id}-target"' in page and "Désinscrire" in page
    response = post_form(client, auth, f"/inscription/ligne/{soir_1.id}/changer",
                         f"changer-{soir_1.id}", target=str(activity("ALAE Soir 2").id),
                         switch_from="2027-02-01")
    assert response.status_code == 303
    assert lena_days("ALAE Soir 1")[-1] == datetime.date(2027, 1, 29)
    assert lena_days("ALAE Soir 2")[0] == datetime.date(2027, 2, 1)
    names = lambda name, day: [row.child.first_name  # noqa: E731
                               for row in attendance.register(activity(name), day)]
    assert "LENA" in names("ALAE Soir 1", datetime.date(2027, 1, 29))
    assert "LENA" not in names("ALAE Soir 2", datetime.date(2027, 1, 29))
    assert "LENA" in names("ALAE Soir 2", datetime.date(2027, 2, 1))
    assert "LENA" not in names("ALAE Soir 1", datetime.date(2027, 2, 1))
    assert Enrolment.get_by_id(soir_1.id).closed_from == datetime.date(2027, 2, 1)
    [email] = mailbox.messages
    assert "ALAE Soir 1 remplacée par ALAE Soir 2 à partir du 01/02/2027" in email["Subject"]
    assert AuditLog.select().where(AuditLog.action == audit.INSCRIPTION_CLOSED).count() == 1
    # Both lines are never open on the same day.
    assert not set(lena_days("ALAE Soir 1")) & set(lena_days("ALAE Soir 2"))


def test_a_switch_before_the_first_changeable_date_is_refused_by_the_date(client, auth, db):
    auth.login("famille 16122")
    lena = demo_child("LENA")
    enrol_online(client, auth, lena, activity("ALAE Soir 1"))
    soir_1 = Enrolment.get(child=lena, activity=activity("ALAE Soir 1"))
    response = post_form(client, auth, f"/inscription/ligne/{soir_1.id}/changer",
                         f"changer-{soir_1.id}", target=str(activity("ALAE Soir 2").id),
                         switch_from="2026-12-07")
    assert response.status_code == 422
    assert "ne peuvent plus être modifiées avant le 01/01/2027" in error_of(
        response, f"changer-{soir_1.id}-switch_from")
    assert lena_days("ALAE Soir 2") == []


# --- Désinscrire ----------------------------------------------------------------------


def wednesdays(month_first, month_last):
    cl = activity("CL Maternel Mercredis")
    return open_days(cl, month_first, month_last, "C")


@pytest.fixture
def lena_at_the_centre(app, db):
    """LENA's CL Maternel Mercredis line with January's and February's Wednesdays booked,
    January invoiced (as on 15/01/2027, its month's invoice issued early for the test)."""
    lena = demo_child("LENA")
    line = factories.enrolment(lena, "CL Maternel Mercredis")
    january = wednesdays(datetime.date(2027, 1, 1), datetime.date(2027, 1, 31))
    february = wednesdays(datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))
    for day in january + february:
        factories.booking(lena, "CL Maternel Mercredis", day, price_cents=1040)
    with app.app_context():
        issue_month(2027, 1, "C", datetime.datetime(2027, 1, 15, 9, 0, tzinfo=PARIS), force=True)
    return line, january, february


@pytest.mark.app_config(PORTAIL_TODAY="2027-01-15T10:00")
def test_desinscrire_from_february_cancels_february_keeps_january_one_email(
        client, auth, db, mailbox, lena_at_the_centre):
    line, january, february = lena_at_the_centre
    auth.login("famille 16122")
    page = unescaped(client.get("/inscription/"))
    # The date offered by default (and the earliest) is the first one still changeable.
    assert f'id="ligne-{line.id}-closed_from"' in page
    assert 'min="2027-02-01"' in page and 'value="2027-02-01"' in page
    mailbox.clear()
    response = post_form(client, auth, f"/inscription/ligne/{line.id}/desinscrire",
                         f"ligne-{line.id}", closed_from="2027-02-01")
    assert response.status_code == 303
    assert lena_days("CL Maternel Mercredis") == january
    assert InvoicedBooking.select().count() >= len(january)
    [email] = mailbox.messages
    text = MailBox.text(email)
    assert "désinscription de CL Maternel Mercredis à partir du 01/02/2027" in email["Subject"]
    for day in february:
        assert day.strftime("%d/%m/%Y") in text
    assert f"Réservations annulées ({len(february)} jour(s)" in text
    row = AuditLog.get(AuditLog.action == audit.INSCRIPTION_CLOSED)
    assert f"{len(february)} jour(s) annulé(s)" in audit.details_of(row)["summary"]
    page = text_of(client.get("/inscription/"))
    assert "Fermée à partir du 01/02/2027" in page or "fermée à partir du 01/02/2027" in page


@pytest.mark.app_config(PORTAIL_TODAY="2027-01-15T10:00")
def test_a_family_cannot_close_from_a_day_past_its_deadline(client, auth, db, mailbox,
                                                             lena_at_the_centre):
    line, january, february = lena_at_the_centre
    auth.login("famille 16122")
    response = post_form(client, auth, f"/inscription/ligne/{line.id}/desinscrire",
                         f"ligne-{line.id}", closed_from="2027-01-20")
    assert response.status_code == 422
    assert "avant le 01/02/2027" in error_of(response, f"ligne-{line.id}-closed_from")
    assert lena_days("CL Maternel Mercredis") == january + february
    assert Enrolment.get_by_id(line.id).closed_from is None
    assert mailbox.messages == []


@pytest.mark.app_config(PORTAIL_TODAY="2027-01-15T10:00")
def test_staff_close_from_any_date_with_a_reason_never_cancelling_invoiced_days(
        app, db, mailbox, lena_at_the_centre):
    line, january, february = lena_at_the_centre
    agent = factories.staff_user("agent.fermeture@mairie.example.org")
    with app.app_context():
        with pytest.raises(closing.ClosingRefused, match="motif"):
            closing.close_line(agent, line, datetime.date(2027, 1, 1),
                               datetime.datetime(2027, 1, 15, 10, tzinfo=PARIS), "C",
                               by_staff=True)
        closed = closing.close_line(agent, line, datetime.date(2027, 1, 1),
                                    datetime.datetime(2027, 1, 15, 10, tzinfo=PARIS), "C",
                                    reason="Déménagement", by_staff=True,
                                    email_to="famille.dupont@example.org")
    assert [day for day, _, _ in closed.cancelled] == february
    assert [day for day, _, _ in closed.kept_invoiced] == january
    assert lena_days("CL Maternel Mercredis") == january
    row = AuditLog.get(AuditLog.action == audit.INSCRIPTION_CLOSED)
    assert row.user_id == agent.id and audit.details_of(row)["reason"] == "Déménagement"
    text = MailBox.text(mailbox.messages[0])
    assert "Motif : Déménagement" in text and "Jours déjà facturés" in text


@pytest.mark.app_config(PORTAIL_TODAY="2027-01-15T10:00")
def test_an_agent_closes_the_line_from_the_family_page_with_a_reason(
        client, auth, db, mailbox, lena_at_the_centre):
    line, january, february = lena_at_the_centre
    family = line.child.family
    auth.login("agent")
    page = unescaped(client.get(f"/agents/familles/{family.id}"))
    url = f"/agents/familles/{family.id}/inscriptions/{line.id}/fermer"
    assert url in page
    form_page = client.get(url)
    token = csrf_from(form_page)
    response = client.post(url, data={"csrf_token": token, "target": "fermer",
                                      "closed_from": "2027-01-01", "reason": ""})
    assert response.status_code == 422
    assert "motif" in error_of(response, "reason")
    assert lena_days("CL Maternel Mercredis") == january + february
    mailbox.clear()
    response = client.post(url, data={"csrf_token": token, "target": "fermer",
                                      "closed_from": "2027-01-01",
                                      "reason": "Déménagement"})
    assert response.status_code == 303
    assert lena_days("CL Maternel Mercredis") == january  # invoiced: kept
    assert len(mailbox.messages) == 1
    assert "fermée à partir du 01/01/2027" in text_of(client.get(f"/agents/familles/{family.id}"))


def test_the_administrateur_groups_lines_in_the_catalogue_and_inscription_follows(
        client, auth, db):
    """ALAE Matin put in the « ALAE Soir » group: it now excludes Soir 1 (the demo's own
    group) for LENA."""
    auth.login("administrateur")
    matin = activity("ALAE Matin")
    url = f"/agents/admin/catalogue/activite/{matin.id}"
    token = auth.csrf(url)
    fields = {"csrf_token": token, "name": matin.name, "category": matin.category,
              "audience": matin.audience, "weekdays": matin.weekdays.split(","),
              "holiday_period": "", "capacity": ""}
    response = client.post(url, data=dict(fields, exclusive_group="x" * 61))
    assert response.status_code == 422
    assert "60 caractères" in error_of(response, "exclusive_group")
    assert client.post(url, data=dict(fields, exclusive_group="  ALAE   Soir ")
                       ).status_code == 303
    assert activity("ALAE Matin").exclusive_group == "ALAE Soir"
    row = AuditLog.select().where(AuditLog.action == audit.CATALOGUE_EDITED).order_by(
        AuditLog.id.desc()).first()
    assert audit.details_of(row)["after"] == {"exclusive_group": "ALAE Soir"}
    auth.logout()
    auth.login("famille 16122")
    lena = demo_child("LENA")
    response = enrol_online(client, auth, lena, activity("ALAE Matin"), activity("ALAE Soir 1"))
    assert response.status_code == 422
    assert "s'excluent" in child_error(unescaped(response), lena)


@pytest.mark.parametrize("now, expected", [
    (datetime.datetime(2026, 11, 20, 23, 59, tzinfo=PARIS), datetime.date(2026, 12, 1)),
    (datetime.datetime(2026, 11, 21, 0, 0, tzinfo=PARIS), datetime.date(2027, 1, 1)),
])
def test_the_first_closing_date_follows_the_20th_rule(db, now, expected):
    """Until the 20th at 23:59 (Paris) a monthly line closes from the 1st of next month,
    from the 21st from the 1st of the month after."""
    assert closing.first_closing_date(activity("CL Maternel Mercredis"), now, "C") == expected


def test_a_holiday_line_closes_from_its_first_day_still_in_its_window(db):
    """CLV Noël on 26/11/2026: its window is still open, so its first open day; CLV
    Automne, whose window closed long ago, cannot be closed by the family any more."""
    now = datetime.datetime(2026, 11, 26, 10, tzinfo=PARIS)
    noel = activity("CLV Élémentaire ou maternel Noël")
    first = closing.first_closing_date(noel, now, "C")
    assert first == open_days(noel, noel.school_year.start_date, noel.school_year.end_date,
                              "C")[0]
    assert closing.first_closing_date(activity("CLV Élémentaire ou maternel Automne"), now,
                                      "C") is None


def test_switching_a_line_of_no_exclusive_group_is_refused_without_change(client, auth, db):
    auth.login("famille 16122")
    lena = demo_child("LENA")
    canteen = Enrolment.get(child=lena, activity=activity("Restauration Maternelle"))
    response = post_form(client, auth, f"/inscription/ligne/{canteen.id}/changer",
                         f"changer-{canteen.id}", target=str(activity("ALAE Soir 2").id),
                         switch_from="2027-02-01")
    assert response.status_code == 303
    assert Enrolment.get_by_id(canteen.id).closed_from is None
    assert "n'a pas d'autre ligne qui la remplace" in text_of(client.get("/inscription/"))
