"""The API's request and response shapes (marshmallow), from which the OpenAPI document is generated.

Request schemas refuse unknown keys (422 naming the key); response schemas of the JSON contract
(assessments, findings) allow keys added later, as the contract promises (docs/json-contract.md).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..models import (
    ACTION_KINDS,
    ACTION_SOURCES,
    ACTION_STATES,
    ATTACHMENT_MEDIA_TYPES,
    AUDIT_STATUSES,
    DECISIONS,
    PRODUCT_CATEGORIES,
    RATINGS,
    REVIEW_TARGETS,
)
from ..reports.context import LANGS
from ..rules.schema import VERDICTS


class Open(ma.Schema):
    """A response object that may gain keys within the major version."""

    class Meta:
        unknown = ma.INCLUDE


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem details object (see :mod:`app.api.problems`)."""

    class FieldError(ma.Schema):
        field = fields.String(required=True, metadata={"description": "json.<key>, query.<key>, "
                                                                         "answers.<question id> or items.<n>"})
        code = fields.String(required=True)
        detail = fields.String(required=True)

    type = fields.String(required=True, metadata={"description": "urn:eduaudit:problem:<code>"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "a key of the message catalogue"})
    detail = fields.String(required=True, metadata={"description": "the message in the request's language"})
    errors = fields.List(fields.Nested(FieldError))


# -- audits ------------------------------------------------------------------------------------------

class AuditCreate(ma.Schema):
    product_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vendor_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AnswerIssue(ma.Schema):
    question = fields.String(required=True)
    code = fields.String(required=True)
    detail = fields.String(required=True)


class AuditSummary(ma.Schema):
    report_id = fields.String(required=True)
    product_name = fields.String(required=True)
    vendor_name = fields.String(required=True)
    jurisdiction = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(AUDIT_STATUSES))
    version = fields.Integer(required=True)
    revision = fields.Integer(required=True, metadata={"description": "send it back as base_revision"})
    updated_at = fields.DateTime(required=True)
    verdict = fields.String(allow_none=True, required=True, validate=validate.OneOf(VERDICTS),
                            metadata={"description": "of the latest evaluation; null if never evaluated"})


class AuditDetail(AuditSummary):
    school = fields.String(allow_none=True, required=True)
    regulator = fields.String(allow_none=True, required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                          metadata={"description": "question id -> answer as stored (docs/json-contract.md)"})
    missing_required = fields.List(fields.String(), required=True,
                                   metadata={"description": "ids of required questions still open"})
    conflicts = fields.List(fields.Nested(AnswerIssue), required=True)
    stale = fields.List(fields.Nested(AnswerIssue), required=True,
                        metadata={"description": "stored answers that no longer fit the questionnaire (kept)"})


class AuditList(ma.Schema):
    audits = fields.List(fields.Nested(AuditSummary), required=True)


class AnswersUpdate(ma.Schema):
    base_revision = fields.Integer(required=True, validate=validate.Range(min=1),
                                   metadata={"description": "the audit's revision the answers were read at"})
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                          values=fields.Raw(allow_none=True), required=True,
                          metadata={"description": "question id -> answer (null clears it); other answers "
                                                   "are kept"})


class AnswersSaved(ma.Schema):
    saved = fields.List(fields.String(), required=True, metadata={"description": "question ids written"})
    kept_theirs = fields.List(fields.String(), required=True,
                              metadata={"description": "ids another user changed meanwhile and this request "
                                                       "sent as they were before: the other answer stays"})
    audit = fields.Nested(AuditDetail, required=True)


class SubmissionCreate(ma.Schema):
    regulator_id = fields.Integer(required=True, validate=validate.Range(min=1))
    note = fields.String(load_default="", validate=validate.Length(max=5000))


class Regulator(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class RegulatorList(ma.Schema):
    regulators = fields.List(fields.Nested(Regulator), required=True)


# -- assessments and findings (the JSON contract) ----------------------------------------------------

class Finding(Open):
    rule_id = fields.String(required=True)
    rule_version = fields.Integer(required=True)
    category = fields.String(required=True)
    effect = fields.String(required=True)
    severity = fields.String(required=True)
    likelihood = fields.String(required=True)
    risk_level = fields.String(required=True)
    residual_risk_level = fields.String(required=True)
    evidence = fields.List(fields.Dict(), required=True)
    references = fields.List(fields.Dict(), required=True)


class Assessment(Open):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    jurisdiction = fields.String(required=True)
    as_of = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    rule_set = fields.Dict(required=True)
    findings = fields.List(fields.Nested(Finding), required=True)


class AssessmentSummary(ma.Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    verdict = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    as_of = fields.Date(required=True)
    rule_set_version = fields.String(required=True)
    rule_set_sha256 = fields.String(required=True)


class AssessmentList(ma.Schema):
    assessments = fields.List(fields.Nested(AssessmentSummary), required=True)


class StoredAssessment(AssessmentSummary):
    result = fields.Nested(Assessment, required=True)


class FindingList(ma.Schema):
    assessment_id = fields.Integer(required=True)
    findings = fields.List(fields.Nested(Finding), required=True)


class TrailEvent(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True)
    actor = fields.String(required=True)
    kind = fields.String(required=True)
    details = fields.Dict(required=True)


class Trail(ma.Schema):
    report_id = fields.String(required=True)
    events = fields.List(fields.Nested(TrailEvent), required=True)


class ImportResult(ma.Schema):
    report_id = fields.String(required=True)
    original_report_id = fields.String(required=True)
    created_regulators = fields.List(fields.String(), required=True)


# -- report jobs -------------------------------------------------------------------------------------

class ReportRequest(ma.Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGS))


class ReportJob(ma.Schema):
    id = fields.String(required=True, metadata={"description": "the job queue's id: report-<64 hex digits>"})
    url = fields.String(required=True, metadata={"description": "the job's address (poll it)"})
    report_id = fields.String(required=True)
    lang = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(("queued", "running", "finished", "failed")))
    progress = fields.Integer(required=True, metadata={"description": "percent (0-100)"})
    sha256 = fields.String(allow_none=True, required=True)
    download = fields.String(allow_none=True, required=True, metadata={"description": "URL once finished"})
    problem = fields.Nested(ProblemSchema, allow_none=True, required=True)


# -- review ------------------------------------------------------------------------------------------

class QueueQuery(ma.Schema):
    status = fields.String(load_default="", validate=validate.OneOf(("", *AUDIT_STATUSES)))
    verdict = fields.String(load_default="", validate=validate.OneOf(("", *VERDICTS)))
    category = fields.String(load_default="", validate=validate.Length(max=40))
    school = fields.String(load_default="", validate=validate.Length(max=200))
    submitted_from = fields.Date(load_default=None)
    submitted_to = fields.Date(load_default=None)


class QueueEntry(ma.Schema):
    report_id = fields.String(required=True)
    product_name = fields.String(required=True)
    vendor_name = fields.String(required=True)
    school = fields.String(required=True)
    status = fields.String(required=True)
    submission = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)
    verdict = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)


class Queue(ma.Schema):
    queue = fields.List(fields.Nested(QueueEntry), required=True)


class RatingInput(ma.Schema):
    target_kind = fields.String(required=True, validate=validate.OneOf(REVIEW_TARGETS))
    target_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    action = fields.String(load_default="", validate=validate.Length(max=2000))
    owner = fields.String(load_default="", validate=validate.Length(max=200))
    due_date = fields.Date(load_default=None, allow_none=True)


class RatingsInput(ma.Schema):
    items = fields.List(fields.Nested(RatingInput), required=True, validate=validate.Length(max=500))


class RatingOutput(ma.Schema):
    target_kind = fields.String(required=True)
    target_id = fields.String(required=True)
    rating = fields.String(required=True)
    comment = fields.String(required=True)
    action = fields.String(allow_none=True, required=True)
    owner = fields.String(allow_none=True, required=True)
    due_date = fields.Date(allow_none=True, required=True)


class SubmissionOutput(ma.Schema):
    number = fields.Integer(required=True)
    version = fields.Integer(required=True)
    regulator = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    note = fields.String(required=True)
    verdict = fields.String(required=True)
    assessment_id = fields.Integer(required=True)
    decision = fields.String(allow_none=True, required=True)
    decision_comment = fields.String(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    acknowledgement = fields.String(required=True)
    ratings = fields.List(fields.Nested(RatingOutput), required=True)


class SubmissionList(ma.Schema):
    submissions = fields.List(fields.Nested(SubmissionOutput), required=True)


class DecisionInput(ma.Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    acknowledgement = fields.String(
        load_default="", validate=validate.Length(max=5000),
        metadata={"description": "The reviewer's reason for approving a critical or prohibited verdict, or an "
                                 "audit with findings left unrated (required then; kept on the submission, in "
                                 "the trail and on the PDF)."})


# -- action plan -------------------------------------------------------------------------------------

class RatingRef(ma.Schema):
    submission = fields.Integer(required=True, metadata={"description": "the submission's number"})
    target_kind = fields.String(required=True, validate=validate.OneOf(REVIEW_TARGETS))
    target_id = fields.String(required=True)


class ActionOutput(ma.Schema):
    id = fields.Integer(required=True)
    source = fields.String(required=True, validate=validate.OneOf(ACTION_SOURCES),
                           metadata={"description": "reviewer (set by a rating) or school (the school's own)"})
    kind = fields.String(required=True, validate=validate.OneOf(ACTION_KINDS),
                         metadata={"description": "action, or document_request: a document the reviewer asked "
                                                  "for (``action`` says which), done when the school attaches it"})
    attachment_id = fields.Integer(allow_none=True, required=True,
                                   metadata={"description": "the document that answered a document request "
                                                            "(see /audits/<report_id>/attachments), else null"})
    action = fields.String(required=True)
    owner = fields.String(required=True)
    due_date = fields.Date(required=True)
    state = fields.String(required=True, validate=validate.OneOf(ACTION_STATES))
    overdue = fields.Boolean(required=True, metadata={"description": "open and past its due date"})
    done_note = fields.String(required=True, metadata={"description": "what was done; '' while open, or when "
                                                                        "the reviewer closed it by a rating"})
    done_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True, required=True, metadata={"description": "e-mail address"})
    target_kind = fields.String(allow_none=True, required=True, validate=validate.OneOf(REVIEW_TARGETS))
    target_id = fields.String(allow_none=True, required=True, metadata={"description": "rule or section id"})
    submission_number = fields.Integer(allow_none=True, required=True,
                                       metadata={"description": "the submission it was first set on"})
    rating = fields.Nested(RatingRef, allow_none=True, required=True,
                           metadata={"description": "the rating it follows (the latest that set or carried it)"})


class ActionList(ma.Schema):
    actions = fields.List(fields.Nested(ActionOutput), required=True)


class ActionDone(ma.Schema):
    note = fields.String(required=True, validate=validate.Length(max=5000),
                         metadata={"description": "what was done (required, not blank)"})


# -- documents attached to answers -------------------------------------------------------------------

class AttachmentOutput(ma.Schema):
    id = fields.Integer(required=True)
    question_id = fields.String(required=True)
    file_name = fields.String(required=True)
    media_type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_MEDIA_TYPES))
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    added_in_version = fields.Integer(required=True, metadata={"description": "the first version carrying it"})
    removed_in_version = fields.Integer(allow_none=True, required=True,
                                        metadata={"description": "the first version no longer carrying it"})
    current = fields.Boolean(required=True, metadata={"description": "attached to the audit's current version"})
    uploaded_by = fields.String(allow_none=True, required=True, metadata={"description": "e-mail address"})
    uploaded_at = fields.DateTime(required=True)
    download = fields.String(required=True, metadata={"description": "the document's address"})


class AttachmentList(ma.Schema):
    attachments = fields.List(fields.Nested(AttachmentOutput), required=True)


# -- registry ----------------------------------------------------------------------------------------

class ProductQuery(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    category = fields.String(load_default="", validate=validate.OneOf(("", *PRODUCT_CATEGORIES)))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class ProductRow(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    vendor = fields.String(required=True)
    category = fields.String(required=True)
    audits = fields.Integer(required=True, metadata={"description": "published audits"})
    worst_verdict = fields.String(required=True)


class ProductList(ma.Schema):
    total = fields.Integer(required=True)
    products = fields.List(fields.Nested(ProductRow), required=True)


class ProductStats(Open):
    pass


class PublishInput(ma.Schema):
    show_school_name = fields.Boolean(load_default=False)


class PublicationOutput(ma.Schema):
    public_id = fields.String(required=True)
    product_id = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    school_name = fields.String(allow_none=True, required=True)


class PublishedExport(Open):
    """The published-audits export (app/static/schemas/published-audits-2.0.schema.json)."""
