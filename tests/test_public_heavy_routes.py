"""The public comparison PDF (no sign-in) renders as a job, in a child process within the report's
time and size limits, and is rate-limited per address. Without REDIS_URL the job runs at once, so the
request answers with the job's outcome: the page names what stopped it."""

from __future__ import annotations

import pytest
from test_registry import _comparison_products

STOPPED = {"time": (503, "took too long, so it was stopped"), "size": (422, "larger than allowed")}


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": False, "PDF_RENDER_TIMEOUT": 0.01},
                                        {"RATELIMIT_ENABLED": False, "PDF_MAX_BYTES": 1000}],
                         ids=["time", "size"])
def test_the_comparison_pdf_is_stopped_by_the_report_limits(app, anon_client, app_config):
    a, b = _comparison_products(app)
    response = anon_client.get(f"/compare.pdf?p={a}&p={b}")
    limit = "time" if "PDF_RENDER_TIMEOUT" in app_config else "size"
    status, words = STOPPED[limit]
    assert response.status_code == status and response.mimetype == "text/html"
    assert words in response.text and "The comparison PDF could not be produced" in response.text
    assert response.headers.get("Retry-After") == ("120" if status == 503 else None)


@pytest.mark.parametrize("app_config", [{"PUBLIC_PDF_RATE_LIMIT": "1 per minute", "PDF_RENDER_TIMEOUT": 0.01}])
def test_the_comparison_pdf_is_rate_limited_per_address(app, anon_client, app_config):
    a, b = _comparison_products(app)
    codes = [anon_client.get(f"/compare.pdf?p={a}&p={b}").status_code for _ in range(2)]
    assert codes == [503, 429]
