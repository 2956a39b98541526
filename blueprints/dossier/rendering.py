"""Rendering helpers of MON DOSSIER: the page, or only a piece of it for htmx."""
from flask import make_response, render_template, request

from blueprints.common import is_htmx


def wants_fragment():
    """An htmx request for a piece of the page (not a boosted navigation, not a restore).

    A boosted link or form (and the redirect it follows) also says ``HX-Request``,
    but it swaps the whole body: it must get the whole page.
    """
    return is_htmx() and request.headers.get("HX-Boosted") != "true"


def page_or_fragment(page, fragment, status=200, **context):
    """``fragment`` for an htmx request that wants a piece, ``page`` otherwise."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, active_tab="dossier", **context), status)
    response.headers["Vary"] = "HX-Request, HX-Boosted"
    return response


def page(template, status=200, **context):
    """A whole page of the tab."""
    return make_response(render_template(template, active_tab="dossier", **context), status)
