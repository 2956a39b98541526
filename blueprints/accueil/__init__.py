"""Tab ACCUEIL."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("accueil", __name__)
bp.before_request(require_family)

from blueprints.accueil import routes  # noqa: E402,F401
