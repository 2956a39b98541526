"""Tab PLANNING - RÉSERVATIONS.

``bp`` serves the signed-in family at ``/planning``; ``staff_bp`` (``staff_planning``)
serves the same calendar views at ``/agents/familles/<family_id>/planning``, where staff
open that family's own calendar to book on its behalf (no deadline nor place limit, the
reason asked once at TERMINER). Views read the family from :func:`acting_family_id`;
templates build their links from ``pl``, the blueprint's name.
"""
from flask import Blueprint, abort, g, request
from flask_login import current_user

from blueprints.common import require_family, require_staff
from extensions import csrf

bp = Blueprint("planning", __name__)
#: The name of the staff's blueprint (see the module docstring).
STAFF_NAME = "staff_planning"
staff_bp = Blueprint(STAFF_NAME, __name__)


def is_on_behalf():
    """Whether this request is staff acting in a family's calendar."""
    return request.blueprint == STAFF_NAME


def acting_family_id():
    """The family whose calendar this is: the signed-in family's, or the one in the
    staff URL."""
    return g.acting_family_id if is_on_behalf() else current_user.family_id


def guard():
    """Families in their own calendar; staff (agents, administrateurs) in a family's."""
    if is_on_behalf():
        refused = require_staff()
        if refused is not None:
            return refused
        from models import Family
        if not Family.select().where(Family.id == g.get("acting_family_id")).exists():
            abort(404)
        return None
    return require_family()


@staff_bp.url_value_preprocessor
def pop_family(endpoint, values):
    if values and "family_id" in values:
        g.acting_family_id = values.pop("family_id")


@staff_bp.url_defaults
def keep_family(endpoint, values):
    if endpoint.startswith(STAFF_NAME + ".") and "family_id" not in values \
            and g.get("acting_family_id"):
        values["family_id"] = g.acting_family_id


@bp.context_processor
@staff_bp.context_processor
def planning_endpoints():
    """``pl``: the registration the page's links stay in; ``on_behalf`` for staff."""
    return {"pl": STAFF_NAME if is_on_behalf() else "planning",
            "on_behalf": is_on_behalf()}


# The sign-in check runs before the CSRF check here, so that an expired session
# during an htmx toggle answers HX-Redirect to the sign-in page (not a CSRF error
# page that htmx would not show). Every POST is still CSRF-checked, just after.
csrf.exempt(bp)
bp.before_request(guard)
bp.before_request(csrf.protect)
staff_bp.before_request(guard)  # CSRF: the app's own check (not exempt)

from blueprints.planning import agenda, cells, routes  # noqa: E402,F401

cells.register(bp)

#: The calendar's views that staff use in a family's calendar (not its agenda address).
for _rule, _view, _methods in (
        ("/", "index", ["GET"]), ("/basculer", "toggle", ["POST"]),
        ("/valider", "validate_month", ["POST"]), ("/cocher", "tick_all", ["POST"]),
        ("/recapitulatif", "recap", ["GET"]), ("/tout-supprimer", "drop_all", ["POST"]),
        ("/retirer/<int:pending_id>", "drop_one", ["POST"]), ("/terminer", "finish", ["POST"])):
    staff_bp.add_url_rule(_rule, _view, getattr(routes, _view), methods=_methods)
