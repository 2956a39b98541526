"""Tab ACTUALITÉS."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("actualites", __name__)
bp.before_request(require_family)

from blueprints.actualites import routes  # noqa: E402,F401
