"""Shared fixtures. Each test sets up and tears down its own state."""

from __future__ import annotations

import os

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.rules.loader import get_ruleset


@pytest.fixture(scope="session")
def ruleset():
    """The repository's rule set, loaded and validated once per test session."""
    return get_ruleset()


def _drop_everything(engine: sa.Engine) -> None:
    """Drop every table (application tables and alembic_version) of a shared test database."""
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)


@pytest.fixture
def app_config():
    """Settings a test module adds to the app's (override this fixture in the module)."""
    return {}


@pytest.fixture
def app(tmp_path, app_config):
    """The app on a fresh database, migrated with Alembic (never create_all).

    A temporary SQLite file by default; with TEST_DATABASE_URL set (e.g. PostgreSQL) that database,
    emptied before and after each test.
    """
    shared = os.environ.get("TEST_DATABASE_URL")
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": shared or f"sqlite:///{tmp_path / 'eduaudit-test.sqlite3'}",
        **app_config,
    })
    with application.app_context():
        if shared:
            _drop_everything(db.engine)
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        if shared:
            _drop_everything(db.engine)
        db.engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Argon2id with minimal cost in tests (the algorithm and format stay real; the production
    parameters cost ~50 ms and 64 MiB per hash, which hundreds of sign-ins would multiply)."""
    from argon2 import PasswordHasher

    from app.accounts import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture
def accounts(app):
    """Every test organisation and one user per key of ``webhelpers.ACCOUNTS``: key -> e-mail."""
    from webhelpers import create_accounts

    with app.app_context():
        return create_accounts()


@pytest.fixture
def anon_client(app):
    """A test client with cookies, signed out."""
    return app.test_client()


@pytest.fixture
def client(app, accounts):
    """A test client signed in as the school administrator of "Test School" (the CSRF token lives in
    the session, so the cookies are kept)."""
    from webhelpers import login

    test_client = app.test_client()
    response = login(test_client, accounts["school"])
    assert response.status_code == 302, response.text
    test_client.get(response.location)  # as a browser would: the "signed in" message is shown and gone
    return test_client


@pytest.fixture
def runner(app):
    """A runner for the app's ``flask`` commands."""
    return app.test_cli_runner()
