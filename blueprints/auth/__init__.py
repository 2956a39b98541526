"""Sign-in, sign-out and password reset."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from blueprints.auth import routes, second_factor  # noqa: E402,F401 (their routes on bp)
