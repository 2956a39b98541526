"""A login per legal guardian: each responsable légal may have their own account on the
family, invited by the other guardian (from MON DOSSIER) or by staff, and removed by staff
without touching the other's.

An account belongs to one ``Guardian`` (``User.guardian``); both accounts see the whole
family record, its children, bookings, invoices and messages: the portal serves the
family, and both guardians keep the parental authority it is about. What each one does
is recorded under their name (bookings, messages, the audit trail).

An invitation creates the account without a password and queues its single-use link
through the outbox, like the staff's « Inviter les familles ». Removing an access
deactivates that account and ends its sessions at once, and revokes the family's calendar
address (a key that account may have copied); the account is kept (what it did
still names it) and a new invitation gives the access back, with a new password. When
another person takes the guardian's place (a validated declaration, staff's edit), or staff
withdraw the second guardian, the account also leaves the guardian row, keeping the
replaced person's name (:func:`end_person`). New names that are not the same person's
(:func:`same_person`) on a guardian who has or had an account are the service's to read:
a spelling corrected, or another person (:func:`take_over`, told which by staff).
"""
import unicodedata
from dataclasses import dataclass

from peewee import JOIN, IntegrityError

from domain import audit, clock, notifications
from domain.family.accounts import new_session_token, normalize_email
from models import CalendarFeed, Guardian, InvitationSent, User, db

ACTIVE, INVITED, REMOVED, NONE = "actif", "invite", "retire", "aucun"
STATE_LABELS = {ACTIVE: "actif", INVITED: "invitation envoyée", REMOVED: "retiré",
                NONE: "aucun"}


class AccessProblem(ValueError):
    """An access that cannot be given or removed; ``str()`` is the French reason."""


@dataclass
class Access:
    """Where one guardian's access to the portal stands."""

    guardian: Guardian
    user: User | None

    @property
    def state(self):
        if self.user is None:
            return NONE
        if not self.user.is_active:
            return REMOVED
        return ACTIVE if self.user.password_hash else INVITED

    @property
    def label(self):
        return STATE_LABELS[self.state]


def guardian_name(guardian):
    """« Nadia BERNARD »."""
    return f"{guardian.first_name} {guardian.last_name}".strip()


def accesses(family):
    """[Access] of each of the family's guardians, in their order: the account of each
    (its most recent one), or None."""
    guardians = list(Guardian.select().where(Guardian.family == family)
                     .order_by(Guardian.position, Guardian.id))
    accounts = {}
    for user in (User.select().where(User.guardian.in_([g.id for g in guardians]))
                 .order_by(User.id)):
        accounts[user.guardian_id] = user
    return [Access(guardian, accounts.get(guardian.id)) for guardian in guardians]


def same_person(guardian, first_name, last_name):
    """Whether ``first_name last_name`` still name ``guardian`` (same first and last name
    whatever the case, accents, spaces, hyphens and apostrophes: a spelling corrected,
    LEFEVRE becoming LEFÈVRE, Jean Pierre Jean-Pierre), rather than another person."""
    return (_letters(guardian.first_name), _letters(guardian.last_name)) == \
        (_letters(first_name), _letters(last_name))


def _letters(name):
    """``name``'s letters and digits, without accents, in one case."""
    return "".join(char for char in unicodedata.normalize("NFKD", name).casefold()
                   if char.isalnum())


def end_person(actor, guardian, reason):
    """``guardian``'s person leaves the row (another person replaces them, or staff
    withdraw the second guardian): call it before the row changes. Their access ends
    (:func:`remove`, audited with ``reason``), and each of their accounts leaves the
    guardian row, keeping its family and their name (``display_name``): what they did
    still names them, never the row's next person, who has no account (invited, they get
    a new one, not the replaced person's with its history)."""
    access = account_of(guardian)
    if access is not None and access.is_active:
        remove(actor, guardian, reason=reason)
    User.update(guardian=None, display_name=guardian_name(guardian)).where(
        User.guardian == guardian.id).execute()


#: What staff say of a guardian's new names when :func:`same_person` cannot tell.
CORRECTION, OTHER_PERSON = "correction", "autre-personne"


class DecisionNeeded(AccessProblem):
    """New names on a guardian with an account, and staff did not say whose they are."""


def asks_who(guardian, first_name, last_name):
    """Whether staff must say whose ``first_name last_name`` are before they replace
    ``guardian``'s (:data:`CORRECTION` or :data:`OTHER_PERSON`): names that
    :func:`same_person` does not recognise (a typo corrected, Karim → Karime, is not
    one it knows), on a guardian who has or had a portal account. Without an account
    there is nothing to keep or end: no question."""
    return (guardian is not None and guardian.id is not None
            and not same_person(guardian, first_name or "", last_name or "")
            and account_of(guardian) is not None)


def decision_choices(guardian):
    """[(decision, French label)] of the question :func:`asks_who` asks about
    ``guardian``, in the words of the staff's pages."""
    name, user = guardian_name(guardian), account_of(guardian)
    pronoun = "elle" if guardian.civility == "Mme" else "il"
    if user is not None and user.is_active:
        kept, ended = f"{pronoun} garde son accès au portail",             "son accès au portail lui est retiré"
    else:
        kept, ended = f"{pronoun} garde son compte du portail (accès retiré)",             "son compte du portail reste à son nom"
    return [(CORRECTION, f"Corriger l'orthographe du nom de {name} : {kept}"),
            (OTHER_PERSON, f"Une autre personne remplace {name} : {ended}")]


def decision_problem(guardian):
    """The French error shown by the question when no answer was chosen."""
    return (f"Le nom n'est plus celui de {guardian_name(guardian)}, qui a un compte sur le "
            "portail : indiquez s'il s'agit de corriger l'orthographe de son nom ou d'une "
            "autre personne qui le remplace.")


def take_over(actor, guardian, first_name, last_name, decision, reason):
    """``first_name last_name`` are about to replace ``guardian``'s names (call it before
    the row changes): the one rule of staff's edit and of a declaration they validate.
    When :func:`asks_who`, ``decision`` says whose they are: :data:`CORRECTION` keeps the
    account and access on the row (they take the new names); :data:`OTHER_PERSON` ends the
    person (:func:`end_person`, with ``reason``); None raises :class:`DecisionNeeded`.
    Otherwise (same person, or no account) ``decision`` is not read and a different
    person's row is simply renamed. Returns the decision applied, or None."""
    if not asks_who(guardian, first_name, last_name):
        return None
    if decision == CORRECTION:
        return CORRECTION
    if decision == OTHER_PERSON:
        end_person(actor, guardian, reason)
        return OTHER_PERSON
    raise DecisionNeeded(decision_problem(guardian))


def decision_sentence(name_before, decision):
    """The journal's words for staff's ``decision`` about the guardian who was named
    ``name_before`` (empty when none was taken)."""
    if decision == CORRECTION:
        return (f"orthographe du nom de {name_before} corrigée : même personne, son compte "
                "du portail reste le sien")
    if decision == OTHER_PERSON:
        return (f"une autre personne remplace {name_before} : son accès au portail lui "
                "est retiré")
    return ""


def account_of(guardian):
    """The account of ``guardian`` (active or not), or None."""
    return (User.select().where(User.guardian == guardian.id)
            .order_by(User.id.desc()).first())


def can_invite_from_dossier(user, access):
    """Whether ``user`` (a family account) may give ``access``'s guardian their login from
    MON DOSSIER: another guardian of the same family who never had an account. Giving a
    removed access back is staff's (the removal may follow a court's decision)."""
    guardian = access.guardian
    return (guardian.family_id == user.family_id and guardian.id != user.guardian_id
            and access.user is None)


def invite(actor, guardian, link_for, days_valid):
    """Give ``guardian`` a login of their own on the family: their account (new, or the
    removed one reactivated without its old password) and the invitation email with its
    single-use link (``link_for(user)``), through the outbox. Audited as ``actor``'s.
    Returns the account; raises :class:`AccessProblem`."""
    email = normalize_email(guardian.email)
    if not email:
        raise AccessProblem(f"Renseignez d'abord l'adresse email de {guardian_name(guardian)}"
                            " : l'invitation lui est envoyée.")
    with db.atomic():
        user = account_of(guardian)
        if user is not None and user.is_active and user.password_hash:
            raise AccessProblem(f"{guardian_name(guardian)} a déjà accès au portail.")
        others = User.select().where(User.email == email)
        if user is not None:
            others = others.where(User.id != user.id)
        if others.exists():
            raise AccessProblem(f"L'adresse {email} est déjà celle d'un autre compte : "
                                "corrigez l'email de ce responsable.")
        again = user is not None and not user.is_active
        if user is None:
            user = User.create(email=email, password_hash="", family=guardian.family_id,
                               guardian=guardian.id, role=User.ROLE_FAMILY,
                               session_token=new_session_token())
        else:
            user.email, user.is_active, user.password_hash = email, True, ""
            user.session_token = new_session_token()
            user.save()
        queued = notifications.invitation(email, link_for(user), days_valid, user)
        InvitationSent.create(user=user, email=queued)
        audit.record(actor, guardian.family_id, audit.GUARDIAN_ACCESS_GIVEN,
                     f"Accès au portail {'redonné' if again else 'donné'} à "
                     f"{guardian_name(guardian)} : invitation envoyée à {email}",
                     after={"responsable": guardian_name(guardian), "email": email})
    return user


def remove(actor, guardian, reason=""):
    """Remove ``guardian``'s access (separated parents): their account is deactivated and
    every session of it ends now; the other guardian's account is not touched. Audited
    with ``reason``. Raises :class:`AccessProblem` when there is no access to remove."""
    with db.atomic():
        user = account_of(guardian)
        if user is None or not user.is_active:
            raise AccessProblem(f"{guardian_name(guardian)} n'a pas d'accès au portail.")
        if actor is not None and actor.id == user.id:
            raise AccessProblem("Vous ne pouvez pas retirer votre propre accès.")
        user.is_active, user.session_token = False, new_session_token()
        User.update(is_active=False, session_token=user.session_token).where(
            User.id == user.id).execute()
        # The family's calendar address is a key the removed guardian may have kept:
        # it goes too (the other guardian makes a new one from PLANNING).
        feed_revoked = CalendarFeed.update(revoked_at=clock.as_stored(clock.now())).where(
            (CalendarFeed.family == guardian.family_id)
            & CalendarFeed.revoked_at.is_null()).execute()
        audit.record(actor, guardian.family_id, audit.GUARDIAN_ACCESS_REMOVED,
                     f"Accès au portail retiré à {guardian_name(guardian)} ({user.email})"
                     + (" ; l'adresse d'agenda de la famille est révoquée" if feed_revoked
                        else ""),
                     before={"accès": "actif"}, after={"accès": "retiré"},
                     reason=reason.strip())
    return user


def _sign_in_problem(guardian, user, email):
    """Why ``user`` (``guardian``'s active account) cannot sign in with ``email``, or None."""
    if not email:
        return (f"{guardian_name(guardian)} se connecte au portail avec son adresse email : "
                "indiquez sa nouvelle adresse (ou retirez d'abord son accès au portail).")
    if User.select().where((User.email == email) & (User.id != user.id)).exists():
        return (f"L'adresse {email} est déjà celle d'un autre compte du portail : "
                f"{guardian_name(guardian)} ne pourrait plus se connecter. "
                "Indiquez une autre adresse.")
    return None


def sign_in_email_problem(guardian, new_email):
    """Why ``guardian``'s email cannot become ``new_email`` (French, shown next to the
    field), or None. A guardian with a portal account signs in with their email, and the
    sign-in email follows a change of the guardian's (see :func:`follow_email`): so a new
    address must not be another account's, and cannot be blank while the access is
    active. An email left as it was changes nothing."""
    if guardian is None or guardian.id is None:
        return None
    email = normalize_email(new_email)
    if email == normalize_email(guardian.email):
        return None
    user = account_of(guardian)
    if user is None or not user.is_active or email == user.email:
        return None
    return _sign_in_problem(guardian, user, email)


def follow_email(actor, guardian, previous_email):
    """After ``guardian``'s email changed from ``previous_email`` (by staff, or a family's
    declaration they validated): the sign-in email of the guardian's active account
    becomes the same, the old address is told (someone who took over the address would
    otherwise go unnoticed), and the change is audited. Call it inside the transaction
    that saved the guardian. Returns the old sign-in address (None when nothing changed);
    raises :class:`AccessProblem` (roll back) when the address cannot be taken."""
    email = normalize_email(guardian.email)
    if email == normalize_email(previous_email):
        return None
    user = account_of(guardian)
    if user is None or not user.is_active or email == user.email:
        return None
    problem = _sign_in_problem(guardian, user, email)
    if problem:
        raise AccessProblem(problem)
    old_email = user.email
    try:
        with db.atomic():
            User.update(email=email).where(User.id == user.id).execute()
    except IntegrityError:  # taken in between by another account
        raise AccessProblem(f"L'adresse {email} est déjà celle d'un autre compte du portail.")
    if old_email:
        notifications.email_changed(old_email, email, guardian.family, by_service=True)
    audit.record(actor, guardian.family_id, audit.GUARDIAN_SIGN_IN_EMAIL_FOLLOWED,
                 f"Adresse de connexion de {guardian_name(guardian)} : {email} (suit l'email "
                 "du responsable ; l'ancienne adresse est prévenue)",
                 before={"email": old_email}, after={"email": email})
    return old_email


def several_accounts(family_id):
    """Whether more than one person signs in for the family (active or removed accounts):
    then PLANNING names who made each change; with one account it would only say "you"."""
    return User.select().where((User.family == family_id)
                               & (User.role == User.ROLE_FAMILY)).count() > 1


def names_of(user_ids):
    """{user id: « Nadia BERNARD »} of ``user_ids`` in one query (see
    ``User.person_name``)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return {}
    users = (User.select(User, Guardian).join(Guardian, JOIN.LEFT_OUTER)
             .where(User.id.in_(ids)))
    return {user.id: user.person_name for user in users}
