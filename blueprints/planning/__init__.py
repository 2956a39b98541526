"""Tab PLANNING - RÉSERVATIONS."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("planning", __name__)
bp.before_request(require_family)

from blueprints.planning import routes  # noqa: E402,F401
