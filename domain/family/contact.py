"""Where mail to a family goes: one rule for every email of the portal."""
from typing import Iterable

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
