"""A family user saves their « Notifications » choices (``domain.email_prefs``), audited."""
from domain import audit, email_prefs
from domain.transactions import write_transaction


def save_choices(user, wanted):
    """Email ``user`` the optional kinds in ``wanted`` only; returns the kinds changed."""
    changed = []
    with write_transaction():
        for kind in email_prefs.OPTIONAL:
            done = (email_prefs.accept(user.id, kind) if kind in wanted
                    else email_prefs.refuse(user.id, kind))
            if done:
                changed.append(kind)
        if changed:
            audit.record(user, user.family_id, audit.EMAIL_CHOICES_SET,
                         "Choix des emails modifiés",
                         after={kind: kind in wanted for kind in changed})
    return changed
