"""Espace agents: landing page."""
from flask import render_template

from blueprints.staff import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("staff/index.html", active_tab="staff")
