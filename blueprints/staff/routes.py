"""Espace agents: the home page, what waits for the service."""
from flask import render_template

from blueprints.staff import bp
from domain import clock
from domain.messaging.messages import service_names
from domain.worklist import worklist


@bp.route("/")
def index():
    """Counts of what waits, each linking to its queue."""
    return render_template("staff/index.html", services=service_names(),
                           work=worklist(clock.today()))
