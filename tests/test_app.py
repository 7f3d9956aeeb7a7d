"""The app factory: configuration defaults and refusals, and a rule set that must load at start."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, normalise_database_url
from app.extensions import db
from app.rules.loader import RuleLoadError


def test_defaults(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 512 * 1024
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert "eduaudit.ruleset" in app.extensions


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    application = create_app({"TESTING": True})
    assert application.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert application.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/eduaudit.sqlite3")


def test_production_needs_a_secret_key(monkeypatch):
    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    for weak in ("short-key", "dev-only-not-secret"):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(ConfigError, match="at least 32 characters"):
            create_app()
    for plain in ("a" * 32, "from-the-environment-" + "x" * 32):
        monkeypatch.setenv("SECRET_KEY", plain)
        with pytest.raises(ConfigError, match="looks far from random: about [0-9]+ bits"):
            create_app()
    key = "from-the-environment-7Hq2Lz9Vw4Kp1Xn8Rb5Tc3Md6Jf0Gs"
    monkeypatch.setenv("SECRET_KEY", key)
    application = create_app()
    assert application.config["SECRET_KEY"] == key
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["REMEMBER_COOKIE_SECURE"] is True


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("EDUAUDIT_ENV", "staging")
    with pytest.raises(ConfigError, match="EDUAUDIT_ENV is 'staging'; expected one of development, production"):
        create_app()


def test_database_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/eduaudit")
    application = create_app({"TESTING": True})
    assert application.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u@db:5432/eduaudit"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_broken_rule_set_stops_start_up(tmp_path):
    (tmp_path / "ruleset.yaml").write_text("version: 1.0.0\n", encoding="utf-8")
    # named as given (it is not the repository's audit_rules/)
    with pytest.raises(RuleLoadError, match=f"rule set under {re.escape(str(tmp_path))} is invalid"):
        create_app({"TESTING": True, "RULES_DIR": str(tmp_path)})


def test_flask_db_commands_run_the_migrations(app, runner):
    with app.app_context():
        assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
        assert "audits" not in sa.inspect(db.engine).get_table_names()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert "audits" in sa.inspect(db.engine).get_table_names()
