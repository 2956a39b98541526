"""Staff accounts, managed by the administrateur: create, set the role, deactivate.

A deactivated account cannot sign in (``find_user`` looks at active accounts only)
and its open sessions end at once: its session token is rotated and the session
loader refuses inactive users on their next request. The administrateur cannot
deactivate or demote themselves, so the portal always keeps one.
"""
from peewee import IntegrityError

from domain import audit
from domain.commune import EMAIL
from domain.family.accounts import (
    AccountProblem,
    _check_email_free,
    end_sessions,
    new_session_token,
    normalize_email,
    set_password,
)
from domain.family.passwords import password_problem
from domain.staff import second_factor
from models import User, db

STAFF_ROLES = (User.ROLE_AGENT, User.ROLE_ADMIN)
ROLE_LABELS = {User.ROLE_FAMILY: "Famille", User.ROLE_AGENT: "Agent",
               User.ROLE_ADMIN: "Administrateur"}


def staff_accounts():
    """Agents and administrateurs, active ones first, by name."""
    return list(User.select().where(User.role.in_(STAFF_ROLES))
                .order_by(User.is_active.desc(), User.display_name, User.email))


def create_staff_account(actor, email, display_name, role):
    """A new agent (or administrateur) without a password: the invitation sets it."""
    if role not in STAFF_ROLES:
        raise AccountProblem("role", "Choisissez le rôle : agent ou administrateur.")
    email = normalize_email(email)
    with db.atomic():
        _check_email_free(email)
        try:
            with db.atomic():
                user = User.create(email=email, display_name=display_name.strip(), role=role,
                                   password_hash="", session_token=new_session_token())
        except IntegrityError:
            raise AccountProblem("email", "Un compte utilise déjà cette adresse email.")
        audit.record(actor, None, audit.ACCOUNT_CREATED,
                     f"Compte {ROLE_LABELS[role].lower()} {email} créé",
                     after={"email": email, "role": role, "name": user.display_name})
    return user


class SelfLockout(ValueError):
    """The administrateur tried to deactivate or demote their own account."""


def set_role(actor, user, role):
    """Make a staff account an agent or an administrateur; audited."""
    if role not in STAFF_ROLES or user.role not in STAFF_ROLES:
        raise AccountProblem("role", "Choisissez le rôle : agent ou administrateur.")
    if user.id == actor.id and role != user.role:
        raise SelfLockout("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
    if role == user.role:
        return False
    with db.atomic():
        before = user.role
        User.update(role=role).where(User.id == user.id).execute()
        audit.record(actor, None, audit.ACCOUNT_ROLE_SET,
                     f"{user.email} : {ROLE_LABELS[before]} → {ROLE_LABELS[role]}",
                     before={"role": before}, after={"role": role})
    user.role = role
    return True


def set_active(actor, user, active):
    """Deactivate (every session ends now) or reactivate an account; audited."""
    if user.id == actor.id and not active:
        raise SelfLockout("Vous ne pouvez pas désactiver votre propre compte.")
    if user.is_active == active:
        return False
    with db.atomic():
        user.is_active = active
        user.session_token = new_session_token()
        User.update(is_active=active, session_token=user.session_token).where(
            User.id == user.id).execute()
        action = audit.ACCOUNT_DEACTIVATED if not active else audit.ACCOUNT_REACTIVATED
        audit.record(actor, user.family_id, action,
                     f"Compte {user.email or user.id} {'réactivé' if active else 'désactivé'}",
                     before={"is_active": not active}, after={"is_active": active})
    return True


def reset_second_factor(actor, user):
    """Forget ``user``'s authenticator and recovery codes (a lost phone): they enrol
    again at their next sign-in; their sessions end."""
    with db.atomic():
        second_factor.disable(user)
        end_sessions(user)
        audit.record(actor, None, audit.SECOND_FACTOR_RESET,
                     f"Double authentification de {user.email} réinitialisée")


def create_administrateur(email, display_name="", password=None):
    """An administrateur made from the command line (``flask create-admin``): the first of
    a new commune, or another. With ``password`` (checked by the portal's rules) the account
    can sign in at once; without, an invitation link sets it. Audited (no author: the
    command). Raises :class:`AccountProblem` (French) on a bad email, a used one or a weak
    password."""
    email = normalize_email(email)
    if not EMAIL.match(email) or len(email) > 200:
        raise AccountProblem("email", f"« {email} » n'est pas une adresse email valide "
                                      "(par exemple prenom.nom@mairie.fr).")
    if password is not None:
        problem = password_problem(password, user_inputs=[email, display_name])
        if problem:
            raise AccountProblem("password", problem)
    with db.atomic():
        user = create_staff_account(None, email, display_name or email.split("@")[0],
                                    User.ROLE_ADMIN)
        if password is not None:
            set_password(user, password)
    return user
