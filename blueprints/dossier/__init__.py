"""Tab MON DOSSIER: the family record, the children, the QF, the documents, the actualisation."""
from flask import Blueprint

from blueprints.common import require_family

bp = Blueprint("dossier", __name__)
bp.before_request(require_family)

from blueprints.dossier import (  # noqa: E402,F401
    actualisation,
    children,
    declare,  # noqa: E402,F401
    documents,
    guardians,
    privacy,
    routes,
)
