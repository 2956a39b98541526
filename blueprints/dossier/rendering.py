"""Rendering helpers of MON DOSSIER: the page, or only a piece of it for htmx."""
from blueprints.common import is_htmx as wants_fragment  # noqa: F401  (used by the views)
from blueprints.common import render


def page_or_fragment(page, fragment, status=200, **context):
    """``fragment`` for an htmx request that wants a piece, ``page`` otherwise."""
    return render(page, fragment, status=status, active_tab="dossier", **context)


def page(template, status=200, **context):
    """A whole page of the tab."""
    return render(template, status=status, active_tab="dossier", **context)
