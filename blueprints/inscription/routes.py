"""Inscription: landing page."""
from flask import render_template

from blueprints.inscription import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("inscription/index.html", active_tab="inscription")
