"""Portable audits: one versioned JSON document with everything of an audit, checked by its JSON Schema,
imported into another instance (CLI and API); a changed or incompatible file is refused, clearly."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import scenario
import sqlalchemy as sa
from apihelpers import bearer, make_token
from click.testing import CliRunner

from app.audits import portable
from app.cli import main
from app.extensions import db
from app.models import ActionItem, AssessmentSnapshot, Audit, AuditEvent, IssuedReport, Organisation, Submission


@pytest.fixture
def reviewed(app, accounts, monkeypatch):
    """An audit that went through two submissions (changes requested with an action item, then
    approved), with a PDF issued; returns its portable document."""
    monkeypatch.setattr("app.audits.services.render_pdf_limited", lambda context, lim, pdf_variant=None: b"%PDF stub")
    import datetime as dt

    from app.audits import services
    from app.evaluation import evaluate_audit
    from app.extensions import current_ruleset
    from app.review import services as review_services

    with app.app_context():
        rid = scenario.make_audit("changes_requested")
        audit = scenario.audit(rid)
        submission = scenario.latest_submission(rid)
        reviewer = scenario.user("reviewer")
        rule = submission.assessment.read_result().findings[0].rule_id
        # ratings are made before a decision; re-create the loop: resubmit, rate, decide
        qn = current_ruleset().questionnaire
        services.save_step(qn, audit, {"pupils_affected": 1100}, user=scenario.user("school"))
        evaluation = evaluate_audit(current_ruleset(), audit)
        second = review_services.submit(audit, evaluation.snapshot, scenario.user("school"),
                                        submission.regulator, "Second try")
        review_services.save_reviews(current_ruleset(), second, reviewer, [review_services.ReviewInput(
            "finding", rule, "needs_improvement", "Explain retention", "Write the retention rule", "Head",
            dt.date.today() + dt.timedelta(days=10))])
        review_services.decide(second, reviewer, "approved", "Fine now",
                               acknowledgement="Approved on the board's instruction; the cameras go at term end")
        services.issue_pdf(audit, evaluation, "en", user=scenario.user("school"))
        db.session.commit()
        return rid, portable.export_audit(scenario.audit(rid))


def test_the_document_holds_the_whole_audit_and_matches_its_schema(app, reviewed):
    rid, document = reviewed
    jsonschema.Draft202012Validator(portable.schema()).validate(document)
    content = document["content"]
    assert document["format_version"] == 1 and document["content_sha256"] == portable.content_hash(content)
    assert content["audit"]["report_id"] == rid and content["audit"]["status"] == "approved"
    assert [v["version"] for v in content["versions"]] == [1, 2]
    assert content["versions"][0]["answers"]["pupils_affected"] != content["versions"][1]["answers"]["pupils_affected"]
    assert [s["decision"] for s in content["submissions"]] == ["changes_requested", "approved"]
    assert content["submissions"][1]["ratings"][0]["action"]["action"] == "Write the retention rule"
    assert len(content["issued_reports"]) == 1 and len(content["issued_reports"][0]["sha256"]) == 64
    assert [e["kind"] for e in content["trail"]][-1] == "pdf_generated"


def _counts(rid):
    audit = scenario.audit(rid)
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                              .where(model.audit_id == audit.id))
            for model in (AssessmentSnapshot, Submission, ActionItem, AuditEvent, IssuedReport)}


def test_an_audit_imported_through_the_api_is_the_same_audit_in_the_new_school(app, reviewed):
    rid, document = reviewed
    with app.app_context():
        before = _counts(rid)
        token = make_token("other_school")
    imported = app.test_client().post("/api/v1/audits/import", json=document, headers=bearer(token))
    assert imported.status_code == 201, imported.text
    new = imported.json["report_id"]
    assert new != rid and imported.json["original_report_id"] == rid  # the id is taken on this instance
    with app.app_context():
        audit = scenario.audit(new)
        assert audit.organisation.name == "Other School" and audit.status == "approved" and audit.version == 2
        after = _counts(new)
        # every assessment, submission, action and trail event; the PDF is not "issued here"
        assert after == {**before, "AuditEvent": before["AuditEvent"] + 1, "IssuedReport": 0}
        last = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.audit_id == audit.id)
                                  .order_by(AuditEvent.id.desc())).first()
        assert last.kind == "imported" and last.details["from_report_id"] == rid
        assert last.details["issued_reports"] == document["content"]["issued_reports"]
        # the exported document of the copy carries the same review history
        again = portable.export_audit(audit)["content"]

        def local_refs_left_out(submissions):
            return [{k: v for k, v in s.items() if k != "assessment_ref"} for s in submissions]
        assert local_refs_left_out(again["submissions"]) == local_refs_left_out(document["content"]["submissions"])
        assert again["submissions"][1]["decided_by"] == "officer@regulator.test"  # an account of this instance
        assert again["assessments"][0]["result"] == document["content"]["assessments"][0]["result"]


def test_a_changed_file_is_refused_and_nothing_is_written(app, reviewed):
    _rid, document = reviewed
    tampered = copy.deepcopy(document)
    tampered["content"]["submissions"][1]["decision_comment"] = "Approved without remarks"
    with app.app_context():
        token = make_token("other_school")
        audits = db.session.scalar(sa.select(sa.func.count()).select_from(Audit))
    refused = app.test_client().post("/api/v1/audits/import", json=tampered, headers=bearer(token))
    assert refused.status_code == 422 and refused.json["code"] == "portable.tampered"
    assert "changed after it was exported" in refused.json["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Audit)) == audits


@pytest.mark.parametrize(("change", "code", "says"), [
    (lambda d: d.update(format_version=2), "portable.incompatible", "version 2; this instance reads"),
    (lambda d: d.update(format="something-else"), "portable.incompatible", "the file is 'something-else'"),
    (lambda d: d["content"]["audit"].update(status="archived"), "portable.invalid", "at content/audit/status"),
    (lambda d: d["content"].pop("trail"), "portable.invalid", "at content: 'trail' is a required property"),
])
def test_an_incompatible_or_malformed_file_is_refused_with_a_clear_message(reviewed, change, code, says):
    _rid, document = reviewed
    broken = copy.deepcopy(document)
    change(broken)
    with pytest.raises(portable.PortableError) as caught:
        portable.read_document(broken)
    assert caught.value.code == code and says in str(caught.value)


def test_the_command_line_exports_and_imports(app, reviewed, tmp_path, monkeypatch):
    rid, _document = reviewed
    monkeypatch.setattr("app.cli._web_app", lambda: app)
    runner = CliRunner()
    out = tmp_path / "audit.json"
    exported = runner.invoke(main, ["audits", "export", rid, "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    with app.app_context():  # the region moves: a new instance has neither the school's audit nor its regulator
        db.session.execute(sa.update(Organisation).where(Organisation.name == "Test Regulator")
                           .values(name="Old Regulator Name"))
        db.session.commit()
    imported = runner.invoke(main, ["audits", "import", str(out), "--org", "Other School"])
    assert imported.exit_code == 0, imported.output
    assert "created regulator 'Test Regulator'" in imported.output and f"imported {rid} as " in imported.output
    refused = runner.invoke(main, ["audits", "import", str(out), "--org", "No Such School"])
    assert refused.exit_code == 2 and "no organisation named 'No Such School'" in refused.output
    refused = runner.invoke(main, ["audits", "import", str(out), "--org", "Test NGO"])
    assert refused.exit_code == 2 and "not a school" in refused.output
    data = json.loads(out.read_text())
    data["content"]["audit"]["product_name"] = "Renamed"
    out.write_text(json.dumps(data))
    refused = runner.invoke(main, ["audits", "import", str(out), "--org", "Other School"])
    assert refused.exit_code == 2 and "changed after it was exported" in refused.output
    out.write_text("{not json")
    refused = runner.invoke(main, ["audits", "import", str(out), "--org", "Other School"])
    assert refused.exit_code == 2 and "not a JSON document" in refused.output
