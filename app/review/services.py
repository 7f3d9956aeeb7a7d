"""The review loop: submit, review per finding and section, decide, start a new version.

Plain functions that change the session and flush; views commit. Each state change appends an
event to the audit trail (:func:`app.trail.record`). Errors are :class:`ReviewError` with a code
that says what is wrong (``review.*`` in :data:`app.messages.MESSAGES`).

The loop follows CNIL's PIA method (evaluation per section with "acceptable / improvable / must be
corrected", an action plan, then validation) with a regulator as the validating party.
"""

from __future__ import annotations

import datetime as dt
import functools
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

ACKNOWLEDGED_VERDICTS = ("critical", "prohibited")
"""Verdicts whose approval needs the reviewer's stated acknowledgement."""

RISK_RANK = {level: i for i, level in enumerate(VERDICTS)}
"""Verdict -> rank (higher is worse: low ... critical, prohibited), for sorting the queue by risk."""


class ReviewError(Problem, ValueError):
    """The review action cannot be done as asked; the code says why."""


def regulators() -> list[Organisation]:
    """Every regulator organisation, by name (the choices of the submit form)."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == "regulator")
                                   .order_by(Organisation.name)))


def regulator_choices() -> list[tuple[str, str]]:
    """(id as text, name) of every regulator organisation, by name: the submit form's choices, read
    without loading the organisations (one prebuilt statement)."""
    return [(str(row.id), row.name) for row in db.session.connection().execute(_regulator_choices_statement())]


@functools.cache
def _regulator_choices_statement() -> sa.Select:
    return (sa.select(Organisation.id, Organisation.name).where(Organisation.kind == "regulator")
            .order_by(Organisation.name))


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


def unchanged(item: ReviewInput, rating: Rating | None) -> bool:
    """Whether ``item`` says what the stored ``rating`` (and its action-plan item) already says."""
    if rating is None or rating.value != item.rating or rating.comment != (item.comment or "").strip():
        return False
    action = rating.action_item
    if item.rating not in ACTION_RATINGS:
        return True
    return action is not None and (action.action, action.owner, action.due_date) == (
        (item.action or "").strip(), (item.owner or "").strip(), item.due_date)


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
        _set_action(submission, rating, reviewer, item)
        written.append(rating)
    db.session.flush()
    if written:
        trail.record(submission.audit, "reviewed", reviewer, {
            "submission": submission.number,
            "ratings": {f"{r.target_kind}:{r.target_id}": r.value for r in written}})
    return written


def open_action_for(audit_id: int, target_kind: str, target_id: str) -> ActionItem | None:
    """The open reviewer's action-plan item of the audit on that finding or section, if any (document
    requests on it are not: they are answered by a document, not by a rating)."""
    return db.session.scalar(sa.select(ActionItem).where(
        ActionItem.audit_id == audit_id, ActionItem.target_kind == target_kind, ActionItem.target_id == target_id,
        ActionItem.state == "open", ActionItem.kind == "action").order_by(ActionItem.id.desc()).limit(1))


def _set_action(submission: Submission, rating: Rating, reviewer: User, item: ReviewInput) -> None:
    """Give ``rating``'s target its action-plan item, or withdraw or close it.

    One open item per target across versions: a later submission's rating that needs action updates
    the open item an earlier one set (and points it at the new rating) rather than adding a second.
    Rated acceptable, an item set in this same submission is withdrawn (the school never saw it as
    decided); one set earlier is closed as done, with a note saying so.
    """
    current = rating.action_item or open_action_for(submission.audit_id, rating.target_kind, rating.target_id)
    if item.rating in ACTION_RATINGS:
        fields = (item.action.strip(), item.owner.strip(), item.due_date)
        if current is None:
            current = ActionItem(audit_id=submission.audit_id, rating=rating, source="reviewer",
                                 target_kind=rating.target_kind, target_id=rating.target_id,
                                 submission_number=submission.number, created_by_id=reviewer.id,
                                 action=fields[0], owner=fields[1], due_date=fields[2])
            db.session.add(current)
            db.session.flush()
            trail.record(submission.audit, "action_added", reviewer, _action_details(current))
            return
        current.rating = rating  # carried forward from an earlier submission's rating, if it was one
        current.action, current.owner, current.due_date = fields
        return
    if current is None:
        return
    if current.submission_number == submission.number and current.state == "open":
        # Withdrawn before the school saw it decided (the trail keeps the earlier rating).
        db.session.delete(current)
        db.session.flush()
        return
    if current.state == "open":
        # Closed by the review itself: no note of the school's; the report words it from the trail.
        current.state, current.done_note, current.done_at = "done", "", dt.datetime.now(dt.UTC)
        db.session.flush()
        trail.record(submission.audit, "action_done", reviewer,
                     {"action_id": current.id, "note": "", "rated_acceptable_in": submission.number})


def _action_details(item: ActionItem) -> dict[str, Any]:
    details = {"action_id": item.id, "source": item.source, "target": f"{item.target_kind}:{item.target_id}"
               if item.target_kind else "", "action": item.action, "owner": item.owner,
               "due_date": item.due_date.isoformat(), "submission": item.submission_number}
    if item.kind != "action":
        details["kind"] = item.kind
    return details


def check_action(action: str, owner: str, due_date: dt.date | None, today: dt.date) -> None:
    """Raise :class:`ReviewError` if a school's action-plan item lacks its action, owner or due date,
    has texts too long, or is due in the past."""
    for code, value, limit in (("review.action_too_long", action, ACTION_MAX),
                               ("review.owner_too_long", owner, OWNER_MAX)):
        if len(value or "") > limit:
            raise ReviewError(code, length=len(value), limit=limit)
    if not (action or "").strip():
        raise ReviewError("review.plan_action_missing")
    if not (owner or "").strip():
        raise ReviewError("review.plan_owner_missing")
    if due_date is None:
        raise ReviewError("review.plan_due_missing")
    if due_date < today:
        raise ReviewError("review.due_date_past", due_date=due_date.isoformat())


def add_action(audit: Audit, user: User, action: str, owner: str, due_date: dt.date | None,
               *, today: dt.date | None = None) -> ActionItem:
    """Add the school's own item to ``audit``'s action plan (open); recorded in the trail.

    Raises :class:`ReviewError` naming what is missing or wrong (see :func:`check_action`).
    """
    today = today or dt.date.today()
    check_action(action, owner, due_date, today)
    previous = latest_submission(audit)
    item = ActionItem(audit_id=audit.id, source="school", action=action.strip(), owner=owner.strip(),
                      due_date=due_date, created_by_id=user.id,
                      submission_number=previous.number if previous else None)
    db.session.add(item)
    db.session.flush()
    trail.record(audit, "action_added", user, _action_details(item))
    return item


def close_action(audit: Audit, item: ActionItem, user: User, note: str) -> None:
    """Mark ``item`` done with ``note`` (what was done); recorded in the trail.

    Raises :class:`ReviewError` if the item is not ``audit``'s, is already done, is a document request
    (answered by attaching a document, see :func:`app.evidence.services.add`), or the note is empty or longer
    than 5,000 characters.
    """
    if item.audit_id != audit.id:
        raise ReviewError("review.action_not_found", action_id=item.id)
    if item.state == "done":
        raise ReviewError("review.action_already_done", action_id=item.id)
    if item.kind == "document_request":
        raise ReviewError("review.request_needs_document", action_id=item.id)
    note = (note or "").strip()
    if not note:
        raise ReviewError("review.done_note_missing")
    if len(note) > COMMENT_MAX:
        raise ReviewError("review.comment_too_long", length=len(note), limit=COMMENT_MAX)
    item.state, item.done_note, item.done_at = "done", note, dt.datetime.now(dt.UTC)
    db.session.flush()
    trail.record(audit, "action_done", user, {"action_id": item.id, "note": note})


def request_document(ruleset: RuleSet, submission: Submission, reviewer: User, target_kind: str, target_id: str,
                     document: str, owner: str, due_date: dt.date | None,
                     *, today: dt.date | None = None) -> ActionItem:
    """Ask the school for a document (``document`` says which: "the signed DPA") on a finding or
    section of ``submission``: an open action-plan item of kind ``document_request``, with ``owner``
    and ``due_date`` like any action; recorded in the trail (``action_added``).

    Raises :class:`ReviewError` if the submission is already decided, the target is not one of its
    findings or sections, or the document, owner or due date is missing, too long or (the date) past.
    """
    if submission.decision is not None:
        raise ReviewError("review.already_decided", number=submission.number, decision=submission.decision)
    if target_kind not in REVIEW_TARGETS:
        raise ReviewError("review.unknown_target_kind", target_kind=target_kind, target_kinds=REVIEW_TARGETS)
    if target_id not in review_targets(ruleset, submission)[target_kind]:
        raise ReviewError("review.not_in_submission", target_kind=target_kind, target_id=target_id)
    if not (document or "").strip():
        raise ReviewError("review.request_document_missing")
    check_action(document, owner, due_date, today or dt.date.today())
    item = ActionItem(audit_id=submission.audit_id, source="reviewer", kind="document_request",
                      target_kind=target_kind, target_id=target_id, submission_number=submission.number,
                      created_by_id=reviewer.id, action=document.strip(), owner=owner.strip(),
                      due_date=due_date)
    db.session.add(item)
    db.session.flush()
    trail.record(submission.audit, "action_added", reviewer, _action_details(item))
    return item


def actions_of(audit: Audit) -> list[ActionItem]:
    """Every action-plan item of ``audit`` (open and done, of every version), oldest first."""
    return list(db.session.scalars(sa.select(ActionItem).where(ActionItem.audit_id == audit.id)
                                   .order_by(ActionItem.id)))


def approval_concerns(submission: Submission) -> dict[str, Any]:
    """What makes approving ``submission`` need a stated acknowledgement: ``verdict`` (the verdict if it
    is critical or prohibited, else ``None``) and ``unrated`` (rule ids of findings without a rating)."""
    rated = {r.target_id for r in submission.ratings if r.target_kind == "finding"}
    findings = [f.rule_id for f in submission.assessment.read_result().findings]
    verdict = submission.assessment.verdict
    return {"verdict": verdict if verdict in ACKNOWLEDGED_VERDICTS else None,
            "unrated": [rule_id for rule_id in findings if rule_id not in rated]}


def decide(submission: Submission, reviewer: User, decision: str, comment: str = "",
           acknowledgement: str = "") -> None:
    """Record the reviewer's ``decision`` (one of :data:`app.models.DECISIONS`) on ``submission``; the
    audit takes that status. Requesting changes opens a new version of the answers for the school.

    Raises :class:`ReviewError` if the submission is already decided, the decision is unknown, an
    approval meets a finding or section rated "must be corrected", an approval of a critical or
    prohibited verdict or with findings unrated comes without ``acknowledgement`` (the reviewer's
    reason, kept on the submission, in the trail and on the PDF), or changes are requested (or the
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
    acknowledgement = (acknowledgement or "").strip() if decision == "approved" else ""
    if len(acknowledgement) > COMMENT_MAX:
        raise ReviewError("review.comment_too_long", length=len(acknowledgement), limit=COMMENT_MAX)
    if decision == "approved" and not acknowledgement:
        concerns = approval_concerns(submission)
        if concerns["verdict"]:
            raise ReviewError("review.acknowledge_verdict", verdict=concerns["verdict"])
        if concerns["unrated"]:
            raise ReviewError("review.acknowledge_unrated", count=len(concerns["unrated"]))
    if decision in ("changes_requested", "rejected") and not comment and not (
            ratings["needs_improvement"] or ratings["must_be_corrected"]):
        raise ReviewError("review.nothing_to_change")
    audit = submission.audit
    submission.decision = decision
    submission.decision_comment = comment
    submission.acknowledgement = acknowledgement
    submission.decided_by_id = reviewer.id
    submission.decided_at = dt.datetime.now(dt.UTC)
    audit.status = decision
    if decision == "changes_requested":
        audit.version += 1
    db.session.flush()
    details: dict[str, Any] = {"submission": submission.number, "comment": comment, "ratings": dict(ratings)}
    if acknowledgement:
        details["acknowledgement"] = acknowledgement
    trail.record(audit, decision, reviewer, details)


FINDING_CHANGES = ("new", "level_changed", "unchanged", "resolved")
"""How a finding compares with the previous submission's findings."""


def finding_level(finding: Any) -> str:
    """A stored finding's headline level: ``prohibited`` for a prohibited effect, else its risk level."""
    return "prohibited" if finding.effect == "prohibited" else finding.risk_level


def previous_submission(submission: Submission) -> Submission | None:
    """The submission of the same audit just before ``submission`` (any regulator), or ``None``."""
    return db.session.scalar(sa.select(Submission).where(
        Submission.audit_id == submission.audit_id, Submission.number < submission.number)
        .order_by(Submission.number.desc()).limit(1))


def finding_changes(previous: Submission, submission: Submission) -> dict[str, dict[str, Any]]:
    """Each finding of ``submission`` and of ``previous`` by rule id: ``change`` (one of
    :data:`FINDING_CHANGES`: ``resolved`` = only in ``previous``), ``level`` and ``previous_level``
    (``None`` where absent), ``previous_rating`` (the :class:`Rating` on ``previous``, or ``None``)."""
    before = {f.rule_id: finding_level(f) for f in previous.assessment.read_result().findings}
    now = {f.rule_id: finding_level(f) for f in submission.assessment.read_result().findings}
    rated = {r.target_id: r for r in previous.ratings if r.target_kind == "finding"}
    out: dict[str, dict[str, Any]] = {}
    for rule_id, level in now.items():
        old = before.get(rule_id)
        change = "new" if old is None else "unchanged" if old == level else "level_changed"
        out[rule_id] = {"change": change, "level": level, "previous_level": old, "previous_rating": rated.get(rule_id)}
    for rule_id, old in before.items():
        if rule_id not in now:
            out[rule_id] = {"change": "resolved", "level": None, "previous_level": old,
                            "previous_rating": rated.get(rule_id)}
    return out


def carry_over(ruleset: RuleSet, submission: Submission, reviewer: User,
               *, today: dt.date | None = None) -> tuple[list[Rating], list[str]]:
    """Copy the previous submission's ratings onto ``submission`` for every finding or section still
    present and not rated yet; returns ``(ratings written, "kind:id" of those that could not be)``.

    A rating that needs action carries over with its action-plan item when that item is still open
    (its action, owner and due date as they stand, even if overdue); when the item was done, or
    nothing carries, the target is listed as not carried (the reviewer rates it afresh). Raises
    :class:`ReviewError` if ``submission`` is decided or has no previous submission.
    """
    if submission.decision is not None:
        raise ReviewError("review.already_decided", number=submission.number, decision=submission.decision)
    previous = previous_submission(submission)
    if previous is None:
        raise ReviewError("review.nothing_to_carry", number=submission.number)
    targets = review_targets(ruleset, submission)
    rated = {(r.target_kind, r.target_id) for r in submission.ratings}
    written, skipped = [], []
    for old in previous.ratings:
        key = (old.target_kind, old.target_id)
        if key in rated or old.target_id not in targets.get(old.target_kind, set()):
            continue
        item = old.action_item if old.value in ACTION_RATINGS else None
        if old.value in ACTION_RATINGS and (item is None or item.state != "open"):
            skipped.append(f"{old.target_kind}:{old.target_id}")
            continue
        rating = Rating(submission=submission, target_kind=old.target_kind, target_id=old.target_id,
                        value=old.value, comment=old.comment, reviewer_id=reviewer.id)
        db.session.add(rating)
        db.session.flush()
        if item is not None:
            item.rating = rating
        written.append(rating)
    db.session.flush()
    if written:
        trail.record(submission.audit, "reviewed", reviewer, {
            "submission": submission.number, "carried_from": previous.number,
            "ratings": {f"{r.target_kind}:{r.target_id}": r.value for r in written}})
    return written, skipped


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
