"""Pages outside any tab: ``/sante`` for a load balancer's health check, and the
commune's logo (every page's header shows it, signed in or not)."""
from flask import Blueprint, abort

import models
from domain import commune

bp = Blueprint("ops", __name__)


@bp.route("/sante")
def health():
    """200 "OK" when this process answers and its database does, else 503. No data
    shown, no session opened, nothing cached: a load balancer calls it every few seconds."""
    try:
        models.db.execute_sql("SELECT 1").fetchone()
    except Exception:  # the database is down or unreachable: take this server out
        return _plain("indisponible", 503)
    return _plain("OK", 200)


def _plain(text, status):
    return text + "\n", status, {"Content-Type": "text/plain; charset=utf-8",
                                 "Cache-Control": "no-store"}


@bp.route("/commune/logo")
def commune_logo():
    """The commune's logo (re-encoded PNG or JPEG when it was set), or 404."""
    logo = commune.logo()
    if logo is None:
        abort(404)
    data, content_type = logo
    return data, 200, {"Content-Type": content_type, "X-Content-Type-Options": "nosniff",
                       "Cache-Control": "public, max-age=300"}
