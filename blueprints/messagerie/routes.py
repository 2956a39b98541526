"""MESSAGERIE: messages received and sent, threads, NOUS ENVOYER UN MESSAGE."""
from flask import flash, redirect, render_template, request, url_for

from blueprints.common import (
    current_family,
    form_status,
    get_or_404,
    send_stored_file,
    staff_thread_link,
    thread_link,
)
from blueprints.htmx import current_actor, is_htmx, render
from blueprints.messagerie import bp
from blueprints.messagerie.forms import (
    TOO_MANY_FILES,
    MessageForm,
    ReplyWithFilesForm,
    checked_reply,
    submitted_files,
)
from domain.family.dossier import ACTUALISATION_SERVICE
from domain.messaging import messages as messaging
from domain.messaging.messages import ACTUALISATION_ATTACHMENT_HINTS


@bp.route("/")
def index():
    """Message(s) reçu(s)."""
    messages = messaging.received_messages(current_family())
    return render_template("messagerie/received.html",
                           section="received", messages=messages)


@bp.route("/envoyes")
def sent():
    """Message(s) envoyé(s)."""
    messages = messaging.sent_messages(current_family())
    return render_template("messagerie/sent.html",
                           section="sent", messages=messages)


def prefilled_form():
    """The form pre-filled from the query (``service``, ``theme``, ``subject``)."""
    offered = messaging.services()
    service = request.args.get("service", "")
    service = service if service in offered else ""
    theme = request.args.get("theme", "")
    theme = theme if theme in offered.get(service, ()) else ""
    return MessageForm(service=service, theme=theme,
                       subject=request.args.get("subject", "")[:150])


def attachment_hints(form):
    """What each attachment is for, when the service asks for given documents."""
    return ACTUALISATION_ATTACHMENT_HINTS if form.service.data == ACTUALISATION_SERVICE else ()


def show_form(form, file_errors=None, files_error=None, resend=None, status=200):
    """The page NOUS ENVOYER UN MESSAGE, with the errors of the last try (``status``: 422
    when it was refused).

    ``file_errors`` maps a file field to its message; ``resend`` maps the fields
    whose file was fine to its name (browsers cannot fill a file input again).
    """
    for name, message in (file_errors or {}).items():
        form[name].errors = list(form[name].errors) + [message]
    return render("messagerie/new_message.html",
                  section="new", form=form, files_error=files_error,
                  resend=resend or {}, attachment_hints=attachment_hints(form),
                  resend_files=bool(file_errors or resend or files_error), status=status)


@bp.route("/envoyer", methods=["GET", "POST"])
def new_message():
    """NOUS ENVOYER UN MESSAGE; without JavaScript "Choisir ce service" reloads the themes."""
    if request.method == "GET":
        return show_form(prefilled_form())
    form = MessageForm()
    if request.form.get("choose_service"):
        return show_form(form)
    named, too_many = submitted_files(request.files)
    checked, file_errors = messaging.check_attachments(named)
    form_ok = form.validate_on_submit()
    if not form_ok or file_errors or too_many:
        kept = {name: f.filename for name, f in named if name not in file_errors}
        return show_form(form, file_errors, TOO_MANY_FILES if too_many else None, kept, 422)
    messaging.send_family_message(current_family(), current_actor(),
                                  form.service.data, form.theme.data, form.subject.data.strip(),
                                  form.body.data.strip(), checked, form.confirm_by_email.data,
                                  thread_link, staff_thread_link)
    flash("Votre message a été envoyé." + (" Une confirmation vous est envoyée par email."
                                           if form.confirm_by_email.data else ""), "success")
    return redirect(url_for("messagerie.sent"), code=303)


@bp.route("/envoyer/themes")
def theme_field():
    """The Thème list of a service: the field alone for htmx, else the whole form."""
    form = prefilled_form()
    return render("messagerie/new_message.html", "messagerie/_theme_field.html", section="new", form=form, files_error=None,
                  resend={}, attachment_hints=attachment_hints(form), resend_files=False,
                  oob_hints=is_htmx())


@bp.route("/fil/<int:thread_id>")
def thread(thread_id):
    """A thread with every message; opening it marks the services' messages read."""
    conversation = get_or_404(messaging.family_thread(current_family(), thread_id))
    messaging.mark_read_by_family(conversation)
    return show_thread(conversation, ReplyWithFilesForm())


def show_thread(conversation, form, files_error=None, kept=None, status=None):
    """The thread page with its reply form (422 when the reply was refused)."""
    return render("messagerie/thread.html", section=None,
                  thread=conversation, messages=messaging.thread_messages(conversation),
                  form=form, files_error=files_error, kept=kept or {},
                  status=status or form_status(form))


@bp.route("/fil/<int:thread_id>/repondre", methods=["POST"])
def reply(thread_id):
    """The family writes again in one of its threads, with up to four attachments
    (checked all together before any is saved, as in a new message)."""
    conversation = get_or_404(messaging.family_thread(current_family(), thread_id))
    form = ReplyWithFilesForm()
    checked, refused = checked_reply(form, request.files)
    if refused:
        return show_thread(conversation, form, *refused, 422)
    messaging.family_writes_again(conversation, current_actor(),
                                  form.body.data.strip(), staff_thread_link, checked)
    flash("Votre message a été envoyé.", "success")
    return redirect(url_for("messagerie.thread", thread_id=conversation.id), code=303)


@bp.route("/piece-jointe/<int:attachment_id>")
def attachment(attachment_id):
    """Download an attachment of one of the family's messages."""
    found = get_or_404(messaging.family_attachment(current_family(), attachment_id))
    return send_stored_file(found.file)
