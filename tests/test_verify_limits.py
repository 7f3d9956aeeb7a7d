"""/verify on hostile uploads: the signature check runs in a child process within time and memory
limits, malformed files get "this file cannot be checked", and checks are rate-limited per address."""

from __future__ import annotations

import time

import pytest
from hostile_pdfs import deep_array, huge_hex_signature
from test_verify import upload

CANNOT = "This file cannot be checked"


@pytest.fixture
def app_config():
    return {"VERIFY_CHECK_TIMEOUT": 60.0, "VERIFY_RATE_LIMIT": "100 per minute"}


def test_a_pdf_with_a_200000_deep_array_cannot_be_checked_and_is_no_error(anon_client):
    response = upload(anon_client, deep_array(200_000))
    assert response.status_code == 200
    assert CANNOT in response.text and "Not found" in response.text


@pytest.mark.parametrize("app_config", [{"VERIFY_CHECK_TIMEOUT": 1.0}])
def test_a_slow_signature_check_is_stopped_at_the_time_limit(anon_client, app_config):
    upload(anon_client, b"%PDF-1.7\n%%EOF\n")  # the child processes' server starts once, outside the timing
    started = time.monotonic()
    response = upload(anon_client, huge_hex_signature(4 * 1024 * 1024))
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and CANNOT in response.text
    assert elapsed < 10, f"the check took {elapsed:.1f} s; the limit is 1 s"


@pytest.mark.parametrize("app_config", [{"VERIFY_CHECK_MAX_MEMORY": 32 * 1024 * 1024}])
def test_a_memory_hungry_signature_check_is_stopped_at_the_memory_limit(anon_client, app_config):
    # 2 MB of hex needs about 280 MB to parse; the check may use 32 MB.
    response = upload(anon_client, huge_hex_signature(2 * 1024 * 1024))
    assert response.status_code == 200 and CANNOT in response.text


def test_an_ordinary_unsigned_pdf_is_still_checked(anon_client):
    response = upload(anon_client, b"%PDF-1.7\n%%EOF\n")
    assert response.status_code == 200 and CANNOT not in response.text
    assert "This PDF carries no digital signature." in response.text


@pytest.mark.parametrize("app_config", [{"VERIFY_RATE_LIMIT": "3 per minute"}])
def test_checks_are_rate_limited_per_address(anon_client, app_config):
    codes = [upload(anon_client, b"%PDF-1.7\n%%EOF\n").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert anon_client.get("/verify").status_code == 200  # the form itself is not counted
