"""The session's CSRF token is signed once per process and session (app.security.reuse_signed_csrf_token):
every page of a session carries the same signed token, it is accepted, a new session (signing in) gets
its own, and with a time limit set each page signs its own again."""

from __future__ import annotations

import re

import pytest
from webhelpers import csrf_token, login

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def ticking(monkeypatch):
    """Signing time moves on 10 s per token signed, so a token signed again differs from the last."""
    import itsdangerous.timed

    clock = iter(range(1_800_000_000, 1_900_000_000, 10))
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: next(clock))


def test_a_session_s_pages_carry_one_signed_token_which_is_accepted_and_sign_in_brings_a_new_one(app, accounts,
                                                                                                 ticking):
    visitor = app.test_client()
    visitor.get("/login")  # the session's token is made (and signed by Flask-WTF)
    first, second = visitor.get("/login").text, visitor.get("/login").text
    assert TOKEN.findall(first) and set(TOKEN.findall(first)) == set(TOKEN.findall(second))
    assert login(visitor, accounts["school"]).status_code == 302  # posts the reused token: accepted
    signed_in = set(TOKEN.findall(visitor.get("/").text))
    assert signed_in and signed_in.isdisjoint(TOKEN.findall(first))  # the new session's own token
    other = app.test_client()
    assert set(TOKEN.findall(other.get("/login").text)).isdisjoint(TOKEN.findall(first))
    refused = other.post("/login", data={"csrf_token": csrf_token(first), "email": "x@y.test", "password": "p"})
    assert refused.status_code == 400  # another session's token is refused


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_TIME_LIMIT": 3600}])
def test_with_a_time_limit_each_page_signs_its_own_token(app, app_config, ticking):
    visitor = app.test_client()
    visitor.get("/login")
    first, second = visitor.get("/login").text, visitor.get("/login").text
    assert TOKEN.findall(first) and set(TOKEN.findall(first)).isdisjoint(TOKEN.findall(second))
