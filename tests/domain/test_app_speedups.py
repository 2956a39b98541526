"""tests/app_speedups.py patches a private Werkzeug method (``Rule._compile_builder``) to
build the test apps faster; this test pins what the patch relies on and promises, so that
a Werkzeug upgrade that changes it fails here, by name, instead of silently slowing the
suite or building wrong URLs."""
from flask import url_for
from werkzeug.routing.rules import Rule

from tests import app_speedups


def test_werkzeug_still_has_the_method_the_speedup_replaces():
    assert app_speedups._original is not None, "Rule._compile_builder is gone: see app_speedups"
    assert Rule._compile_builder is app_speedups._cached_compile_builder  # installed


def test_cached_url_builders_build_the_urls_werkzeug_would(app):
    rules = list(app.url_map.iter_rules())
    assert app_speedups._builders, "no URL builder was cached while building the test app"
    with app.test_request_context():
        for endpoint, values in (("planning.index", {}), ("messagerie.thread", {"thread_id": 7}),
                                 ("staff.billing_invoice", {"invoice_id": 12}),
                                 ("auth.login", {"next": "/planning/?du=2027-01-01"})):
            cached = url_for(endpoint, **values)
            rule = next(r for r in rules if r.endpoint == endpoint)
            fresh = app_speedups._original(rule, True).__get__(rule, None)
            _, path = fresh(**values)
            assert cached == path, endpoint
