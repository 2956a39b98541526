"""Extension singletons, bound to the app in ``create_app`` with ``init_app``."""
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from domain.mail import mail  # noqa: F401  (re-exported)

login_manager = LoginManager()
csrf = CSRFProtect()
