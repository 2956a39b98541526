"""GET /agenda/<token>.ics: the family's booked days (410 once revoked, 404 if unknown)."""
from flask import abort, make_response

from blueprints.agenda import bp
from blueprints.common import commune_settings
from domain import clock
from domain.booking import calendar_feed


@bp.route("/agenda/<token>.ics")
def feed(token):
    """The feed of ``token``, never cached by a proxy, never indexed."""
    try:
        found = calendar_feed.feed_by_token(token)
    except calendar_feed.FeedGone:
        abort(410)
    except LookupError:
        abort(404)
    response = make_response(calendar_feed.ical(found.family_id, commune_settings().name,
                                                clock.now()))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="reservations.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
