"""Espace agents: the messages of each service, read and answered in their thread."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.common import get_or_404, send_stored_file, thread_link
from blueprints.messagerie.forms import ReplyForm
from blueprints.staff import bp
from domain.messaging import messages as messaging
from models import Family, MessageThread


@bp.route("/messages/")
def messages():
    """Threads of every service (or of ``?service=``), unread ones marked."""
    service = request.args.get("service", "")
    service = service if service in messaging.SERVICES else ""
    return render_template("staff/messages.html", active_tab="staff_messages",
                           services=messaging.SERVICES, service=service,
                           unread_by_service=messaging.staff_unread_by_service(),
                           threads=list(messaging.staff_threads(service or None)))


def _thread(thread_id):
    return get_or_404(MessageThread.select(MessageThread, Family).join(Family)
                      .where(MessageThread.id == thread_id))


def show_thread(thread, form):
    """The thread as staff see it, with the reply form."""
    return render_template("staff/messages_thread.html", active_tab="staff_messages",
                           thread=thread, messages=messaging.thread_messages(thread), form=form)


@bp.route("/messages/<int:thread_id>")
def message_thread(thread_id):
    """Open a thread: the family's messages in it are now read by staff."""
    thread = _thread(thread_id)
    messaging.mark_read_by_staff(thread)
    return show_thread(thread, ReplyForm())


@bp.route("/messages/<int:thread_id>/repondre", methods=["POST"])
def message_reply(thread_id):
    """Answer in the thread; the family is told by email."""
    thread = _thread(thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return show_thread(thread, form)
    messaging.staff_reply(thread, current_user._get_current_object(), form.body.data.strip(),
                          thread_link)
    flash("Votre réponse a été envoyée ; la famille est prévenue par email.", "success")
    return redirect(url_for("staff.message_thread", thread_id=thread.id), code=303)


@bp.route("/messages/piece-jointe/<int:attachment_id>")
def message_attachment(attachment_id):
    """Download an attachment of any family's message."""
    return send_stored_file(get_or_404(messaging.staff_attachment(attachment_id)).file)
