"""Tab MESSAGERIE."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("messagerie", __name__)
bp.before_request(require_family)

from blueprints.messagerie import routes  # noqa: E402,F401
