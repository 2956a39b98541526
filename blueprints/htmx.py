"""htmx in one place: what a request asks for, and the answers that tell htmx what to do.

Every ``HX-*`` header the portal reads or writes is read or written here: a view asks
:func:`is_htmx` (a fragment is wanted) or :func:`is_htmx_request` (any htmx request),
answers with :func:`render` (one URL, two renderings), :func:`redirect_page` (go to
another page as a whole page) or :func:`refresh` (reload the page the user is on).
:func:`current_actor` is the signed-in user as the domain's rules take it (the actor
of an audited write).
"""
from flask import make_response, render_template, request
from flask_login import current_user


def is_htmx_request():
    """True for any request htmx made (``HX-Request``), boosted navigations included."""
    return request.headers.get("HX-Request") == "true"


def is_htmx():
    """True for an htmx request that wants a fragment: not a boosted navigation (which
    swaps the whole body) and not a history restore."""
    return (is_htmx_request()
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page, fragment=None, status=200, **context):
    """One URL, two renderings: ``fragment`` for htmx, ``page`` otherwise."""
    template = fragment if (fragment and is_htmx()) else page
    response = make_response(render_template(template, **context), status)
    if fragment:
        response.headers["Vary"] = "HX-Request, HX-Boosted"
    return response


def redirect_page(target, status):
    """An answer that makes htmx load ``target`` as a whole page (``HX-Redirect``)."""
    response = make_response("", status)
    response.headers["HX-Redirect"] = target
    return response


def refresh(status):
    """An answer that makes htmx reload the page the user is on (``HX-Refresh``)."""
    response = make_response("", status)
    response.headers["HX-Refresh"] = "true"
    return response


def current_actor():
    """The signed-in user itself (not Flask-Login's proxy): what the domain records as
    the author of a write."""
    return current_user._get_current_object()
