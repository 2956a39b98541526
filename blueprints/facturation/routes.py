"""Facturation: landing page."""
from flask import render_template

from blueprints.facturation import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("facturation/index.html", active_tab="facturation")
