"""Portail Famille: the application factory."""
import datetime
import os
import secrets

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    has_request_context,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

import mailer
import models
from blueprints.htmx import is_htmx_request, refresh
from config import Config
from domain import clock, commune, files, formats
from domain.catalogue.school_calendar import CalendarDataMissing
from domain.family import passwords
from extensions import csrf, login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config=None):
    """Build the app from the environment (``config.Config``), then ``test_config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    _ensure_secret_key(app)
    # A kept session's cookie lasts REMEMBER_DAYS; Flask refuses any session cookie
    # signed longer ago than this (31 days, Flask's own, when nothing is kept).
    if app.config["REMEMBER_DAYS"] > 0:
        app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(
            days=app.config["REMEMBER_DAYS"])
    if app.config["ENV_NAME"] == "production" and not app.config.get("PUBLIC_URL"):
        raise RuntimeError("PUBLIC_URL must be set in production (PORTAIL_ENV=production): "
                           "the address of the links sent by email and of PayFiP's return.")
    global _last_config
    _last_config = app.config
    clock.configure(lambda: _current_config().get("PORTAIL_TODAY"))
    files.configure(lambda: _current_config()["UPLOAD_DIR"])
    passwords.configure(app.config.get("PASSWORD_HASH_PROFILE", ""))
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)

    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    models.init_database(app.config["DATABASE_URL"],
                         pool_size=app.config.get("DATABASE_POOL_SIZE", 20))
    csrf.init_app(app)
    mailer.init_app(app)
    login_manager.init_app(app)
    formats.register(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    # Before the blueprints: their <int:...> rules are bound to it when registered.
    app.url_map.converters["int"] = DatabaseIdConverter

    from blueprints import register_blueprints
    register_blueprints(app)

    _register_request_hooks(app)
    _register_template_context(app)
    _register_error_pages(app)

    import commands
    commands.register(app)
    return app


def _current_config():
    """The config of the app handling this request or command (the last app built
    when there is none, as in a thread of our own)."""
    return current_app.config if has_app_context() else _last_config


_last_config = {}


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what a database id can be: ASCII digits only (``\\d``
    would take ``٢`` or ``２`` as 2) and at most ``models.MAX_ID``; anything else is a 404."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", models.MAX_ID)
        super().__init__(map, *args, **kwargs)


def _ensure_secret_key(app):
    """Refuse to start in production without SECRET_KEY; elsewhere keep one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production (PORTAIL_ENV=production).")
    os.makedirs(app.instance_path, exist_ok=True)
    key_file = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(key_file):
        with open(key_file, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(key_file) as handle:
        app.config["SECRET_KEY"] = handle.read().strip()


def _register_request_hooks(app):
    hsts_max_age = _hsts_max_age(app)

    @app.before_request
    def refuse_nul_characters():
        # Nobody types a NUL character, and PostgreSQL refuses it in text (a 500 there).
        # ``next`` never reaches the database: a forged one just leads home (safe_next).
        for values in (request.args, request.form):
            if any("\x00" in key or (key != "next" and any(
                    "\x00" in value for value in values.getlist(key))) for key in values):
                abort(400)
        return None

    @app.before_request
    def open_database():
        # Close at teardown only what this request opened (a CLI or test may hold one).
        # Static files need no database (and are served while it is down).
        if request.endpoint != "static":
            g.opened_database = models.open_request_connection()

    @app.teardown_request
    def close_database(exc):
        commune.bind(None)  # the next request of this thread reads the settings again
        if g.get("opened_database"):
            models.close_request_connection()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        if hsts_max_age:
            response.headers["Strict-Transport-Security"] = \
                f"max-age={hsts_max_age}; includeSubDomains"
        return response


class _CommuneOfContext:
    """The commune's settings for templates, read once per request (or app context)
    and only by the templates that show them."""

    def __getattr__(self, name):
        from blueprints.common import commune_settings
        return getattr(commune_settings(), name)


#: Back-office modules that belong to another module's tab.
_TAB_OF_MODULE = {"family_import": "families", "family_children": "families",
                  "child_declarations": "validations"}


def _active_tab():
    """The tab the nav marks as current: the blueprint's name for the family tabs, and
    ``staff`` / ``staff_<module>`` for the back office's areas (one module per area)."""
    if not has_request_context() or not request.blueprint:
        return None
    if request.blueprint.split(".")[0] != "staff":
        return request.blueprint
    view = current_app.view_functions.get(request.endpoint)
    module = view.__module__.rsplit(".", 1)[-1] if view else "routes"
    module = _TAB_OF_MODULE.get(module, module)
    return "staff" if module == "routes" else f"staff_{module}"


def _register_template_context(app):
    from blueprints.common import message_url, public_base
    from blueprints.staff.navigation import navigation as staff_navigation
    from domain.booking.days import CELL_STATE_LABELS
    app.jinja_env.globals.update(message_url=message_url, CELL_STATE_LABELS=CELL_STATE_LABELS,
                                 staff_navigation=staff_navigation, public_base=public_base)

    @app.context_processor
    def commune_context():
        return {"commune": _CommuneOfContext(), "active_tab": _active_tab()}


def _hsts_max_age(app):
    """HSTS: a year in production (``HSTS_MAX_AGE``), nothing in development."""
    value = app.config.get("HSTS_MAX_AGE")
    if value is None:
        return 31536000 if app.config.get("ENV_NAME") == "production" else 0
    return int(value)


def _register_error_pages(app):
    def error_page(status, title, text):
        try:
            return render_template("errors/error.html", status=status, title=title,
                                   text=text), status
        except models.DATABASE_DOWN as error:  # the page's frame reads the commune, the user…
            return database_unavailable(error)

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, "Page introuvable",
                          "La page demandée n'existe pas ou vous n'y avez pas accès.")

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, "Accès réservé",
                          "Cette page est réservée à l'administrateur du portail.")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return error_page(405, "Action impossible", "Cette action n'est pas permise ici.")

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        text = ("Le formulaire a expiré ou n'est pas valide. Rechargez la page et "
                "recommencez.")
        if is_htmx_request():
            # htmx swaps no 4xx answer: reload the page the user is on, saying why.
            flash(text, "error")
            return refresh(400)
        return error_page(400, "Formulaire expiré", text)

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, "Demande invalide", "La demande n'a pas pu être comprise.")

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, "Fichiers trop volumineux",
                          "Les fichiers envoyés dépassent la taille permise (6 Mo chacun).")

    @app.errorhandler(CalendarDataMissing)
    def calendar_missing(error):
        app.logger.error("%s", error)
        return error_page(503, "Calendrier indisponible",
                          f"Le calendrier scolaire de {error.year} n'est pas encore connu du "
                          "portail. Réessayez plus tard ou écrivez au service.")

    @app.errorhandler(models.OperationalError)
    @app.errorhandler(models.InterfaceError)
    def database_unavailable(error):
        # The database is down, restarting or unreachable: its transaction was not
        # committed. A page that needs no data (no commune name, no user, none of the
        # context processors, which read the database), and a hint to come back later.
        app.logger.error("Base de données injoignable : %s", type(error).__name__)
        # "Réessayer" reloads a page; a form sent again needs its page first (the home).
        again = request.full_path.rstrip("?") if request.method == "GET" else "/"
        page = app.jinja_env.get_template("errors/unavailable.html").render(again=again)
        return page, 503, {"Retry-After": "30"}

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, "Erreur du serveur",
                          "Une erreur s'est produite. Réessayez dans quelques instants.")
