"""Where mail to a family goes: one rule for every email of the portal."""
from typing import Any, Iterable

from domain import email_prefs
from models import Family, Guardian, User


def family_email_address(family: Family | int, user: User | None = None) -> str | None:
    """The address for mail to ``family``: ``user``'s email when a user is named (a
    reply to what that user did), else the family's first active user's; failing
    that, the first guardian (in the family's order) who gave one."""
    family_id = family if isinstance(family, int) else family.id
    users: Iterable[User] = [user] if user is not None else (
        User.select().where((User.family == family_id) & User.is_active).order_by(User.id))
    for candidate in users:
        if candidate.email:
            return candidate.email
    guardian = (Guardian.select()
                .where((Guardian.family == family_id) & (Guardian.email != ""))
                .order_by(Guardian.position, Guardian.id).first())
    return guardian.email if guardian else None


def billing_addresses(family_ids: Iterable[int],
                      kind: str = email_prefs.INVOICES) -> dict[int, list[str]]:
    """{family id: the addresses a billing email goes to} (an invoice, its reminders, a
    debit's notice or rejection), a few queries per 500 families: the email of each
    active user of the family who did not refuse ``kind`` (invoices are always sent,
    see :mod:`domain.email_prefs`); a family without such an account, its first guardian
    who gave an email (no account: nothing to choose). Families without any address
    are left out; each address once per family."""
    ids = list(dict.fromkeys(family_ids))
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        users: list[Any] = list(User.select(User.id, User.family, User.email)
                     .where(User.family.in_(chunk) & User.is_active
                            & User.email.is_null(False) & (User.email != ""))
                     .order_by(User.id).tuples())
        refused = email_prefs.refusing([user_id for user_id, _, _ in users], kind)
        with_account = set()
        for user_id, family_id, email in users:
            with_account.add(family_id)
            if user_id not in refused:
                _add(found, family_id, email)
        missing = [family_id for family_id in chunk if family_id not in with_account]
        if missing:
            first: dict[int, str] = {}
            guardians: list[Any] = list(
                Guardian.select(Guardian.family, Guardian.email)
                .where(Guardian.family.in_(missing) & (Guardian.email != ""))
                .order_by(Guardian.position, Guardian.id).tuples())
            for family_id, email in guardians:
                first.setdefault(family_id, email)
            for family_id, email in first.items():
                _add(found, family_id, email)
    return found


def _add(found, family_id, email):
    addresses = found.setdefault(family_id, [])
    if email.strip().lower() not in {known.strip().lower() for known in addresses}:
        addresses.append(email)
