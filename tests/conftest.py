"""Fixtures shared by every test.

Every test that takes ``app`` (or ``client``) runs on SQLite, and again on
PostgreSQL when ``TEST_DATABASE_URL`` is set: this run creates its own
database there and drops it at the end, so runs never see each other's rows.
Mail goes over real SMTP to a local aiosmtpd server and is read back.
"""
import contextlib
import os
import uuid
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

import migrations
import models
from app import create_app
from demo import DEMO_LOGINS, create_demo
from tests import app_speedups
from tests.helpers import csrf_from
from tests.demo_template import TEMPLATES

app_speedups.install()

#: The fixed "now" of the tests (Europe/Paris): a Thursday after the 20th.
TEST_NOW = "2026-11-26T10:00"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


# --- SMTP --------------------------------------------------------------------


class MailBox:
    """Messages received by the local SMTP server, parsed."""

    def __init__(self):
        self.messages = []
        self.refuse = set()  # addresses the server refuses (550), for tests

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        message.envelope_rcpt = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self):
        self.messages.clear()

    def to(self, address):
        return [m for m in self.messages if address in m.envelope_rcpt]

    @staticmethod
    def text(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message):
        return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.clear()
    return smtp_server


# --- Databases ---------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this run's own on the PostgreSQL server, dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL runs skipped.")
    import psycopg2
    name = f"portail_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    database = models.init_database(url)
    with database.connection_context():
        migrations.upgrade(database)
    database.close()
    admin.close()
    yield url
    _drop_in_the_background(base, name)


def _drop_in_the_background(base_url, name):
    """Drop the run's database without waiting: PostgreSQL checkpoints the whole server to
    drop a database, which takes seconds (40 s measured) while other runs load it."""
    import subprocess
    import sys
    code = ("import sys, psycopg2\n"
            "connection = psycopg2.connect(sys.argv[1])\n"
            "connection.autocommit = True\n"
            "connection.cursor().execute(sys.argv[2])\n")
    subprocess.Popen([sys.executable, "-c", code, base_url,
                      f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _empty_database(database_url):
    """The current schema, without rows (the database of the app just made)."""
    with models.db.connection_context():
        migrations.upgrade(models.db.obj)
        if database_url.startswith("postgresql"):
            tables = ", ".join(f'"{m._meta.table_name}"' for m in models.ALL_MODELS
                               if m is not models.SchemaVersion)
            models.db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "portail.db")
    return request.getfixturevalue("postgres_url")


def _test_config(database_url, tmp_path, smtp_port, overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "PORTAIL_TODAY": TEST_NOW,
        "HOLIDAY_ZONE": "C",  # the demo's, whatever the environment says
        "PASSWORD_HASH_PROFILE": "cheapest",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_ASYNC": False,
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would not send under TESTING
        "PUBLIC_URL": "http://localhost",
    }
    config.update(overrides)
    return config


def make_app(database_url, tmp_path, smtp_port, **overrides):
    """A test app on ``database_url`` with an empty schema."""
    application = create_app(_test_config(database_url, tmp_path, smtp_port, overrides))
    _empty_database(database_url)
    return application


def _build_demo(config):
    """The demo commune of ``config``'s today, in its (emptied) database."""
    application = create_app(config)
    _empty_database(config["DATABASE_URL"])
    with application.app_context(), models.db.connection_context():
        create_demo(_today(application), application.config["HOLIDAY_ZONE"],
                    application.config["COMMUNE_NAME"])
    models.db.close()


def make_demo_app(database_url, tmp_path, smtp_port, **overrides):
    """A test app on ``database_url`` holding the demo commune of its settings
    (``PORTAIL_TODAY``...): a copy of the demo built once per session (tests/demo_template.py).
    """
    config = _test_config(database_url, tmp_path, smtp_port, overrides)
    TEMPLATES.install(config, _build_demo)
    return create_app(config)


def _app_overrides(request):
    """The settings of ``@pytest.mark.app_config(NAME=value, ...)`` (the closest wins)."""
    overrides = {}
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        overrides.update(marker.kwargs)
    return overrides


@pytest.fixture
def app(request, database_url, tmp_path, smtp_server):
    """The app with the demo commune, on each backend.

    ``@pytest.mark.app_config(PORTAIL_TODAY="2027-06-21T00:00")`` gives a test (or a module)
    other settings, and the demo commune of that day.
    """
    application = make_demo_app(database_url, tmp_path, smtp_server.port,
                                **_app_overrides(request))
    smtp_server.clear()
    yield application
    if not models.db.is_closed():
        models.db.close()


def _today(application):
    from domain.clock import parse_fixed_now
    return parse_fixed_now(application.config["PORTAIL_TODAY"]).date()


@pytest.fixture
def db(app):
    """A database connection for the test's own queries.

    No app context is kept pushed: the test client's requests would share it, and
    with it ``g`` (where Flask-WTF keeps the CSRF token). Tests that call code
    needing the app push ``app.app_context()`` themselves.
    """
    models.db.connect(reuse_if_open=True)
    yield models.db
    if not models.db.is_closed():
        models.db.close()


@pytest.fixture
def guide_commune():
    """For the pure tests (no database): the commune's settings are the guide's (deadline on
    the 20th, main period 10 March to 20 August), bound as a request binds them."""
    from domain import commune
    commune.bind(commune.CommuneSettings(commune.DEFAULT_NAME, "C"))
    yield
    commune.bind(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Signing in --------------------------------------------------------------

class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, who="famille 16122", password=None):
        identifier, demo_password = DEMO_LOGINS.get(who, (who, None))
        page = self._client.get("/connexion").get_data(as_text=True)
        return self._client.post("/connexion", data={
            "identifier": identifier, "password": password or demo_password,
            "csrf_token": csrf_from(page)})

    def logout(self):
        page = self._client.get("/").get_data(as_text=True)
        return self._client.post("/deconnexion", data={"csrf_token": csrf_from(page)})

    def csrf(self, path="/"):
        """A valid CSRF token of the current session."""
        return csrf_from(self._client.get(path).get_data(as_text=True))


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- Browser (Debian's Chromium through Playwright) --------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "tablet": {"width": 768, "height": 1024},
             "desktop": {"width": 1366, "height": 900}}
SCREENSHOT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "test-artifacts", "screenshots")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium; skipped with a clear message where it is missing (never in CI)."""
    if not os.path.exists(CHROMIUM):
        message = (f"Chromium not found at {CHROMIUM}: browser tests skipped "
                   "(apt-get install chromium, or set CHROMIUM_PATH).")
        if os.environ.get("REQUIRE_BROWSER_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(request, tmp_path, smtp_server):
    """The app with the demo commune (SQLite), served on a free local port
    (``@pytest.mark.app_config(...)`` as for ``app``)."""
    import threading
    from werkzeug.serving import make_server
    application = make_demo_app("sqlite:///" + str(tmp_path / "live.db"), tmp_path,
                                smtp_server.port, **_app_overrides(request))
    smtp_server.clear()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    # A short poll: shutdown() waits for it (0.5 s by default, at every test's teardown).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = application
    yield server
    server.shutdown()


def _new_page(browser, device, **options):
    """A browser context and its page at ``device``'s size (touch on phones and tablets);
    ``page.csp_errors`` collects what the Content-Security-Policy blocked."""
    context = browser.new_context(viewport=VIEWPORTS[device], locale="fr-FR",
                                  is_mobile=(device == "phone"),
                                  has_touch=(device in ("phone", "tablet")), **options)
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: page.csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return context, page


@contextlib.contextmanager
def opened_page(browser, device, label=None, **options):
    """A fresh page at ``device``'s size, closed afterwards; ``page.device`` names its
    screenshots (``label``, or the device)."""
    context, page = _new_page(browser, device, **options)
    page.device = label or device
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(params=["phone", "desktop"])
def device(request):
    return request.param


@pytest.fixture
def page(browser, device):
    """A fresh browser page as a phone (360×740) or as a desktop."""
    with opened_page(browser, device) as page:
        yield page


@pytest.fixture
def page_without_js(browser):
    """A desktop page with JavaScript disabled (plain forms must work)."""
    with opened_page(browser, "desktop", "desktop-nojs", java_script_enabled=False) as page:
        yield page


@pytest.fixture(params=["desktop", "tablet"])
def staff_page(request, browser):
    """A page for the back office, as a desktop (1366×900) or as a 768 px tablet."""
    with opened_page(browser, request.param) as page:
        yield page


def screenshot(page, name):
    """Save a full-page screenshot under test-artifacts/screenshots/ to look at."""
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    path = os.path.join(SCREENSHOT_DIR, f"{name}-{getattr(page, 'device', 'page')}.png")
    # caret="initial": the default hides the caret with an injected <style> the CSP blocks.
    page.screenshot(path=path, full_page=True, caret="initial")
    return path


def browser_login(page, server, who="famille 16122"):
    """Sign in through the real form."""
    identifier, password = DEMO_LOGINS[who]
    page.goto(server.url + "/connexion")
    page.get_by_label("N° de compte ou adresse email").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def axe_violations(page):
    """axe-core's WCAG 2.1 A/AA violations on ``page``: (rule, help, first targets)."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]]


# --- Logs of the whole run, searched for secrets at the end (tests/test_zz_log_audit.py) ---

from tests import log_audit  # noqa: E402

log_audit.install()
