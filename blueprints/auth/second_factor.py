"""The staff second factor at sign-in (TOTP), its enrolment and the invitation link.

After the password, a staff account that has an authenticator (or must have one,
``STAFF_TOTP_REQUIRED``) is not signed in yet: the session holds a short-lived
"pending" mark (user id, session token, next URL) and the browser goes to the code
step, or to the enrolment when the account has no authenticator yet. Only a right
code (or an unused recovery code) signs in. Failed codes are throttled like failed
passwords, per account.
"""
import time

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user

from blueprints.auth import bp
from blueprints.auth.forms import EnrolmentForm, NewPasswordForm, SecondFactorForm
from blueprints.common import form_status, safe_next
from blueprints.htmx import current_actor
from domain.family import throttle
from domain.family.accounts import INVITATION_SALT, set_password, user_for_reset_token
from domain.staff import second_factor
from models import User

PENDING_KEY = "second_factor_pending"
#: In a staff session that gave its code (or enrolled): the second factor is done.
PASSED_KEY = "second_factor_passed"
#: In the session: new recovery codes are to be shown, since this time (the codes
#: themselves are made when shown, never carried by the cookie).
FRESH_CODES_KEY = "second_factor_codes_due"
#: Seconds during which that mark holds.
CODES_MAX_AGE = 5 * 60
#: Seconds between the password and the code before signing in starts over.
PENDING_MAX_AGE = 10 * 60
WRONG_CODE = "Ce code n'est pas valable. Vérifiez l'heure de votre téléphone, ou utilisez un code de secours."


def second_factor_needed(user):
    """True when ``user`` must give a code after the password."""
    return user.is_staff and (second_factor.is_enrolled(user)
                              or current_app.config.get("STAFF_TOTP_REQUIRED", False))


def start(user, next_target):
    """The password was right: remember who is signing in and ask for the code (or
    for the enrolment)."""
    session.clear()  # a new session at sign-in
    session[PENDING_KEY] = {"u": user.id, "t": user.session_token, "n": next_target or "",
                            "at": int(time.time())}
    endpoint = "auth.second_factor" if second_factor.is_enrolled(user) else "auth.enrol_totp"
    return redirect(url_for(endpoint), code=303)


def require_second_factor():
    """A ``before_request`` guard of the back office: a staff session that has not
    given a code although the account needs one (enrolled, or ``STAFF_TOTP_REQUIRED``
    turned on since it signed in) starts over at the code step, or the enrolment."""
    from flask import request
    if not current_user.is_authenticated or not current_user.is_staff:
        return None
    if session.get(PASSED_KEY) or not second_factor_needed(current_user):
        return None
    return start(current_user._get_current_object(), request.full_path.rstrip("?"))


def pending_user():
    """The user between the password and the code, or None (expired, changed, inactive)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_MAX_AGE:
        session.pop(PENDING_KEY, None)
        return None
    user = User.get_or_none((User.id == pending.get("u")) & User.is_active)
    if user is None or user.session_token != pending.get("t"):
        return None
    return user


def finish(user, notice=None):
    """Sign ``user`` in for real, at the page they asked for (``notice``: flashed there)."""
    target = (session.get(PENDING_KEY) or {}).get("n", "")
    fresh = session.get(FRESH_CODES_KEY)
    session.clear()
    login_user(user)
    session[PASSED_KEY] = True
    if notice:
        flash(notice, "info")
    if fresh:  # shown once on the next page
        session[FRESH_CODES_KEY] = fresh
        session["after_codes"] = safe_next(target, user)
        return redirect(url_for("auth.recovery_codes"), code=303)
    return redirect(safe_next(target, user), code=303)


def _restart():
    flash("Votre connexion a expiré : saisissez à nouveau votre mot de passe.", "info")
    return redirect(url_for("auth.login"), code=303)


def _checked_code(user, form, check, wrong_message, wrong_status):
    """Run ``check()`` on the code typed, under the throttle of the user's failed codes.

    Returns (its result, 200) when it holds; else (None, status) with the message on the
    code field: 429 while throttled (``check`` not run), ``wrong_status`` for a wrong code
    (401 at sign-in, like a wrong password; 422 when enrolling, like any refused form).
    """
    key = f"code:{user.id}"
    wait = throttle.claim({key: throttle.SOURCE})  # counted first: parallel codes get no more
    if wait:
        form.code.errors.append("Trop de codes erronés. " + throttle.describe_wait(wait))
        return None, 429
    result = check()
    if result:
        throttle.record_success(key, claimed=True)
        return result, 200
    form.code.errors.append(wrong_message)
    return None, wrong_status


@bp.route("/connexion/code", methods=["GET", "POST"], endpoint="second_factor")
def second_factor_step():
    """Second step: the code of the authenticator app, or a recovery code."""
    user = pending_user()
    if user is None:
        return _restart()
    if not second_factor.is_enrolled(user):
        return redirect(url_for("auth.enrol_totp"))
    form = SecondFactorForm()
    status = None
    if form.validate_on_submit():
        code = form.code.data
        signed, status = _checked_code(
            user, form, lambda: second_factor.verify_code(user, code)
            or second_factor.use_recovery_code(user, code), WRONG_CODE, 401)
        if signed:
            notice = None
            if second_factor.looks_like_recovery_code(code):
                left = second_factor.remaining_recovery_codes(user)
                notice = (f"Code de secours utilisé : il vous en reste {left}. Générez-en "
                          "de nouveaux depuis la page « Sécurité du compte ».")
            return finish(user, notice)
    return render_template("auth/second_factor.html", form=form), status or form_status(form)


def _enrolling_user():
    """Who is enrolling: the user between password and code, or a signed-in staff user."""
    user = pending_user()
    if user is not None:
        return user, True
    if current_user.is_authenticated and current_user.is_staff:
        return current_actor(), False
    return None, False


@bp.route("/connexion/double-authentification", methods=["GET", "POST"])
def enrol_totp():
    """Enrol an authenticator app: QR code, manual key, then a first code to confirm."""
    user, signing_in = _enrolling_user()
    if user is None:
        if current_user.is_authenticated:  # a family: no second factor here
            abort(404)
        return _restart()
    if second_factor.is_enrolled(user):
        return redirect(url_for("auth.second_factor") if signing_in else url_for("staff.security"))
    secret = second_factor.pending_secret(user)  # server-side, not in the cookie
    form = EnrolmentForm()
    status = None
    if form.validate_on_submit():
        codes, status = _checked_code(
            user, form, lambda: second_factor.enrol(user, secret, form.code.data),
            "Ce code n'est pas le bon. Saisissez le code affiché maintenant par "
            "l'application (il change toutes les 30 s).", 422)
        if codes is not None:
            session[PASSED_KEY] = True
            session[FRESH_CODES_KEY] = codes_due()
            if signing_in:
                return finish(user)
            session["after_codes"] = url_for("staff.security")
            return redirect(url_for("auth.recovery_codes"), code=303)
    uri = second_factor.provisioning_uri(secret, user.email or str(user.id))
    page = render_template("auth/enrol_totp.html", form=form, signing_in=signing_in,
                           qr_svg=second_factor.qr_code_svg(uri),
                           manual_key=second_factor.grouped_secret(secret))
    return page, status or form_status(form)


def codes_due():
    """The session's mark that new recovery codes are to be shown (not the codes)."""
    return {"at": int(time.time())}


@bp.route("/connexion/codes-de-secours")
def recovery_codes():
    """The new recovery codes, made now and shown once: only their hashes are kept."""
    due = session.pop(FRESH_CODES_KEY, None)
    target = session.pop("after_codes", None)
    if not current_user.is_authenticated:
        return _restart()
    codes = None
    if isinstance(due, dict) and int(time.time()) - int(due.get("at", 0)) <= CODES_MAX_AGE \
            and current_user.is_staff and second_factor.is_enrolled(current_user):
        codes = second_factor.new_recovery_codes(current_user._get_current_object())
    return render_template("auth/recovery_codes.html", codes=codes,
                           target=target or url_for("staff.index"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    """The link of an invitation: choose the account's first password (once, before it
    expires); then sign in."""
    user = user_for_reset_token(current_app.config["SECRET_KEY"], token,
                                current_app.config["INVITATION_MAX_AGE"], salt=INVITATION_SALT)
    if user is None:
        return render_template("auth/reset_invalid.html", invitation=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        by_number = user.family_id and not (user.guardian_id and user.guardian.position > 1)
        flash("Votre mot de passe est enregistré. Connectez-vous avec votre "
              + ("n° de compte ou votre " if by_number else "") + "adresse email.", "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset_password.html", form=form, invitation=True,
                           user=user), form_status(form)
