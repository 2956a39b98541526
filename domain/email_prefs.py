"""How a family user is notified: which emails they chose to receive.

The guide's « Notifications »: per kind of email, each family user chooses to be
emailed or not; what the law requires (invoices, a booked day closed) is always sent
and cannot be refused. One check, :func:`wanted`, for every optional email; a refusal
is an ``EmailOptOut`` row (no row: sent). The emails of the optional kinds carry a
signed one-click link (RFC 8058) that refuses that kind without signing in; the
token (itsdangerous, signed with the app's ``SECRET_KEY``) names the user and the kind.
"""
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import IntegrityError

from models import EmailOptOut, User, db

REPLIES, REMINDERS, NEWS, INVOICES, CLOSURES = (
    "reponses", "rappels", "actualites", "factures", "fermetures")
#: (kind, label, optional), in the order the page shows them.
KINDS = (
    (REPLIES, "Les réponses des services à mes messages", True),
    (REMINDERS, "Les rappels avant les dates limites de réservation", True),
    (NEWS, "Les actualités de la commune", True),
    (INVOICES, "Mes factures et leurs rappels (obligatoire)", False),
    (CLOSURES, "La fermeture d'une journée réservée (obligatoire)", False),
)
OPTIONAL = tuple(kind for kind, _, optional in KINDS if optional)
LABELS = {kind: label for kind, label, _ in KINDS}
_SALT = "desabonnement-email"


def family_user_of(address):
    """The active family user who signs in with ``address``, or None (a guardian
    without an account: nothing to choose, every email goes)."""
    if not address:
        return None
    return (User.select().where((User.email == address.strip().lower())
                                & User.family.is_null(False) & User.is_active)
            .order_by(User.id).first())


def wanted(address, kind):
    """Whether an email of ``kind`` goes to ``address``: always for a required kind,
    else unless the address's family user refused that kind."""
    if kind not in OPTIONAL:
        return True
    user = family_user_of(address)
    return user is None or not EmailOptOut.select().where(
        (EmailOptOut.user == user) & (EmailOptOut.kind == kind)).exists()


def refusing(user_ids, kind):
    """The ids among ``user_ids`` who refused emails of ``kind`` (none for a required
    kind), in one query per 500 users: :func:`wanted` for many at once."""
    if kind not in OPTIONAL:
        return set()
    ids, found = list(user_ids), set()
    for start in range(0, len(ids), 500):
        found.update(user for user, in EmailOptOut.select(EmailOptOut.user).where(
            EmailOptOut.user.in_(ids[start:start + 500]) & (EmailOptOut.kind == kind)).tuples())
    return found


def choices(user):
    """{kind: True when emailed} for every kind (required kinds: always True)."""
    refused = {row.kind for row in EmailOptOut.select().where(EmailOptOut.user == user)}
    return {kind: kind not in refused or not optional for kind, _, optional in KINDS}


def refuse(user_id, kind):
    """Stop emails of the optional ``kind`` to the user (again: nothing changes).
    Returns True when this call changed something."""
    if kind not in OPTIONAL:
        return False
    try:
        with db.atomic():
            EmailOptOut.create(user=user_id, kind=kind)
        return True
    except IntegrityError:
        return False


def accept(user_id, kind):
    """Email the user again for ``kind``; True when this call changed something."""
    return EmailOptOut.delete().where((EmailOptOut.user == user_id)
                                      & (EmailOptOut.kind == kind)).execute() > 0


def unsubscribe_token(secret, user_id, kind):
    """The signed token of the one-click link that refuses ``kind`` for the user."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([user_id, kind])


def read_unsubscribe_token(secret, token):
    """(user, kind) of a valid token whose user still exists, else None."""
    try:
        user_id, kind = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if kind not in OPTIONAL or not isinstance(user_id, int):
        return None
    user = User.get_or_none((User.id == user_id) & User.family.is_null(False))
    return (user, kind) if user is not None else None
