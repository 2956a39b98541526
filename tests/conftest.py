"""What every test shares, loaded from fixture modules by concern (tests/fixtures/):

* ``tests.fixtures.databases``: ``app``, ``db``, ``client``, ``runner``, on SQLite and
  again on PostgreSQL when ``TEST_DATABASE_URL`` is set (this run creates its own
  database there and drops it, so runs never see each other's rows);
* ``tests.fixtures.mail``: ``smtp_server``, ``mailbox`` (real SMTP to a local aiosmtpd
  server, read back);
* ``tests.fixtures.signing_in``: ``auth``;
* ``tests.fixtures.browser``: ``browser``, ``live_server``, ``page``, ``staff_page``...;
* ``tests.planning_support`` (``lena``) and ``tests.billing_support`` (``served``).

The names tests import from here (``make_app``, ``MailBox``, ``browser_login``...) are
imported below from their modules, so ``from tests.conftest import ...`` keeps working.
"""
import pytest

# Before they are imported below: pytest rewrites the asserts of the fixture modules too.
pytest.register_assert_rewrite("tests.fixtures", "tests.planning_support",
                               "tests.billing_support")

from demo import DEMO_LOGINS  # noqa: E402,F401
from tests import app_speedups, log_audit  # noqa: E402
from tests.fixtures.browser import (  # noqa: E402,F401
                               CHROMIUM,
                               VIEWPORTS,
                               accept_invitation,
                               axe_violations,
                               book_lena,
                               browser_login,
                               opened_page,
                               screenshot,
                               served,
                               staff_nav,
)
from tests.fixtures.databases import TEST_NOW, make_app, make_demo_app  # noqa: E402,F401
from tests.fixtures.mail import MailBox  # noqa: E402,F401
from tests.fixtures.signing_in import AuthActions  # noqa: E402,F401
from tests.helpers import csrf_from  # noqa: E402,F401

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.mail",
    "tests.fixtures.signing_in",
    "tests.fixtures.browser",
    "tests.planning_support",
    "tests.billing_support",
]

app_speedups.install()
# Logs of the whole run, searched for secrets at the end (tests/test_zz_log_audit.py).
log_audit.install()
