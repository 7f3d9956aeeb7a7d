"""Alembic migrations: one head, dated and named files, up and down cleanly, and they match the models."""

from __future__ import annotations

import re

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import MIGRATIONS_DIR
from app.extensions import db

TABLES = {"audits", "assessments", "issued_reports", "organisations", "users", "submissions", "reviews",
          "action_items", "audit_events", "attachments", "account_events"}


def script_directory() -> ScriptDirectory:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def test_single_head():
    assert len(script_directory().get_heads()) == 1


def test_revisions_are_dated_named_and_have_a_message():
    for script in script_directory().walk_revisions():
        name = script.path.rsplit("/", 1)[-1]
        assert re.match(r"^\d{4}_\d{2}_\d{2}_\w+_[a-z0-9_]+\.py$", name), name
        assert script.doc and script.doc.strip(), f"{name} has no message"


def test_upgrade_downgrade_upgrade(app):
    with app.app_context():
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())
        flask_migrate.downgrade(revision="base")
        assert not TABLES & set(sa.inspect(db.engine).get_table_names())
        flask_migrate.upgrade()
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())


def insert_audit(connection, report_id: str) -> int:
    """An audit row written in SQL (the columns every revision since 0001 has); its id."""
    connection.execute(sa.text("INSERT INTO audits (report_id, product_name, vendor_name, answers, status, "
                               "created_at, updated_at) VALUES (:report_id, 'Gate', 'V', '{}', 'draft', "
                               "'2026-11-29 10:00:00', '2026-11-29 10:00:00')"), {"report_id": report_id})
    return connection.scalar(sa.text("SELECT id FROM audits WHERE report_id = :r"), {"r": report_id})


def test_issued_reports_go_down_and_up_without_touching_audits(app):
    with app.app_context():
        with db.engine.begin() as connection:
            insert_audit(connection, "EA-AAAAAAAAAA")
        flask_migrate.downgrade(revision="0001")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert "issued_reports" not in tables and {"audits", "assessments"} <= tables
        flask_migrate.upgrade()
        inspector = sa.inspect(db.engine)
        assert {ix["name"] for ix in inspector.get_indexes("issued_reports")} >= {"ix_issued_reports_sha256"}
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT report_id FROM audits")) == "EA-AAAAAAAAAA"


def test_0006_cover_columns_of_issued_reports_go_down_and_up_keeping_the_rows(app):
    columns = {"audit_version", "status", "school_name"}
    with app.app_context():
        with db.engine.begin() as connection:
            audit_id = insert_audit(connection, "EA-BBBBBBBBBB")
            connection.execute(sa.text(
                "INSERT INTO assessments (audit_id, rule_set_version, rule_set_sha256, jurisdiction, as_of, verdict, "
                "answers, result, created_at) VALUES (:audit_id, '1', :sha, 'EU', '2026-09-01', 'low', '{}', '{}', "
                "'2026-11-29 10:00:00')"), {"audit_id": audit_id, "sha": "0" * 64})
            assessment_id = connection.scalar(sa.text("SELECT id FROM assessments"))
            connection.execute(sa.text(
                "INSERT INTO issued_reports (audit_id, assessment_id, lang, sha256, size_bytes, rule_set_version, "
                "rule_set_sha256, issued_at, audit_version, status, school_name) VALUES (:audit_id, :assessment_id, "
                "'en', :sha, 10, '1', :sha, '2026-11-29 11:00:00', 2, 'submitted', 'Test School')"),
                {"audit_id": audit_id, "assessment_id": assessment_id, "sha": "ab" * 32})
        flask_migrate.downgrade(revision="0005")
        assert not columns & {c["name"] for c in sa.inspect(db.engine).get_columns("issued_reports")}
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT sha256 FROM issued_reports")) == "ab" * 32
        flask_migrate.upgrade()
        found = {c["name"]: c for c in sa.inspect(db.engine).get_columns("issued_reports")}
        assert columns <= set(found) and all(found[name]["nullable"] for name in columns)
        with db.engine.connect() as connection:  # the row kept; what it printed is lost: "not recorded"
            row = connection.execute(sa.text("SELECT sha256, audit_version, status, school_name "
                                             "FROM issued_reports")).one()
        assert tuple(row) == ("ab" * 32, None, None, None)


def test_evidence_accounts_goes_down_and_up_keeping_the_users(app, accounts):
    """The revision that adds attachments, the account log and the users' password-link columns."""
    with app.app_context():
        with db.engine.begin() as connection:
            users = connection.execute(sa.text("SELECT id, email, password_hash FROM users ORDER BY id")).all()
        flask_migrate.downgrade(revision="0006")
        assert not {"attachments", "account_events"} & set(sa.inspect(db.engine).get_table_names())
        assert "reset_token_sha256" not in {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            assert connection.execute(sa.text("SELECT id, email, password_hash FROM users ORDER BY id")).all() == users
            connection.execute(sa.text("INSERT INTO account_events (actor, kind, at, details) "
                                       "VALUES ('system', 'org_created', '2026-12-02 22:00:00', '{}')"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE account_events SET actor = 'someone else'"))


def test_models_match_the_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_flask_db_upgrade_creates_the_database_from_nothing(tmp_path, monkeypatch):
    from app import create_app

    path = tmp_path / "fresh" / "eduaudit.sqlite3"
    path.parent.mkdir()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    application = create_app({"TESTING": True})
    result = application.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        assert TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    with application.app_context():
        db.engine.dispose()


def test_each_test_gets_a_database_at_head_with_every_table_empty(app):
    # The app fixture hands out a copy of a database migrated once (SQLite) or empties a shared one
    # (PostgreSQL): either way a test starts where a fresh `flask db upgrade` leaves it.
    from app.models import Organisation

    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == \
                script_directory().get_current_head()
            tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert TABLES <= tables
            assert {t: connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in sorted(tables)} == \
                dict.fromkeys(sorted(tables), 0)
        organisation = Organisation(name="First School", kind="school")
        db.session.add(organisation)
        db.session.commit()
        assert organisation.id == 1  # ids start afresh too
