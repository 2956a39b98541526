"""Mail goes through an outbox: a down SMTP server breaks nothing and loses nothing."""
import socket

from domain.mail import deliver_pending
from models import OutgoingEmail
from tests.conftest import csrf_from
from tests.helpers import mail_retry_time_passes


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once closed


def test_mail_server_down_then_back(app, client, mailbox, db, monkeypatch):
    app.config["MAIL_PORT"] = closed_port()
    app.extensions["mail"].port = app.config["MAIL_PORT"]
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    response = client.post("/mot-de-passe-oublie", data={"identifier": "16122",
                                                         "csrf_token": csrf_from(page)})
    assert response.status_code == 200  # the family is not shown an error
    [email] = OutgoingEmail.select()
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    assert mailbox.messages == []
    # The server is back: the retry (cron: flask send-mail) sends it once, 30 s later.
    app.extensions["mail"].port = mailbox.port
    with app.app_context():
        assert deliver_pending() == 0
        mail_retry_time_passes(monkeypatch)
        assert deliver_pending() == 1
        assert deliver_pending() == 0
    assert len(mailbox.to("famille.dupont@example.org")) == 1
    assert OutgoingEmail.get_by_id(email.id).sent_at is not None


def test_mail_has_text_and_html_parts(client, mailbox):
    page = client.get("/mot-de-passe-oublie").get_data(as_text=True)
    client.post("/mot-de-passe-oublie", data={"identifier": "famille.dupont@example.org",
                                              "csrf_token": csrf_from(page)})
    [mail] = mailbox.messages
    assert "réinitialisation" in mail["Subject"]
    assert "/reinitialiser/" in mailbox.text(mail)
    assert '<a href="http://localhost/reinitialiser/' in mailbox.html(mail)


def test_mail_renders_outside_a_request(app):
    """A command or a background job renders mail with no signed-in user."""
    from flask import render_template
    with app.app_context():
        text = render_template("auth/email/reset_password.txt", link="http://x/l", minutes=60)
    assert "http://x/l" in text


def test_a_refused_recipient_does_not_hold_up_the_mails_behind_it(app, mailbox, db):
    """The SMTP server refuses one address: that mail waits, the next one goes."""
    from domain.mail import send_email
    mailbox.refuse = {"refuse@example.org"}
    try:
        with app.app_context():
            for address in ("refuse@example.org", "famille.dupont@example.org"):
                send_email(address, "Essai", "auth/email/reset_password", link="x",
                           user=None, minutes=1)
    finally:
        mailbox.refuse = set()
    assert [m.envelope_rcpt for m in mailbox.messages] == [["famille.dupont@example.org"]]
    refused = OutgoingEmail.get(OutgoingEmail.recipient == "refuse@example.org")
    assert refused.sent_at is None and "refuse@example.org" in refused.last_error


def test_a_mail_server_that_never_answers_fails_within_the_timeout(app, db, monkeypatch):
    import time

    import mailer
    from domain.mail import CLAIM_LEASE, MARK_SENT_WAITS, SMTP_STEPS
    # A live sender is done before its claim lapses: no other process sends it meanwhile.
    slowest = SMTP_STEPS * mailer.SMTP_TIMEOUT + sum(MARK_SENT_WAITS)
    assert slowest < CLAIM_LEASE.total_seconds()
    monkeypatch.setattr(mailer, "SMTP_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections (backlog), never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        app.extensions["mail"].port = silent.getsockname()[1]
        OutgoingEmail.create(recipient="famille@example.org", subject="Récapitulatif",
                             body_text="texte", body_html="<p>texte</p>")
        started = time.monotonic()
        with app.app_context():
            assert deliver_pending() == 0
        assert time.monotonic() - started < 5
    [email] = OutgoingEmail.select()
    assert email.sent_at is None and email.attempts == 1
    assert "timed out" in email.last_error


def test_while_the_server_is_down_each_email_waits_longer_between_tries(app, db, monkeypatch,
                                                                       mailbox):
    """Every TERMINER starts a delivery: without a wait, a minute's outage during a rush
    used up an email's 10 attempts in a second and dropped it."""
    from domain.mail import MAX_ATTEMPTS, retry_delay
    app.extensions["mail"].port = closed_port()
    OutgoingEmail.create(recipient="famille@example.org", subject="Récapitulatif",
                         body_text="texte", body_html="<p>texte</p>")
    with app.app_context():
        for _ in range(3 * MAX_ATTEMPTS):  # a rush of deliveries while the server is down
            deliver_pending()
    assert OutgoingEmail.get().attempts == 1
    waits = [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [30, 60, 120, 240] and max(waits) == 3600
    assert sum(waits) > 3 * 3600  # the server may be down for hours: the mail still goes
    app.extensions["mail"].port = mailbox.port
    mail_retry_time_passes(monkeypatch)
    with app.app_context():
        assert deliver_pending() == 1
    assert len(mailbox.to("famille@example.org")) == 1


def test_an_email_sent_while_the_database_drops_is_recorded_once_it_is_back(
        app, db, mailbox, monkeypatch):
    """PostgreSQL restarted between the SMTP send and the update saying so: the email
    stayed unsent and went a second time once its claim lapsed."""
    import peewee

    from domain import mail
    OutgoingEmail.create(recipient="famille@example.org", subject="Récapitulatif",
                         body_text="texte", body_html="<p>texte</p>")
    real_record, failures, pauses = mail._record_sent, [2], []

    def record_while_the_database_restarts(email_id):
        if failures[0]:
            failures[0] -= 1
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return real_record(email_id)

    monkeypatch.setattr(mail, "_record_sent", record_while_the_database_restarts)
    monkeypatch.setattr(mail, "_pause", pauses.append)
    with app.app_context():
        assert deliver_pending() == 1
    monkeypatch.setattr(mail, "_record_sent", real_record)
    mail_retry_time_passes(monkeypatch, minutes=10)
    with app.app_context():
        assert deliver_pending() == 0
    assert pauses == [0.5, 1]
    assert OutgoingEmail.get().sent_at is not None
    assert len(mailbox.to("famille@example.org")) == 1


def test_an_email_keeps_its_message_id_from_one_try_to_the_next(app, db, mailbox, monkeypatch):
    """A copy sent twice (a worker killed after the SMTP server took it, before the
    outbox recorded it) is the same message for the family's mail client."""
    OutgoingEmail.create(recipient="famille@example.org", subject="Récapitulatif",
                         body_text="texte", body_html="<p>texte</p>")
    with app.app_context():
        assert deliver_pending() == 1
        OutgoingEmail.update(sent_at=None).execute()  # as if the record had been lost
        assert deliver_pending() == 1
    first, second = mailbox.to("famille@example.org")
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox-{OutgoingEmail.get().id}-")
