"""Staff write first: one message to one family or to a group of families, and news
emailed to every family.

A group is chosen by what the families have in common (:data:`AUDIENCES`): a
booking on a day, a booking on an activity over a period, a child at a school, or
nothing (every family). Staff see the number of recipients and their list before
sending (:func:`recipients`); then each family gets its own thread in MESSAGERIE,
from the chosen service, and one email (through the outbox) — once, however many
of its children match.
"""
import datetime
from dataclasses import dataclass

from domain import audit
from domain.clock import utc_now
from domain.mail import send_many
from domain.problems import FieldProblem
from models import (
    Activity,
    Booking,
    Child,
    Family,
    Guardian,
    Message,
    MessageThread,
    School,
    User,
    db,
)

ONE, DAY, ACTIVITY, SCHOOL, EVERYONE = "famille", "jour", "activite", "ecole", "toutes"
#: value -> how the form says it.
AUDIENCES = {
    ONE: "Une famille (n° de compte)",
    DAY: "Les familles ayant une réservation un jour donné",
    ACTIVITY: "Les familles ayant réservé une activité sur une période",
    SCHOOL: "Les familles d'une école",
    EVERYONE: "Toutes les familles",
}
SUBJECT_MAX, BODY_MAX = 150, 5000
#: The longest period of an activity audience.
MAX_DAYS = 400


class OutreachError(FieldProblem):
    """Bad input, with the field it concerns and a French message."""


@dataclass
class Audience:
    """Who a message goes to, checked; ``label`` says it in a sentence."""

    kind: str
    label: str
    family: Family | None = None
    day: datetime.date | None = None
    last_day: datetime.date | None = None
    activity: Activity | None = None
    school: School | None = None


def audience(kind, *, account="", day=None, last_day=None, activity=None, school=None):
    """An :class:`Audience` from the form's values, or :class:`OutreachError`."""
    if kind not in AUDIENCES:
        raise OutreachError("destinataires", "Choisissez à qui écrire.")
    if kind == ONE:
        account = (account or "").strip()
        family = (Family.get_or_none(Family.account_number == int(account))
                  if account.isascii() and account.isdigit() and len(account) < 10 else None)
        if family is None:
            raise OutreachError("famille", "Aucune famille n'a ce numéro de compte.")
        return Audience(kind, f"la famille {family.name} ({family.account_number})",
                        family=family)
    if kind == DAY:
        if day is None:
            raise OutreachError("jour", "Indiquez le jour.")
        what = f" à {activity.name}" if activity is not None else ""
        return Audience(kind, f"les familles ayant une réservation{what} le "
                              f"{day:%d/%m/%Y}", day=day, activity=activity)
    if kind == ACTIVITY:
        if activity is None:
            raise OutreachError("activite", "Choisissez l'activité.")
        if day is None:
            raise OutreachError("du", "Indiquez le début de la période.")
        last_day = last_day or day
        if last_day < day:
            raise OutreachError("au", "La fin de la période doit suivre son début.")
        if (last_day - day).days > MAX_DAYS:
            raise OutreachError("au", f"Une période couvre au plus {MAX_DAYS} jours.")
        return Audience(kind, f"les familles ayant réservé {activity.name} du "
                              f"{day:%d/%m/%Y} au {last_day:%d/%m/%Y}", day=day,
                        last_day=last_day, activity=activity)
    if kind == SCHOOL:
        if school is None:
            raise OutreachError("ecole", "Choisissez l'école.")
        return Audience(kind, f"les familles de l'{school.name}"
                        if school.name[:1] in "AEÉIOUaeéiou" else
                        f"les familles de {school.name}", school=school)
    return Audience(kind, "toutes les familles")


def recipients(chosen):
    """The families of ``chosen`` (each once), by account number."""
    query = Family.select().order_by(Family.account_number)
    if chosen.kind == ONE:
        return [chosen.family]
    if chosen.kind in (DAY, ACTIVITY):
        booked = (Booking.select(Child.family).join(Child)
                  .where((Booking.date >= chosen.day)
                         & (Booking.date <= (chosen.last_day or chosen.day))))
        if chosen.activity is not None:
            booked = booked.where(Booking.activity == chosen.activity)
        query = query.where(Family.id.in_(booked))
    elif chosen.kind == SCHOOL:
        query = query.where(Family.id.in_(Child.select(Child.family)
                                          .where(Child.school_name == chosen.school.name)))
    return list(query)


def addresses_of(families):
    """{family id: the address its mail goes to} in two queries (the rule of
    :func:`domain.family.contact.family_email_address`: the first active user's email,
    else the first guardian's); families without one are left out."""
    ids = [f.id for f in families]
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for family_id, email in (User.select(User.family, User.email)
                                 .where(User.family.in_(chunk) & User.is_active
                                        & (User.email != ""))
                                 .order_by(User.id).tuples()):
            found.setdefault(family_id, email)
        missing = [i for i in chunk if i not in found]
        if missing:
            for family_id, email in (Guardian.select(Guardian.family, Guardian.email)
                                     .where(Guardian.family.in_(missing) & (Guardian.email != ""))
                                     .order_by(Guardian.position, Guardian.id).tuples()):
                found.setdefault(family_id, email)
    return found


def check_message(subject, body):
    """The subject and text, stripped, or :class:`OutreachError`."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise OutreachError("sujet", "Indiquez le sujet du message.")
    if len(subject) > SUBJECT_MAX:
        raise OutreachError("sujet", f"Le sujet ne doit pas dépasser {SUBJECT_MAX} caractères.")
    if not body:
        raise OutreachError("message", "Écrivez le message.")
    if len(body) > BODY_MAX:
        raise OutreachError("message", f"Le message ne doit pas dépasser {BODY_MAX} caractères.")
    return subject, body


def send(actor, chosen, service, subject, body, thread_link):
    """A new thread from ``service`` in each family's MESSAGERIE, one email each (with
    ``thread_link(thread_id)``); audited per family. Returns (families, emails)."""
    families = recipients(chosen)
    addresses = addresses_of(families)
    mails = []
    with db.atomic():
        now = utc_now()
        for family in families:
            thread = MessageThread.create(family=family, service=service, theme="Informations",
                                          subject=subject, created_at=now, updated_at=now,
                                          treated_at=now, treated_by=actor)
            message = Message.create(thread=thread, author=actor, from_staff=True, body=body,
                                     created_at=now)
            audit.record(actor, family, audit.MESSAGE_SENT,
                         f"Message « {subject} » ({service}) à {chosen.label}",
                         after={"message": message.id, "fil": thread.id})
            address = addresses.get(family.id)
            if address:
                mails.append((address, f"Portail Famille : {subject}",
                              "messagerie/email/staff_message",
                              {"thread": thread, "message": message,
                               "link": thread_link(thread.id)}))
        send_many(mails)
    return len(families), len(mails)


def email_news(actor, item, link):
    """Email a published news item to every family with an address; audited once.
    Returns the number of emails queued."""
    families = list(Family.select())
    addresses = addresses_of(families)
    with db.atomic():
        count = send_many([(address, f"Portail Famille : {item.title}",
                            "actualites/email/news", {"item": item, "link": link})
                           for address in dict.fromkeys(addresses.values())])
        audit.record(actor, None, audit.NEWS_EMAILED,
                     f"Actualité « {item.title} » envoyée par email",
                     after={"emails": count})
    return count
