"""Stored assessments record the rule set they were made with; stale ones are flagged and can be
re-evaluated, and `eduaudit rules diff` reads them."""

from __future__ import annotations

import sqlalchemy as sa
from test_web import start, walk
from webhelpers import REALISTIC, complete

from app.audits.services import stored_audit_inputs
from app.extensions import db
from app.models import AssessmentSnapshot, Audit


def _evaluated_audit(app, client):
    qn = app.extensions["eduaudit.ruleset"].questionnaire
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    _, results = walk(client, qn, location, answers)
    assert client.get(results).status_code == 200  # the results page evaluates and stores a snapshot
    return report_id


def test_snapshot_records_rule_set_version_and_hash(app, client):
    report_id = _evaluated_audit(app, client)
    current = app.extensions["eduaudit.ruleset"]
    with app.app_context():
        snap = db.session.scalar(sa.select(AssessmentSnapshot).join(Audit).where(Audit.report_id == report_id))
        assert (snap.rule_set_version, snap.rule_set_sha256) == (current.version, current.sha256)


def test_home_flags_an_audit_evaluated_with_an_older_rule_set(app, client):
    report_id = _evaluated_audit(app, client)
    assert "re-evaluate" not in client.get("/").text
    with app.app_context():
        snap = db.session.scalar(sa.select(AssessmentSnapshot).join(Audit).where(Audit.report_id == report_id))
        snap.rule_set_version, snap.rule_set_sha256 = "0.0.9", "ab" * 32
        db.session.commit()
    home = client.get("/").text
    current = app.extensions["eduaudit.ruleset"]
    assert f"evaluated with rule set 0.0.9 (abababababab); current is {current.version}" in home
    assert "re-evaluate" in home
    client.get(f"/audits/{report_id}/results")  # re-evaluating stores a snapshot with the current rule set
    assert "re-evaluate" not in client.get("/").text


def test_stored_audits_feed_rules_diff(app, client):
    report_id = _evaluated_audit(app, client)
    with app.app_context():
        [item] = stored_audit_inputs()
    assert item.label == report_id and item.jurisdiction == "EU" and item.answers["product_kind"] == \
        "classroom_analytics"
