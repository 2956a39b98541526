"""« Inviter les familles »: the invitation emails of the imported families' accounts.

Each invitation goes through the outbox (``domain.mail``), so a mail server's limits
are respected and a failure is retried; an ``InvitationSent`` row ties it to the
account, so staff follow each one: queued, sent, failed, accepted (a password
chosen). ``relancer`` sends a new link to those who have not accepted after N days.
"""
import datetime
from dataclasses import dataclass

from peewee import JOIN, fn

from domain import audit, notifications
from models import Family, InvitationSent, OutgoingEmail, User, db

QUEUED, SENT, FAILED, ACCEPTED = "en_attente", "envoyee", "echec", "acceptee"
STATE_LABELS = {QUEUED: "en file d'attente", SENT: "envoyée", FAILED: "échec d'envoi",
                ACCEPTED: "acceptée"}


def _imported_accounts():
    return (User.select(User, Family).join(Family)
            .where((User.role == User.ROLE_FAMILY) & User.is_active
                   & User.email.is_null(False) & Family.imported_at.is_null(False)))


def not_invited():
    """The imported families' accounts without a password and never invited."""
    return list(_imported_accounts()
                .where((User.password_hash == "")
                       & User.id.not_in(InvitationSent.select(InvitationSent.user)))
                .order_by(Family.account_number))


def to_remind(days, now):
    """Accounts invited more than ``days`` days ago (their last invitation) that still have
    no password."""
    last = (InvitationSent.select(InvitationSent.user, fn.MAX(InvitationSent.created_at))
            .group_by(InvitationSent.user)
            .having(fn.MAX(InvitationSent.created_at) <= now - datetime.timedelta(days=days)))
    return list(_imported_accounts()
                .where((User.password_hash == "") & User.id.in_(last.select(InvitationSent.user)))
                .order_by(Family.account_number))


def invite(actor, users, link_for, days_valid):
    """Queue an invitation for each of ``users`` (``link_for(user)``: its signed link);
    one audit row with the count. Returns how many were queued."""
    with db.atomic():
        for user in users:
            email = notifications.invitation(user.email, link_for(user), days_valid, user)
            InvitationSent.create(user=user, email=email)
        if users:
            audit.record(actor, None, audit.FAMILIES_INVITED,
                         f"{len(users)} famille(s) invitée(s) par email.",
                         after={"comptes": [user.id for user in users]})
    return len(users)


@dataclass
class Follow:
    """One invited account and where its last invitation stands."""

    user: User
    invited_at: datetime.datetime
    state: str

    @property
    def state_label(self):
        return STATE_LABELS[self.state]


def _state(user, email):
    if user.password_hash:
        return ACCEPTED
    if email is None or email.sent_at is not None:
        return SENT
    return FAILED if email.attempts else QUEUED


def progress():
    """``(counts by state, [Follow])`` of every invited account, by account number."""
    last = (InvitationSent.select(fn.MAX(InvitationSent.id)).group_by(InvitationSent.user))
    rows = (InvitationSent.select(InvitationSent, User, Family, OutgoingEmail)
            .join(User).join(Family).switch(InvitationSent)
            .join(OutgoingEmail, JOIN.LEFT_OUTER)
            .where(InvitationSent.id.in_(last))
            .order_by(Family.account_number))
    follows = [Follow(row.user, row.created_at, _state(row.user, row.email)) for row in rows]
    counts = {state: 0 for state in STATE_LABELS}
    for follow in follows:
        counts[follow.state] += 1
    return counts, follows
