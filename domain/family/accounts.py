"""Accounts: finding a user by what they type, sessions that end on the server, reset links."""
import hashlib
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from domain.family.contact import family_email_address
from domain.family.passwords import hash_password
from models import Family, User, parse_id, utcnow

RESET_SALT = "password-reset"


def find_user(identifier):
    """The active user whose account number or email is ``identifier``, or None."""
    identifier = identifier.strip()
    if identifier.isascii() and identifier.isdigit():  # an account number
        account_number = parse_id(identifier)
        if account_number is None:  # past what the column holds
            return None
        family = Family.get_or_none(Family.account_number == account_number)
        if family is None:
            return None
        return (User.select().where((User.family == family) & User.is_active)
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
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    user.save()


def _fingerprint(user):
    # Changes when the password changes, so that a reset link works once.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(secret_key, user):
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT).dumps(
        {"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(secret_key, token, max_age):
    """The user a valid, unused, unexpired reset token names, or None."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=RESET_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = User.get_or_none((User.id == data.get("u")) & User.is_active)
    if user is None or _fingerprint(user) != data.get("f"):
        return None
    return user


def reset_email_address(user):
    """Where a reset link goes: the user's email, else the family's first guardian's."""
    if user.email or not user.family_id:
        return user.email or None
    return family_email_address(user.family_id, user)
