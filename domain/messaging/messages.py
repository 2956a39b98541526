"""Messagerie rules shared by the family and staff sides.

A family writes to a service (:func:`services`: the guide's ``SERVICES`` as the
administrateur set them: active or not, their themes, added ones) in a new thread;
staff answer in the same thread; either side may write again there. Each message remembers when
the family and when staff read it. Attachments are checked all together
before any is saved (``domain.uploads``).
"""
from dataclasses import dataclass

from peewee import fn

from domain import audit, clock, notifications
from domain.catalogue.years import actualisation_year
from domain.clock import utc_now
from domain.family import guardian_access
from domain.family.contact import family_email_address
from domain.family.dossier import (
    ACTUALISATION_ATTACHMENTS,
    ACTUALISATION_SERVICE,
    ACTUALISATION_THEMES,
    actualisation_submitted,
)
from domain.problems import FieldProblem
from domain.uploads import UploadError, check_upload, save_upload
from models import (
    Family,
    Message,
    MessageAttachment,
    MessageThread,
    ServiceMailbox,
    StoredFile,
    db,
)

GENERAL_THEMES = ("Informations", "Modifications", "Réclamations")

#: Service -> the themes a family may choose for it (the guide's page 12 lists): what a
#: commune starts with. The administrateur's SERVICES page deactivates them, sets their
#: themes and adds services (``ServiceMailbox`` rows); read them with :func:`services`.
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


#: Services whose themes other rules read (the dossier's actualisation): always active,
#: their themes fixed.
FIXED_SERVICES = (ACTUALISATION_SERVICE,)
MAX_THEMES = 12
MAX_THEME_LENGTH = 80
MAX_SERVICE_NAME = 80


@dataclass(frozen=True)
class Service:
    """A service of the MESSAGERIE as the administrateur set it."""

    name: str
    email: str = ""
    active: bool = True
    themes: tuple = GENERAL_THEMES
    fixed: bool = False


def _service_of(name, row):
    fixed = name in FIXED_SERVICES
    default = SERVICES.get(name, GENERAL_THEMES)
    if row is None:
        return Service(name, "", True, default, fixed)
    themes = tuple(t for t in row.themes.splitlines() if t.strip()) if not fixed else ()
    return Service(name, row.email, row.active or fixed, themes or default, fixed)


def all_services():
    """Every service, active or not: the guide's in their order, then those added (one
    query)."""
    rows = {row.service: row for row in ServiceMailbox.select().order_by(ServiceMailbox.id)}
    listed = [_service_of(name, rows.get(name)) for name in SERVICES]
    return listed + [_service_of(name, row) for name, row in rows.items()
                     if name not in SERVICES]


def services():
    """{service: its themes} of the services families may write to (the active ones)."""
    return {service.name: service.themes for service in all_services() if service.active}


def service_names():
    """Every service's name, active or not (past threads keep theirs)."""
    return [service.name for service in all_services()]


def themes_for(service):
    """The themes offered for ``service`` (none for an unknown or inactive service)."""
    return services().get(service, ())


def theme_problem(service, theme):
    """A French message when ``theme`` cannot be chosen with ``service``, else None."""
    if not theme:
        return "Sélectionnez un thème."
    offered = services()
    if service in offered and theme not in offered[service]:
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
    """The messages of ``thread``, oldest first, each with ``.files`` (its attachments)
    and ``.author_name`` (the guardian who wrote a family's message, « Nadia BERNARD »)."""
    messages = list(thread.messages.order_by(Message.created_at, Message.id))
    attachments = (MessageAttachment.select(MessageAttachment, StoredFile).join(StoredFile)
                   .where(MessageAttachment.message.in_([m.id for m in messages] or [0]))
                   .order_by(MessageAttachment.position))
    by_message = {}
    for attachment in attachments:
        by_message.setdefault(attachment.message_id, []).append(attachment)
    names = guardian_access.names_of(m.author_id for m in messages if not m.from_staff)
    for message in messages:
        message.files = by_message.get(message.id, [])
        # Which guardian wrote it: both may write on the family's behalf.
        message.author_name = names.get(message.author_id, "")
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


class ServiceProblem(FieldProblem):
    """A service setting refused: ``field`` is where the French message goes."""


def parse_themes(text):
    """The themes typed one per line: trimmed, without blanks nor repeats; checked."""
    themes = []
    for line in (text or "").splitlines():
        theme = " ".join(line.split())
        if theme and theme not in themes:
            themes.append(theme)
    if len(themes) > MAX_THEMES:
        raise ServiceProblem("themes", f"{MAX_THEMES} thèmes au plus.")
    for theme in themes:
        if len(theme) > MAX_THEME_LENGTH:
            raise ServiceProblem("themes", f"Un thème ne doit pas dépasser {MAX_THEME_LENGTH} "
                                           f"caractères (« {theme[:30]}… »).")
    return tuple(themes)


def service_mailboxes():
    """{service: its own email address ('' when none)} for every service."""
    return {service.name: service.email for service in all_services()}


def set_service(actor, name, email, active=True, themes_text=None):
    """Set a service's address (told of each new family message; '' for none), whether
    families may write to it, and its themes (one per line; empty: the guide's); audited
    with the values before and after. False when nothing changed."""
    current = {service.name: service for service in all_services()}.get(name)
    if current is None:
        raise ValueError(f"Unknown service {name!r}")
    email = (email or "").strip().lower()
    themes = current.themes if themes_text is None or current.fixed \
        else (parse_themes(themes_text) or SERVICES.get(name, GENERAL_THEMES))
    active = True if current.fixed else bool(active)
    if (email, active, themes) == (current.email, current.active, current.themes):
        return False
    stored = "" if current.fixed or themes == SERVICES.get(name) else "\n".join(themes)
    with db.atomic():
        row = ServiceMailbox.get_or_none(ServiceMailbox.service == name)
        if row is None:
            ServiceMailbox.create(service=name, email=email, active=active, themes=stored)
        else:
            ServiceMailbox.update(email=email, active=active, themes=stored).where(
                ServiceMailbox.id == row.id).execute()
        audit.record(actor, None, audit.SERVICE_MAILBOX_SET, f"Service {name}",
                     before={"email": current.email, "actif": current.active,
                             "themes": list(current.themes)},
                     after={"email": email, "actif": active, "themes": list(themes)})
    return True


def set_service_mailbox(actor, service, email):
    """Set (or clear, with '') the address ``service`` is told at of new family messages."""
    current = {s.name: s for s in all_services()}.get(service)
    if current is None:
        raise ValueError(f"Unknown service {service!r}")
    return set_service(actor, service, email, current.active)


def add_service(actor, name, email="", themes_text=""):
    """A new service families may write to (its themes one per line; empty: the general
    ones); audited. Raises :class:`ServiceProblem`."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceProblem("name", "Indiquez le nom du service.")
    if len(name) > MAX_SERVICE_NAME:
        raise ServiceProblem("name", f"Le nom ne doit pas dépasser {MAX_SERVICE_NAME} "
                                     "caractères.")
    if name.lower() in {existing.lower() for existing in service_names()}:
        raise ServiceProblem("name", "Un service porte déjà ce nom.")
    themes = parse_themes(themes_text) or GENERAL_THEMES
    email = (email or "").strip().lower()
    with db.atomic():
        ServiceMailbox.create(service=name, email=email, active=True, themes="\n".join(themes))
        audit.record(actor, None, audit.SERVICE_MAILBOX_SET, f"Service {name} ajouté",
                     after={"service": name, "email": email, "actif": True,
                            "themes": list(themes)})
    return Service(name, email, True, themes)


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


def family_writes_again(thread, user, body, staff_link=None, checked=()):
    """The family writes again in one of its threads, with ``checked`` uploads attached;
    returns the message. The service's own address is told (``staff_link(thread_id)``:
    the back-office link)."""
    with db.atomic():
        message = _add_message(thread, user, body, False, checked)
    _tell_the_service(thread, message, len(checked), staff_link)
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
