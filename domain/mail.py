"""Outgoing email through an outbox: a mail is saved first, then sent.

Sending never blocks nor breaks the request: ``send_email`` stores the mail
and hands it to a background thread (or sends inline when ``MAIL_ASYNC`` is
off, as in tests). A failure is logged and kept; the next send, or
``flask --app app send-mail``, retries it.
"""
import re
import smtplib
import threading

from flask import current_app, render_template
from flask_mail import Mail, Message

from models import OutgoingEmail, db, utcnow

mail = Mail()
MAX_ATTEMPTS = 10
#: Failures of one message, not of the server: the next mails may still go.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError, ValueError)


def send_email(recipient, subject, template, **context):
    """Queue the mail rendered from ``template``.txt/.html and start its delivery."""
    # A subject on one line: a line break typed by a user (a forged message subject)
    # would inject headers, and Flask-Mail would refuse the mail on every retry.
    subject = re.sub(r"\s*[\r\n]+\s*", " ", subject)
    text = render_template(f"{template}.txt", **context)
    html = render_template(f"{template}.html", **context)
    email = OutgoingEmail.create(recipient=recipient, subject=subject,
                                 body_text=text, body_html=html)
    app = current_app._get_current_object()
    if app.config.get("MAIL_ASYNC", True):
        # After the request's transaction: the thread opens its own connection.
        threading.Thread(target=_deliver_in_thread, args=(app,), daemon=True).start()
    else:
        deliver_pending()
    return email


def _deliver_in_thread(app):
    with app.app_context():
        with db.connection_context():
            deliver_pending()


_delivery_lock = threading.Lock()


def deliver_pending():
    """Try every unsent mail (oldest first); returns the number sent."""
    sent = 0
    with _delivery_lock:
        pending = list(OutgoingEmail.select().where(
            OutgoingEmail.sent_at.is_null() & (OutgoingEmail.attempts < MAX_ATTEMPTS)
        ).order_by(OutgoingEmail.id))
        for email in pending:
            message = Message(subject=email.subject, recipients=[email.recipient],
                              body=email.body_text, html=email.body_html)
            try:
                mail.send(message)
            except Exception as error:  # keep it and retry later
                current_app.logger.warning("Mail %s to %s not sent: %s",
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
