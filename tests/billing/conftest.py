"""Fixtures of the billing tests."""
import pytest


@pytest.fixture
def in_app(app):
    """Domain calls that email need the app (its templates and its mail transport)."""
    with app.app_context():
        yield app
