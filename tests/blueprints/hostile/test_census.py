"""The census: every route of the app has an entry in the hostile-input table."""
from app import create_app
import config
from tests.blueprints.hostile.routes import ROUTES


def test_every_route_has_an_entry():
    """Does every endpoint of app.url_map appear in routes.ROUTES (so no route skips the hostile tests)?"""
    app = create_app(config.TestConfig())
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, ("Routes without an entry in tests/blueprints/hostile/routes.py (add one line each, "
                         f"see the module's docstring): {missing}")


def test_no_stale_entries():
    """Does every entry name a route that exists (a renamed route leaves no dead entry behind)?"""
    app = create_app(config.TestConfig())
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not sorted(set(ROUTES) - endpoints)
