"""Actualités: landing page."""
from flask import render_template

from blueprints.actualites import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("actualites/index.html", active_tab="actualites")
