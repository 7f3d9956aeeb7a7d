"""Evaluating an audit: its answers through the engine, kept as a frozen snapshot.

Shared by the audit's own pages (results, PDF) and the review loop (a submission freezes the
current snapshot), so neither feature has to import the other for it. Plain functions that change
the session and flush; views commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .extensions import db
from .models import AssessmentSnapshot, Audit
from .problems import Problem
from .rules.engine import Assessment, evaluate
from .rules.model import RuleSet
from .rules.questionnaire import AnswerError, Question


class NotReady(Problem):
    """The audit cannot be evaluated yet: ``missing`` required questions, answer ``conflicts``."""

    def __init__(self, missing: list[Question], conflicts: list[AnswerError]) -> None:
        super().__init__("audit.not_ready", missing=len(missing), conflicts=len(conflicts))
        self.missing = missing
        self.conflicts = conflicts


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An engine result and the stored snapshot it matches."""

    result: Assessment
    snapshot: AssessmentSnapshot


def evaluate_audit(ruleset: RuleSet, audit: Audit) -> Evaluation:
    """Evaluate the audit's answers in its jurisdiction on its planned date and keep a snapshot.

    A new :class:`AssessmentSnapshot` row is added (and flushed) only when answers, rule set, jurisdiction
    or date differ from the latest snapshot. Raises :class:`NotReady` when required answers are
    missing or answers conflict.
    """
    qn = ruleset.questionnaire
    loaded = qn.load(audit.answers)
    missing = qn.missing_required(loaded.typed)
    if missing or loaded.conflicts:
        raise NotReady(missing, loaded.conflicts)
    jurisdiction, as_of = loaded.typed["jurisdiction"], loaded.typed["planned_date"]
    result = evaluate(ruleset, loaded.typed, jurisdiction, as_of)
    answers_json = qn.to_json(loaded.typed)
    latest = latest_snapshot(audit)
    if (latest is not None and latest.rule_set_sha256 == ruleset.sha256 and latest.answers == answers_json
            and latest.jurisdiction == jurisdiction and latest.as_of == as_of):
        return Evaluation(result, latest)
    snapshot = AssessmentSnapshot(audit=audit, rule_set_version=ruleset.version, rule_set_sha256=ruleset.sha256,
                          jurisdiction=jurisdiction, as_of=as_of, verdict=result.verdict, answers=answers_json,
                          result=result.to_dict())
    db.session.add(snapshot)
    db.session.flush()
    return Evaluation(result, snapshot)


def latest_snapshot(audit: Audit) -> AssessmentSnapshot | None:
    """The most recent snapshot of ``audit``, or ``None`` if it was never evaluated."""
    return db.session.scalar(sa.select(AssessmentSnapshot).where(AssessmentSnapshot.audit_id == audit.id)
                             .order_by(AssessmentSnapshot.id.desc()).limit(1))

