"""Espace agents: each legal guardian's access to the portal, from the family's page:
invite either guardian, remove one's access (separated parents) without touching the
other's."""
from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from blueprints.auth.links import invitation_days, invitation_link
from blueprints.common import get_or_404, require_button
from blueprints.htmx import current_actor
from blueprints.staff import bp
from domain.family import guardian_access
from models import Guardian


class AccessRemovalForm(FlaskForm):
    """Retirer l'accès: the reason, written in the journal."""

    motif = TextAreaField("Motif (facultatif)", [Length(max=500, message=(
        "Le motif tient en 500 caractères au plus."))])


def _guardian(family_id, guardian_id):
    return get_or_404(Guardian.select().where((Guardian.id == guardian_id)
                                              & (Guardian.family == family_id)))


def _back(family_id):
    return redirect(url_for("staff.family", family_id=family_id) + "#coordonnees", code=303)


@bp.route("/familles/<int:family_id>/responsables/<int:guardian_id>/acces", methods=["POST"])
def invite_guardian(family_id, guardian_id):
    """Give (or give back) a guardian their own login: the invitation email, audited."""
    guardian = _guardian(family_id, guardian_id)
    require_button()
    try:
        user = guardian_access.invite(current_actor(), guardian, invitation_link,
                                      invitation_days())
        flash(f"Invitation envoyée à {user.email} ({guardian_access.guardian_name(guardian)}).",
              "success")
    except guardian_access.AccessProblem as problem:
        flash(str(problem), "error")
    return _back(family_id)


@bp.route("/familles/<int:family_id>/responsables/<int:guardian_id>/acces/retirer",
          methods=["POST"])
def remove_guardian_access(family_id, guardian_id):
    """Remove one guardian's access: that account cannot sign in any more and its
    sessions end; the other guardian's account is untouched. Audited with the reason."""
    guardian = _guardian(family_id, guardian_id)
    form = AccessRemovalForm()
    if not form.validate_on_submit():
        for message in form.motif.errors or ["La demande a expiré : recommencez."]:
            flash(message, "error")
        return _back(family_id)
    try:
        guardian_access.remove(current_actor(), guardian, form.motif.data or "")
        flash(f"L'accès au portail de {guardian_access.guardian_name(guardian)} est retiré.",
              "success")
    except guardian_access.AccessProblem as problem:
        flash(str(problem), "error")
    return _back(family_id)
