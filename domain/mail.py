"""Outgoing email through an outbox: a mail is saved first, then sent.

Sending never blocks nor breaks the request: ``send_email`` stores the mail in
the caller's transaction and tells the app, which delivers after the request
(in a background thread, or inline when ``MAIL_ASYNC`` is off, as in tests).
A failure is logged and kept; the next delivery, or ``flask --app app
send-mail``, retries it. The web side is plugged in by :func:`configure`: how
a template is rendered, how one mail is handed to the SMTP server, and what to
do once a mail is queued; this module knows nothing of Flask. Each email of
the portal is one function of ``domain.notifications``.
"""
import datetime
import json
import logging
import re
import smtplib
import time
from typing import Callable

from domain.clock import utc_now
from models import DATABASE_DOWN, OutgoingEmail, db, first_where

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
#: Failures of one message, not of the server: the next mails may still go.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError, ValueError)


class _Wiring:
    """What the app plugs in (``configure``)."""

    #: (template, context) -> (text, html)
    render: Callable[[str, dict], tuple[str, str]] | None = None
    #: OutgoingEmail -> None, raises on failure
    transport: Callable[[OutgoingEmail], None] | None = None
    #: called once a mail is queued (the app delivers after the commit)
    queued: Callable[[], None] = staticmethod(lambda: None)
    #: (user id, kind) -> the address of the one-click link that refuses that kind
    unsubscribe_url: Callable[[int, str], str] | None = None


def configure(render, transport, queued, unsubscribe_url=None):
    """Plug in the renderer, the SMTP transport, the after-queue hook and the maker of
    one-click unsubscribe links."""
    _Wiring.render, _Wiring.transport, _Wiring.queued = render, transport, queued
    _Wiring.unsubscribe_url = unsubscribe_url


def unsubscribe_url(user_id, kind):
    """The signed one-click address that stops emails of ``kind`` to the user, or None
    when the app plugged in none."""
    return _Wiring.unsubscribe_url(user_id, kind) if _Wiring.unsubscribe_url else None


def unsubscribe_headers(url):
    """RFC 8058's headers for a one-click unsubscribe at ``url`` (mail clients POST
    ``List-Unsubscribe=One-Click`` to it)."""
    return {"List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_email(recipient, subject, template, mail_headers=None, **context):
    """Queue the mail rendered from ``template``.txt/.html; the app delivers it.
    ``mail_headers``: extra headers (``List-Unsubscribe``), kept with the mail."""
    # A subject on one line: a line break typed by a user (a forged message subject)
    # would inject headers, and Flask-Mail would refuse the mail on every retry.
    subject = re.sub(r"\s*[\r\n]+\s*", " ", subject)
    text, html = _Wiring.render(template, context)
    email = OutgoingEmail.create(recipient=recipient, subject=subject,
                                 body_text=text, body_html=html,
                                 headers=json.dumps(mail_headers) if mail_headers else "")
    _Wiring.queued()
    return email


def send_many(mails):
    """Queue many mails at once (bulk inserts), then tell the app once.
    ``mails``: ``[(recipient, subject, template, context)]``, or with a fifth item, the
    mail's extra headers; returns their number."""
    rows = []
    for recipient, subject, template, context, *headers in mails:
        text, html = _Wiring.render(template, context)
        rows.append({"recipient": recipient, "subject": re.sub(r"\s*[\r\n]+\s*", " ", subject),
                     "body_text": text, "body_html": html, "created_at": utc_now(),
                     "headers": json.dumps(headers[0]) if headers and headers[0] else ""})
    for start in range(0, len(rows), 500):
        OutgoingEmail.insert_many(rows[start:start + 500]).execute()
    if rows:
        _Wiring.queued()
    return len(rows)


#: How long a process may take to send one email before another may take it over: more
#: than the longest a live sender can take (each of the SMTP conversation's 8 steps may
#: use ``mailer.SMTP_TIMEOUT``, then recording it may wait ``MARK_SENT_WAITS``), so that
#: it has finished or failed by then; an email claimed by a process that died (a killed
#: worker) goes with the next delivery after the lease.
CLAIM_LEASE = datetime.timedelta(minutes=4)
#: The steps of one SMTP conversation (connect, EHLO, MAIL, RCPT, DATA, the message,
#: its end, QUIT), each bounded by the transport's timeout.
SMTP_STEPS = 8


def _wall_clock():
    """Real UTC time: claims are about processes, not the portal's (maybe fixed) clock."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


#: After a failed attempt, the email waits before the next one (doubling from 30 s, at
#: most an hour): while the server is down, the deliveries that every TERMINER starts
#: would otherwise use up its ``MAX_ATTEMPTS`` in a second and drop it. Ten attempts
#: span about three hours.
FIRST_RETRY = datetime.timedelta(seconds=30)
LAST_RETRY = datetime.timedelta(hours=1)


def retry_delay(attempts):
    """How long an email that failed ``attempts`` times waits before the next try."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


def _unclaimed(now):
    return (OutgoingEmail.sent_at.is_null() & (OutgoingEmail.attempts < MAX_ATTEMPTS)
            & (OutgoingEmail.claimed_until.is_null() | (OutgoingEmail.claimed_until < now)))


def _statement(text):
    """``text`` with the outbox's table, its columns and the database's parameter mark
    (``{table}``, ``{sent_at}``..., ``{p}``): every delivery after a TERMINER runs these
    few statements, which peewee took longer to build than the database to run."""
    names = {name: f'"{field.column_name}"' for name, field in OutgoingEmail._meta.fields.items()}
    return text.format(table=f'"{OutgoingEmail._meta.table_name}"', p=db.param, **names)


_UNCLAIMED_SQL = ("{sent_at} IS NULL AND {attempts} < {p} "
                  "AND ({claimed_until} IS NULL OR {claimed_until} < {p})")
_CANDIDATES_SQL = "SELECT {id} FROM {table} WHERE " + _UNCLAIMED_SQL + " ORDER BY {id}"
_CLAIM_SQL = "UPDATE {table} SET {claimed_until} = {p} WHERE {id} = {p} AND " + _UNCLAIMED_SQL
_SENT_SQL = ("UPDATE {table} SET {sent_at} = {p}, {attempts} = {attempts} + 1, "
             "{claimed_until} = NULL, {last_error} = '', {body_text} = {p}, "
             "{body_html} = NULL WHERE {id} = {p}")


def _stamp(moment):
    return OutgoingEmail.claimed_until.db_value(moment)


def claim(email_id):
    """Take the email ``email_id`` for this process, atomically: True when no other
    process had it (a conditional UPDATE: of concurrent claims exactly one changes
    the row, on SQLite as on PostgreSQL), False when it is sent or another has it."""
    now = _wall_clock()
    cursor = db.execute_sql(_statement(_CLAIM_SQL), [
        _stamp(now + CLAIM_LEASE), email_id, MAX_ATTEMPTS, _stamp(now)])
    return cursor.rowcount == 1


def deliver_pending():
    """Send every unsent mail no other process is sending (oldest first); each is claimed
    before it is sent, so any number of workers, threads and ``flask send-mail`` send
    each email once. Returns the number this call sent."""
    sent = 0
    candidates = [email_id for (email_id,) in db.execute_sql(
        _statement(_CANDIDATES_SQL), [MAX_ATTEMPTS, _stamp(_wall_clock())]).fetchall()]
    for email_id in candidates:
        if not claim(email_id):
            continue  # sent meanwhile, or another process is sending it
        email = first_where(OutgoingEmail, id=email_id)
        try:
            _Wiring.transport(email)
        except Exception as error:  # keep it and retry later
            log.warning("Mail %s not sent: %s", email.id, type(error).__name__)
            # ``claimed_until`` doubles as "not before": the next try waits.
            OutgoingEmail.update(attempts=OutgoingEmail.attempts + 1,
                                 claimed_until=_wall_clock() + retry_delay(email.attempts + 1),
                                 last_error=str(error)[:500]).where(
                OutgoingEmail.id == email.id).execute()
            if isinstance(error, MESSAGE_ERRORS):
                continue  # this mail only (a refused recipient): send the others
            break  # the server is down or unreachable: the others would fail too
        _mark_sent(email.id)
        sent += 1
    return sent


def redact_done():
    """Forget the body of every mail sent (before bodies were forgotten at sending) or
    given up after ``MAX_ATTEMPTS``: their links and message copies must not stay in
    the outbox nor in backups. Returns how many were redacted."""
    done = OutgoingEmail.sent_at.is_null(False) | (OutgoingEmail.attempts >= MAX_ATTEMPTS)
    return (OutgoingEmail.update(body_text=REDACTED, body_html=None)
            .where(done & (OutgoingEmail.body_text != REDACTED)).execute())


#: Waits (seconds) between tries to record that an email went, while the database is
#: away: about 30 s in all, less than ``CLAIM_LEASE``.
MARK_SENT_WAITS = (0.5, 1, 2, 4, 8, 16)


def _pause(seconds):
    time.sleep(seconds)


#: What is left of a mail's body once sent: its links (reset, invitation, email
#: change) and the copies of families' messages must not sit in the outbox and in
#: every backup. Recipient, subject and dates stay: what the audit needs.
REDACTED = "[Contenu effacé après l'envoi.]"


def _record_sent(email_id):
    """The UPDATE saying the email went: its body forgotten, its claim released."""
    db.execute_sql(_statement(_SENT_SQL), [_stamp(utc_now()), REDACTED, email_id])


def _mark_sent(email_id):
    """Record that the email went (and forget its body), even while the database
    restarts: an email sent but not recorded would go again once its claim lapsed (seen
    when PostgreSQL restarted during a rush)."""
    database = OutgoingEmail._meta.database
    for wait in (*MARK_SENT_WAITS, None):
        try:
            database.connect(reuse_if_open=True)
            _record_sent(email_id)
            return
        except DATABASE_DOWN:
            if wait is None or database.in_transaction():
                raise
            log.warning("Mail %s sent, not yet recorded: the database is away", email_id)
            if not database.is_closed():
                database.close()  # a broken connection: the next try takes a new one
            _pause(wait)
