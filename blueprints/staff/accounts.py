"""Espace agents: accounts.

Agents create family accounts (an invitation email carries the link to choose a
password), resend an invitation and send a password-reset link. The administrateur
also creates agents, sets their role, deactivates and reactivates accounts and
resets an agent's second factor (``admin_bp``: agents get 403). Every staff
account reaches its own "Sécurité du compte" page (second factor, recovery codes).
"""
from flask import abort, current_app, flash, redirect, request, session, url_for
from peewee import JOIN

from blueprints.auth.links import email_invitation, email_reset_link
from blueprints.auth.second_factor import FRESH_CODES_KEY, codes_due
from blueprints.common import EmptyForm, form_status, get_or_404, require_button
from blueprints.htmx import current_actor, render
from blueprints.staff import admin_bp, bp
from blueprints.staff.forms import FamilyAccountForm, RoleForm, StaffAccountForm
from domain.family.accounts import (
    AccountProblem,
    create_family_account,
    has_password,
    record_invitation,
    record_reset_link,
)
from domain.family.sign_in import current_password_problem
from domain.staff import accounts as staff_accounts, second_factor
from models import Family, User

PAGE_SIZE = 50


def family_accounts(search):
    """Family accounts matching ``search`` (account number, family name or email)."""
    query = (User.select(User, Family).join(Family, JOIN.INNER)
             .where(User.role == User.ROLE_FAMILY)
             .order_by(Family.account_number.desc(), User.id))
    search = (search or "").strip()
    if search:
        if search.isascii() and search.isdigit() and len(search) < 10:
            query = query.where(Family.account_number == int(search))
        else:
            like = f"%{search.lower()}%"
            query = query.where((User.email ** like) | (Family.name ** like))
    return query


@bp.route("/comptes/")
def accounts():
    """Family accounts (search by number, name or email), with their actions."""
    search = request.args.get("q", "")[:100]
    rows = list(family_accounts(search).limit(PAGE_SIZE + 1))
    return render("staff/accounts/index.html",
                  accounts=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, search=search,
                  has_password=has_password, action_form=EmptyForm())


@bp.route("/comptes/nouvelle-famille", methods=["GET", "POST"])
def account_new_family():
    """Créer un compte famille: the family, its first guardian, the email that gets the
    invitation."""
    form = FamilyAccountForm()
    if form.validate_on_submit():
        try:
            user = create_family_account(current_actor(), form.family_name.data,
                                         form.guardian_first_name.data,
                                         form.guardian_last_name.data, form.email.data,
                                         form.relationship.data or "")
        except AccountProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            _invite(user)
            flash(f"Compte n° {user.family.account_number} créé pour la famille "
                  f"{user.family.name}. L'invitation à choisir un mot de passe est envoyée à "
                  f"{user.email}.", "success")
            return redirect(url_for("staff.accounts", q=user.family.account_number), code=303)
    return render("staff/accounts/new_family.html",
                  form=form, status=form_status(form))


def _family_user(user_id):
    return get_or_404(User.select().where((User.id == user_id)
                                          & (User.role == User.ROLE_FAMILY)))


def _invite(user):
    """Email ``user`` the link to choose a password; audited when it left (False: the
    account has no email address)."""
    sent = email_invitation(user)
    if sent:
        record_invitation(current_actor(), user)
    return sent


def _send_invitation(user, back):
    if has_password(user):
        flash("Ce compte a déjà un mot de passe : envoyez plutôt un lien de mot de passe.",
              "error")
    elif not user.is_active:
        flash("Ce compte est désactivé : réactivez-le d'abord.", "error")
    elif _invite(user):
        flash(f"Invitation renvoyée à {user.email}.", "success")
    else:
        flash("Ce compte n'a pas d'adresse email : l'invitation n'a pas pu partir.", "error")
    return redirect(back, code=303)


def _send_reset_link(user, back):
    if not user.is_active:
        flash("Ce compte est désactivé : réactivez-le d'abord.", "error")
        return redirect(back, code=303)
    address = email_reset_link(user)
    if address:
        record_reset_link(current_actor(), user, address)
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
        flash(f"Lien de mot de passe envoyé à {address} (valable {minutes} minutes).", "success")
    else:
        flash("Ce compte n'a pas d'adresse email : le lien n'a pas pu partir.", "error")
    return redirect(back, code=303)


def _back(default):
    """Where to return after an action: the list the button was on (a local path only)."""
    target = request.form.get("back", "")
    if target.startswith("/agents/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.route("/comptes/<int:user_id>/invitation", methods=["POST"])
def account_invite(user_id):
    """Renvoyer l'invitation of a family account that has no password yet."""
    user = _family_user(user_id)
    require_button()
    return _send_invitation(user, _back(url_for("staff.accounts")))


@bp.route("/comptes/<int:user_id>/lien-mot-de-passe", methods=["POST"])
def account_reset_link(user_id):
    """Send a family account a link to choose a new password."""
    user = _family_user(user_id)
    require_button()
    return _send_reset_link(user, _back(url_for("staff.accounts")))


# --- Sécurité du compte (every staff account) --------------------------------


@bp.route("/securite", methods=["GET", "POST"])
def security():
    """The signed-in agent's second factor: state, enrolment, new recovery codes, and
    turning it off where it is not required."""
    me = current_actor()
    form = EmptyForm()
    required = current_app.config.get("STAFF_TOTP_REQUIRED", False)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action")
        if action == "codes" and second_factor.is_enrolled(me):
            # The session alone is not enough: the password again, throttled.
            problem = current_password_problem(me, request.form.get("password", ""))
            if problem:
                return render("staff/accounts/security.html", active_tab="staff_security",
                              form=form, enrolled=True, required=required,
                              remaining=second_factor.remaining_recovery_codes(me),
                              password_error=problem, status=422)
            session[FRESH_CODES_KEY] = codes_due()
            session["after_codes"] = url_for("staff.security")
            return redirect(url_for("auth.recovery_codes"), code=303)
        if action == "disable" and second_factor.is_enrolled(me) and not required:
            second_factor.disable(me)
            flash("La double authentification est désactivée.", "success")
            return redirect(url_for("staff.security"), code=303)
        abort(400)
    return render("staff/accounts/security.html", active_tab="staff_security",
                  form=form, enrolled=second_factor.is_enrolled(me), required=required,
                  remaining=second_factor.remaining_recovery_codes(me))


# --- Administrateur: staff accounts ------------------------------------------


def _staff_page(form=None, status=200):
    return render("staff/accounts/staff.html",
                  accounts=staff_accounts.staff_accounts(), form=form or StaffAccountForm(),
                  role_labels=staff_accounts.ROLE_LABELS, roles=staff_accounts.STAFF_ROLES,
                  has_password=has_password, is_enrolled=second_factor.is_enrolled,
                  action_form=EmptyForm(), role_form=_role_form, status=status)


def _role_form(user):
    return RoleForm(prefix=f"role-{user.id}", formdata=None, role=user.role)


@admin_bp.route("/comptes/")
def staff_list():
    """Agents and administrateurs: create, role, deactivate, invitation, second factor."""
    return _staff_page()


@admin_bp.route("/comptes/nouveau", methods=["POST"])
def staff_new():
    """Créer un compte agent: an invitation email carries the link to choose a password."""
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            user = staff_accounts.create_staff_account(current_actor(), form.email.data,
                                                       form.display_name.data, form.role.data)
        except AccountProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            _invite(user)
            flash(f"Compte {staff_accounts.ROLE_LABELS[user.role].lower()} créé pour "
                  f"{user.display_name} ; l'invitation est envoyée à {user.email}.", "success")
            return redirect(url_for("staff.admin.staff_list"), code=303)
    return _staff_page(form, 422)


def _any_user(user_id):
    return get_or_404(User.select().where(User.id == user_id))


def _staff_user(user_id):
    return get_or_404(User.select().where((User.id == user_id)
                                          & User.role.in_(staff_accounts.STAFF_ROLES)))


@admin_bp.route("/comptes/<int:user_id>/role", methods=["POST"])
def staff_role(user_id):
    """Make a staff account an agent or an administrateur."""
    user = _staff_user(user_id)
    form = RoleForm(prefix=f"role-{user.id}")
    if not form.validate_on_submit():
        flash(" ".join(form.role.errors) or "Choisissez le rôle : agent ou administrateur.",
              "error")
        return redirect(url_for("staff.admin.staff_list"), code=303)
    try:
        changed = staff_accounts.set_role(current_actor(), user, form.role.data)
    except (staff_accounts.SelfLockout, AccountProblem) as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"{user.display_name or user.email} est maintenant "
              f"{staff_accounts.ROLE_LABELS[user.role].lower()}." if changed
              else "Rien n'a changé.", "success" if changed else "info")
    return redirect(url_for("staff.admin.staff_list"), code=303)


@admin_bp.route("/comptes/<int:user_id>/activation", methods=["POST"])
def account_activation(user_id):
    """Deactivate (``active=0``: sign-in refused, open sessions end now) or reactivate any
    account, staff or family."""
    user = _any_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    back = _back(url_for("staff.admin.staff_list"))
    try:
        changed = staff_accounts.set_active(current_actor(), user, active)
    except staff_accounts.SelfLockout as refusal:
        flash(str(refusal), "error")
        return redirect(back, code=303)
    name = user.display_name or user.email or f"n° {user.id}"
    if changed:
        flash(f"Le compte {name} est réactivé." if active else
              f"Le compte {name} est désactivé : il ne peut plus se connecter et ses sessions "
              "ouvertes sont fermées.", "success")
    return redirect(back, code=303)


@admin_bp.route("/comptes/<int:user_id>/invitation", methods=["POST"])
def staff_invite(user_id):
    """Renvoyer l'invitation of a staff account that has no password yet."""
    user = _staff_user(user_id)
    require_button()
    return _send_invitation(user, url_for("staff.admin.staff_list"))


@admin_bp.route("/comptes/<int:user_id>/lien-mot-de-passe", methods=["POST"])
def staff_reset_link(user_id):
    """Send a staff account a link to choose a new password."""
    user = _staff_user(user_id)
    require_button()
    return _send_reset_link(user, url_for("staff.admin.staff_list"))


@admin_bp.route("/comptes/<int:user_id>/double-authentification", methods=["POST"])
def staff_reset_second_factor(user_id):
    """Forget an agent's authenticator (a lost phone): they enrol again at next sign-in."""
    user = _staff_user(user_id)
    require_button()
    staff_accounts.reset_second_factor(current_actor(), user)
    flash(f"La double authentification de {user.display_name or user.email} est "
          "réinitialisée : elle sera configurée à sa prochaine connexion.", "success")
    return redirect(url_for("staff.admin.staff_list"), code=303)
