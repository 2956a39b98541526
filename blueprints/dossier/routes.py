"""Mon dossier: landing page."""
from flask import render_template

from blueprints.dossier import bp


@bp.route("/")
def index():
    """The landing page of the tab."""
    return render_template("dossier/index.html", active_tab="dossier")
