"""``/api/v1``: the review loop. For reviewers: the queue of their regulator, ratings of a
submission's findings and sections (with action items), the decision. For whoever sees the audit:
its action plan; for its school: marking an item done. Same services and rules as the review page
and the audit's action plan (:mod:`app.review.services`, :func:`app.access.audit_for` with
``"plan"``): all ratings of a request are checked before anything is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import current_user

from .. import access
from ..extensions import current_ruleset, db
from ..models import ActionItem, Audit, User
from ..review import services as review_services
from ..timefmt import as_utc
from . import schemas
from .audits import submission_output
from .auth import limited, signed_in
from .parsing import Blueprint
from .problems import ApiProblem

blp = limited(Blueprint("api_review", __name__, description="The regulator's review of submitted audits, and "
                                                             "the audit's action plan."))


@blp.get("/review/queue")
@blp.arguments(schemas.QueueQuery, location="query")
@blp.response(200, schemas.Queue)
@signed_in("reviewer")
def queue(query: dict[str, Any]):
    """The latest submission of every audit sent to the caller's regulator that passes the filters,
    worst verdict first, then the one waiting longest."""
    rows = review_services.queue(current_user.organisation_id, review_services.QueueFilters(**query))
    return {"queue": [{"report_id": r["audit"].report_id, "product_name": r["audit"].product_name,
                       "vendor_name": r["audit"].vendor_name, "school": r["school"], "status": r["audit"].status,
                       "submission": r["submission"].number, "submitted_at": as_utc(r["submission"].submitted_at),
                       "verdict": r["assessment"].verdict, "categories": r["categories"]} for r in rows]}


def _submission(report_id: str, action: str):
    audit = access.audit_for(report_id, action)
    submission = review_services.latest_submission(audit, current_user.organisation_id)
    if submission is None:  # pragma: no cover - "review" and "decide" need a submission to this regulator
        raise ApiProblem(404, "api.no_submission", report_id=report_id)
    return submission


@blp.put("/audits/<report_id>/review/ratings")
@blp.arguments(schemas.RatingsInput)
@blp.response(200, schemas.SubmissionOutput)
@signed_in("reviewer")
def save_ratings(body: dict[str, Any], report_id: str):
    """Create or replace ratings of the latest submission (one per finding or section); ratings that
    need action give the school an action item. 422 naming the item when one is incomplete."""
    submission = _submission(report_id, "review")
    items = [review_services.ReviewInput(i["target_kind"], i["target_id"], i["rating"], i["comment"], i["action"],
                                         i["owner"], i["due_date"]) for i in body["items"]]
    targets = review_services.review_targets(current_ruleset(), submission)
    refused = []
    today = dt.date.today()
    for n, item in enumerate(items):
        try:
            review_services.check_review(item, targets, today)
        except review_services.ReviewError as exc:
            refused.append((f"json.items.{n}", exc))
    if refused:
        raise ApiProblem(422, "api.invalid", count=len(refused), errors=refused)
    try:
        review_services.save_reviews(current_ruleset(), submission, current_user, items, today=today)
    except review_services.ReviewError as exc:
        db.session.rollback()
        raise ApiProblem(409, exc.code, **exc.params) from None
    db.session.commit()
    return submission_output(submission)


@blp.post("/audits/<report_id>/review/decision")
@blp.arguments(schemas.DecisionInput)
@blp.response(200, schemas.SubmissionOutput)
@signed_in("reviewer")
def decide(body: dict[str, Any], report_id: str):
    """Approve, request changes or reject the latest submission (the audit takes that status). 422 when
    the ratings do not allow it (an approval with items rated "must be corrected", changes requested
    without saying what) or when an approval of a critical or prohibited verdict, or with findings
    unrated, comes without an ``acknowledgement``."""
    submission = _submission(report_id, "decide")
    try:
        review_services.decide(submission, current_user, body["decision"], body["comment"], body["acknowledgement"])
    except review_services.ReviewError as exc:
        db.session.rollback()
        raise ApiProblem(422, exc.code, **exc.params) from None
    db.session.commit()
    return submission_output(submission)


def action_output(item: ActionItem, today: dt.date) -> dict[str, Any]:
    """The fields of :class:`.schemas.ActionOutput` (``overdue`` as of ``today``)."""
    creator = db.session.get(User, item.created_by_id) if item.created_by_id else None
    rating = item.rating
    return {"id": item.id, "source": item.source, "kind": item.kind, "attachment_id": item.attachment_id,
            "action": item.action, "owner": item.owner,
            "due_date": item.due_date, "state": item.state, "overdue": item.overdue_on(today),
            "done_note": item.done_note, "done_at": as_utc(item.done_at) if item.done_at else None,
            "created_at": as_utc(item.created_at), "created_by": creator.email if creator else None,
            "target_kind": item.target_kind, "target_id": item.target_id,
            "submission_number": item.submission_number,
            "rating": None if rating is None else {"submission": rating.submission.number,
                                                   "target_kind": rating.target_kind, "target_id": rating.target_id}}


@blp.get("/audits/<report_id>/actions")
@blp.response(200, schemas.ActionList)
@signed_in()
def list_actions(report_id: str):
    """The audit's action plan: every item, the reviewer's and the school's own, open and done, of
    every version, oldest first."""
    audit = access.audit_for(report_id, "view")
    today = dt.date.today()
    return {"actions": [action_output(item, today) for item in review_services.actions_of(audit)]}


def _action(audit: Audit, action_id: int) -> ActionItem:
    item = db.session.get(ActionItem, action_id)
    if item is None or item.audit_id != audit.id:
        raise ApiProblem(404, "api.not_found")
    return item


@blp.post("/audits/<report_id>/actions/<id:action_id>/done")
@blp.arguments(schemas.ActionDone)
@blp.response(200, schemas.ActionOutput)
@signed_in("school_admin")
def action_done(body: dict[str, Any], report_id: str, action_id: int):
    """The school marks an item of its action plan done, saying what was done (``note``), whatever the
    audit's status, as on the audit's page. 422 when the note is blank or the item is already done."""
    audit = access.audit_for(report_id, "plan")
    item = _action(audit, action_id)
    try:
        review_services.close_action(audit, item, current_user, body["note"])
    except review_services.ReviewError as exc:
        db.session.rollback()
        raise ApiProblem(422, exc.code, **exc.params) from None
    db.session.commit()
    return action_output(item, dt.date.today())
