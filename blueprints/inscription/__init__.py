"""Tab INSCRIPTION."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("inscription", __name__)
bp.before_request(require_family)

from blueprints.inscription import routes  # noqa: E402,F401
