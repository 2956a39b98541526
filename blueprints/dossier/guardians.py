"""MON DOSSIER: « Donner accès au portail » to the family's other legal guardian."""
from flask import flash, redirect, url_for
from flask_login import current_user

from blueprints.auth.links import invitation_days, invitation_link
from blueprints.common import get_or_404, require_button
from blueprints.dossier import bp
from blueprints.htmx import current_actor
from domain.family import guardian_access
from models import Guardian


@bp.route("/responsables/<int:guardian_id>/acces", methods=["POST"])
def give_guardian_access(guardian_id):
    """Invite the other guardian of the family (never one who had an account: giving a
    removed access back is staff's): their own login, by a single-use email link."""
    guardian = get_or_404(Guardian.select().where((Guardian.id == guardian_id)
                                                  & (Guardian.family == current_user.family_id)))
    require_button()
    access = guardian_access.Access(guardian, guardian_access.account_of(guardian))
    if not guardian_access.can_invite_from_dossier(current_user, access):
        flash(f"Vous ne pouvez pas donner d'ici accès au portail à "
              f"{guardian_access.guardian_name(guardian)} (accès : {access.label}). Pour toute "
              "demande sur son accès, écrivez au service « Données du Dossier Famille ».",
              "error")
    else:
        try:
            user = guardian_access.invite(current_actor(), guardian, invitation_link,
                                          invitation_days())
            flash(f"Invitation envoyée à {user.email} : {guardian_access.guardian_name(guardian)}"
                  " choisira son mot de passe et verra le dossier de la famille.", "success")
        except guardian_access.AccessProblem as problem:
            flash(str(problem), "error")
    return redirect(url_for("dossier.index") + "#famille", code=303)
