"""Tab FACTURATION."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("facturation", __name__)
bp.before_request(require_family)

from blueprints.facturation import routes  # noqa: E402,F401
from blueprints.facturation import direct_debit  # noqa: E402,F401
