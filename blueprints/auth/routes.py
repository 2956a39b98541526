"""Sign-in, sign-out and "mot de passe oublié"."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth import bp
from blueprints.auth.device import client_source, device_for, remember_device
from blueprints.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from blueprints.auth.links import email_reset_link
from blueprints.auth.second_factor import second_factor_needed, start as start_second_factor
from blueprints.common import EmptyForm, form_status, home_for, safe_next
from blueprints.htmx import current_actor, is_htmx_request, redirect_page
from domain.clock import utc_now
from domain.family import throttle
from domain.family.accounts import end_sessions, find_user, set_password, user_for_reset_token
from domain.family.sign_in import (
    current_password_problem,
    session_user,
    sign_in,
    stay_has_ended,
    stay_signed_in_until,
)
from extensions import login_manager


@login_manager.user_loader
def load_user(user_id):
    """The user of a session cookie, only while its token is still the current one."""
    return session_user(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    """To the sign-in page; an htmx request is told to go there as a whole page."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx_request():
        return redirect_page(target, 401)
    flash("Connectez-vous pour accéder à cette page.", "info")
    return redirect(target)


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Sign in with the account number or the email and the password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        named = find_user(form.identifier.data)
        result = sign_in(form.identifier.data, form.password.data, client_source(),
                         device_for(named), named=named)
        error = result.error
        if result.user is not None:
            if second_factor_needed(result.user):  # staff: the code comes next
                return remember_device(start_second_factor(result.user, form.next.data),
                                       result.user)
            session.clear()  # a new session at sign-in
            login_user(result.user)
            if form.remember.data:
                _stay_signed_in(result.user)
            return remember_device(redirect(safe_next(form.next.data, result.user), code=303),
                                   result.user)
    status = form_status(form) if error is None else 401  # 401: wrong credentials
    return render_template("auth/login.html", form=form, error=error), status


#: The session's key holding until when a kept sign-in lasts (ISO, UTC).
STAY_KEY = "rester_connecte_jusqu_au"


def _stay_signed_in(user):
    """« Rester connecté sur cet appareil »: the session outlives the browser's closing,
    until REMEMBER_DAYS after this sign-in (families only). DÉCONNEXION, a new
    password or staff removing the access still end it, on every device."""
    until = stay_signed_in_until(user, utc_now(), current_app.config["REMEMBER_DAYS"])
    if until is not None:
        session.permanent = True
        session[STAY_KEY] = until.isoformat(timespec="seconds")


@bp.before_app_request
def end_a_kept_sign_in_when_due():
    """A kept sign-in ends REMEMBER_DAYS after it began, whatever the browser does."""
    if request.endpoint != "static" and STAY_KEY in session \
            and stay_has_ended(session[STAY_KEY], utc_now()):
        logout_user()
        session.clear()


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """DÉCONNEXION: the session ends on the server too."""
    if EmptyForm().validate_on_submit():
        end_sessions(current_user)
        logout_user()
        session.clear()
        flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password():
    """Send a single-use reset link; the same answer whether or not the account exists,
    and whether or not a daily limit (per account, per client) held the mail back."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user(form.identifier.data)
        if user and _reset_link_allowed(user):
            email_reset_link(user)
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot_password.html", form=form), form_status(form)


def _reset_link_allowed(user):
    """At most a few reset links a day per client and per account (a sequential account
    number made it easy to flood every family), yet one still reaches the owner when
    strangers used the day's up (``throttle.allow_reset_link``)."""
    client = throttle.allow(f"reset-client:{client_source()}",
                            throttle.RESET_REQUESTS_PER_CLIENT)
    return client and throttle.allow_reset_link(user, client_source(),
                                                trusted=device_for(user) is not None)


@bp.route("/reinitialiser/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Choose a new password from an emailed link (expires, works once)."""
    user = user_for_reset_token(current_app.config["SECRET_KEY"], token,
                                current_app.config["PASSWORD_RESET_MAX_AGE"])
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        throttle.clear_account(user)  # every count of the account starts over
        flash("Votre mot de passe est changé. Connectez-vous avec le nouveau.", "success")
        # The browser that proved it reads the owner's mail is the owner's device.
        return remember_device(redirect(url_for("auth.login"), code=303), user)
    return render_template("auth/reset_password.html", form=form), form_status(form)


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; every other session ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problem = current_password_problem(current_user, form.current.data)
        if problem:  # throttled: the current password cannot be guessed here either
            form.current.errors.append(problem)
        else:
            user = current_actor()
            set_password(user, form.password.data)
            kept_until = session.get(STAY_KEY)  # this browser stays as it was kept
            session.clear()
            login_user(user)
            if kept_until is not None:
                session.permanent, session[STAY_KEY] = True, kept_until
            flash("Votre mot de passe est changé.", "success")
            return redirect(home_for(current_user), code=303)
    return render_template("auth/change_password.html", form=form), form_status(form)
