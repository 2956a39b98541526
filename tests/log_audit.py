"""Every log record of the test run, kept to be searched for secrets.

``install()`` (called by conftest.py at import, before any test) attaches a handler
to the root logger that keeps each record as the text a log file would hold, with
its traceback. ``tests/test_zz_log_audit.py`` runs last and searches that text for
passwords, password hashes, signed tokens (sessions, CSRF, reset and email-change
links), session cookies and health values.
"""
import logging
import re

from demo import DEMO_LOGINS

#: The text of every record of the run, formatted as a log file would hold it.
RECORDS = []

#: What may never appear in a log: name -> pattern.
SECRETS = {
    "a demo password": re.compile("|".join(re.escape(password)
                                           for _, password in DEMO_LOGINS.values())),
    "a password hash": re.compile(r"\$argon2(id|i|d)\$"),
    "a signed token (session, CSRF, reset or email link)":
        re.compile(r"\b[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}\b"),
    "a session cookie": re.compile(r"\bsession=[A-Za-z0-9_.-]{10,}"),
    "the secret key": re.compile(r"test-secret-key"),
    "a health value": re.compile(r"Arachide|Trousse d'urgence|pai_details|allergies=",
                                 re.IGNORECASE),
}


class _Keep(logging.Handler):
    def emit(self, record):
        if record.name == "werkzeug" and record.levelno <= logging.INFO:
            # The development server's access lines (browser tests' live server): not the
            # portal's log. They hold URL paths, and reset, invitation and email-change links
            # carry their token in the path: see README (access logs).
            return
        try:
            RECORDS.append(f"{record.levelname} {record.name}: {self.format(record)}")
        except Exception:  # a record that cannot be formatted is kept as it is
            RECORDS.append(repr(record.__dict__))


def install(level=logging.INFO):
    """Keep every record from ``level`` up (the portal's own loggers at INFO too)."""
    if any(isinstance(handler, _Keep) for handler in logging.getLogger().handlers):
        return
    handler = _Keep(level)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    for name in ("app", "domain", "mailer", "flask_mail"):
        logging.getLogger(name).setLevel(level)


def leaks(records=None):
    """(what, the record's start) for every secret found in ``records``."""
    found = []
    for text in RECORDS if records is None else records:
        for what, pattern in SECRETS.items():
            if pattern.search(text):
                found.append((what, text[:300]))
    return found
