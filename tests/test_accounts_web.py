"""Accounts on the web: the instance administrator lists and creates organisations and users, disables
them (their sessions end at once), changes roles and resets passwords with one-time links; every
change is in the append-only account log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login

from app.accounts import services, sessions
from app.accounts.services import AccountError, get_org, get_user_by_email
from app.extensions import db
from app.models import AccountEvent, TrailImmutable, User

LINK_RE = re.compile(r'value="(http://localhost/account/set-password/[^"]+)"')
NEW_PASSWORD = "a fresh passphrase for the test"


@pytest.fixture
def admin(app, accounts):
    client = app.test_client()
    assert login(client, accounts["admin"]).status_code == 302
    client.token = csrf_token(client.get("/account/password").text)
    return client


def signed_in(app, key: str):
    client = app.test_client()
    assert login(client, ACCOUNTS[key][0]).status_code == 302
    return client


def is_signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def kinds() -> list[str]:
    return list(db.session.scalars(sa.select(AccountEvent.kind).order_by(AccountEvent.id)))


def user_id(key: str) -> int:
    return get_user_by_email(ACCOUNTS[key][0]).id


def test_the_administrator_lists_users_and_organisations(app, admin):
    users = admin.get("/admin/users")
    assert users.status_code == 200 and users.headers["Cache-Control"] == "private, no-store"
    assert all(email in users.text for email, _role, _org in ACCOUNTS.values())
    orgs = admin.get("/admin/organisations").text
    assert "Test Regulator" in orgs and "Other School" in orgs
    assert "Accounts" in admin.get("/").text  # the start page and the header lead there


def test_an_organisation_is_created_once_and_logged(app, admin):
    data = {"csrf_token": admin.token, "name": "Hangzhou No. 11 High School", "kind": "school"}
    response = admin.post("/admin/organisations", data=data)
    assert response.status_code == 302
    again = admin.post("/admin/organisations", data=data)
    assert again.status_code == 422 and "already exists" in again.text
    with app.app_context():
        assert get_org("Hangzhou No. 11 High School").kind == "school"
        event = db.session.scalar(sa.select(AccountEvent).where(AccountEvent.kind == "org_created"))
        assert event.actor == ACCOUNTS["admin"][0] and event.details == {"name": "Hangzhou No. 11 High School",
                                                                          "kind": "school"}
    assert "Organisation created" in admin.get("/admin/log").text


def test_a_new_user_sets_their_password_through_a_one_time_link(app, admin):
    with app.app_context():
        school = get_org("Test School").id
    response = admin.post("/admin/users", data={"csrf_token": admin.token, "email": "Deputy@School.test",
                                                "name": "Deputy head", "role": "school_admin",
                                                "organisation": str(school)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    link = LINK_RE.search(response.text).group(1)
    path = link.removeprefix("http://localhost")
    newcomer = app.test_client()
    assert login(newcomer, "deputy@school.test", NEW_PASSWORD).status_code == 200  # no password yet
    page = newcomer.get(path)
    assert page.status_code == 200 and "deputy@school.test" in page.text
    short = newcomer.post(path, data={"csrf_token": csrf_token(page.text), "new": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use between 12 and 128 characters." in short.text
    common = newcomer.post(path, data={"csrf_token": csrf_token(page.text), "new": "qwerasdfzxcv",
                                       "confirm": "qwerasdfzxcv"})
    assert common.status_code == 422 and "on a list of the most common passwords" in common.text
    done = newcomer.post(path, data={"csrf_token": csrf_token(page.text), "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    assert login(newcomer, "deputy@school.test", NEW_PASSWORD).status_code == 302
    used = app.test_client().get(path)
    assert used.status_code == 404 and "it was used already" in used.text
    with app.app_context():
        user = get_user_by_email("deputy@school.test")
        assert user.role == "school_admin" and user.organisation.name == "Test School"
        assert user.reset_token_sha256 is None and link.rsplit("/", 1)[1] not in repr(
            db.session.execute(sa.select(AccountEvent.details)).all())  # the token is never stored
        assert kinds() == ["user_created", "password_link_issued", "password_set"]


def test_a_role_that_does_not_fit_the_organisation_is_refused_on_the_form(app, admin):
    with app.app_context():
        school = get_org("Test School").id
    response = admin.post("/admin/users", data={"csrf_token": admin.token, "email": "x@regulator.test",
                                                "name": "X", "role": "reviewer", "organisation": str(school)})
    assert response.status_code == 422
    assert "Role Reviewer (regulator) needs an organisation of kind Regulator" in response.text
    with app.app_context():
        assert get_user_by_email("x@regulator.test") is None and kinds() == []


def test_a_disabled_user_is_signed_out_at_once_and_cannot_sign_in(app, admin):
    school = signed_in(app, "school")
    assert is_signed_in(school)
    with app.app_context():
        target = user_id("school")
    response = admin.post(f"/admin/users/{target}/active", data={"csrf_token": admin.token, "active": "0"})
    assert response.status_code == 302
    assert not is_signed_in(school)  # the very next request
    assert school.get("/").status_code == 200 and "Sign in" in school.get("/").text
    assert login(app.test_client(), ACCOUNTS["school"][0]).status_code == 200
    assert admin.post(f"/admin/users/{target}/active",
                      data={"csrf_token": admin.token, "active": "1"}).status_code == 302
    assert login(app.test_client(), ACCOUNTS["school"][0]).status_code == 302
    with app.app_context():
        assert kinds() == ["user_disabled", "user_enabled"]


def test_the_session_loader_refuses_an_inactive_user_even_with_a_live_session(app, accounts):
    """Disabling ends the sessions; the loader also checks ``is_active`` on its own."""
    with app.test_request_context():
        user = get_user_by_email(ACCOUNTS["ngo"][0])
        session_id = sessions.start_session(user)
        db.session.commit()
        assert sessions.load_session_user(session_id) is user
        user.active = False
        db.session.commit()
        assert sessions.load_session_user(session_id) is None


def test_a_password_reset_ends_the_sessions_and_the_old_password_and_the_link_expires(app, admin):
    school = signed_in(app, "school")
    with app.app_context():
        target = user_id("school")
    response = admin.post(f"/admin/users/{target}/password-link", data={"csrf_token": admin.token})
    assert response.status_code == 200 and "One-time link for head@school.test" in response.text
    path = LINK_RE.search(response.text).group(1).removeprefix("http://localhost")
    assert not is_signed_in(school)
    assert login(app.test_client(), ACCOUNTS["school"][0], PASSWORD).status_code == 200  # the old one is gone
    # a second reset replaces the first link
    second = admin.post(f"/admin/users/{target}/password-link", data={"csrf_token": admin.token})
    assert app.test_client().get(path).status_code == 404
    path = LINK_RE.search(second.text).group(1).removeprefix("http://localhost")
    with app.app_context():
        user = db.session.get(User, target)
        user.reset_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
    expired = app.test_client().get(path)
    assert expired.status_code == 404 and "expired at" in expired.text


def test_the_role_changes_with_its_organisation_and_is_logged_with_before_and_after(app, admin):
    with app.app_context():
        target, regulator = user_id("school2"), get_org("Test Regulator").id
    response = admin.post(f"/admin/users/{target}/role", data={"csrf_token": admin.token, "role": "reviewer",
                                                              "organisation": str(regulator)})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.role, user.organisation.name) == ("reviewer", "Test Regulator")
        event = db.session.scalar(sa.select(AccountEvent).where(AccountEvent.kind == "role_changed"))
        assert event.details["before"] == {"email": "colleague@school.test", "role": "school_admin",
                                           "organisation": "Test School"}
        assert event.details["after"]["role"] == "reviewer"
    moved = signed_in(app, "school2")
    assert moved.get("/").location == "/review"  # the new role applies
    wrong = admin.post(f"/admin/users/{target}/role", data={"csrf_token": admin.token, "role": "ngo_analyst",
                                                           "organisation": str(regulator)})
    assert wrong.status_code == 422 and "needs an organisation of kind NGO" in wrong.text


def test_an_administrator_cannot_lock_themselves_or_the_instance_out(app, admin):
    with app.app_context():
        me = user_id("admin")
    for url, data in ((f"/admin/users/{me}/active", {"active": "0"}),
                      (f"/admin/users/{me}/role", {"role": "ngo_analyst", "organisation": ""})):
        response = admin.post(url, data={"csrf_token": admin.token, **data})
        assert response.status_code == 422 and "cannot disable your own account" in response.text
    with app.app_context():
        only = db.session.get(User, me)
        assert only.active and only.role == "instance_admin"
        with pytest.raises(AccountError) as caught:
            services.set_active(only, False, None)  # from the command line, say
        assert caught.value.code == "account.last_admin"
        assert kinds() == []


def test_the_account_log_is_append_only(app, admin):
    admin.post("/admin/organisations", data={"csrf_token": admin.token, "name": "Logged NGO", "kind": "ngo"})
    with app.app_context():
        event = db.session.scalar(sa.select(AccountEvent))
        event.details = {"name": "rewritten"}
        with pytest.raises(TrailImmutable):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM account_events"))
        assert db.session.scalar(sa.select(sa.func.count(AccountEvent.id))) == 1


def test_the_command_line_records_its_changes_as_system(app, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.delenv("EDUAUDIT_ENV", raising=False)
    assert CliRunner().invoke(main, ["orgs", "create", "--name", "CLI School", "--kind", "school"]).exit_code == 0
    result = CliRunner().invoke(main, ["users", "create", "--email", "cli@school.test", "--name", "CLI",
                                       "--role", "school_admin", "--org", "CLI School", "--password-stdin"],
                                input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        events = list(db.session.scalars(sa.select(AccountEvent).order_by(AccountEvent.id)))
        assert [(e.actor, e.kind, e.actor_id) for e in events] == [("system", "org_created", None),
                                                                  ("system", "user_created", None)]
        assert events[1].details == {"email": "cli@school.test", "role": "school_admin",
                                     "organisation": "CLI School"}


def test_pages_are_translated(app, admin):
    admin.post("/language", data={"csrf_token": admin.token, "lang": "zh", "next": "/"})
    page = admin.get("/admin/users").text
    assert "创建账户" in page and "Create an account" not in page
    with app.app_context():
        assert scenario.counts()["account_events"] == 0
