"""What the operators' tools call: ``/sante`` for a load balancer's health check."""
from flask import Blueprint

import models

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
