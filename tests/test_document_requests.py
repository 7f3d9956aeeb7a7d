"""A reviewer asks for a document on a finding or section; the request is an action of the plan, and
the school answers it by attaching the document (issue 13, "Evidence attached to answers")."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import re

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import csrf_token

from app.audits import portable
from app.evaluation import evaluate_audit
from app.evidence import services as evidence
from app.evidence.services import EvidenceError, Upload
from app.extensions import current_ruleset, db
from app.models import ActionItem, AuditEvent
from app.review import services
from app.review.services import ReviewError, ReviewInput

DUE = dt.date.today() + dt.timedelta(days=30)
SHA = hashlib.sha256(scenario.PDF_BYTES).hexdigest()


def _store():
    from flask import current_app

    from app.evidence.storage import store_from_config

    return store_from_config(current_app.config)


def _events(report_id, kind):
    audit = scenario.audit(report_id)
    return [e.details for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.audit_id == audit.id, AuditEvent.kind == kind).order_by(AuditEvent.id))]


def _first_finding(report_id):
    finding = scenario.latest_submission(report_id).assessment.read_result().findings[0]
    return finding.rule_id, finding.evidence[0].question


def _requested(report_id, rule_id, document="the signed DPA"):
    """A request on ``rule_id`` of the latest submission, then changes requested (the answers reopen)."""
    submission = scenario.latest_submission(report_id)
    item = services.request_document(current_ruleset(), submission, scenario.user("reviewer"), "finding", rule_id,
                                     document, "Head teacher", DUE)
    services.decide(submission, scenario.user("reviewer"), "changes_requested", "Send the DPA")
    db.session.commit()
    return item.id


def _attach(report_id, request_id=None, name="DPA signed.pdf", data=scenario.PDF_BYTES, question="legal_basis"):
    return evidence.add(current_ruleset().questionnaire, scenario.audit(report_id),
                        Upload(question, name, data, request_id), scenario.user("school"), store=_store(),
                        max_bytes=10_000_000, max_count=20)


# -- services --------------------------------------------------------------------------------------------

def test_a_request_is_an_open_action_of_its_kind_with_owner_and_due_date_in_the_trail(app, accounts):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        rule_id, _question = _first_finding(rid)
        item = services.request_document(current_ruleset(), scenario.latest_submission(rid),
                                         scenario.user("reviewer"), "finding", rule_id, " the signed DPA ",
                                         "Head teacher", DUE)
        db.session.commit()
        item = db.session.get(ActionItem, item.id)
        assert (item.kind, item.source, item.state, item.action, item.owner, item.due_date, item.target_id,
                item.submission_number, item.rating, item.attachment) == (
            "document_request", "reviewer", "open", "the signed DPA", "Head teacher", DUE, rule_id, 1, None, None)
        assert _events(rid, "action_added")[-1] | {"action_id": None} == {
            "action_id": None, "source": "reviewer", "target": f"finding:{rule_id}", "action": "the signed DPA",
            "owner": "Head teacher", "due_date": DUE.isoformat(), "submission": 1, "kind": "document_request"}


@pytest.mark.parametrize(("target", "document", "owner", "due", "code"), [
    (("finding", "no-such-rule"), "DPA", "Head", DUE, "review.not_in_submission"),
    (("question", "x"), "DPA", "Head", DUE, "review.unknown_target_kind"),
    (None, "  ", "Head", DUE, "review.request_document_missing"),
    (None, "DPA", "", DUE, "review.plan_owner_missing"),
    (None, "DPA", "Head", None, "review.plan_due_missing"),
    (None, "DPA", "Head", dt.date.today() - dt.timedelta(days=1), "review.due_date_past"),
])
def test_a_request_missing_what_it_needs_is_refused_naming_it(app, accounts, target, document, owner, due, code):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        kind, target_id = target or ("finding", _first_finding(rid)[0])
        with pytest.raises(ReviewError) as err:
            services.request_document(current_ruleset(), scenario.latest_submission(rid), scenario.user("reviewer"),
                                      kind, target_id, document, owner, due)
        assert err.value.code == code
        assert db.session.scalar(sa.select(ActionItem.id)) is None


def test_no_request_on_a_decided_submission(app, accounts):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        rule_id, _question = _first_finding(rid)
        _requested(rid, rule_id)
        with pytest.raises(ReviewError) as err:
            services.request_document(current_ruleset(), scenario.latest_submission(rid), scenario.user("reviewer"),
                                      "finding", rule_id, "another", "Head", DUE)
        assert err.value.code == "review.already_decided"


def test_attaching_in_answer_links_the_document_and_closes_the_request_with_its_hash(app, accounts):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        request_id = _requested(rid, _first_finding(rid)[0])
        attachment = _attach(rid, request_id)
        db.session.commit()
        item = db.session.get(ActionItem, request_id)
        assert (item.state, item.attachment_id) == ("done", attachment.id)
        assert item.done_note == f"DPA signed.pdf (SHA-256 {SHA})"
        assert scenario.kinds(rid)[-2:] == ["attachment_added", "action_done"]
        assert _events(rid, "action_done")[-1] == {"action_id": request_id, "note": item.done_note,
                                                  "attachment_id": attachment.id, "file_name": "DPA signed.pdf",
                                                  "sha256": SHA}
        # answered once: a second answer is refused, and nothing is attached then
        with pytest.raises(EvidenceError) as err:
            _attach(rid, request_id, name="other.txt", data=b"another text")
        assert err.value.code == "evidence.request_done"
        # the answer stays on record: it cannot be deleted from the version that answered
        with pytest.raises(EvidenceError) as err:
            evidence.remove(scenario.audit(rid), attachment, scenario.user("school"))
        assert err.value.code == "evidence.answers_request"


def test_a_request_is_answered_by_a_document_not_by_a_note_nor_another_audit_s_id(app, accounts):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        request_id = _requested(rid, _first_finding(rid)[0])
        item = db.session.get(ActionItem, request_id)
        with pytest.raises(ReviewError) as err:
            services.close_action(scenario.audit(rid), item, scenario.user("school"), "Sent by post")
        assert err.value.code == "review.request_needs_document"
        other = scenario.make_audit("draft")
        with pytest.raises(EvidenceError) as err:
            _attach(other, request_id)
        assert err.value.code == "evidence.unknown_request"
        assert db.session.get(ActionItem, request_id).state == "open"


def test_a_rating_on_the_same_finding_neither_overwrites_nor_closes_the_request(app, accounts):
    with app.app_context():
        rid = scenario.make_audit("submitted")
        rule_id, _question = _first_finding(rid)
        submission = scenario.latest_submission(rid)
        reviewer = scenario.user("reviewer")
        request = services.request_document(current_ruleset(), submission, reviewer, "finding", rule_id, "the DPA",
                                            "Head", DUE)
        services.save_reviews(current_ruleset(), submission, reviewer, [ReviewInput(
            "finding", rule_id, "needs_improvement", "No contract", "Sign a DPA", "Head", DUE)])
        services.save_reviews(current_ruleset(), submission, reviewer, [ReviewInput(
            "finding", rule_id, "acceptable")])
        db.session.commit()
        items = services.actions_of(scenario.audit(rid))
        assert [(i.id, i.kind, i.action, i.state) for i in items] == [
            (request.id, "document_request", "the DPA", "open")]


# -- the pages -------------------------------------------------------------------------------------------

def test_the_reviewer_asks_and_the_school_answers_on_the_documents_page(app, accounts):
    reviewer, school = scenario.signed_in(app, "reviewer"), scenario.signed_in(app, "school")
    with app.app_context():
        rid = scenario.make_audit("submitted")
        rule_id, question = _first_finding(rid)
    page = reviewer.get(f"/audits/{rid}/review").text
    assert "Ask the school for a document" in page
    asked = reviewer.post(f"/audits/{rid}/review/document-requests", data={
        "csrf_token": csrf_token(page), "target": f"finding:{rule_id}", "document": "the signed DPA",
        "owner": "Head teacher", "due_date": DUE.isoformat()})
    assert asked.status_code == 302 and asked.location.startswith(f"/audits/{rid}/review")
    # the school may not ask
    refused = school.post(f"/audits/{rid}/review/document-requests", data={
        "csrf_token": csrf_token(school.get(f"/audits/{rid}").text), "target": f"finding:{rule_id}",
        "document": "x", "owner": "x", "due_date": DUE.isoformat()})
    assert refused.status_code == 403
    assert scenario.web_decide(reviewer, rid, "changes_requested", "Send the DPA").status_code == 302
    with app.app_context():
        [item] = services.actions_of(scenario.audit(rid))
        request_id = item.id
    overview = school.get(f"/audits/{rid}").text
    assert "Document requested: the signed DPA" in overview
    assert f"/audits/{rid}/attachments?request={request_id}" in overview
    documents = school.get(f"/audits/{rid}/attachments").text
    assert "The regulator asked for: the signed DPA" in documents
    # from the request's own link the form is preselected to it and to the answer the finding rests on
    form = school.get(f"/audits/{rid}/attachments?request={request_id}").text
    assert re.search(rf'<option selected value="{request_id}">the signed DPA</option>', form)
    assert re.search(rf'<option selected value="{question}">', form)
    sent = school.post(f"/audits/{rid}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form), "question": question, "request": str(request_id),
        "document": (io.BytesIO(scenario.PDF_BYTES), "DPA signed.pdf")})
    assert sent.status_code == 302
    documents = school.get(f"/audits/{rid}/attachments").text
    assert "The regulator asked for" not in documents and "is answered with this document" in documents
    results = school.get(f"/audits/{rid}/results").text
    plan = results[results.index('id="action-plan"'):]
    assert "Document requested: the signed DPA" in plan and f"Answered with “DPA signed.pdf” (SHA-256 {SHA})" in plan
    with app.app_context():
        item = db.session.get(ActionItem, request_id)
        assert item.state == "done" and item.attachment.file_name == "DPA signed.pdf"


# -- carried to another instance ----------------------------------------------------------------------

def test_a_request_and_the_document_that_answered_it_move_with_the_audit(app, accounts, tmp_path):
    from app.evidence.storage import LocalFolderStore

    with app.app_context():
        rid = scenario.make_audit("submitted")
        request_id = _requested(rid, _first_finding(rid)[0])
        _attach(rid, request_id)
        audit = scenario.audit(rid)
        services.submit(audit, evaluate_audit(current_ruleset(), audit).snapshot, scenario.user("school"),
                        scenario.user("reviewer").organisation)
        services.request_document(current_ruleset(), scenario.latest_submission(rid), scenario.user("reviewer"),
                                  "finding", _first_finding(rid)[0], "the retention policy", "Head", DUE)
        db.session.commit()
        document = portable.export_audit(scenario.audit(rid), store=_store())
        import jsonschema

        jsonschema.Draft202012Validator(portable.schema(2)).validate(document)
        rows = {a["action"]: a for a in document["content"]["actions"]}
        assert rows["the signed DPA"]["kind"] == "document_request" and rows["the signed DPA"]["attachment"] == 0
        assert rows["the retention policy"]["attachment"] is None
        imported = portable.import_audit(document, scenario.user("other_school").organisation,
                                         scenario.user("other_school"), store=LocalFolderStore(tmp_path / "other"),
                                         max_document_bytes=app.config["ATTACHMENT_MAX_BYTES"])
        db.session.commit()
        items = services.actions_of(imported.audit)
        assert [(i.kind, i.action, i.state, i.attachment.sha256 if i.attachment else None) for i in items] == [
            ("document_request", "the signed DPA", "done", SHA), ("document_request", "the retention policy", "open",
                                                                 None)]
        assert items[0].attachment.audit_id == imported.audit.id


def test_a_file_written_before_requests_existed_imports_its_items_as_actions(app, accounts):
    from test_portable import _rehash

    with app.app_context():
        rid = scenario.make_audit("complete")
        services.add_action(scenario.audit(rid), scenario.user("school"), "Tell the parents", "Deputy", DUE)
        db.session.commit()
        document = portable.export_audit(scenario.audit(rid), store=_store())
        old = copy.deepcopy(document)
        for a in old["content"]["actions"]:
            del a["kind"], a["attachment"]
        imported = portable.import_audit(_rehash(old), scenario.user("other_school").organisation,
                                         store=_store(), max_document_bytes=app.config["ATTACHMENT_MAX_BYTES"])
        assert [(i.kind, i.action) for i in services.actions_of(imported.audit)] == [("action", "Tell the parents")]
