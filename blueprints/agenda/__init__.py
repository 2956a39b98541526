"""The families' private calendar feeds, read by calendar apps without signing in: the
address's token is the only key (``domain.booking.calendar_feed``)."""
from flask import Blueprint

bp = Blueprint("agenda", __name__)

from blueprints.agenda import routes  # noqa: E402,F401
