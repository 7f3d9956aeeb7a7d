"""The audit trail: every state change appends an event (who, when in UTC, what); the overview shows it;
it exports as CSV and JSON; nothing can change or delete an event, neither the ORM nor raw SQL (on
SQLite and PostgreSQL); migration 0003 goes down and up with data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import flask_migrate
import pytest
import scenario
import sqlalchemy as sa
from test_web import post_step, start, walk
from webhelpers import ACCOUNTS, REALISTIC, complete, csrf_token, form_fields

from app import trail
from app.extensions import db
from app.models import Audit, AuditEvent, TrailImmutable

SCHOOL, SCHOOL2, REVIEWER = ACCOUNTS["school"][0], ACCOUNTS["school2"][0], ACCOUNTS["reviewer"][0]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def qn(app):
    return app.extensions["eduaudit.ruleset"].questionnaire


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr("app.audits.services.render_pdf_limited",
                        lambda context, lim, pdf_variant=None: b"%PDF-1.7 stub for the trail")


def events_of(app, report_id):
    with app.app_context():
        return [{"kind": e.kind, "actor": e.actor, "actor_id": e.actor_id, "at": e.at, "details": e.details}
                for e in trail.events(scenario.audit(report_id))]


def full_loop(app, client, qn):
    """Create, save, submit, review, request changes, change, resubmit, approve, PDF, new version."""
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    post_step(client, location, {"product_name": answers["product_name"], "vendor_name": answers["vendor_name"],
                                 "product_kind": "wearable"})
    walk(client, qn, location, answers)  # product_kind back to classroom_analytics, and every other step
    assert scenario.web_submit(client, report_id, note="first").status_code == 302
    reviewer = scenario.signed_in(app, "reviewer")
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert scenario.web_review(reviewer, report_id, {("section", "context"): {
        "rating": "needs_improvement", "comment": "Say how many pupils", "action": "Count them",
        "owner": "Head", "due": due}}).status_code == 302
    assert scenario.web_decide(reviewer, report_id, "changes_requested", "Please fix").status_code == 302
    school2 = scenario.signed_in(app, "school2")
    response = post_step(school2, f"/audits/{report_id}/steps/context",
                         form_fields(qn, "context", {**answers, "pupils_affected": 900}))
    assert response.status_code == 302
    assert scenario.web_submit(school2, report_id).status_code == 302
    assert scenario.web_decide(reviewer, report_id, "approved", "Fine now",
                               "Pupil count fixed; the open action stays on the plan").status_code == 302
    assert client.get(f"/audits/{report_id}/report.pdf").status_code == 200
    page = client.get(f"/audits/{report_id}")
    assert client.post(f"/audits/{report_id}/new-version",
                       data={"csrf_token": csrf_token(page.text)}).status_code == 302
    return report_id


def due_date():
    return (dt.date.today() + dt.timedelta(days=30)).isoformat()


def test_every_state_change_appends_an_event_with_who_and_when(app, client, qn, stub_pdf):
    started = dt.datetime.now(dt.UTC)
    report_id = full_loop(app, client, qn)
    events = events_of(app, report_id)
    kinds = [(e["kind"], e["actor"]) for e in events]
    first = kinds.index(("submitted", SCHOOL))
    assert kinds[0] == ("created", SCHOOL)
    assert first >= 3 and set(kinds[1:first]) == {("answers_saved", SCHOOL)}
    assert kinds[first:] == [
        ("submitted", SCHOOL), ("action_added", REVIEWER), ("reviewed", REVIEWER), ("changes_requested", REVIEWER),
        ("answers_saved", SCHOOL2), ("submitted", SCHOOL2), ("approved", REVIEWER),
        ("pdf_generated", SCHOOL), ("new_version", SCHOOL)]
    with app.app_context():
        ids = {key: scenario.user(key).id for key in ("school", "school2", "reviewer")}
    assert {e["actor_id"] for e in events} == set(ids.values())
    now = dt.datetime.now(dt.UTC)
    for e in events:
        at = e["at"] if e["at"].tzinfo else e["at"].replace(tzinfo=dt.UTC)  # SQLite keeps naive UTC
        assert started - dt.timedelta(seconds=2) <= at <= now + dt.timedelta(seconds=2), e
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)

    by_kind = {}
    for e in events:
        by_kind.setdefault(e["kind"], []).append(e["details"])
    assert by_kind["created"][0] == {"product": REALISTIC["product_name"], "vendor": "Example Vision Technology Co."}
    first_save = by_kind["answers_saved"][0]
    assert first_save["changed"] == {"product_kind": {"from": None, "to": "wearable"}}
    second = by_kind["answers_saved"][1]
    assert second["changed"]["product_kind"] == {"from": "wearable", "to": "classroom_analytics"}
    revisions = [d["revision"] for d in by_kind["answers_saved"]]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert by_kind["answers_saved"][-1]["changed"] == {"pupils_affected": {"from": 1200, "to": 900}}
    sub1, sub2 = by_kind["submitted"]
    assert sub1 == {"submission": 1, "version": 1, "regulator": "Test Regulator", "verdict": "prohibited",
                    "rule_set": app.extensions["eduaudit.ruleset"].version}
    assert sub2["submission"] == 2 and sub2["version"] == 2
    assert by_kind["reviewed"] == [{"submission": 1, "ratings": {"section:context": "needs_improvement"}}]
    assert by_kind["changes_requested"][0] == {"submission": 1, "comment": "Please fix",
                                              "ratings": {"needs_improvement": 1}}
    assert by_kind["approved"][0] == {"submission": 2, "comment": "Fine now", "ratings": {},
                                      "acknowledgement": "Pupil count fixed; the open action stays on the plan"}
    [added] = by_kind["action_added"]
    assert {k: added[k] for k in ("source", "target", "action", "owner", "due_date", "submission")} == {
        "source": "reviewer", "target": "section:context", "action": "Count them", "owner": "Head",
        "due_date": due_date(), "submission": 1}
    pdf = by_kind["pdf_generated"][0]
    assert pdf["lang"] == "en" and pdf["status"] == "approved" and re.fullmatch(r"[0-9a-f]{64}", pdf["sha256"])
    assert by_kind["new_version"] == [{"version": 3, "after": "approved"}]
    with app.app_context():
        audit = scenario.audit(report_id)
        assert audit.status == "draft" and audit.version == 3
        # the last save's revision is the audit's revision right after that save
        assert revisions[-1] < audit.revision


def test_the_revision_in_a_save_event_is_the_audit_s_revision_after_it(app, client):
    report_id, location = start(client)
    post_step(client, location, {"product_name": "Gate", "vendor_name": "V", "product_kind": "face_gate"})
    with app.app_context():
        audit = scenario.audit(report_id)
        last = trail.events(audit)[-1]
        assert last.kind == "answers_saved" and last.details["revision"] == audit.revision


def test_saving_a_step_unchanged_records_nothing(app, client):
    report_id, location = start(client, "Gate", "Vendor")
    post_step(client, location, {"product_name": "Gate", "vendor_name": "Vendor", "product_kind": "face_gate"})
    before = len(events_of(app, report_id))
    post_step(client, location, {"product_name": "Gate", "vendor_name": "Vendor", "product_kind": "face_gate"})
    assert len(events_of(app, report_id)) == before


def test_a_rejection_is_on_the_trail(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    reviewer = scenario.signed_in(app, "reviewer")
    assert scenario.web_decide(reviewer, report_id, "rejected", "Banned in the EU").status_code == 302
    last = events_of(app, report_id)[-1]
    assert (last["kind"], last["actor"]) == ("rejected", REVIEWER)
    assert last["details"]["comment"] == "Banned in the EU"


def test_the_overview_shows_the_trail_newest_first(app, client, qn, stub_pdf):
    report_id = full_loop(app, client, qn)
    page = client.get(f"/audits/{report_id}").text
    section = page[page.index('id="trail-title"'):]
    rows = re.findall(r"<tr><td class=\"nowrap\">([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", section)
    assert rows[0][1:] == (SCHOOL, "New version started")
    assert rows[-1][1:] == (SCHOOL, "Audit created")
    assert (REVIEWER, "Changes requested") in [r[1:] for r in rows]
    assert (SCHOOL2, "Submitted to the regulator") in [r[1:] for r in rows]
    assert len(rows) == len(events_of(app, report_id))
    assert all(r[0].endswith("UTC") for r in rows), rows[0]
    assert "Please fix" in section and "submission 1 (version 1) to Test Regulator" in section
    assert f'href="/audits/{report_id}/trail.csv"' in page and f'href="/audits/{report_id}/trail.json"' in page


def test_the_trail_exports_as_csv_and_json(app, client, qn, stub_pdf):
    report_id = full_loop(app, client, qn)
    events = events_of(app, report_id)

    as_json = client.get(f"/audits/{report_id}/trail.json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert as_json.headers["Content-Disposition"] == f"attachment; filename=eduaudit-{report_id}-trail.json"
    assert as_json.headers["Cache-Control"] == "private, no-store"
    doc = json.loads(as_json.data)
    assert set(doc) == {"report_id", "events"} and doc["report_id"] == report_id
    assert [list(e) for e in doc["events"]] == [list(trail.EXPORT_FIELDS)] * len(events)
    assert [(e["kind"], e["actor"], e["details"]) for e in doc["events"]] == [
        (e["kind"], e["actor"], e["details"]) for e in events]
    assert all(ISO_UTC.match(e["at"]) for e in doc["events"])
    ids = [e["id"] for e in doc["events"]]
    assert ids == sorted(ids)

    as_csv = client.get(f"/audits/{report_id}/trail.csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.headers["Content-Disposition"] == f"attachment; filename=eduaudit-{report_id}-trail.csv"
    assert as_csv.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(as_csv.text[1:])))
    assert rows[0] == ["id", "at", "actor", "kind", "details"]
    assert len(rows) == len(events) + 1
    for row, e in zip(rows[1:], doc["events"], strict=True):
        assert row[:4] == [str(e["id"]), e["at"], e["actor"], e["kind"]]
        assert json.loads(row[4]) == e["details"]
    assert as_csv.text.count("\n") >= len(events) + 1  # multi-line comments stay inside quoted cells

    reviewer = scenario.signed_in(app, "reviewer")
    assert json.loads(reviewer.get(f"/audits/{report_id}/trail.json").data) == doc


# -- immutability ----------------------------------------------------------------------------------

@pytest.fixture
def event_id(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        return trail.events(scenario.audit(report_id))[0].id


def test_the_orm_refuses_to_change_an_event(app, event_id):
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        event.actor = "someone@else.test"
        with pytest.raises(TrailImmutable, match="cannot be changed"):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id).actor == SCHOOL


def test_the_orm_refuses_to_delete_an_event(app, event_id):
    with app.app_context():
        db.session.delete(db.session.get(AuditEvent, event_id))
        with pytest.raises(TrailImmutable, match="cannot be deleted"):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'someone@else.test' WHERE id = :id",
    "UPDATE audit_events SET kind = 'approved'",
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_or_delete_events(app, event_id, statement):
    with app.app_context():
        before = db.session.execute(sa.text("SELECT id, actor, kind, at FROM audit_events ORDER BY id")).all()
        assert before
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text(statement), {"id": event_id})
        after = db.session.execute(sa.text("SELECT id, actor, kind, at FROM audit_events ORDER BY id")).all()
        assert after == before


def test_postgresql_refuses_truncate_too(app, event_id):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("TRUNCATE exists on PostgreSQL only")
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("TRUNCATE audit_events CASCADE"))
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) > 0


def test_events_can_still_be_added(app, event_id):
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        audit = db.session.get(Audit, event.audit_id)
        count = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        trail.record(audit, "pdf_generated", None, {"lang": "en"})
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == count + 1
        assert trail.events(audit)[-1].actor == trail.SYSTEM_ACTOR
        with pytest.raises(ValueError, match="unknown audit event kind"):
            trail.record(audit, "edited", None)


# -- migration 0003 with data ------------------------------------------------------------------------

TABLES_0003 = {"organisations", "users", "submissions", "reviews", "action_items", "audit_events"}


def test_migration_0003_goes_down_and_up_with_data(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("approved")
        db.session.remove()
        flask_migrate.downgrade(revision="0002")
        inspector = sa.inspect(db.engine)
        assert not TABLES_0003 & set(inspector.get_table_names())
        assert {"organisation_id", "revision", "status"} - {c["name"] for c in inspector.get_columns("audits")} == {
            "organisation_id", "revision"}
        with db.engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT report_id, status, product_name FROM audits")).all()
        assert [tuple(r) for r in kept] == [(report_id, "approved", REALISTIC["product_name"])]

        flask_migrate.upgrade()
        inspector = sa.inspect(db.engine)
        assert TABLES_0003 <= set(inspector.get_table_names())
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT organisation_id, version, revision, status FROM audits")).one()
        assert tuple(row) == (None, 1, 1, "approved")  # owner unknown again: `eduaudit audits adopt` assigns one
        # the triggers are back
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("INSERT INTO audit_events (audit_id, actor, kind, at, details) "
                                           "SELECT id, 'system', 'adopted', created_at, '{}' FROM audits"))
                connection.execute(sa.text("DELETE FROM audit_events"))
