"""GET/POST /desabonnement/<token>: stop one optional kind of email (see the package)."""
from flask import abort, current_app, render_template, request

from blueprints.desabonnement import bp
from domain import email_prefs


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """Confirm (GET) or apply (POST, one-click) the refusal the token names."""
    found = email_prefs.read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    if found is None:
        abort(404)
    user, kind = found
    done = request.method == "POST"
    if done:
        email_prefs.refuse(user.id, kind)
    response = current_app.make_response(render_template(
        "desabonnement/unsubscribe.html", label=email_prefs.LABELS[kind], done=done,
        token=token))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
