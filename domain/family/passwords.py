"""Password hashing (argon2id) and the password policy (CNIL / OWASP ASVS).

Hashes use OWASP's Password Storage Cheat Sheet parameters for argon2id: 19 MiB, 2
passes, 1 lane (``PRODUCTION``). Each sign-in costs about 25 ms of one core and 19 MiB;
RFC 9106's 64 MiB × 4 lanes profile cost 200 ms of CPU and let 32 simultaneous
sign-ins take 2 GiB, a denial of service on a small server. A hash made with other
parameters is replaced at the next successful sign-in (``needs_rehash``).

A password is accepted when it has at least 12 characters, is not in the
bundled list of 30 000 common breached passwords (shipped by ``zxcvbn``), and
is not guessable (zxcvbn score of 3 or more), so a long passphrase passes.
"""
from functools import lru_cache

from argon2 import PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12


#: OWASP's argon2id parameters (m=19456 KiB, t=2, p=1).
PRODUCTION = profiles.Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32,
                                 time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=2)
def _hasher(profile):
    if profile == "cheapest":  # tests only: same algorithm, minimal cost
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(PRODUCTION)


#: The hashing profile ("" or "cheapest", tests only): set by the app factory.
_profile = ""


def configure(profile: str) -> None:
    """Use the hashing ``profile`` (``PASSWORD_HASH_PROFILE``)."""
    global _profile
    _profile = profile or ""


def hasher():
    return _hasher(_profile)


def hash_password(password):
    return hasher().hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; never raises on a bad hash."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """True when ``password_hash`` was made with other parameters than today's."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# A hash to verify against when the account does not exist, so that the time
# taken does not tell whether it does.
def dummy_verify(password):
    verify_password(_dummy_hash(hasher()), password)


@lru_cache(maxsize=2)
def _dummy_hash(h):
    return h.hash("pas-un-vrai-mot-de-passe")


#: The longest password zxcvbn 4.5 scores (its ``max_length``).
ZXCVBN_MAX = 72


@lru_cache(maxsize=1)
def breached_passwords():
    """The bundled list of common breached passwords, lower-cased."""
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password, user_inputs=()):
    """A French message saying why ``password`` is refused, or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
    if password.lower() in breached_passwords():
        return ("Ce mot de passe figure dans les listes de mots de passe divulgués. "
                "Choisissez-en un autre.")
    # zxcvbn scores at most ZXCVBN_MAX characters (it raises beyond): a longer passphrase
    # is judged on its beginning, which is then long enough to pass or not.
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=list(user_inputs))["score"] < 3:
        return ("Ce mot de passe est trop facile à deviner. Préférez une phrase de "
                "plusieurs mots sans rapport entre eux.")
    return None
