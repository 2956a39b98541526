"""One-click unsubscribe from an optional kind of email, without signing in (RFC 8058).

The email's ``List-Unsubscribe`` header and its body's link point here with a signed
token (``domain.email_prefs``: the user and the kind, signed with ``SECRET_KEY``).
GET shows a confirmation button (link checkers and previews open links: a GET never
changes anything); POST refuses the kind. The POST is exempt from CSRF by necessity:
mail clients send RFC 8058's ``List-Unsubscribe=One-Click`` POST from outside any
session, so there is no token to check; the signature is the authority instead (a
forged or altered token is refused with 404), and all it can do is stop one kind of
optional email to the one user it names.
"""
from flask import Blueprint

from extensions import csrf

bp = Blueprint("desabonnement", __name__)
csrf.exempt(bp)

from blueprints.desabonnement import routes  # noqa: E402,F401
