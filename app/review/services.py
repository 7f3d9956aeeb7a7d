"""The review loop: submit, review per finding and section, decide, start a new version.

Plain functions that change the session and flush; views commit. Each state change appends an
event to the audit trail (:func:`app.trail.record`). Errors are :class:`ReviewError` with a code
that says what is wrong (``review.*`` in :data:`app.messages.MESSAGES`).

The loop follows CNIL's PIA method (evaluation per section with "acceptable / improvable / must be
corrected", an action plan, then validation) with a regulator as the validating party.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import trail
from ..extensions import db
from ..models import (
    ACTION_RATINGS,
    DECISIONS,
    RATINGS,
    REVIEW_TARGETS,
    ActionItem,
    AssessmentSnapshot,
    Audit,
    Organisation,
    Rating,
    Submission,
    User,
)
from ..problems import Problem
from ..rules.model import RuleSet
from ..rules.schema import VERDICTS

ACTION_MAX = 2000
COMMENT_MAX = 5000
OWNER_MAX = 200
DEFAULT_DUE_DAYS = 60
"""Days from today of the due date the review form proposes (the reviewer may change it)."""


def default_due_date(today: dt.date, planned_start: dt.date) -> dt.date:
    """The due date the review form proposes: 60 days from ``today``, or the planned start of the
    deployment if that comes sooner (actions are due before pupils meet the product)."""
    due = today + dt.timedelta(days=DEFAULT_DUE_DAYS)
    return planned_start if today < planned_start < due else due

RISK_RANK = {level: i for i, level in enumerate(VERDICTS)}
"""Verdict -> rank (higher is worse: low ... critical, prohibited), for sorting the queue by risk."""


class ReviewError(Problem, ValueError):
    """The review action cannot be done as asked; the code says why."""


def regulators() -> list[Organisation]:
    """Every regulator organisation, by name (the choices of the submit form)."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == "regulator")
                                   .order_by(Organisation.name)))


def submissions(audit: Audit) -> list[Submission]:
    """Every submission of ``audit``, oldest first."""
    return list(db.session.scalars(sa.select(Submission).where(Submission.audit_id == audit.id)
                                   .order_by(Submission.number)))


def latest_submission(audit: Audit, regulator_id: int | None = None) -> Submission | None:
    """The most recent submission of ``audit`` (to ``regulator_id`` only, when given), or ``None``."""
    stmt = sa.select(Submission).where(Submission.audit_id == audit.id)
    if regulator_id is not None:
        stmt = stmt.where(Submission.regulator_id == regulator_id)
    return db.session.scalar(stmt.order_by(Submission.number.desc()).limit(1))


def submit(audit: Audit, snapshot: AssessmentSnapshot, user: User, regulator: Organisation,
           note: str = "") -> Submission:
    """Send the audit's current evaluation ``snapshot`` to ``regulator``; the answers freeze.

    Raises :class:`ReviewError` if the audit is not editable (already submitted, approved or
    rejected), ``regulator`` is not a regulator, ``snapshot`` is not of this audit, or the note is
    longer than 5,000 characters.
    """
    if not audit.editable:
        raise ReviewError("review.not_editable", report_id=audit.report_id, status=audit.status)
    if regulator.kind != "regulator":
        raise ReviewError("review.not_a_regulator", name=regulator.name)
    if snapshot.audit_id != audit.id:
        raise ReviewError("review.foreign_evaluation")
    note = (note or "").strip()
    if len(note) > COMMENT_MAX:
        raise ReviewError("review.note_too_long", length=len(note), limit=COMMENT_MAX)
    previous = latest_submission(audit)
    submission = Submission(audit_id=audit.id, number=(previous.number + 1) if previous else 1,
                            version=audit.version, assessment_id=snapshot.id, regulator_id=regulator.id,
                            submitted_by_id=user.id, note=note)
    db.session.add(submission)
    audit.status = "submitted"
    audit.regulator_id = regulator.id
    db.session.flush()
    trail.record(audit, "submitted", user, {"submission": submission.number, "version": audit.version,
                                            "regulator": regulator.name, "verdict": snapshot.verdict,
                                            "rule_set": snapshot.rule_set_version})
    return submission


def new_version(audit: Audit, user: User) -> None:
    """Reopen an approved or rejected audit as a new draft version (the submitted one stays as it was).

    Raises :class:`ReviewError` for any other status.
    """
    if audit.status not in ("approved", "rejected"):
        raise ReviewError("review.not_closed", report_id=audit.report_id, status=audit.status)
    previous = audit.status
    audit.version += 1
    audit.status = "draft"
    db.session.flush()
    trail.record(audit, "new_version", user, {"version": audit.version, "after": previous})


@dataclass(frozen=True, slots=True)
class ReviewInput:
    """One rating as a reviewer enters it. ``action``, ``owner`` and ``due_date`` are needed for
    the ratings of :data:`app.models.ACTION_RATINGS` (they become an action-plan item)."""

    target_kind: str
    target_id: str
    rating: str
    comment: str = ""
    action: str = ""
    owner: str = ""
    due_date: dt.date | None = None


def review_targets(ruleset: RuleSet, submission: Submission) -> dict[str, set[str]]:
    """What can be reviewed in ``submission``: ``{"finding": rule ids, "section": section ids}``."""
    findings = {f.rule_id for f in submission.assessment.read_result().findings}
    return {"finding": findings, "section": {s.id for s in ruleset.questionnaire.sections}}


def check_review(item: ReviewInput, targets: dict[str, set[str]], today: dt.date) -> None:
    """Raise :class:`ReviewError` naming the problem: unknown target or rating, missing comment, action,
    owner or due date for a rating that needs them, a due date in the past, texts too long."""
    if item.target_kind not in REVIEW_TARGETS:
        raise ReviewError("review.unknown_target_kind", target_kind=item.target_kind, target_kinds=REVIEW_TARGETS)
    if item.target_id not in targets[item.target_kind]:
        raise ReviewError("review.not_in_submission", target_kind=item.target_kind, target_id=item.target_id)
    if item.rating not in RATINGS:
        raise ReviewError("review.unknown_rating", rating=item.rating, ratings=RATINGS)
    for code, value, limit in (("review.comment_too_long", item.comment, COMMENT_MAX),
                               ("review.action_too_long", item.action, ACTION_MAX),
                               ("review.owner_too_long", item.owner, OWNER_MAX)):
        if len(value or "") > limit:
            raise ReviewError(code, length=len(value), limit=limit)
    if item.rating in ACTION_RATINGS:
        if not (item.comment or "").strip():
            raise ReviewError("review.comment_missing")
        if not (item.action or "").strip():
            raise ReviewError("review.action_missing")
        if not (item.owner or "").strip():
            raise ReviewError("review.owner_missing")
        if item.due_date is None:
            raise ReviewError("review.due_date_missing")
        if item.due_date < today:
            raise ReviewError("review.due_date_past", due_date=item.due_date.isoformat())


def save_reviews(ruleset: RuleSet, submission: Submission, reviewer: User, items: list[ReviewInput],
                 *, today: dt.date | None = None) -> list[Rating]:
    """Create or replace the reviewer's ratings on ``submission`` (one per target), with their action
    items (a rating changed to acceptable withdraws its item); returns the reviews written. All items
    are checked before anything is written.

    Raises :class:`ReviewError` if the submission is already decided or any item is invalid (the
    message names the target).
    """
    if submission.decision is not None:
        raise ReviewError("review.already_decided", number=submission.number, decision=submission.decision)
    today = today or dt.date.today()
    targets = review_targets(ruleset, submission)
    for item in items:
        try:
            check_review(item, targets, today)
        except ReviewError as exc:
            raise ReviewError("review.item", target_kind=item.target_kind, target_id=item.target_id,
                              problem=exc) from None
    existing = {(r.target_kind, r.target_id): r for r in submission.ratings}
    written = []
    for item in items:
        rating = existing.get((item.target_kind, item.target_id))
        if rating is None:
            rating = Rating(submission=submission, target_kind=item.target_kind, target_id=item.target_id,
                            value=item.rating)
            db.session.add(rating)
        rating.value = item.rating
        rating.comment = (item.comment or "").strip()
        rating.reviewer_id = reviewer.id
        db.session.flush()
        if item.rating in ACTION_RATINGS:
            action = rating.action_item or ActionItem(audit_id=submission.audit_id, rating=rating,
                                                      action="", owner="", due_date=item.due_date)
            action.action, action.owner, action.due_date = item.action.strip(), item.owner.strip(), item.due_date
            db.session.add(action)
        elif rating.action_item is not None:
            # Rated acceptable after all: the action the school was given is withdrawn (the trail keeps
            # the earlier rating).
            db.session.delete(rating.action_item)
        written.append(rating)
    db.session.flush()
    if written:
        trail.record(submission.audit, "reviewed", reviewer, {
            "submission": submission.number,
            "ratings": {f"{r.target_kind}:{r.target_id}": r.value for r in written}})
    return written


def decide(submission: Submission, reviewer: User, decision: str, comment: str = "") -> None:
    """Record the reviewer's ``decision`` (one of :data:`app.models.DECISIONS`) on ``submission``; the
    audit takes that status. Requesting changes opens a new version of the answers for the school.

    Raises :class:`ReviewError` if the submission is already decided, the decision is unknown, an
    approval meets a finding or section rated "must be corrected", or changes are requested (or the
    audit rejected) with neither a comment nor a rating that says what to change.
    """
    if submission.decision is not None:
        raise ReviewError("review.already_decided", number=submission.number, decision=submission.decision)
    if decision not in DECISIONS:
        raise ReviewError("review.unknown_decision", decision=decision, decisions=DECISIONS)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ReviewError("review.comment_too_long", length=len(comment), limit=COMMENT_MAX)
    ratings = Counter(r.value for r in submission.ratings)
    if decision == "approved" and ratings["must_be_corrected"]:
        raise ReviewError("review.approval_blocked", count=ratings["must_be_corrected"])
    if decision in ("changes_requested", "rejected") and not comment and not (
            ratings["needs_improvement"] or ratings["must_be_corrected"]):
        raise ReviewError("review.nothing_to_change")
    audit = submission.audit
    submission.decision = decision
    submission.decision_comment = comment
    submission.decided_by_id = reviewer.id
    submission.decided_at = dt.datetime.now(dt.UTC)
    audit.status = decision
    if decision == "changes_requested":
        audit.version += 1
    db.session.flush()
    trail.record(audit, decision, reviewer, {"submission": submission.number, "comment": comment,
                                             "ratings": dict(ratings)})


def answer_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(question id, before, after)`` for every answer that differs between two JSON answer maps
    (``None``: not answered), in question-id order of ``after`` then removed ones."""
    out = [(qid, before.get(qid), value) for qid, value in after.items() if before.get(qid) != value]
    out += [(qid, value, None) for qid, value in before.items() if qid not in after]
    return out


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Filters of the reviewer's queue. Empty values do not filter; dates are submission dates (UTC)."""

    status: str = ""
    verdict: str = ""
    category: str = ""
    school: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None


def queue(regulator_id: int, filters: QueueFilters) -> list[dict[str, Any]]:
    """The latest submission of every audit sent to ``regulator_id`` that passes ``filters``, worst
    verdict first, then oldest submission first (the one waiting longest).

    Rows: ``audit``, ``submission``, ``assessment``, ``school`` (name), ``categories`` (of findings).
    """
    latest = (sa.select(Submission.audit_id, sa.func.max(Submission.number).label("number"))
              .where(Submission.regulator_id == regulator_id).group_by(Submission.audit_id).subquery())
    stmt = (sa.select(Audit, Submission, AssessmentSnapshot, Organisation.name)
            .join(latest, latest.c.audit_id == Audit.id)
            .join(Submission, sa.and_(Submission.audit_id == Audit.id, Submission.number == latest.c.number))
            .join(AssessmentSnapshot, AssessmentSnapshot.id == Submission.assessment_id)
            .outerjoin(Organisation, Organisation.id == Audit.organisation_id))
    if filters.status:
        stmt = stmt.where(Audit.status == filters.status)
    if filters.verdict:
        stmt = stmt.where(AssessmentSnapshot.verdict == filters.verdict)
    if filters.school:
        stmt = stmt.where(Organisation.name == filters.school)
    if filters.submitted_from:
        stmt = stmt.where(Submission.submitted_at >= dt.datetime.combine(filters.submitted_from, dt.time(),
                                                                         dt.UTC))
    if filters.submitted_to:
        stmt = stmt.where(Submission.submitted_at < dt.datetime.combine(
            filters.submitted_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    rows = []
    for audit, submission, assessment, school in db.session.execute(stmt):
        categories = sorted({f.category for f in assessment.read_result().findings})
        if filters.category and filters.category not in categories:
            continue
        rows.append({"audit": audit, "submission": submission, "assessment": assessment, "school": school or "",
                     "categories": categories})
    rows.sort(key=lambda r: (-RISK_RANK.get(r["assessment"].verdict, -1), r["submission"].submitted_at,
                             r["audit"].id))
    return rows


def schools_of(regulator_id: int) -> list[str]:
    """Names of the schools that submitted to ``regulator_id`` (the queue's school filter)."""
    stmt = (sa.select(Organisation.name).distinct()
            .join(Audit, Audit.organisation_id == Organisation.id)
            .join(Submission, Submission.audit_id == Audit.id)
            .where(Submission.regulator_id == regulator_id).order_by(Organisation.name))
    return list(db.session.scalars(stmt))
