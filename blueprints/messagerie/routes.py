"""Messagerie: landing page."""
from flask import render_template

from blueprints.messagerie import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("messagerie/index.html", active_tab="messagerie")
