"""Tab MON DOSSIER."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("dossier", __name__)
bp.before_request(require_family)

from blueprints.dossier import routes  # noqa: E402,F401
