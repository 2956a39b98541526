"""The emails that carry a password link: a reset link and an invitation."""
from flask import current_app

from blueprints.common import public_url
from domain import notifications
from domain.family.accounts import INVITATION_SALT, make_reset_token, reset_email_address


def email_reset_link(user):
    """Send ``user`` a single-use, expiring link to choose a new password; returns the
    address it went to, or None when the account has none."""
    address = reset_email_address(user)
    if address:
        token = make_reset_token(current_app.config["SECRET_KEY"], user)
        notifications.password_reset(address, public_url("auth.reset_password", token=token),
                                     current_app.config["PASSWORD_RESET_MAX_AGE"] // 60, user)
    return address


def email_invitation(user):
    """Send ``user`` (an account created by staff) the link to choose a first password;
    returns the address it went to, or None."""
    address = reset_email_address(user)
    if address:
        token = make_reset_token(current_app.config["SECRET_KEY"], user, salt=INVITATION_SALT)
        notifications.invitation(address, public_url("auth.accept_invitation", token=token),
                                 max(1, current_app.config["INVITATION_MAX_AGE"] // 86400), user)
    return address


def invitation_link(user):
    """The single-use link of ``user``'s invitation (to choose a first password)."""
    token = make_reset_token(current_app.config["SECRET_KEY"], user, salt=INVITATION_SALT)
    return public_url("auth.accept_invitation", token=token)


def invitation_days():
    """How many days an invitation link stays valid."""
    return max(1, current_app.config["INVITATION_MAX_AGE"] // 86400)
