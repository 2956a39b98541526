"""Messagerie rules shared by the family and staff sides.

A family writes to a service (``SERVICES``) in a new thread; staff answer in the
same thread; either side may write again there. Each message remembers when
the family and when staff read it. Attachments are checked all together
before any is saved (``domain.uploads``).
"""
from peewee import fn

from domain import audit, clock, notifications
from domain.family.dossier import (ACTUALISATION_ATTACHMENTS, ACTUALISATION_SERVICE,
                                   ACTUALISATION_THEMES, actualisation_submitted)
from domain.family.contact import family_email_address
from domain.uploads import UploadError, check_upload, save_upload
from domain.catalogue.years import actualisation_year
from domain.clock import utc_now
from models import (Family, Message, MessageAttachment, MessageThread, ServiceMailbox,
                    StoredFile, db)

GENERAL_THEMES = ("Informations", "Modifications", "Réclamations")

#: Service -> the themes a family may choose for it (the guide's page 12 lists).
SERVICES = {
    "ALAE - Restauration": GENERAL_THEMES,
    "Centres de Loisirs": GENERAL_THEMES,
    "Crèche - Petite Enfance": GENERAL_THEMES,
    "Données du Dossier Famille": GENERAL_THEMES,
    "PAI - ALLERGIE- MDPH": GENERAL_THEMES,
    "Règlement - Facture": GENERAL_THEMES,
    "Scolarité": GENERAL_THEMES,
    ACTUALISATION_SERVICE: tuple(theme for theme, _ in ACTUALISATION_THEMES),
}

ATTACHMENT_LABELS = ("1er pièce jointe", "2ème pièce jointe", "3ème pièce jointe",
                     "4ème pièce jointe")
#: What each attachment is for, in an actualisation message (the guide's "Précisions").
ACTUALISATION_ATTACHMENT_HINTS = ACTUALISATION_ATTACHMENTS + ("Divers documents utiles",)


def themes_for(service):
    """The themes offered for ``service`` (none for an unknown service)."""
    return SERVICES.get(service, ())


def theme_problem(service, theme):
    """A French message when ``theme`` cannot be chosen with ``service``, else None."""
    if not theme:
        return "Sélectionnez un thème."
    if service in SERVICES and theme not in SERVICES[service]:
        return "Ce thème ne correspond pas au service choisi : choisissez l'un des thèmes proposés."
    return None


def check_attachments(named_files):
    """Check every ``(field name, file)`` before any is saved.

    Returns ``(checked uploads in order, {field name: French message})``.
    """
    checked, errors = [], {}
    for name, storage in named_files:
        try:
            checked.append(check_upload(storage))
        except UploadError as error:
            errors[name] = str(error)
    return checked, errors


# --- Read state --------------------------------------------------------------


def unread_count(family):
    """Messages from staff that the family has not read yet."""
    return (Message.select().join(MessageThread)
            .where((MessageThread.family == family) & Message.from_staff
                   & Message.read_by_family_at.is_null())
            .count())


def mark_read_by_family(thread):
    """The family opened ``thread``: every staff message in it is now read."""
    return (Message.update(read_by_family_at=utc_now())
            .where((Message.thread == thread) & Message.from_staff
                   & Message.read_by_family_at.is_null())
            .execute())


def mark_read_by_staff(thread):
    """Staff opened ``thread``: every family message in it is now read."""
    return (Message.update(read_by_staff_at=utc_now())
            .where((Message.thread == thread) & ~Message.from_staff
                   & Message.read_by_staff_at.is_null())
            .execute())


# --- Queries (every family query filtered by the family) --------------------


def _family_messages(family, from_staff):
    return (Message.select(Message, MessageThread).join(MessageThread)
            .where((MessageThread.family == family) & (Message.from_staff == from_staff))
            .order_by(Message.created_at.desc(), Message.id.desc()))


def received_messages(family):
    """Message(s) reçu(s): the services' messages to the family, newest first."""
    return _family_messages(family, True)


def sent_messages(family):
    """Message(s) envoyé(s): the family's messages, newest first."""
    return _family_messages(family, False)


def family_thread(family, thread_id):
    """Query of the family's thread ``thread_id`` (empty for another family's)."""
    return MessageThread.select().where((MessageThread.id == thread_id)
                                        & (MessageThread.family == family))


def family_attachment(family, attachment_id):
    """Query of the attachment ``attachment_id`` if it belongs to the family's threads."""
    return (MessageAttachment.select(MessageAttachment, StoredFile)
            .join(StoredFile).switch(MessageAttachment).join(Message).join(MessageThread)
            .where((MessageAttachment.id == attachment_id) & (MessageThread.family == family)))


def staff_attachment(attachment_id):
    """Query of any message attachment (staff see every service's messages)."""
    return (MessageAttachment.select(MessageAttachment, StoredFile).join(StoredFile)
            .where(MessageAttachment.id == attachment_id))


def thread_messages(thread):
    """The messages of ``thread``, oldest first, each with ``.files`` (its attachments)."""
    messages = list(thread.messages.order_by(Message.created_at, Message.id))
    attachments = (MessageAttachment.select(MessageAttachment, StoredFile).join(StoredFile)
                   .where(MessageAttachment.message.in_([m.id for m in messages] or [0]))
                   .order_by(MessageAttachment.position))
    by_message = {}
    for attachment in attachments:
        by_message.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.files = by_message.get(message.id, [])
    return messages


#: The staff list's filter on "traité": value -> label.
TREATMENT_FILTERS = {"a-traiter": "À traiter", "traites": "Traités", "tous": "Tous"}


def staff_threads(service=None, treatment="tous"):
    """Threads for staff, most recent first, each with ``.unread`` family messages;
    ``treatment`` keeps those to treat (``a-traiter``), the treated ones (``traites``)
    or all."""
    unread = (Message.select(fn.COUNT(Message.id))
              .where((Message.thread == MessageThread.id) & ~Message.from_staff
                     & Message.read_by_staff_at.is_null()))
    query = (MessageThread.select(MessageThread, Family, unread.alias("unread"))
             .join(Family).order_by(MessageThread.updated_at.desc(), MessageThread.id.desc()))
    if service:
        query = query.where(MessageThread.service == service)
    if treatment == "a-traiter":
        query = query.where(MessageThread.treated_at.is_null())
    elif treatment == "traites":
        query = query.where(MessageThread.treated_at.is_null(False))
    return query


def mark_treated(actor, thread, treated=True):
    """Mark ``thread`` "traité" (or to treat again); audited. False when nothing changed."""
    if bool(thread.treated_at) == treated:
        return False
    with db.atomic():
        now = utc_now() if treated else None
        MessageThread.update(treated_at=now, treated_by=actor if treated else None).where(
            MessageThread.id == thread.id).execute()
        audit.record(actor, thread.family_id, audit.MESSAGE_TREATED,
                     f"Fil « {thread.subject} » ({thread.service}) "
                     + ("marqué traité" if treated else "remis à traiter"),
                     before={"traité": not treated}, after={"traité": treated})
    thread.treated_at = now
    thread.treated_by = actor if treated else None
    return True


# --- The services' own addresses ---------------------------------------------


def service_mailboxes():
    """{service: its own email address ('' when none)} for every service."""
    known = {row.service: row.email for row in ServiceMailbox.select()}
    return {service: known.get(service, "") for service in SERVICES}


def set_service_mailbox(actor, service, email):
    """Set (or clear, with '') the address ``service`` is told at of new family messages."""
    if service not in SERVICES:
        raise ValueError(f"Unknown service {service!r}")
    email = (email or "").strip().lower()
    with db.atomic():
        row = ServiceMailbox.get_or_none(ServiceMailbox.service == service)
        before = row.email if row else ""
        if before == email:
            return False
        if row is None:
            ServiceMailbox.create(service=service, email=email)
        else:
            ServiceMailbox.update(email=email).where(ServiceMailbox.id == row.id).execute()
        audit.record(actor, None, audit.SERVICE_MAILBOX_SET, f"Adresse du service {service}",
                     before={"email": before}, after={"email": email})
    return True


def staff_unread_by_service():
    """{service: number of family messages staff have not read}."""
    rows = (Message.select(MessageThread.service, fn.COUNT(Message.id).alias("n"))
            .join(MessageThread)
            .where(~Message.from_staff & Message.read_by_staff_at.is_null())
            .group_by(MessageThread.service).tuples())
    return dict(rows)


# --- Writing -----------------------------------------------------------------


def _add_message(thread, author, body, from_staff, checked=(), confirm=False):
    message = Message.create(thread=thread, author=author, from_staff=from_staff, body=body,
                             confirm_by_email=confirm)
    for position, upload in enumerate(checked, 1):
        stored = save_upload(upload, thread.family_id, author)
        MessageAttachment.create(message=message, file=stored, position=position)
    changes = {"updated_at": utc_now()}
    if not from_staff:  # the family writes (again): the thread is to treat
        changes.update(treated_at=None, treated_by=None)
        thread.treated_at = None
    MessageThread.update(changes).where(MessageThread.id == thread.id).execute()
    return message


def send_family_message(family, user, service, theme, subject, body, checked, confirm,
                        thread_link, staff_link=None):
    """NOUS ENVOYER UN MESSAGE: a new thread to ``service``; returns the message.

    ``checked`` are the already checked uploads. A message to the actualisation
    service puts the dossier of the current school year in "en attente".
    """
    with db.atomic():
        thread = MessageThread.create(family=family, service=service, theme=theme,
                                      subject=subject)
        message = _add_message(thread, user, body, False, checked, confirm)
        if service == ACTUALISATION_SERVICE:
            year = actualisation_year(clock.today())
            if year is not None:
                actualisation_submitted(family, year, theme)
    # After the commit: the mail thread reads the outbox with its own connection.
    if confirm:
        _send_confirmation(user, thread, message, [u.filename for u in checked], thread_link)
    _tell_the_service(thread, message, len(checked), staff_link)
    return message


def family_writes_again(thread, user, body, staff_link=None):
    """The family writes again in one of its threads; returns the message. The
    service's own address is told (``staff_link(thread_id)``: the back-office link)."""
    with db.atomic():
        message = _add_message(thread, user, body, False)
    _tell_the_service(thread, message, 0, staff_link)
    return message


def post_staff_message(thread, staff_user, body):
    """A message of the service in ``thread`` without its own email (the caller sends
    the notice, e.g. the dossier's accusé); returns the message."""
    with db.atomic():
        return _add_message(thread, staff_user, body, True)


def _tell_the_service(thread, message, attachments, staff_link):
    """Email the service's own address (when it has one) of a new family message;
    ``staff_link(thread_id)`` is the thread's address in the back office."""
    row = ServiceMailbox.get_or_none(ServiceMailbox.service == thread.service)
    if row is None or not row.email or staff_link is None:
        return
    family = Family.get_by_id(thread.family_id)
    notifications.new_family_message(row.email, family, thread, message, attachments,
                                     staff_link(thread.id))


def staff_reply(thread, staff_user, body, thread_link, checked=()):
    """Staff answer in ``thread`` (with ``checked`` uploads attached): audited, and the
    family is told by email with the text of the answer.

    ``thread_link(thread_id)`` is the thread's address on the site, for the email.
    """
    filenames = [u.filename for u in checked]
    with db.atomic():
        message = _add_message(thread, staff_user, body, True, checked)
        audit.record(staff_user, thread.family_id, audit.MESSAGE_REPLIED,
                     f"Réponse dans le fil {thread.id} ({thread.service} – {thread.subject})",
                     after={"message": message.id, "attachments": filenames})
    address = family_email_address(thread.family)
    if address:
        notifications.staff_replied(address, thread, message, thread_link(thread.id), filenames)
    return message


def _send_confirmation(user, thread, message, filenames, thread_link):
    address = family_email_address(thread.family_id, user)
    if address:
        notifications.message_confirmation(address, thread, message, filenames,
                                           thread_link(thread.id))
