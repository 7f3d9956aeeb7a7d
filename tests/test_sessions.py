"""Sessions on the server (ASVS V3.3): sign-out ends the session for every copy of its cookie, idle and
absolute timeouts by role, last-seen written at most once a minute, one's list of sessions, account
changes end them, and API tokens never make one."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login, logout

from app.accounts import services, sessions, tokens
from app.accounts.services import get_org, get_user_by_email
from app.extensions import db
from app.models import UserSession

COOKIE = "session"


def signed_in(app, key: str, agent: str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    response = login(client, ACCOUNTS[key][0])
    assert response.status_code == 302
    return client


def is_signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def rows(app, key: str) -> list[UserSession]:
    with app.app_context():
        user = get_user_by_email(ACCOUNTS[key][0])
        found = list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                        .order_by(UserSession.id)))
        db.session.expunge_all()
        return found


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by hand: ``clock.advance(minutes=16)``."""
    class Clock:
        now = dt.datetime.now(dt.UTC)

        def advance(self, **delta):
            self.now += dt.timedelta(**delta)

    c = Clock()
    monkeypatch.setattr(sessions, "utcnow", lambda: c.now)
    return c


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, accounts):
    browser = signed_in(app, "school")
    captured = browser.get_cookie(COOKIE).value  # what a thief copies from a shared school computer
    assert logout(browser).status_code == 302
    thief = app.test_client()
    thief.set_cookie(COOKIE, captured)
    response = thief.get("/account/password")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "Start a new audit" not in thief.get("/").text
    [row] = rows(app, "school")
    assert row.ended_reason == "signed_out" and row.ended_at is not None


def test_the_cookie_holds_a_session_id_not_the_user(app, accounts):
    browser = signed_in(app, "school")
    with app.test_request_context():
        from flask import current_app

        data = current_app.session_interface.get_signing_serializer(current_app).loads(browser.get_cookie(COOKIE).value)
        user = get_user_by_email(ACCOUNTS["school"][0])
        stored = db.session.scalar(sa.select(UserSession.id_sha256).where(UserSession.user_id == user.id))
    assert sessions.digest(data["_user_id"]) == stored  # only the hash is stored
    assert str(user.id) != data["_user_id"] and len(data["_user_id"]) >= 43
    assert "remember_token" not in (c.key for c in browser._cookies.values())  # no remember-me cookie


@pytest.mark.parametrize(("key", "idle_minutes"), [("reviewer", 15), ("admin", 15), ("school", 60), ("ngo", 60)])
def test_a_session_ends_after_its_roles_idle_time(app, accounts, clock, key, idle_minutes):
    browser = signed_in(app, key)
    clock.advance(minutes=idle_minutes - 1)
    assert is_signed_in(browser)  # a request within the idle time keeps it going
    clock.advance(minutes=idle_minutes - 1)
    assert is_signed_in(browser)
    clock.advance(minutes=idle_minutes, seconds=1)
    assert not is_signed_in(browser)
    assert rows(app, key)[-1].ended_reason == "idle_timeout"


@pytest.mark.parametrize(("key", "hours"), [("reviewer", 8), ("school", 12)])
def test_a_session_ends_at_its_roles_absolute_time_however_busy(app, accounts, clock, key, hours):
    browser = signed_in(app, key)
    for _ in range(hours * 6 - 1):  # a request every 10 minutes
        clock.advance(minutes=10)
        assert is_signed_in(browser)
    clock.advance(minutes=10)
    assert not is_signed_in(browser)
    assert rows(app, key)[-1].ended_reason == "absolute_timeout"
    assert login(app.test_client(), ACCOUNTS[key][0]).status_code == 302  # signing in again works


def test_last_seen_is_written_at_most_once_a_minute(app, accounts, clock):
    browser = signed_in(app, "school")
    first = rows(app, "school")[0].last_seen_at
    clock.advance(seconds=30)
    assert is_signed_in(browser)
    assert rows(app, "school")[0].last_seen_at == first
    clock.advance(seconds=31)
    assert is_signed_in(browser)
    assert rows(app, "school")[0].last_seen_at > first


def sessions_form(client) -> tuple[str, str]:
    page = client.get("/account/sessions")
    assert page.status_code == 200
    return page.text, csrf_token(page.text)


def test_the_sessions_page_lists_them_and_signs_out_one_or_all_others(app, accounts):
    laptop = signed_in(app, "school")
    phone = signed_in(app, "school", agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile")
    tablet = signed_in(app, "school", agent="Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1")
    text, token = sessions_form(laptop)
    assert "Firefox on Linux" in text and "Chrome on Android" in text and "Safari on iPadOS" in text
    assert text.count("Sign out this one") == 3 and "(this browser)" in text
    phone_id = [r for r in rows(app, "school") if r.user_agent == "Chrome on Android"][0].id
    assert laptop.post(f"/account/sessions/{phone_id}/end", data={"csrf_token": token}).status_code == 302
    assert not is_signed_in(phone) and is_signed_in(tablet) and is_signed_in(laptop)
    assert laptop.post("/account/sessions/end-others", data={"csrf_token": token}).status_code == 302
    assert not is_signed_in(tablet) and is_signed_in(laptop)
    assert [r.ended_reason for r in rows(app, "school")] == [None, "ended_by_user", "ended_by_user"]
    text, _token = sessions_form(laptop)
    assert text.count("Sign out this one") == 1


def test_nobody_ends_another_users_session(app, accounts):
    signed_in(app, "school2")
    other_id = rows(app, "school2")[0].id
    school = signed_in(app, "school")
    _text, token = sessions_form(school)
    assert school.post(f"/account/sessions/{other_id}/end", data={"csrf_token": token}).status_code == 404
    assert rows(app, "school2")[0].ended_at is None


@pytest.mark.parametrize("change", ["role", "disable", "password_link", "password"])
def test_account_changes_end_every_session_of_the_user(app, accounts, change):
    browsers = [signed_in(app, "school2"), signed_in(app, "school2")]
    with app.test_request_context():
        user = get_user_by_email(ACCOUNTS["school2"][0])
        if change == "role":
            services.change_role(user, "ngo_analyst", get_org("Test NGO"), None)
        elif change == "disable":
            services.set_active(user, False, None)
        elif change == "password_link":
            services.issue_password_link(user, None, dt.timedelta(days=1))
        else:
            services.change_password(user, PASSWORD, "another long passphrase")
        db.session.commit()
    assert not any(is_signed_in(b) for b in browsers)
    reason = {"role": "role_changed", "disable": "account_disabled", "password_link": "password_reset",
              "password": "password_changed"}[change]
    assert [r.ended_reason for r in rows(app, "school2")] == [reason, reason]


def test_a_request_with_an_api_token_makes_no_session(app, accounts):
    with app.app_context():
        user = get_user_by_email(ACCOUNTS["school"][0])
        _token, text = tokens.create_token(user, name="ci", scope="read", lifetime_days=30)
        db.session.commit()
    client = app.test_client()
    for _ in range(3):
        response = client.get("/api/v1/audits", headers={"Authorization": f"Bearer {text}"})
        assert response.status_code == 200
        assert not response.headers.getlist("Set-Cookie")
    assert rows(app, "school") == []


def test_the_session_id_is_not_the_users_to_give(app, accounts):
    """A user object that belongs to no session has no id to put in a cookie."""
    with app.app_context():
        user = get_user_by_email(ACCOUNTS["school"][0])
        with pytest.raises(RuntimeError, match="no session"):
            user.get_id()


def test_the_session_cookie_is_sent_again_only_when_the_session_changes(app, accounts):
    # Every response used to carry a freshly signed session cookie (the session was marked permanent on
    # each request, which counts as a change): a signature per request for nothing, since a session ends
    # at its absolute timeout (<= the cookie's lifetime) from its sign-in, when the cookie is set.
    browser = signed_in(app, "school")
    browser.get("/")  # the first page after sign-in makes the session lasting and puts a CSRF token in it
    assert browser.get_cookie(COOKIE).expires is not None  # a browser restart keeps a half-filled step
    response = browser.get("/")
    assert response.status_code == 200
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]
    # A change (here: the interface language) is sent, and the session stays signed in.
    token = csrf_token(browser.get("/").text)
    changed = browser.post("/language", data={"csrf_token": token, "lang": "zh", "next": "/"})
    assert changed.status_code == 302
    assert [h for h in changed.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]
    assert is_signed_in(browser) and 'lang="zh' in browser.get("/").text
