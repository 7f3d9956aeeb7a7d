"""Business actions on audits: plain functions that change the session and flush; views commit.

Answers are stored as JSON (question id -> value, see ``Questionnaire.to_json``) and typed again on
every read against the current questionnaire, so a draft saved under an older questionnaire still
opens: answers that no longer fit are kept in the database and reported, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import current_ruleset, db
from ..models import Assessment, Audit, IssuedReport, new_report_id
from ..reports.context import build_report_context
from ..reports.limits import RenderLimits, render_pdf_limited
from ..reports.signing import sign_pdf
from ..rules.engine import Assessment as EngineAssessment
from ..rules.engine import evaluate
from ..rules.model import RuleSet
from ..rules.questionnaire import AnswerError, Question, Questionnaire


@dataclass(frozen=True, slots=True)
class LoadedAnswers:
    """Stored answers typed against the questionnaire.

    ``typed``: question id -> typed value, for every answer that still fits. ``stale``: question id
    -> message for stored answers that no longer fit (unknown question, removed option...).
    ``conflicts``: errors of checks that span questions (e.g. oldest age below youngest).
    """

    typed: dict[str, Any]
    stale: dict[str, str] = field(default_factory=dict)
    conflicts: list[AnswerError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StepSaved:
    """What :func:`save_step` did: ``saved`` question ids written, ``errors`` question id -> message
    for values refused by checks that span questions (the previous answer is kept)."""

    saved: tuple[str, ...]
    errors: dict[str, str]


class NotReady(Exception):
    """The audit cannot be evaluated yet: ``missing`` required questions, answer ``conflicts``."""

    def __init__(self, missing: list[Question], conflicts: list[AnswerError]) -> None:
        self.missing = missing
        self.conflicts = conflicts
        super().__init__(f"{len(missing)} required answer(s) missing, {len(conflicts)} conflict(s)")


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An engine result and the stored snapshot it matches."""

    result: EngineAssessment
    snapshot: Assessment


def list_audits() -> list[tuple[Audit, Assessment | None]]:
    """Every audit with its latest snapshot (``None`` if never evaluated), most recently changed first."""
    latest = (sa.select(Assessment.audit_id, sa.func.max(Assessment.id).label("assessment_id"))
              .group_by(Assessment.audit_id).subquery())
    stmt = (sa.select(Audit, Assessment)
            .outerjoin(latest, latest.c.audit_id == Audit.id)
            .outerjoin(Assessment, Assessment.id == latest.c.assessment_id)
            .order_by(Audit.updated_at.desc(), Audit.id.desc()))
    return [(audit, assessment) for audit, assessment in db.session.execute(stmt)]


def get_audit(report_id: str) -> Audit | None:
    """The audit with this public report id, or ``None``."""
    return db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))


def create_audit(questionnaire: Questionnaire, *, product_name: str, vendor_name: str) -> Audit:
    """Add a draft audit whose first answers are the product and vendor names (flushed, not committed).

    Raises :class:`AnswerError` if a name is not acceptable text for its question (too long...).
    """
    answers = {}
    for qid, raw in (("product_name", product_name), ("vendor_name", vendor_name)):
        value = questionnaire.coerce(questionnaire.questions[qid], raw)
        if value is not None:
            answers[qid] = value
    report_id = new_report_id()
    while db.session.scalar(sa.select(Audit.id).where(Audit.report_id == report_id)) is not None:
        report_id = new_report_id()  # 50 random bits: a clash is all but impossible, but cheap to rule out
    audit = Audit(report_id=report_id, answers=questionnaire.to_json(answers), status="draft")
    _mirror(audit, answers)
    db.session.add(audit)
    db.session.flush()
    return audit


def load_answers(questionnaire: Questionnaire, stored: Mapping[str, Any]) -> LoadedAnswers:
    """Type the stored JSON answers one by one (see :class:`LoadedAnswers`); never raises."""
    typed: dict[str, Any] = {}
    stale: dict[str, str] = {}
    for qid, raw in stored.items():
        question = questionnaire.questions.get(qid)
        if question is None:
            stale[qid] = "this question is no longer asked"
            continue
        try:
            value = questionnaire.coerce(question, raw)
        except AnswerError as exc:
            stale[qid] = exc.message
            continue
        if value is not None:
            typed[qid] = value
    return LoadedAnswers(typed, stale, questionnaire.cross_check(typed))


def save_step(questionnaire: Questionnaire, audit: Audit, values: Mapping[str, Any]) -> StepSaved:
    """Write the typed ``values`` (question id -> typed answer, ``None`` = no answer) into ``audit``.

    Only the given ids change; every other stored answer is kept, including answers to questions
    that are now hidden and answers that no longer fit the questionnaire. A value refused by a
    cross-question check is not written and comes back in ``errors``. Flushes.
    """
    before = load_answers(questionnaire, audit.answers).typed
    after = dict(before)
    for qid, value in values.items():
        if value is None:
            after.pop(qid, None)
        else:
            after[qid] = value
    errors = {e.question_id: sentence(e.message) for e in questionnaire.cross_check(after)
              if e.question_id in values}
    stored = dict(audit.answers)
    saved = []
    for qid, value in values.items():
        if qid in errors:
            continue
        if value is None:
            stored.pop(qid, None)
        else:
            stored.update(questionnaire.to_json({qid: value}))
        saved.append(qid)
    if stored != audit.answers:
        audit.answers = stored
        audit.updated_at = dt.datetime.now(dt.UTC)
    _mirror(audit, load_answers(questionnaire, stored).typed)
    db.session.flush()
    return StepSaved(tuple(saved), errors)


def evaluate_audit(ruleset: RuleSet, audit: Audit) -> Evaluation:
    """Evaluate the audit's answers in its jurisdiction on its planned date and keep a snapshot.

    A new :class:`Assessment` row is added (and flushed) only when answers, rule set, jurisdiction
    or date differ from the latest snapshot. Raises :class:`NotReady` when required answers are
    missing or answers conflict.
    """
    qn = ruleset.questionnaire
    loaded = load_answers(qn, audit.answers)
    missing = qn.missing_required(loaded.typed)
    if missing or loaded.conflicts:
        raise NotReady(missing, loaded.conflicts)
    jurisdiction, as_of = loaded.typed["jurisdiction"], loaded.typed["planned_date"]
    result = evaluate(ruleset, loaded.typed, jurisdiction, as_of)
    answers_json = qn.to_json(loaded.typed)
    latest = latest_assessment(audit)
    if (latest is not None and latest.rule_set_sha256 == ruleset.sha256 and latest.answers == answers_json
            and latest.jurisdiction == jurisdiction and latest.as_of == as_of):
        return Evaluation(result, latest)
    snapshot = Assessment(audit=audit, rule_set_version=ruleset.version, rule_set_sha256=ruleset.sha256,
                          jurisdiction=jurisdiction, as_of=as_of, verdict=result.verdict, answers=answers_json,
                          result=result.to_dict())
    db.session.add(snapshot)
    db.session.flush()
    return Evaluation(result, snapshot)


def issue_pdf(audit: Audit, evaluation: Evaluation, lang: str, *, ruleset: RuleSet | None = None,
              limits: RenderLimits | None = None) -> bytes:
    """Render the evaluation's report as a PDF in ``lang`` and record it as issued; returns the PDF bytes.

    The render runs in a child process within ``limits`` (default: the app's ``PDF_*`` settings),
    as the app's ``REPORT_PDF_VARIANT``. When ``REPORT_SIGNING_KEY`` and ``REPORT_SIGNING_CERT`` are
    set the PDF is signed next, so the stored fingerprint is that of the signed bytes handed out.
    An :class:`IssuedReport` with the SHA-256 and size of the bytes is added and flushed, so the
    PDF can be verified later (``/verify``). ``ruleset`` is the one ``evaluation`` came from
    (default: the app's). Raises :class:`app.reports.limits.RenderLimitExceeded` when a limit stops
    the render; nothing is recorded then.
    """
    snapshot = evaluation.snapshot
    context = build_report_context(ruleset or current_ruleset(), evaluation.result, report_id=audit.report_id,
                                   generated_at=snapshot.created_at, lang=lang, status=audit.status)
    config = current_app.config
    pdf = render_pdf_limited(context, limits or RenderLimits.from_config(config),
                             pdf_variant=config.get("REPORT_PDF_VARIANT"))
    if config.get("REPORT_SIGNING_KEY"):
        pdf = sign_pdf(pdf, config["REPORT_SIGNING_KEY"], config["REPORT_SIGNING_CERT"],
                       config.get("REPORT_SIGNING_KEY_PASSWORD"))
    db.session.add(IssuedReport(audit=audit, assessment=snapshot, lang=lang, sha256=hashlib.sha256(pdf).hexdigest(),
                                size_bytes=len(pdf), rule_set_version=snapshot.rule_set_version,
                                rule_set_sha256=snapshot.rule_set_sha256))
    db.session.flush()
    return pdf


def latest_assessment(audit: Audit) -> Assessment | None:
    """The most recent snapshot of ``audit``, or ``None`` if it was never evaluated."""
    return db.session.scalar(sa.select(Assessment).where(Assessment.audit_id == audit.id)
                             .order_by(Assessment.id.desc()).limit(1))


def _mirror(audit: Audit, typed: Mapping[str, Any]) -> None:
    # Copied onto columns so lists and queries need not read the JSON.
    audit.product_name = typed.get("product_name") or ""
    audit.vendor_name = typed.get("vendor_name") or ""
    audit.jurisdiction = typed.get("jurisdiction")


def sentence(message: str) -> str:
    """``message`` as a sentence: capital first letter, one full stop."""
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."


def stored_audit_inputs() -> list[Any]:
    """Every stored audit's latest snapshot as an input for ``eduaudit rules diff``.

    Needs an application context; outside one (no database configured) returns an empty list.
    Labels are report ids; answers, jurisdiction and date are those the snapshot was evaluated on.
    """
    from flask import has_app_context

    from ..rules.diff import AuditInput

    if not has_app_context():
        return []
    rows = db.session.execute(sa.select(Audit.report_id, Assessment)
                              .join(Assessment, Assessment.audit_id == Audit.id)
                              .order_by(Audit.report_id, Assessment.id))
    latest: dict[str, Assessment] = {}
    for report_id, snapshot in rows:
        latest[report_id] = snapshot
    return [AuditInput(report_id, snap.answers, snap.jurisdiction, snap.as_of) for report_id, snap in latest.items()]
