"""Which requests the limiter's before-request check applies to (app.extensions.Limiter): it skips
requests that no limit of that hook can apply to, so it must still apply a default limit when one is
configured, and a route's own limit and the API's blueprint limit always (tests/test_api.py,
tests/test_security.py, tests/test_public_heavy_routes.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_DEFAULT": "3 per minute"}


def test_a_configured_default_limit_applies_to_every_page(app, anon_client):
    assert [anon_client.get("/products").status_code for _ in range(5)] == [200, 200, 200, 429, 429]
    assert [anon_client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]  # each route its own count
