"""What every blueprint shares: the access guards and the htmx-aware renderer."""
import os
import re
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    g,
    has_request_context,
    make_response,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import DoesNotExist
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from blueprints.htmx import is_htmx, render  # noqa: F401 (re-exported for older imports)
from domain import commune
from domain.files import upload_path
from extensions import login_manager
from models import User


class EmptyForm(FlaskForm):
    """A bare button that is still a CSRF-checked POST."""

    submit = SubmitField("Valider")


def required_text(label, missing, most, what, field=StringField, **kwargs):
    """A required text field of ``most`` characters at the most: ``missing`` says it is
    empty, "``what`` ne doit pas dépasser N caractères." that it is too long."""
    return field(label, validators=[
        DataRequired(missing),
        Length(max=most, message=f"{what} ne doit pas dépasser {most} caractères.")], **kwargs)


def commune_settings():
    """The commune's settings, read once per request and bound for the domain's rules
    (the deadline day, the main period) until the request ends."""
    if "commune_settings" not in g:
        g.commune_settings = commune.load()
    commune.bind(g.commune_settings)
    return g.commune_settings


#: Outside a request in development, with no PUBLIC_URL (``flask send-mail``...).
DEVELOPMENT_URL = "http://127.0.0.1:5000"


def public_base():
    """The site's address without a trailing slash: ``PUBLIC_URL`` when set (always in
    production), else in development the host and port this request was served on."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEVELOPMENT_URL


def public_url(endpoint, **values):
    """The full address of a page of the site (:func:`public_base`), for links sent by email."""
    return public_base() + url_for(endpoint, **values)


def thread_link(thread_id):
    """The family's address of a message thread, for the emails about it."""
    return public_url("messagerie.thread", thread_id=thread_id)


def staff_thread_link(thread_id):
    """The back office's address of a message thread, for the service's own email."""
    return public_url("staff.message_thread", thread_id=thread_id)


def message_url(service, subject, theme="Modifications"):
    """NOUS ENVOYER UN MESSAGE to ``service``, pre-filled with ``theme`` and ``subject``."""
    return url_for("messagerie.new_message", service=service, theme=theme, subject=subject)


def form_status(form):
    """The status of a page showing ``form``: 422 when it was refused (htmx swaps it:
    ``responseHandling`` in base.html), else 200."""
    return 422 if form.errors else 200


def require_family():
    """``before_request`` guard of the family tabs: signed-in family users only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.family_id is None:
        abort(404)
    commune_settings()  # the family tabs' rules (periods, deadlines) read it: once, here


#: Where the back office lives: the one place that says what a staff URL is.
STAFF_PREFIX = "/agents"


def is_staff_path(path):
    """True for a URL path of the back office."""
    return path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")


def home_for(user):
    """The page a signed-in ``user`` starts on: the back office for staff, ACCUEIL else."""
    return url_for("staff.index") if user.is_staff else url_for("accueil.index")


def safe_next(target, user):
    """``target`` if it is a path on this site that ``user`` may open, else their home."""
    # A control character (CR/LF...) could never go in a Location header: home instead.
    if target and not re.search(r"[\x00-\x1f\x7f]", target):
        parts = urlsplit(target)
        on_site = not parts.scheme and not parts.netloc and target.startswith("/") \
            and not target.startswith("//") and "\\" not in target
        staff_path = is_staff_path(parts.path)
        if on_site and staff_path == user.is_staff:
            return target
    return home_for(user)


def require_role(*roles):
    """A ``before_request`` guard for staff pages open to ``roles``: anonymous users go
    to the sign-in page, families get 404 (they never learn the page exists), staff
    of another role get 403."""
    def guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(404)
        if current_user.role not in roles:
            abort(403)
        return None
    guard.roles = roles
    return guard


#: The back office's guard: agents and administrateurs.
require_staff = require_role(User.ROLE_AGENT, User.ROLE_ADMIN)
#: The guard of the administrateur's pages (catalogue, billing runs, accounts).
require_admin = require_role(User.ROLE_ADMIN)


def require_button():
    """A bare button's POST (an :class:`EmptyForm`): 400 without a valid CSRF token."""
    if not EmptyForm().validate_on_submit():
        abort(400)


def get_or_404(query):
    """The single row of ``query``, or a 404 (never telling whose it is)."""
    try:
        return query.get()
    except DoesNotExist:
        abort(404)


def current_family():
    """The signed-in user's family."""
    return current_user.family


def send_stored_file(stored):
    """Serve a stored file as a download that no browser will sniff or render."""
    path = upload_path(stored.stored_name)
    if not os.path.exists(path):
        abort(404)
    response = send_file(path, mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def download(data, mimetype, filename):
    """Bytes made for this request (a PDF, an XML file) as a download: never cached,
    never sniffed nor rendered by the browser."""
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
