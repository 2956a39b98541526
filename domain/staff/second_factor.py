"""The staff second factor: TOTP codes of an authenticator app (RFC 6238, ``pyotp``),
enrolled with a QR code (``segno``), and single-use recovery codes.

Codes are checked against the real wall clock, not the portal's configurable clock
(``PORTAIL_TODAY``): the authenticator on the agent's phone knows only the real
time. A code is accepted in the current 30-second step or the one before or after
(phone clocks drift), and only once: the step of the last accepted code is kept.
Recovery codes are 16 random base-32 characters (80 bits), stored as SHA-256
digests, each usable once.
"""
import datetime
import hashlib
import re
import secrets
import time

import pyotp
import segno

from domain.clock import utc_now
from models import RecoveryCode, User, db

ISSUER = "Portail Famille"
RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_CODE = re.compile(r"^\d{6}$")


def is_enrolled(user):
    return bool(user.totp_secret and user.totp_enabled_at)


def new_secret():
    """A fresh TOTP secret (base 32, 160 bits)."""
    return pyotp.random_base32(32)


def pending_secret(user):
    """The secret ``user`` is enrolling with, kept in the database (never in the
    session cookie) until a first code confirms it: the same one on every visit of the
    enrolment page, made on the first."""
    if user.totp_secret and not user.totp_enabled_at:
        return user.totp_secret
    if is_enrolled(user):
        raise ValueError("already enrolled")
    secret = new_secret()
    User.update(totp_secret=secret, totp_last_step=None).where(
        (User.id == user.id) & User.totp_enabled_at.is_null()).execute()
    user.totp_secret = secret
    return secret


def provisioning_uri(secret, account_name, issuer=ISSUER):
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_code_svg(uri):
    """The QR code of ``uri`` as an inline SVG element (no style attribute, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code",
                                                 svgclass="totp-qr", lineclass=None)


def grouped_secret(secret):
    """The manual key, in groups of four to type it without error."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret, code, at=None):
    """The 30-second step in which ``code`` is valid (this one or a neighbour), or None."""
    code = re.sub(r"\s", "", code or "")
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    moment = datetime.datetime.fromtimestamp(at if at is not None else time.time(),
                                             datetime.timezone.utc)
    for offset in (0, -1, 1):
        when = moment + datetime.timedelta(seconds=offset * totp.interval)
        if secrets.compare_digest(totp.at(when), code):
            return totp.timecode(when)
    return None


def code_is_valid_for_secret(secret, code, at=None):
    """True when ``code`` is a current code of ``secret`` (enrolment check)."""
    return _matching_step(secret, code, at) is not None


def verify_code(user, code, at=None):
    """True when ``code`` is a current TOTP code of ``user`` not used before."""
    if not is_enrolled(user):
        return False
    step = _matching_step(user.totp_secret, code, at)
    if step is None:
        return False
    # Compare-and-set: two requests with the same code cannot both pass.
    updated = (User.update(totp_last_step=step)
               .where((User.id == user.id)
                      & (User.totp_last_step.is_null() | (User.totp_last_step < step)))
               .execute())
    if updated:
        user.totp_last_step = step
    return bool(updated)


def normalize_recovery_code(code):
    return re.sub(r"[\s\-]", "", (code or "").lower())


def _digest(code):
    return hashlib.sha256(normalize_recovery_code(code).encode()).hexdigest()


def looks_like_recovery_code(code):
    return len(normalize_recovery_code(code)) == 16


def new_recovery_codes(user):
    """Replace ``user``'s recovery codes with new ones; returns them (shown once)."""
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
             for _ in range(RECOVERY_CODE_COUNT)]
    with db.atomic():
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        RecoveryCode.insert_many([{"user": user.id, "code_hash": _digest(c),
                                   "created_at": utc_now()} for c in codes]).execute()
    return codes


def use_recovery_code(user, code):
    """True (and the code is spent) when ``code`` is one of ``user``'s unused codes."""
    if not is_enrolled(user) or not looks_like_recovery_code(code):
        return False
    return bool(RecoveryCode.update(used_at=utc_now())
                .where((RecoveryCode.user == user) & (RecoveryCode.code_hash == _digest(code))
                       & RecoveryCode.used_at.is_null())
                .execute())


def remaining_recovery_codes(user):
    return (RecoveryCode.select().where((RecoveryCode.user == user)
                                        & RecoveryCode.used_at.is_null()).count())


def enrol(user, secret, code, at=None):
    """Confirm enrolment with a code of ``secret``; returns the new recovery codes,
    or None when the code is wrong."""
    step = _matching_step(secret, code, at)
    if step is None:
        return None
    with db.atomic():
        User.update(totp_secret=secret, totp_enabled_at=utc_now(), totp_last_step=step).where(
            User.id == user.id).execute()
        user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utc_now(), step
        return new_recovery_codes(user)


def disable(user):
    """Forget the authenticator and the recovery codes of ``user``."""
    with db.atomic():
        User.update(totp_secret=None, totp_enabled_at=None, totp_last_step=None).where(
            User.id == user.id).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
