"""PayFiP's server-to-server notification: no session, no CSRF token (PayFiP posts
``idOp``), and nothing taken from it but the idOp to read the result back."""
from flask import Blueprint

from extensions import csrf

bp = Blueprint("paiement", __name__)
csrf.exempt(bp)

from blueprints.paiement import routes  # noqa: E402,F401
