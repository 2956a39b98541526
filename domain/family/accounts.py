"""Accounts: finding a user by what they type, sessions that end on the server, reset
links, and the accounts staff create (a family's, an agent's) with their invitation.

An account created by staff has no password yet (``password_hash`` empty: nothing
can match it); its invitation is a signed, expiring link to choose one, made by
the same machinery as the reset link, so it works once: the password it sets
changes the fingerprint the link carries.
"""
import hashlib
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError, fn

from domain import audit
from domain.clock import utc_now
from domain.family.contact import family_email_address
from domain.family.passwords import hash_password
from domain.problems import FieldProblem
from models import Family, Guardian, User, db, parse_id

RESET_SALT = "password-reset"
INVITATION_SALT = "invitation"
#: The account number of the first family a commune creates.
FIRST_ACCOUNT_NUMBER = 10001


def find_user(identifier):
    """The active user whose account number or email is ``identifier``, or None."""
    identifier = identifier.strip()
    if identifier.isascii() and identifier.isdigit():  # an account number
        account_number = parse_id(identifier)
        if account_number is None:  # past what the column holds
            return None
        return (User.select().join(Family, on=(User.family == Family.id))
                .where((Family.account_number == account_number) & User.is_active)
                .order_by(User.id).first())
    return User.get_or_none((User.email == identifier.lower()) & User.is_active)


def new_session_token():
    return secrets.token_urlsafe(24)


def end_sessions(user):
    """Invalidate every session of ``user`` (sign-out, password change)."""
    user.session_token = new_session_token()
    User.update(session_token=user.session_token).where(User.id == user.id).execute()


def set_password(user, password):
    """Store a new password; every existing session and reset link stops working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utc_now()
    user.session_token = new_session_token()
    user.save()


def _fingerprint(user):
    # Changes when the password changes, so that a reset link works once. An account
    # without a password yet (invited, or invited again after its access was removed)
    # also has its session token in it: each invitation gives a new one, so a new
    # invitation kills the links of the earlier ones, which went perhaps to another
    # address (they would otherwise all read "no password yet").
    secret = user.password_hash or f"invited:{user.session_token}"
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def make_reset_token(secret_key, user, salt=RESET_SALT):
    """A signed link token for ``user``: a reset link, or an invitation with
    ``salt=INVITATION_SALT`` (each kind is refused where the other is expected)."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(
        {"u": user.id, "f": _fingerprint(user), "e": _address_print(user)})


def _address_print(user):
    # Changes when the sign-in email changes (the service may change it): a link sent to
    # the old address, whose mailbox may be someone else's now, no longer works.
    return hashlib.sha256((user.email or "").encode()).hexdigest()[:16]


def user_for_reset_token(secret_key, token, max_age, salt=RESET_SALT):
    """The user a valid, unused, unexpired reset (or invitation) token names, or None."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=salt).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = User.get_or_none((User.id == data.get("u")) & User.is_active)
    if user is None or _fingerprint(user) != data.get("f"):
        return None
    if "e" in data and _address_print(user) != data["e"]:  # links made before: no "e"
        return None
    return user


def reset_email_address(user):
    """Where a reset link goes: the user's email, else the family's first guardian's."""
    if user.email or not user.family_id:
        return user.email or None
    return family_email_address(user.family_id, user)


# --- Accounts created by staff ----------------------------------------------


class AccountProblem(FieldProblem):
    """An account that cannot be created: ``field`` is the form field to show ``str()`` at."""


def has_password(user):
    """False for an account whose invitation has not been used yet."""
    return bool(user.password_hash)


def normalize_email(email):
    return (email or "").strip().lower()


def _check_email_free(email):
    if User.select().where(User.email == email).exists():
        raise AccountProblem("email", "Un compte utilise déjà cette adresse email.")


def next_account_number():
    """The number the next family account gets: one above the largest."""
    largest = Family.select(fn.MAX(Family.account_number)).scalar()
    return max((largest or 0) + 1, FIRST_ACCOUNT_NUMBER)


def create_family_account(actor, family_name, guardian_first_name, guardian_last_name, email,
                          relationship=""):
    """A new family with its first guardian and its account (no password yet: the
    invitation sets it). Returns the new ``User``; audited."""
    email = normalize_email(email)
    family_name = family_name.strip().upper()
    with db.atomic():
        _check_email_free(email)
        for _ in range(5):  # two agents creating a family at the same instant
            try:
                with db.atomic():
                    family = Family.create(account_number=next_account_number(),
                                           name=family_name)
                break
            except IntegrityError:
                continue
        else:
            raise AccountProblem("family_name", "Le numéro de compte n'a pas pu être attribué : "
                                 "réessayez.")
        guardian = Guardian.create(family=family, last_name=guardian_last_name.strip().upper(),
                                   first_name=guardian_first_name.strip(),
                                   relationship=relationship, email=email, position=1)
        try:
            with db.atomic():
                user = User.create(email=email, password_hash="", family=family,
                                   guardian=guardian, role=User.ROLE_FAMILY,
                                   session_token=new_session_token())
        except IntegrityError:  # the same email, created meanwhile
            raise AccountProblem("email", "Un compte utilise déjà cette adresse email.")
        audit.record(actor, family, audit.ACCOUNT_CREATED,
                     f"Compte famille {family.account_number} – {family.name} créé",
                     after={"account_number": family.account_number, "name": family.name,
                            "email": email})
    return user


def record_invitation(actor, user):
    """Note in the audit trail that ``user``'s invitation was (re)sent."""
    audit.record(actor, user.family_id, audit.ACCOUNT_INVITED,
                 f"Invitation envoyée à {user.email}", after={"user": user.id})


def record_reset_link(actor, user, address):
    """Note in the audit trail that staff sent ``user`` a password-reset link."""
    audit.record(actor, user.family_id, audit.PASSWORD_RESET_SENT,
                 f"Lien de mot de passe envoyé à {address}", after={"user": user.id})
