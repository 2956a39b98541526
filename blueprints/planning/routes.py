"""Planning - Réservations: landing page."""
from flask import render_template

from blueprints.planning import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("planning/index.html", active_tab="planning")
