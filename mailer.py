"""The web side of the outbox (``domain.mail``): Jinja templates, Flask-Mail, delivery
after the request.

A mail queued during a request is delivered once the view has returned (its
transaction committed): in a background thread with its own connection, or
inline when ``MAIL_ASYNC`` is off (tests). A mail queued by a command or a
thread of our own is delivered at once the same way.
"""
import functools
import json
import smtplib
import socket
import threading
from email.utils import make_msgid

import flask_mail
from flask import current_app, g, has_request_context, render_template
from flask_mail import Connection, Message

import models
from blueprints.common import public_base
from domain import email_prefs, mail as outbox
from extensions import mail


def init_app(app):
    """Bind Flask-Mail and plug the renderer, transport and hook into the outbox."""
    mail.init_app(app)
    outbox.configure(render=_render, transport=_send, queued=_queued,
                     unsubscribe_url=_unsubscribe_url)

    @app.after_request
    def deliver_queued_mail(response):
        if g.pop("mail_queued", False):
            _deliver(current_app._get_current_object())
        return response


def _unsubscribe_url(user_id, kind):
    """The one-click link of ``blueprints.desabonnement`` (made without a request: the
    reminders' command sends too)."""
    token = email_prefs.unsubscribe_token(current_app.config["SECRET_KEY"], user_id, kind)
    return public_base() + f"/desabonnement/{token}"


def _render(template, context):
    return (render_template(f"{template}.txt", **context),
            render_template(f"{template}.html", **context))


#: Seconds an SMTP server may take to answer each step (Flask-Mail sets none: a server
#: that accepts and then hangs would hold the sending thread, and its claim, for ever).
#: ``domain.mail.CLAIM_LEASE`` outlasts a whole conversation of such steps.
SMTP_TIMEOUT = 20


@functools.cache
def _host_name():
    """This machine's name, looked up once: smtplib (for EHLO) and Flask-Mail (for a
    Message-ID that ``message_id`` replaces anyway) looked it up at every email (a DNS
    query, 2 ms here)."""
    return socket.getfqdn()


flask_mail.make_msgid = lambda: make_msgid(domain=_host_name())


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout on the SMTP socket."""

    def configure_host(self):
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, local_hostname=_host_name(),
                    timeout=SMTP_TIMEOUT)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def message_id(email):
    """The email's Message-ID, the same at every try: should a copy go twice (a worker
    killed between the SMTP server's "250 OK" and the record that the email went), mail
    clients know it for the same message."""
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ") \
        or "localhost"
    return f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain}>"


def _send(email):
    message = Message(subject=email.subject, recipients=[email.recipient],
                      body=email.body_text, html=email.body_html)
    message.msgId = message_id(email)
    if email.headers:
        message.extra_headers = json.loads(email.headers)
    with _TimedConnection(current_app.extensions["mail"]) as connection:
        message.send(connection)


def _queued():
    if has_request_context():
        g.mail_queued = True  # after the view: its transaction is committed by then
    else:
        _deliver(current_app._get_current_object())


def _deliver(app):
    if app.config.get("MAIL_ASYNC", True):
        threading.Thread(target=_deliver_in_thread, args=(app,), daemon=True).start()
    else:
        outbox.deliver_pending()


def _deliver_in_thread(app):
    with app.app_context():
        try:
            models.db.connect(reuse_if_open=True)
            outbox.deliver_pending()
        except models.DATABASE_DOWN as error:  # what is left goes with the next delivery
            app.logger.warning("Mails left for later: the database is away (%s)",
                               type(error).__name__)
        finally:
            if not models.db.is_closed():
                models.db.close()
