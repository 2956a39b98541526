"""Settings read from the environment, with safe defaults (documented in README.md)."""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Every setting of the portal; ``create_app(test_config)`` may override any."""

    ENV_NAME = os.environ.get("PORTAIL_ENV", "development")  # "production" hardens it
    SECRET_KEY = os.environ.get("SECRET_KEY")
    DATABASE_URL = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(BASE_DIR, "instance", "portail.db"))
    #: PostgreSQL connections kept per process (a pool; SQLite is not pooled).
    DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "20"))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(BASE_DIR, "instance", "uploads"))

    # Seed the commune's row (domain/commune.py) at migrate/demo; the row is the truth after.
    COMMUNE_NAME = os.environ.get("COMMUNE_NAME") or None
    HOLIDAY_ZONE = os.environ.get("HOLIDAY_ZONE") or None
    PORTAIL_TODAY = os.environ.get("PORTAIL_TODAY") or None
    #: The site's address in emailed links and PayFiP's return; required in production.
    #: Unset elsewhere: the address the request came to (``make run PORT=5001`` works).
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or None

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portail-famille@localhost")
    MAIL_ASYNC = _bool("MAIL_ASYNC", True)

    # PayFiP (online payment). The addresses default to the local simulator served under
    # PUBLIC_URL outside production (/simulateur-payfip/...); production sets the real ones.
    PAYFIP_NUMCLI = os.environ.get("PAYFIP_NUMCLI", "000000")
    PAYFIP_SAISIE = os.environ.get("PAYFIP_SAISIE", "T")  # T test, X activation, W production
    PAYFIP_SERVICE_URL = os.environ.get("PAYFIP_SERVICE_URL", "")
    PAYFIP_PAYMENT_URL = os.environ.get("PAYFIP_PAYMENT_URL", "")
    PAYFIP_TIMEOUT = float(os.environ.get("PAYFIP_TIMEOUT", "15"))
    PAYFIP_SIMULATOR = _bool("PAYFIP_SIMULATOR", ENV_NAME != "production")

    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))
    # An invitation to choose a first password (accounts created by staff): 7 days.
    INVITATION_MAX_AGE = int(os.environ.get("INVITATION_MAX_AGE", str(7 * 24 * 3600)))
    # Days before a booking deadline its reminder goes (``flask deadline-reminders``).
    DEADLINE_REMINDER_DAYS = int(os.environ.get("DEADLINE_REMINDER_DAYS", "3"))
    # Staff sign in with a second factor (TOTP); required by default in production.
    STAFF_TOTP_REQUIRED = _bool("STAFF_TOTP_REQUIRED", ENV_NAME == "production")
    MAX_CONTENT_LENGTH = 4 * 6 * 1024 * 1024 + 512 * 1024  # 4 attachments of 6 Mo + form
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    #: Strict-Transport-Security max-age in seconds (0: not sent); unset: a year in
    #: production, nothing elsewhere.
    HSTS_MAX_AGE = os.environ.get("HSTS_MAX_AGE")
    #: How many reverse proxies stand in front (their X-Forwarded-For/-Proto are trusted).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: « Rester connecté sur cet appareil » (families only): days the browser stays
    #: signed in from the sign-in, whatever it does meanwhile; 0 hides the choice.
    REMEMBER_DAYS = int(os.environ.get("REMEMBER_DAYS", "30"))
    #: A session cookie is sent again only when the session changes (a kept session's
    #: cookie then ends REMEMBER_DAYS after its sign-in, as the server decides).
    SESSION_REFRESH_EACH_REQUEST = False
