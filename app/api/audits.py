"""``/api/v1/audits``: a school's audits (create, read, change answers, evaluate, submit, start a new
version), their assessments and findings (the JSON contract), submissions with their review, the
trail, and portable export and import (:mod:`app.audits.portable`).

Every route asks :func:`app.access.audit_for` with the action it needs, as the pages do. Changing
answers goes through :func:`app.audits.services.merge_and_save`, the form's own service, with the
form's rules: answers are typed by the questionnaire, checks that span questions apply, and a save
based on an older revision is merged with what others saved since. Unlike the form, the API saves
all of a request or nothing: one refused answer (422) or one conflict (409) and nothing is written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import access, trail
from ..audits import portable
from ..audits import services as audit_services
from ..evaluation import NotReady, evaluate_audit, latest_snapshot
from ..evidence.download import store
from ..extensions import current_ruleset, db
from ..i18n import describe
from ..models import AssessmentSnapshot, Audit, Organisation, Submission
from ..problems import Problem
from ..review import services as review_services
from ..rules.questionnaire import AnswerError
from ..timefmt import as_utc
from . import schemas
from .auth import limited, signed_in
from .parsing import Blueprint
from .problems import ApiProblem

blp = limited(Blueprint("api_audits", __name__, description="A school's audits, their assessments, findings, "
                                                            "submissions, trail and portable export."))


def audit_summary(audit: Audit, snapshot: AssessmentSnapshot | None) -> dict[str, Any]:
    """The fields of :class:`.schemas.AuditSummary` for ``audit`` and its latest snapshot."""
    return {"report_id": audit.report_id, "product_name": audit.product_name, "vendor_name": audit.vendor_name,
            "jurisdiction": audit.jurisdiction, "status": audit.status, "version": audit.version,
            "revision": audit.revision, "updated_at": as_utc(audit.updated_at),
            "verdict": snapshot.verdict if snapshot else None}


def _issue(question: str, problem: Problem) -> dict[str, str]:
    return {"question": question, "code": problem.code, "detail": describe(problem)}


def audit_detail(audit: Audit) -> dict[str, Any]:
    """The fields of :class:`.schemas.AuditDetail`."""
    qn = current_ruleset().questionnaire
    loaded = qn.load(audit.answers)
    return {**audit_summary(audit, latest_snapshot(audit)),
            "school": audit.organisation.name if audit.organisation else None,
            "regulator": audit.regulator.name if audit.regulator else None,
            "answers": dict(audit.answers),
            "missing_required": [q.id for q in qn.missing_required(loaded.typed)],
            "conflicts": [_issue(e.question_id, e) for e in loaded.conflicts],
            "stale": [_issue(qid, e) for qid, e in loaded.stale.items()]}


@blp.get("/audits")
@blp.response(200, schemas.AuditList)
@signed_in()
def list_audits():
    """The audits the caller may see (a school's own; a reviewer's submitted ones), most recently
    changed first. Other roles see none (an empty list)."""
    rows = audit_services.list_audits(current_user)
    return {"audits": [audit_summary(audit, snapshot) for audit, snapshot in rows]}


@blp.post("/audits")
@blp.arguments(schemas.AuditCreate)
@blp.response(201, schemas.AuditDetail)
@signed_in("school_admin")
def create_audit(body: dict[str, Any]):
    """Start a draft audit of the caller's school from the product's and vendor's names."""
    qn = current_ruleset().questionnaire
    try:
        audit = audit_services.create_audit(qn, product_name=body["product_name"], vendor_name=body["vendor_name"],
                                            organisation=current_user.organisation, user=current_user)
    except AnswerError as exc:
        db.session.rollback()
        raise ApiProblem(422, "api.answers_refused", count=1, errors=[(f"json.{exc.question_id}", exc)]) from None
    db.session.commit()
    return audit_detail(audit), 201, {"Location": url_for("api_audits.get_audit", report_id=audit.report_id)}


@blp.get("/audits/<report_id>")
@blp.response(200, schemas.AuditDetail)
@signed_in()
def get_audit(report_id: str):
    """The audit: status, version, revision (send it back as ``base_revision``), the stored answers,
    required questions still open, conflicting and stale answers."""
    return audit_detail(access.audit_for(report_id, "view"))


@blp.patch("/audits/<report_id>/answers")
@blp.arguments(schemas.AnswersUpdate)
@blp.response(200, schemas.AnswersSaved)
@blp.alt_response(409, response="CONFLICT", description="Someone else changed the same answers meanwhile")
@signed_in("school_admin")
def update_answers(body: dict[str, Any], report_id: str):
    """Change some answers (question id -> answer; ``null`` clears one), read at ``base_revision``.

    All or nothing: an answer the questionnaire refuses (422, ``errors`` name ``answers.<id>``), an
    answer another user changed differently since ``base_revision`` (409), or a save at the same
    moment as another (409) writes nothing. Answers another user changed that this request sends as
    they were at ``base_revision`` keep the other user's value (``kept_theirs``).
    """
    audit = access.audit_for(report_id, "edit")
    qn = current_ruleset().questionnaire
    values: dict[str, Any] = {}
    refused: list[tuple[str, Problem]] = []
    for qid, raw in body["answers"].items():
        question = qn.questions.get(qid)
        if question is None:
            refused.append((f"answers.{qid}", AnswerError(qid, "answer.unknown_question")))
            continue
        try:
            values[qid] = qn.coerce(question, raw)
        except AnswerError as exc:
            refused.append((f"answers.{qid}", exc))
    if refused:
        raise ApiProblem(422, "api.answers_refused", count=len(refused), errors=refused)
    try:
        outcome = audit_services.merge_and_save(qn, audit, values, base_revision=body["base_revision"],
                                                user=current_user)
    except StaleDataError:
        db.session.rollback()
        raise ApiProblem(409, "api.concurrent_save") from None
    if outcome.conflicts:
        db.session.rollback()
        raise ApiProblem(409, "api.edit_conflict", count=len(outcome.conflicts), revision=body["base_revision"],
                         questions=[c.question_id for c in outcome.conflicts],
                         errors=[(f"answers.{c.question_id}",
                                  Problem("api.changed_meanwhile", actor=c.actor, at=as_utc(c.at).isoformat()))
                                 for c in outcome.conflicts])
    if outcome.errors:
        db.session.rollback()
        raise ApiProblem(422, "api.answers_refused", count=len(outcome.errors),
                         errors=[(f"answers.{qid}", error) for qid, error in outcome.errors.items()])
    db.session.commit()
    return {"saved": sorted(outcome.values), "kept_theirs": sorted(outcome.theirs), "audit": audit_detail(audit)}


def not_ready_problem(exc: NotReady) -> ApiProblem:
    errors = [(f"answers.{q.id}", AnswerError(q.id, "answer.required")) for q in exc.missing]
    errors += [(f"answers.{e.question_id}", e) for e in exc.conflicts]
    return ApiProblem(422, exc.code, errors=errors, **exc.params)


@blp.post("/audits/<report_id>/evaluation")
@blp.response(200, schemas.Assessment)
@signed_in()
def evaluate(report_id: str):
    """Evaluate the audit's answers now and return the assessment (the JSON contract,
    docs/json-contract.md); it is kept as a snapshot when anything changed since the last one. 422
    naming each open required question and each conflicting answer when the audit is not ready."""
    audit = access.audit_for(report_id, "view")
    try:
        evaluation = evaluate_audit(current_ruleset(), audit)
    except NotReady as exc:
        raise not_ready_problem(exc) from None
    db.session.commit()
    response = jsonify(evaluation.snapshot.result)
    response.headers["Location"] = url_for("api_audits.get_assessment", report_id=audit.report_id,
                                           assessment_id=evaluation.snapshot.id)
    return response


def _assessment_summary(snapshot: AssessmentSnapshot) -> dict[str, Any]:
    return {"id": snapshot.id, "created_at": as_utc(snapshot.created_at), "verdict": snapshot.verdict,
            "jurisdiction": snapshot.jurisdiction, "as_of": snapshot.as_of,
            "rule_set_version": snapshot.rule_set_version, "rule_set_sha256": snapshot.rule_set_sha256}


def _snapshot(audit: Audit, assessment_id: int) -> AssessmentSnapshot:
    snapshot = db.session.scalar(sa.select(AssessmentSnapshot).where(
        AssessmentSnapshot.id == assessment_id, AssessmentSnapshot.audit_id == audit.id))
    if snapshot is None:
        raise ApiProblem(404, "api.not_found")
    return snapshot


@blp.get("/audits/<report_id>/assessments")
@blp.response(200, schemas.AssessmentList)
@signed_in()
def list_assessments(report_id: str):
    """Every kept evaluation of the audit, oldest first (without the result)."""
    audit = access.audit_for(report_id, "view")
    return {"assessments": [_assessment_summary(s) for s in audit.assessments]}


@blp.get("/audits/<report_id>/assessments/<id:assessment_id>")
@blp.response(200, schemas.StoredAssessment)
@signed_in()
def get_assessment(report_id: str, assessment_id: int):
    """One kept evaluation with its result as it was stored (the JSON contract)."""
    snapshot = _snapshot(access.audit_for(report_id, "view"), assessment_id)
    body = {**_assessment_summary(snapshot), "created_at": as_utc(snapshot.created_at).isoformat(),
            "as_of": snapshot.as_of.isoformat(), "result": snapshot.result}
    return jsonify(body)


@blp.get("/audits/<report_id>/assessments/<id:assessment_id>/findings")
@blp.response(200, schemas.FindingList)
@signed_in()
def list_findings(report_id: str, assessment_id: int):
    """The findings of one kept evaluation (the contract's ``findings``)."""
    snapshot = _snapshot(access.audit_for(report_id, "view"), assessment_id)
    return jsonify({"assessment_id": snapshot.id, "findings": snapshot.result.get("findings", [])})


def submission_output(submission: Submission) -> dict[str, Any]:
    """The fields of :class:`.schemas.SubmissionOutput` (with its ratings and action items)."""
    return {"number": submission.number, "version": submission.version, "regulator": submission.regulator.name,
            "submitted_at": as_utc(submission.submitted_at), "note": submission.note,
            "verdict": submission.assessment.verdict, "assessment_id": submission.assessment_id,
            "decision": submission.decision, "decision_comment": submission.decision_comment,
            "decided_at": as_utc(submission.decided_at) if submission.decided_at else None,
            "acknowledgement": submission.acknowledgement,
            "ratings": [{"target_kind": r.target_kind, "target_id": r.target_id, "rating": r.value,
                         "comment": r.comment, "action": r.action_item.action if r.action_item else None,
                         "owner": r.action_item.owner if r.action_item else None,
                         "due_date": r.action_item.due_date if r.action_item else None}
                        for r in submission.ratings]}


@blp.get("/audits/<report_id>/submissions")
@blp.response(200, schemas.SubmissionList)
@signed_in()
def list_submissions(report_id: str):
    """The audit's submissions, oldest first, each with the regulator's decision, ratings and actions."""
    audit = access.audit_for(report_id, "view")
    return {"submissions": [submission_output(s) for s in review_services.submissions(audit)]}


@blp.post("/audits/<report_id>/submissions")
@blp.arguments(schemas.SubmissionCreate)
@blp.response(201, schemas.SubmissionOutput)
@signed_in("school_admin")
def submit(body: dict[str, Any], report_id: str):
    """Evaluate the audit and send it to a regulator (``regulator_id`` from ``GET /regulators``); the
    answers freeze until the regulator decides. 422 when it is not ready or the regulator is unknown."""
    audit = access.audit_for(report_id, "submit")
    regulator = db.session.get(Organisation, body["regulator_id"])
    if regulator is None or regulator.kind != "regulator":
        raise ApiProblem(422, "api.no_such_regulator", regulator_id=body["regulator_id"],
                         errors=[("json.regulator_id", Problem("api.no_such_regulator",
                                                               regulator_id=body["regulator_id"]))])
    try:
        evaluation = evaluate_audit(current_ruleset(), audit)
    except NotReady as exc:
        raise not_ready_problem(exc) from None
    try:
        submission = review_services.submit(audit, evaluation.snapshot, current_user, regulator, body["note"])
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ApiProblem(409, "api.concurrent_save") from None
    except review_services.ReviewError as exc:
        db.session.rollback()
        raise ApiProblem(422, exc.code, **exc.params) from None
    return submission_output(submission), 201


@blp.get("/regulators")
@blp.response(200, schemas.RegulatorList)
@signed_in("school_admin")
def list_regulators():
    """The regulators an audit can be submitted to."""
    return {"regulators": [{"id": r.id, "name": r.name} for r in review_services.regulators()]}


@blp.post("/audits/<report_id>/versions")
@blp.response(200, schemas.AuditDetail)
@signed_in("school_admin")
def new_version(report_id: str):
    """Reopen an approved or rejected audit as a new draft version (403 in any other status)."""
    audit = access.audit_for(report_id, "new_version")
    review_services.new_version(audit, current_user)
    db.session.commit()
    return audit_detail(audit)


@blp.get("/audits/<report_id>/trail")
@blp.response(200, schemas.Trail)
@signed_in()
def get_trail(report_id: str):
    """The audit's append-only trail, oldest first (as the JSON export of the audit's page)."""
    audit = access.audit_for(report_id, "trail")
    return {"report_id": audit.report_id, "events": trail.export_rows(audit)}


PORTABLE_DOC = {"description": "A portable audit (app/static/schemas/portable-audit-2.schema.json; version 1 "
                               "files are read too)",
                "content": {"application/json": {"schema": {"type": "object"}}}}


@blp.get("/audits/<report_id>/portable")
@blp.doc(responses={"200": PORTABLE_DOC})
@blp.alt_response(409, response="CONFLICT", description="A document's bytes are missing from the attachment store")
@signed_in()
def export_portable(report_id: str):
    """The whole audit as one portable JSON document (every version's answers, assessments,
    submissions with acknowledgements and ratings, every action-plan item, the attached documents with
    their bytes, fingerprints of the PDFs issued, the trail), with a content hash."""
    audit = access.audit_for(report_id, "trail")
    try:
        document = portable.export_audit(audit, store=store())
    except portable.PortableError as exc:
        raise ApiProblem(409, exc.code, **exc.params) from None
    response = jsonify(document)
    response.headers["Content-Disposition"] = f"attachment; filename=eduaudit-{audit.report_id}-portable.json"
    return response


@blp.post("/audits/import")
@blp.doc(requestBody={"required": True, **PORTABLE_DOC})
@blp.response(201, schemas.ImportResult)
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE",
                  description="The file is larger than PORTABLE_IMPORT_MAX_BYTES (64 MiB by default)")
@signed_in("school_admin")
def import_portable():
    """Import a portable audit (format version 1 or 2) into the caller's school, its documents into
    this instance's attachment store. Bodies up to ``PORTABLE_IMPORT_MAX_BYTES`` (64 MiB by default)
    are accepted here (413 above it). 422 for a file that is not a portable audit of a version this
    instance reads, whose content hash does not match (changed after export), or with a document whose
    bytes do not match its SHA-256 or are not accepted as evidence here; nothing is written then."""
    config = current_app.config
    request.max_content_length = config["PORTABLE_IMPORT_MAX_BYTES"]
    document = request.get_json(silent=True)
    try:
        result = portable.import_audit(document, current_user.organisation, current_user, store=store(),
                                       max_document_bytes=config["ATTACHMENT_MAX_BYTES"])
    except portable.PortableError as exc:
        db.session.rollback()
        raise ApiProblem(422, exc.code, **exc.params) from None
    db.session.commit()
    return {"report_id": result.audit.report_id, "original_report_id": result.original_report_id,
            "created_regulators": result.created_regulators}, 201
