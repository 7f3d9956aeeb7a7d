"""Shared fixtures. Each test sets up and tears down its own state."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.config import normalise_database_url
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


def _test_app(database_uri: str, app_config: dict | None = None):
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        **(app_config or {}),
    })


def _revision(engine: sa.Engine) -> str | None:
    """The Alembic revision the database is at; ``None`` when it has none."""
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.DBAPIError:
        return None


def _migrate(database_uri: str, *, drop_first: bool = False) -> str:
    """Bring the database at ``database_uri`` to the head revision with Alembic (never create_all);
    returns that revision."""
    application = _test_app(database_uri)
    with application.app_context():
        if drop_first:
            _drop_everything(db.engine)
        flask_migrate.upgrade()
        head = _revision(db.engine)
        db.engine.dispose()
    return head


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file migrated to head once per session (per worker with pytest-xdist); the ``app``
    fixture gives each test a byte copy of it, which is the same database the migrations make."""
    path = tmp_path_factory.mktemp("migrated") / "eduaudit-template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


def _worker_database_url(url: str, worker: str) -> str:
    """``url`` with its database name suffixed by the pytest-xdist worker id (``test`` -> ``test_gw0``);
    the database is created, through ``url``'s own database, when it does not exist."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _shared_database():
    """With TEST_DATABASE_URL: (URL, head revision) of this session's database (under pytest-xdist a
    database of the worker's own, e.g. ``test_gw0``), emptied and migrated to head once; ``None``
    without it. Dropped again at the end, as the tests found it."""
    shared = os.environ.get("TEST_DATABASE_URL")
    if not shared:
        yield None
        return
    shared = normalise_database_url(shared)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = _worker_database_url(shared, worker) if worker else shared
    head = _migrate(url, drop_first=True)
    yield url, head
    engine = sa.create_engine(url)
    try:
        _drop_everything(engine)
    finally:
        engine.dispose()


def _empty_shared_database(engine: sa.Engine, head: str) -> None:
    """Leave the shared database as a fresh migration would: at ``head``, every table empty, every
    id sequence restarted. Normally one TRUNCATE; a database a test left at another revision (or with
    tables missing) is dropped and migrated again.

    The append-only trail refuses TRUNCATE through a trigger (migration 0003); the reset turns the
    tables' own triggers off inside its transaction and on again before it commits (table owner's
    rights suffice; PostgreSQL DDL is transactional), so no other connection ever sees them off.
    """
    tables = sorted(set(sa.inspect(engine).get_table_names()) - {"alembic_version"})
    if _revision(engine) != head or not set(db.metadata.tables) <= set(tables):
        _drop_everything(engine)
        flask_migrate.upgrade()
        return
    quoted = [engine.dialect.identifier_preparer.quote(t) for t in tables]
    with engine.begin() as connection:
        for table in quoted:
            connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        connection.execute(sa.text(f"TRUNCATE {', '.join(quoted)} RESTART IDENTITY CASCADE"))
        for table in quoted:
            connection.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


@pytest.fixture
def app_config():
    """Settings a test module adds to the app's (override this fixture in the module)."""
    return {}


@pytest.fixture
def app(request, tmp_path, app_config):
    """The app on a fresh database at the head revision of the Alembic migrations (never create_all).

    Attached documents are stored in the test's temporary folder (``<tmp_path>/attachments``).
    A temporary SQLite file by default: a copy of the database migrated once per session. With
    TEST_DATABASE_URL set (e.g. PostgreSQL), that database (one per pytest-xdist worker), migrated
    once per session and emptied before each test.
    """
    shared = request.getfixturevalue("_shared_database")
    if shared:
        uri, head = shared
    else:
        path = tmp_path / "eduaudit-test.sqlite3"
        shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), path)
        uri = f"sqlite:///{path}"
    # Attached documents and rendered PDFs go to the test's own folders, never to the instance folder.
    application = _test_app(uri, {"ATTACHMENT_STORAGE_PATH": str(tmp_path / "attachments"),
                                  "PDF_STORE_DIR": str(tmp_path / "pdf-store"),
                                  "RESULTS_SHARED_DIR": str(tmp_path / "results-pages"), **app_config})
    with application.app_context():
        if shared:
            _empty_shared_database(db.engine, head)
    yield application
    with application.app_context():
        db.session.remove()
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
def school_api(app, accounts):
    """A test client of the JSON API sending a write token of the school administrator of "Test School"."""
    from apihelpers import make_token

    with app.app_context():
        text = make_token("school")
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {text}"
    return api


@pytest.fixture
def runner(app):
    """A runner for the app's ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def chromium_path():
    """/usr/bin/chromium; the test skips without it locally and fails with CI set (a CI image without
    Chromium cannot pass silently)."""
    from browsing import CHROMIUM

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: the CI image must install Chromium for the browser test")
        pytest.skip(f"{CHROMIUM} is not installed")
    return CHROMIUM


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a thread: its base URL."""
    from webhelpers import served

    with served(app) as base_url:
        yield base_url


@pytest.fixture
def browser(chromium_path):
    """Headless Chromium (a ``browsing.AxeWatch``): every page its contexts show is checked by axe-core in
    English and Chinese, and any WCAG 2.0/2.1 A or AA violation fails the test at teardown."""
    from browsing import CHROMIUM_ARGS, AxeWatch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        watch = AxeWatch(chromium)
        try:
            yield watch
            watch.check_open_pages()
        finally:
            chromium.close()
    assert watch.checks, "the test visited no page for axe to check"
    report = watch.report()
    if report:
        pytest.fail(f"axe-core found accessibility problems:\n{report}", pytrace=False)
