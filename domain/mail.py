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
import logging
import re
import smtplib
import threading
from typing import Callable

from models import OutgoingEmail, utcnow

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


def configure(render, transport, queued):
    """Plug in the renderer, the SMTP transport and the after-queue hook."""
    _Wiring.render, _Wiring.transport, _Wiring.queued = render, transport, queued


def send_email(recipient, subject, template, **context):
    """Queue the mail rendered from ``template``.txt/.html; the app delivers it."""
    # A subject on one line: a line break typed by a user (a forged message subject)
    # would inject headers, and Flask-Mail would refuse the mail on every retry.
    subject = re.sub(r"\s*[\r\n]+\s*", " ", subject)
    text, html = _Wiring.render(template, context)
    email = OutgoingEmail.create(recipient=recipient, subject=subject,
                                 body_text=text, body_html=html)
    _Wiring.queued()
    return email


_delivery_lock = threading.Lock()


def deliver_pending():
    """Try every unsent mail (oldest first); returns the number sent."""
    sent = 0
    with _delivery_lock:
        pending = list(OutgoingEmail.select().where(
            OutgoingEmail.sent_at.is_null() & (OutgoingEmail.attempts < MAX_ATTEMPTS)
        ).order_by(OutgoingEmail.id))
        for email in pending:
            try:
                _Wiring.transport(email)
            except Exception as error:  # keep it and retry later
                log.warning("Mail %s to %s not sent: %s",
                                           email.id, email.recipient, error)
                OutgoingEmail.update(attempts=OutgoingEmail.attempts + 1,
                                     last_error=str(error)[:500]).where(
                    OutgoingEmail.id == email.id).execute()
                if isinstance(error, MESSAGE_ERRORS):
                    continue  # this mail only (a refused recipient): send the others
                break  # the server is down or unreachable: the others would fail too
            OutgoingEmail.update(sent_at=utcnow(), attempts=OutgoingEmail.attempts + 1,
                                 last_error="").where(OutgoingEmail.id == email.id).execute()
            sent += 1
    return sent
