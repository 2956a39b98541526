"""ACCUEIL: the six tiles of the guide's "Vue générale"."""
from flask import has_request_context, render_template
from flask_login import current_user

from blueprints.accueil import bp
from domain.messaging.messages import unread_count


class LazyCount:
    """A count queried the first time a template shows it, so that fragments that
    do not show the navigation cost no query."""

    def __init__(self, query, *args):
        self._query, self._args, self._value = query, args, None

    def __int__(self):
        if self._value is None:
            self._value = self._query(*self._args)
        return self._value

    def __bool__(self):
        return int(self) > 0

    def __str__(self):
        return str(int(self))

    def __eq__(self, other):
        return int(self) == other

    __hash__ = None


@bp.app_context_processor
def family_header():
    """The unread count shown in the navigation on every family page."""
    # Mail rendered by a command or a background job has no signed-in user.
    if has_request_context() and current_user.is_authenticated and current_user.family_id:
        return {"unread_count": LazyCount(unread_count, current_user.family_id)}
    return {}


@bp.route("/")
def index():
    """The six tiles with their links."""
    return render_template("accueil/index.html")
