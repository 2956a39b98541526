"""Espace agents: the messages of each service, read, answered (with attachments) and
marked "traité"; the services' own addresses (administrateur)."""
from flask import abort, flash, redirect, request, url_for

from blueprints.common import EmptyForm, get_or_404, send_stored_file, thread_link
from blueprints.htmx import current_actor, render
from blueprints.messagerie.forms import checked_reply
from blueprints.staff import admin_bp, bp
from blueprints.staff.forms import NewServiceForm, ServiceMailboxForm, StaffReplyForm
from domain.messaging import messages as messaging
from models import Family, MessageThread


@bp.route("/messages/")
def messages():
    """Threads of every service (or of ``?service=``), unread ones marked; ``?etat=``
    keeps those to treat (the default), the treated ones or all."""
    names = messaging.service_names()
    service = request.args.get("service", "")
    service = service if service in names else ""
    treatment = request.args.get("etat", "a-traiter")
    treatment = treatment if treatment in messaging.TREATMENT_FILTERS else "a-traiter"
    return render("staff/messages/index.html",
                  services=names, service=service, treatment=treatment,
                  treatment_filters=messaging.TREATMENT_FILTERS,
                  unread_by_service=messaging.staff_unread_by_service(),
                  threads=list(messaging.staff_threads(service or None, treatment)))


def _thread(thread_id):
    return get_or_404(MessageThread.select(MessageThread, Family).join(Family)
                      .where(MessageThread.id == thread_id))


def show_thread(thread, form, files_error=None, kept=None, status=200):
    """The thread as staff see it, with the reply form."""
    return render("staff/messages/thread.html",
                  thread=thread, messages=messaging.thread_messages(thread), form=form,
                  files_error=files_error, kept=kept or {},
                  treat_form=EmptyForm(prefix="traite"), status=status)


@bp.route("/messages/<int:thread_id>")
def message_thread(thread_id):
    """Open a thread: the family's messages in it are now read by staff."""
    thread = _thread(thread_id)
    messaging.mark_read_by_staff(thread)
    return show_thread(thread, StaffReplyForm())


@bp.route("/messages/<int:thread_id>/repondre", methods=["POST"])
def message_reply(thread_id):
    """Answer in the thread, with up to four attachments; the family is told by email
    with the text of the answer."""
    thread = _thread(thread_id)
    form = StaffReplyForm()
    checked, refused = checked_reply(form, request.files)
    if refused:
        return show_thread(thread, form, *refused, 422)
    messaging.staff_reply(thread, current_actor(), form.body.data.strip(),
                          thread_link, checked)
    flash("Votre réponse a été envoyée ; la famille est prévenue par email.", "success")
    return redirect(url_for("staff.message_thread", thread_id=thread.id), code=303)


@bp.route("/messages/<int:thread_id>/traite", methods=["POST"])
def message_treated(thread_id):
    """Mark the thread "traité" (``traite=1``) or to treat again (``traite=0``)."""
    thread = _thread(thread_id)
    if not EmptyForm(prefix="traite").validate_on_submit():
        abort(400)
    treated = request.form.get("traite") != "0"
    messaging.mark_treated(current_actor(), thread, treated)
    flash("Le fil est marqué traité." if treated else "Le fil est de nouveau à traiter.",
          "success")
    return redirect(url_for("staff.message_thread", thread_id=thread.id), code=303)


@bp.route("/messages/piece-jointe/<int:attachment_id>")
def message_attachment(attachment_id):
    """Download an attachment of any family's message."""
    return send_stored_file(get_or_404(messaging.staff_attachment(attachment_id)).file)


# --- The services' own addresses (administrateur) ----------------------------


def _service_forms(failed=None):
    """{Service: its form, filled with its settings} (``failed``: (name, the refused form))."""
    forms = {}
    for index, service in enumerate(messaging.all_services(), 1):
        if failed is not None and failed[0] == service.name:
            forms[service] = failed[1]
        else:
            forms[service] = ServiceMailboxForm(prefix=f"service-{index}", formdata=None,
                                                email=service.email, active=service.active,
                                                themes="\n".join(service.themes))
    return forms


def _services_page(failed=None, new_form=None, status=200):
    return render("staff/messages/services.html", active_tab="staff_services",
                  forms=_service_forms(failed), new_form=new_form or NewServiceForm(
                      prefix="nouveau", formdata=None, active=True),
                  status=status)


@admin_bp.route("/services", methods=["GET"])
def service_mailboxes():
    """The services of the MESSAGERIE: the address each is told at of a new family message
    (empty: none), whether families may write to it, its themes; add a service."""
    return _services_page()


@admin_bp.route("/services/<int:index>", methods=["POST"])
def service_mailbox(index):
    """Set the address, the state and the themes of the ``index``-th service."""
    services = messaging.all_services()
    if not 1 <= index <= len(services):
        abort(404)
    service = services[index - 1]
    form = ServiceMailboxForm(prefix=f"service-{index}")
    changed = False
    if form.validate_on_submit():
        try:
            changed = messaging.set_service(current_actor(), service.name,
                                            form.email.data or "", form.active.data,
                                            form.themes.data)
        except messaging.ServiceProblem as problem:
            form[problem.field].errors = list(form[problem.field].errors) + [str(problem)]
    if form.errors:
        return _services_page(failed=(service.name, form), status=422)
    flash(f"Service « {service.name} » enregistré." if changed
          else "Rien n'a changé.", "success" if changed else "info")
    return redirect(url_for("staff.admin.service_mailboxes"), code=303)


@admin_bp.route("/services/ajouter", methods=["POST"])
def service_add():
    """Ajouter un service: families may write to it at once."""
    form = NewServiceForm(prefix="nouveau")
    if form.validate_on_submit():
        try:
            added = messaging.add_service(current_actor(), form.name.data,
                                          form.email.data or "", form.themes.data)
        except messaging.ServiceProblem as problem:
            form[problem.field].errors = list(form[problem.field].errors) + [str(problem)]
        else:
            flash(f"Service « {added.name} » ajouté à la messagerie.", "success")
            return redirect(url_for("staff.admin.service_mailboxes"), code=303)
    return _services_page(new_form=form, status=422)
