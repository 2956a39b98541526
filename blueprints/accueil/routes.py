"""ACCUEIL: the six tiles of the guide's "Vue générale"."""
from flask import has_request_context, render_template
from flask_login import current_user

from blueprints.accueil import bp
from domain.messaging import unread_count


@bp.app_context_processor
def family_header():
    """The unread count shown in the navigation on every family page."""
    # Mail rendered by a command or a background job has no signed-in user.
    if has_request_context() and current_user.is_authenticated and current_user.family_id:
        return {"unread_count": unread_count(current_user.family_id)}
    return {}


@bp.route("/")
def index():
    """The six tiles with their links."""
    return render_template("accueil/index.html", active_tab="accueil")
