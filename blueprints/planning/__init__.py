"""Tab PLANNING - RÉSERVATIONS."""
from flask import Blueprint

from blueprints.common import require_family
from extensions import csrf

bp = Blueprint("planning", __name__)
# The sign-in check runs before the CSRF check here, so that an expired session
# during an htmx toggle answers HX-Redirect to the sign-in page (not a CSRF error
# page that htmx would not show). Every POST is still CSRF-checked, just after.
csrf.exempt(bp)
bp.before_request(require_family)
bp.before_request(csrf.protect)

from blueprints.planning import agenda, cells, illness, routes  # noqa: E402,F401

cells.register(bp)
