"""Which requests the limiter's before-request check applies to (app.extensions.Limiter): it skips
requests that no limit of that hook can apply to, so it must still apply a default limit when one is
configured, and a route's own limit and the API's blueprint limit always (tests/test_api.py,
tests/test_security.py, tests/test_public_heavy_routes.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    """A default limit for every route. Flask-Limiter keeps the default limits read from the first app's
    settings on its (module-level) limiter for every later app of the process, so the fixture takes them
    off again: the other tests of this process must not inherit them."""
    from app.extensions import limiter

    yield {"RATELIMIT_DEFAULT": "3 per minute"}
    limiter.limit_manager.set_default_limits([])


def test_a_configured_default_limit_applies_to_every_page(app, anon_client):
    from app.extensions import limiter

    assert limiter.limit_manager.default_limits  # set from this app's settings
    assert [anon_client.get("/products").status_code for _ in range(5)] == [200, 200, 200, 429, 429]
    assert [anon_client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]  # each route its own count


@pytest.mark.parametrize("app_config", [{}])
def test_the_default_limit_of_another_test_is_gone(app_config, app, anon_client):
    from app.extensions import limiter

    assert not limiter.limit_manager.default_limits
    assert {anon_client.get("/products").status_code for _ in range(5)} == {200}
