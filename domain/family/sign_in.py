"""Signing in, the sessions' validity, and proving it is you again (current password).

Failures are counted per account however it is named (``throttle.sign_in_key``)
and slow the next tries down; an unknown identifier costs the same time as a
known one (``dummy_verify``). A session cookie holds ``id:token`` and is valid
while the token is the user's current one (it changes at sign-out and password
change, so a copied cookie dies with them).
"""
import datetime
from dataclasses import dataclass

from domain.family import throttle
from domain.family.accounts import find_user
from domain.family.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from models import User, first_where, parse_id

WRONG_CREDENTIALS = "N° de compte, email ou mot de passe incorrect."
WRONG_PASSWORD = "Le mot de passe actuel est incorrect."
TOO_MANY = "Trop de tentatives de connexion ont échoué. "
TOO_MANY_TRIES = "Trop d'essais ont échoué. "
#: Failures of the current password (password change, email change), per user: one
#: count for both forms, so that switching forms gives no more guesses.
CURRENT_PASSWORD_KEY = "current-password:{}"
#: Confirmation links of a new sign-in email, per user and per day.
EMAIL_LINKS_KEY = "email-change-links:{}"


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or the French message to show."""

    user: User | None
    error: str | None = None


#: :func:`sign_in` looks the user up itself.
_LOOK_UP = object()


def sign_in(identifier: str, password: str, source: str = "inconnue",
            device: str | None = None, now=None, named=_LOOK_UP) -> SignIn:
    """Check ``identifier`` (account number or email) and ``password``, throttled.

    ``source``: the client's address (:func:`throttle.source_of`); ``device``: the
    owner's device mark when the browser holds one for this account (it signed in
    here before, or completed a reset): that device is then counted on its own and
    is not slowed down by failures from elsewhere. The attempt is counted before
    the password is checked (:func:`throttle.claim`), so parallel tries get no more.
    ``named``: what :func:`find_user` gave for ``identifier``, when the caller asked it
    already (a query less).
    """
    user = find_user(identifier) if named is _LOOK_UP else named
    if user is None:
        keys = {throttle.normalize(identifier): throttle.SOURCE}
    elif device:
        keys = {throttle.source_key(user, f"appareil:{device}"): throttle.SOURCE}
    else:
        keys = {throttle.source_key(user, throttle.source_of(source)): throttle.SOURCE,
                throttle.account_key(user): throttle.ACCOUNT}
    wait = throttle.claim(keys, now)
    if wait:
        return SignIn(None, TOO_MANY + throttle.describe_wait(wait))
    if user is None:
        dummy_verify(password)
    elif verify_password(user.password_hash, password):
        throttle.record_success(list(keys), claimed=True)  # every key, one statement
        if needs_rehash(user.password_hash):
            User.update(password_hash=hash_password(password)).where(User.id == user.id).execute()
        return SignIn(user)
    error = WRONG_CREDENTIALS
    waits = [wait for key, policy in keys.items()
             if (wait := throttle.wait_remaining(key, now, policy))]
    if waits:
        error += " Trop de tentatives ont échoué. " + throttle.describe_wait(max(waits))
    return SignIn(None, error)


def session_user(session_id: str) -> User | None:
    """The active user of a session id ``id:token``, while the token is still theirs."""
    user_pk, _, token = session_id.partition(":")
    user_id = parse_id(user_pk)
    if user_id is None or not token:
        return None
    user = first_where(User, id=user_id, is_active=True)
    if user is None or user.session_token != token:
        return None
    return user


def stay_signed_in_until(user: User, now: datetime.datetime,
                         days: int) -> datetime.datetime | None:
    """Until when a browser where ``user`` ticked « Rester connecté sur cet appareil »
    stays signed in: ``days`` from ``now``; None when it may not stay (a staff account:
    they sign in with a second factor each time, and reach every family's file)."""
    if user.role != User.ROLE_FAMILY or days <= 0:
        return None
    return now + datetime.timedelta(days=days)


def stay_has_ended(until: str, now: datetime.datetime) -> bool:
    """Whether a kept sign-in (``until``, as :func:`stay_signed_in_until` gave it, in ISO
    form) is over at ``now``; an unreadable one is over."""
    try:
        return now >= datetime.datetime.fromisoformat(until)
    except (TypeError, ValueError):
        return True


def current_password_problem(user: User, password: str) -> str | None:
    """Why ``password`` does not prove it is ``user`` (throttled), or None when it does."""
    key = CURRENT_PASSWORD_KEY.format(user.id)
    wait = throttle.claim({key: throttle.SOURCE})
    if wait:
        return TOO_MANY_TRIES + throttle.describe_wait(wait)
    if not verify_password(user.password_hash, password):
        return WRONG_PASSWORD
    throttle.record_success(key, claimed=True)
    return None


def email_change_problem(user: User, new_email: str) -> str | None:
    """Why a confirmation link to ``new_email`` cannot be sent, or None (counts the link)."""
    if new_email == (user.email or ""):
        return "C'est déjà votre adresse de connexion."
    if not throttle.allow(EMAIL_LINKS_KEY.format(user.id), throttle.EMAIL_CHANGE_LINKS_PER_USER):
        return ("Trop de demandes de changement d'adresse aujourd'hui. "
                "Réessayez demain, ou écrivez au service.")
    return None
