"""``eduaudit orgs create``, ``eduaudit users create``, ``eduaudit audits adopt`` against a migrated database
(``DATABASE_URL`` = the test app's database: SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest
import scenario
import sqlalchemy as sa
from click.testing import CliRunner
from webhelpers import PASSWORD, login

from app import trail
from app.accounts.passwords import verify_password
from app.accounts.services import get_org, get_user_by_email
from app.audits import services as audit_services
from app.cli import main
from app.extensions import current_ruleset, db
from app.models import Audit, Organisation, User

NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture
def cli(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.delenv("EDUAUDIT_ENV", raising=False)

    def invoke(*args, password=None, input=None):  # noqa: A002 - click's name
        if password is not None:
            input = password + "\n"
        return CliRunner().invoke(main, list(args), input=input)
    return invoke


def rows(app):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(Organisation.id))),
                db.session.scalar(sa.select(sa.func.count(User.id))))


# -- orgs create ---------------------------------------------------------------------------------------

def test_orgs_create(app, cli):
    result = cli("orgs", "create", "--name", "Hangzhou No. 11 High School", "--kind", "school")
    assert result.exit_code == 0, result.output
    with app.app_context():
        org = get_org("Hangzhou No. 11 High School")
        assert org.kind == "school"
    assert result.output == f"created school 'Hangzhou No. 11 High School' (id {org.id})\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "Taken", "--kind", "ngo"], "an organisation named 'Taken' already exists"),
    (["--name", "   ", "--kind", "school"], "the organisation name must not be empty"),
    (["--name", "x" * 201, "--kind", "school"], "the organisation name has 201 characters; at most 200"),
    (["--name", "Ministry", "--kind", "ministry"], "Invalid value for '--kind'"),
    (["--kind", "school"], "Missing option '--name'"),
])
def test_orgs_create_refuses_with_exit_2_and_writes_nothing(app, cli, args, message):
    assert cli("orgs", "create", "--name", "Taken", "--kind", "regulator").exit_code == 0
    before = rows(app)
    result = cli("orgs", "create", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert rows(app) == before


# -- users create --------------------------------------------------------------------------------------

@pytest.fixture
def orgs(app, cli):
    for name, kind in (("Test School", "school"), ("Test Regulator", "regulator"), ("Test NGO", "ngo")):
        assert cli("orgs", "create", "--name", name, "--kind", kind).exit_code == 0


def test_users_create_with_the_password_on_stdin(app, cli, orgs):
    result = cli("users", "create", "--email", " Head@School.TEST ", "--name", "Ms Head", "--role", "school_admin",
                 "--org", "Test School", "--password-stdin", password=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.output == "created school_admin head@school.test of 'Test School'\n"
    assert NEW_PASSWORD not in result.output
    with app.app_context():
        user = get_user_by_email("head@school.test")
        assert (user.email, user.name, user.role, user.organisation.name) == (
            "head@school.test", "Ms Head", "school_admin", "Test School")
        assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
        assert verify_password(user.password_hash, NEW_PASSWORD)
        assert user.active and not user.demo
    client = app.test_client()
    assert login(client, "head@school.test", NEW_PASSWORD).status_code == 302


def test_users_create_asks_for_the_password_twice(app, cli, orgs):
    result = cli("users", "create", "--email", "admin@instance.test", "--name", "Admin", "--role", "instance_admin",
                 input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created instance_admin admin@instance.test\n" in result.output
    with app.app_context():
        user = get_user_by_email("admin@instance.test")
        assert user.organisation_id is None and verify_password(user.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(("args", "password", "message"), [
    (["--email", "HEAD@school.test", "--role", "school_admin", "--org", "Test School"], NEW_PASSWORD,
     "a user with the e-mail address head@school.test already exists"),
    (["--email", "officer@regulator.test", "--role", "reviewer", "--org", "Test School"], NEW_PASSWORD,
     "role reviewer needs an organisation of kind regulator; got 'Test School' (school)"),
    (["--email", "analyst@ngo.test", "--role", "ngo_analyst", "--org", "Test Regulator"], NEW_PASSWORD,
     "role ngo_analyst needs an organisation of kind ngo; got 'Test Regulator' (regulator)"),
    (["--email", "teacher@school.test", "--role", "school_admin"], NEW_PASSWORD,
     "role school_admin needs an organisation of kind school; got none"),
    (["--email", "admin@instance.test", "--role", "instance_admin", "--org", "Test NGO"], NEW_PASSWORD,
     "role instance_admin belongs to no organisation"),
    (["--email", "teacher@school.test", "--role", "school_admin", "--org", "No Such School"], NEW_PASSWORD,
     "no organisation named 'No Such School'"),
    (["--email", "teacher@school.test", "--role", "school_admin", "--org", "Test School"], "short pass",
     "the password must have at least 12 characters"),
    (["--email", "teacher@school.test", "--role", "school_admin", "--org", "Test School"], "x" * 129,
     "the password must have at most 128 characters"),
    (["--email", "teacher@school.test", "--role", "school_admin", "--org", "Test School"], "teacher@school.test",
     "the password must not be the e-mail address"),
    (["--email", "not-an-address", "--role", "school_admin", "--org", "Test School"], NEW_PASSWORD,
     "'not-an-address' is not an e-mail address"),
    (["--email", "teacher@school.test", "--role", "superuser", "--org", "Test School"], NEW_PASSWORD,
     "Invalid value for '--role'"),
])
def test_users_create_refuses_with_exit_2_and_writes_nothing(app, cli, orgs, args, password, message):
    assert cli("users", "create", "--email", "head@school.test", "--name", "Head", "--role", "school_admin",
               "--org", "Test School", "--password-stdin", password=NEW_PASSWORD).exit_code == 0
    before = rows(app)
    result = cli("users", "create", "--name", "Someone", *args, "--password-stdin", password=password)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert rows(app) == before
    if "superuser" not in args:
        assert result.output.startswith("error: ")


# -- audits adopt ---------------------------------------------------------------------------------------

def test_audits_adopt_gives_ownerless_audits_to_a_school(app, cli, accounts):
    with app.app_context():
        qn = current_ruleset().questionnaire
        orphan = audit_services.create_audit(qn, product_name="Old gate", vendor_name="V").report_id
        owned = scenario.make_audit("draft", owner="other_school")
        db.session.commit()
    school = scenario.signed_in(app, "school")
    assert school.get(f"/audits/{orphan}").status_code == 404  # nobody sees an audit without a school

    result = cli("audits", "adopt", "--org", "Test School")
    assert result.exit_code == 0, result.output
    assert result.output == "1 audit(s) now belong to 'Test School'\n"
    with app.app_context():
        audit = scenario.audit(orphan)
        assert audit.organisation.name == "Test School"
        assert scenario.audit(owned).organisation.name == "Other School"  # owned audits stay where they are
        events = trail.events(audit)
        assert [(e.kind, e.actor, e.actor_id, e.details) for e in events][-1] == (
            "adopted", "system", None, {"school": "Test School"})
    assert school.get(f"/audits/{orphan}").status_code == 200
    assert "Assigned to a school" in school.get(f"/audits/{orphan}").text

    again = cli("audits", "adopt", "--org", "Test School")
    assert again.exit_code == 0 and again.output == "0 audit(s) now belong to 'Test School'\n"


@pytest.mark.parametrize("org", ["Test Regulator", "Test NGO", "Nowhere School"])
def test_audits_adopt_needs_a_school(app, cli, accounts, org):
    with app.app_context():
        orphan = audit_services.create_audit(current_ruleset().questionnaire, product_name="Gate",
                                             vendor_name="V").report_id
        db.session.commit()
    result = cli("audits", "adopt", "--org", org)
    assert result.exit_code == 2
    assert f"error: {org!r} is not a school on this instance" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Audit.organisation_id).where(Audit.report_id == orphan)) is None
        assert scenario.kinds(orphan) == ["created"]


def test_cli_users_sign_in_with_the_same_rules_as_the_web(app, cli, orgs):
    cli("users", "create", "--email", "head@school.test", "--name", "Head", "--role", "school_admin",
        "--org", "Test School", "--password-stdin", password=NEW_PASSWORD)
    assert login(app.test_client(), "head@school.test", PASSWORD).status_code == 200  # not the test password
