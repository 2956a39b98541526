"""The staff back office: agents and administrateurs only, guarded once for the whole blueprint."""
from flask import Blueprint

from blueprints.common import require_staff

bp = Blueprint("staff", __name__)
bp.before_request(require_staff)

from blueprints.staff import routes  # noqa: E402,F401
from blueprints.staff import messages  # noqa: E402,F401
