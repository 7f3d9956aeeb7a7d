"""Portable audits: one versioned JSON document with everything of an audit, checked by its JSON Schema,
imported into another instance (CLI and API); a changed or incompatible file is refused, clearly."""

from __future__ import annotations

import base64
import copy
import hashlib
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


def _store():
    from flask import current_app

    from app.evidence.storage import store_from_config

    return store_from_config(current_app.config)


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
        return rid, portable.export_audit(scenario.audit(rid), store=_store())


def test_the_document_holds_the_whole_audit_and_matches_its_schema(app, reviewed):
    rid, document = reviewed
    jsonschema.Draft202012Validator(portable.schema()).validate(document)
    content = document["content"]
    assert document["format_version"] == 2 and document["content_sha256"] == portable.content_hash(content)
    assert content["audit"]["report_id"] == rid and content["audit"]["status"] == "approved"
    assert [v["version"] for v in content["versions"]] == [1, 2]
    assert content["versions"][0]["answers"]["pupils_affected"] != content["versions"][1]["answers"]["pupils_affected"]
    assert [s["decision"] for s in content["submissions"]] == ["changes_requested", "approved"]
    assert content["actions"][-1]["action"] == "Write the retention rule"
    assert content["actions"][-1]["rating"]["submission"] == 2
    assert content["submissions"][1]["acknowledgement"].startswith("Approved on the board's instruction")
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
        again = portable.export_audit(audit, store=_store())["content"]

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
    (lambda d: d.update(format_version=3), "portable.incompatible", "version 3; this instance reads"),
    (lambda d: d.update(format_version=True), "portable.incompatible", "version True; this instance reads"),
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


# -- format version 2: acknowledgement, the whole action plan, the documents ----------------------------

TEXT = b"Retention policy: pupil images are deleted at the end of each term.\n"


@pytest.fixture
def worked(app, accounts, monkeypatch):
    """An audit on which both sides worked: two documents attached in version 1 (one removed in version
    2), the school's own action, a reviewer's action done by the school with a note, an approval with
    an acknowledgement. Returns its report id and its portable document."""
    import datetime as dt

    from app.evaluation import evaluate_audit
    from app.evidence import services as evidence
    from app.extensions import current_ruleset
    from app.review import services as review_services

    monkeypatch.setattr("app.audits.services.render_pdf_limited", lambda context, lim, pdf_variant=None: b"%PDF stub")
    with app.app_context():
        rid = scenario.make_audit("complete")
        scenario.attach(rid, file_name="dpa.pdf")
        removed = scenario.attach(rid, TEXT, file_name="retention.txt", question="retention_period")
        audit, school, reviewer = scenario.audit(rid), scenario.user("school"), scenario.user("reviewer")
        due = dt.date.today() + dt.timedelta(days=30)
        review_services.add_action(audit, school, "Train the gate staff", "Deputy head", due)
        first = review_services.submit(audit, evaluate_audit(current_ruleset(), audit).snapshot, school,
                                       scenario.user("reviewer").organisation, "First")
        rule = first.assessment.read_result().findings[0].rule_id
        review_services.save_reviews(current_ruleset(), first, reviewer, [review_services.ReviewInput(
            "finding", rule, "needs_improvement", "Say how long", "Write the retention rule", "Head", due)])
        review_services.decide(first, reviewer, "changes_requested", "See the ratings")
        evidence.remove(audit, evidence.find(audit, removed), school)  # kept on record for version 1
        reviewer_item = next(i for i in review_services.actions_of(audit) if i.source == "reviewer")
        review_services.close_action(audit, reviewer_item, school, "Retention rule adopted by the board")
        second = review_services.submit(audit, evaluate_audit(current_ruleset(), audit).snapshot, school,
                                        reviewer.organisation, "Second")
        review_services.decide(second, reviewer, "approved", "Fine now",
                               acknowledgement="Approved on the board's instruction; cameras go at term end")
        db.session.commit()
        return rid, portable.export_audit(scenario.audit(rid), store=_store())


def _actions(audit):
    from app.review import services as review_services

    return [{"source": i.source, "kind": i.kind, "attachment": i.attachment.sha256 if i.attachment else None,
             "action": i.action, "owner": i.owner, "due_date": i.due_date, "state": i.state,
             "done_note": i.done_note, "done_at": i.done_at, "created_at": i.created_at, "created_by": i.created_by_id,
             "target": (i.target_kind, i.target_id), "submission_number": i.submission_number,
             "rating": None if i.rating is None else (i.rating.submission.number, i.rating.target_id, i.rating.value)}
            for i in review_services.actions_of(audit)]


def _attachments(audit):
    from app.models import Attachment

    return [{"question": a.question_id, "file_name": a.file_name, "media_type": a.media_type, "size": a.size_bytes,
             "sha256": a.sha256, "versions": (a.added_in_version, a.removed_in_version), "by": a.uploaded_by_id,
             "at": a.uploaded_at}
            for a in db.session.scalars(sa.select(Attachment).where(Attachment.audit_id == audit.id)
                                        .order_by(Attachment.id))]


def test_an_audit_moves_with_the_acknowledgement_every_action_and_its_documents(app, worked, tmp_path,
                                                                              monkeypatch):
    from app.audits import services
    from app.evaluation import evaluate_audit
    from app.evidence.storage import LocalFolderStore
    from app.extensions import current_ruleset
    from app.review import services as review_services

    rid, document = worked
    jsonschema.Draft202012Validator(portable.schema(2)).validate(document)
    other_store = LocalFolderStore(tmp_path / "other-instance")  # the new instance's store starts empty
    with app.app_context():
        imported = portable.import_audit(document, scenario.user("other_school").organisation,
                                         scenario.user("other_school"), store=other_store,
                                         max_document_bytes=app.config["ATTACHMENT_MAX_BYTES"])
        db.session.commit()
        old, new = scenario.audit(rid), scenario.audit(imported.audit.report_id)
        assert [s.acknowledgement for s in review_services.submissions(new)] == \
            ["", "Approved on the board's instruction; cameras go at term end"]
        before, after = _actions(old), _actions(new)
        assert after == before and len(after) == 2
        assert {a["source"] for a in after} == {"school", "reviewer"}
        done = next(a for a in after if a["source"] == "reviewer")
        assert done["state"] == "done" and done["done_note"] == "Retention rule adopted by the board"
        assert _attachments(new) == _attachments(old) and [a["versions"] for a in _attachments(new)] == [(1, None),
                                                                                                       (1, 2)]
        for a in _attachments(new):  # the bytes went through the new instance's store, checked by their hash
            assert hashlib.sha256(other_store.get(a["sha256"])).hexdigest() == a["sha256"]
        # what the PDF's appendix prints: the same documents, for the current and the first version
        given = []
        monkeypatch.setattr("app.audits.services.render_pdf_limited",
                            lambda context, lim, pdf_variant=None: given.append(context) or b"%PDF stub")
        for audit in (old, new):
            services.issue_pdf(audit, evaluate_audit(current_ruleset(), audit), "en")
        assert given[0]["attachments"] == given[1]["attachments"] and \
            [a["file_name"] for a in given[1]["attachments"]] == ["dpa.pdf"]
        from app.evidence import services as evidence
        qn = current_ruleset().questionnaire
        assert evidence.appendix_rows(qn, new, "en", 1) == evidence.appendix_rows(qn, old, "en", 1)
        assert len(evidence.appendix_rows(qn, new, "en", 1)) == 2


def _rehash(document):
    document["content_sha256"] = portable.content_hash(document["content"])
    return document


def test_a_document_that_does_not_match_its_fingerprint_is_refused_and_nothing_is_written(app, worked):
    _rid, document = worked
    forged = copy.deepcopy(document)
    sha = forged["content"]["attachments"][0]["sha256"]
    forged["content"]["documents"][sha] = base64.b64encode(b"%PDF-1.4 another contract\n").decode()
    _rehash(forged)  # the content hash is recomputed: only the document's own fingerprint can tell
    with app.app_context():
        token = make_token("other_school")
        before = scenario.counts()
    refused = app.test_client().post("/api/v1/audits/import", json=forged, headers=bearer(token))
    assert refused.status_code == 422 and refused.json["code"] == "portable.document_mismatch", refused.text
    assert "“dpa.pdf” does not match its fingerprint" in refused.json["detail"] and sha in refused.json["detail"]
    with app.app_context():
        assert scenario.counts() == before


@pytest.mark.parametrize(("change", "code", "says"), [
    (lambda c, sha: c["documents"].pop(sha), "portable.invalid", "does not carry it"),
    (lambda c, sha: c["documents"].update({sha: "not base64!"}), "portable.invalid", "not base64"),
    (lambda c, sha: c["attachments"][0].update(media_type="image/png"), "portable.document_type",
     "recorded as image/png but its content is application/pdf"),
    (lambda c, sha: c["attachments"][0].update(size_bytes=3), "portable.invalid", "3 bytes recorded"),
])
def test_documents_that_are_not_what_the_file_records_are_refused(app, worked, change, code, says):
    _rid, document = worked
    broken = copy.deepcopy(document)
    change(broken["content"], broken["content"]["attachments"][0]["sha256"])
    with app.app_context(), pytest.raises(portable.PortableError) as caught:
        portable.import_audit(_rehash(broken), scenario.user("other_school").organisation, store=_store(),
                              max_document_bytes=app.config["ATTACHMENT_MAX_BYTES"])
    assert caught.value.code == code and says in str(caught.value)


def test_a_document_over_this_instance_s_limit_is_refused(app, worked):
    _rid, document = worked
    with app.app_context(), pytest.raises(portable.PortableError) as caught:
        portable.import_audit(document, scenario.user("other_school").organisation, store=_store(),
                              max_document_bytes=10)
    assert caught.value.code == "portable.document_refused" and "at most 10 bytes" in str(caught.value)


def test_an_import_larger_than_its_limit_is_refused_naming_the_limit(app, worked):
    _rid, document = worked
    app.config["PORTABLE_IMPORT_MAX_BYTES"] = 2048
    with app.app_context():
        token = make_token("other_school")
    refused = app.test_client().post("/api/v1/audits/import", json=document, headers=bearer(token))
    assert refused.status_code == 413 and "2048 bytes" in refused.json["detail"], refused.text
    with pytest.raises(portable.PortableError, match=r"at most 2,048 bytes"):
        portable.parse_file(json.dumps(document).encode(), max_bytes=2048)


def _as_version_1(document):
    """``document`` (version 2) as the previous release wrote it: no acknowledgement, the reviewer's
    items on their ratings, no school items and no documents."""
    content = copy.deepcopy(document["content"])
    by_rating = {(a["rating"]["submission"], a["rating"]["target_kind"], a["rating"]["target_id"]): a
                 for a in content.pop("actions") if a["rating"] is not None}
    for key in ("attachments", "documents"):
        content.pop(key)
    for s in content["submissions"]:
        s.pop("acknowledgement")
        for r in s["ratings"]:
            a = by_rating.get((s["number"], r["target_kind"], r["target_id"]))
            r["action"] = None if a is None else {k: a[k] for k in ("action", "owner", "due_date", "created_at")}
    return _rehash({**document, "$schema": "https://eduaudit.example/schemas/portable-audit/1", "format_version": 1,
                    "content": content})


def test_a_version_1_file_still_imports(app, worked):
    _rid, document = worked
    old = _as_version_1(document)
    jsonschema.Draft202012Validator(portable.schema(1)).validate(old)
    with app.app_context():
        imported = portable.import_audit(old, scenario.user("other_school").organisation, store=_store(),
                                         max_document_bytes=app.config["ATTACHMENT_MAX_BYTES"])
        actions = _actions(imported.audit)
        assert [(a["source"], a["action"], a["rating"][0]) for a in actions] == \
            [("reviewer", "Write the retention rule", 1)]
        assert db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.audit_id == imported.audit.id)
                                  .order_by(AuditEvent.id.desc())).first()["format_version"] == 1
        db.session.rollback()
