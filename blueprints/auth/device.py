"""The owner's device mark: a signed cookie a browser gets when it signs in to an
account (or completes its password reset), so that failures from elsewhere never
shut that browser out (``domain.family.throttle``: it is counted on its own).

The cookie names the account and a random mark; its signature (``SECRET_KEY``)
makes it unforgeable. A stolen one only buys its own throttle: 25 tries a day.
"""
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from domain.family import throttle

COOKIE = "portail_appareil"
SALT = "appareil"
MAX_AGE = 400 * 24 * 3600  # browsers keep a cookie 400 days at most


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def device_for(user):
    """This browser's mark for ``user``'s account, or None."""
    if user is None:
        return None
    try:
        user_id, mark = _serializer().loads(request.cookies.get(COOKIE, ""))
    except (BadSignature, ValueError, TypeError):
        return None
    return mark if user_id == user.id and isinstance(mark, str) else None


def remember_device(response, user):
    """Give this browser a mark for ``user``'s account (kept when it has one already)."""
    mark = device_for(user) or secrets.token_urlsafe(16)
    response.set_cookie(COOKIE, _serializer().dumps([user.id, mark]), max_age=MAX_AGE,
                        httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def client_source():
    """The source the client's failures are counted under (address, or IPv6 /64)."""
    return throttle.source_of(request.remote_addr)
