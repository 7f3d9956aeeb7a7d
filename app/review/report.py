"""The review as the report prints it: status, regulator, decision, comment, action plan (en/zh)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..labels import target_label
from ..models import DECISIONS, Audit, AuditEvent, Submission
from ..reports.texts import RATING_LABELS, REVIEW_TARGET_LABELS, STATUS_LABELS
from ..rules.model import RuleSet
from ..timefmt import format_utc
from . import services

DECISION_LABELS = {None: {"en": "Awaiting review", "zh": "待审核"},
                   **{decision: STATUS_LABELS[decision] for decision in DECISIONS}}
"""A submission's decision (``None``: not decided yet); a decision is worded as the status it gives the audit."""
RATING_MARKS = {"acceptable": "✓", "needs_improvement": "!", "must_be_corrected": "✗"}
"""Marks beside each rating, so it reads without colour."""
ACTION_HEADINGS = {
    "en": {"tracked": "Actions and their progress", "state": "State", "history": "History",
           "from_reviewer": "Set by the reviewer", "from_school": "Added by the school", "general": "General",
           "open": "Open", "done": "Done", "overdue": "Overdue",
           "set_in": "set in submission {n}", "set_before": "added before the first submission",
           "carried": "carried over to submission {n}", "added_at": "{at}: added by {who}",
           "done_at": "{at}: done ({note})", "closed_by_review": "rated acceptable by the reviewer in submission {n}",
           "no_actions": "No actions were set.", "overdue_count": "{count} action(s) overdue",
           "document_request": "Document requested: {document}",
           "answered_with": "Answered with “{name}” (SHA-256 {sha256})"},
    "zh": {"tracked": "行动及其进展", "state": "状态", "history": "记录",
           "from_reviewer": "审核人员设定", "from_school": "学校自行添加", "general": "一般",
           "open": "未完成", "done": "已完成", "overdue": "已逾期",
           "set_in": "于第 {n} 次提交设定", "set_before": "于首次提交前添加",
           "carried": "延续至第 {n} 次提交", "added_at": "{at}：由 {who} 添加",
           "done_at": "{at}：已完成（{note}）", "closed_by_review": "审核人员在第 {n} 次提交中评为可接受",
           "no_actions": "未设定任何行动。", "overdue_count": "{count} 项行动已逾期",
           "document_request": "要求提供文件：{document}",
           "answered_with": "已提供“{name}”（SHA-256 {sha256}）"},
}
"""Wording of the action plan's items (the report, the audit's page, the review page)."""
WHO = {"en": {"reviewer": "the reviewer", "school": "the school"}, "zh": {"reviewer": "审核人员", "school": "学校"}}

HEADINGS = {
    "en": {"title": "Regulator's review", "regulator": "Regulator", "submission": "Submission",
           "submitted": "Submitted", "decision": "Decision", "decided": "Decided", "comment": "Reviewer's comment",
           "plan": "Action plan set by the reviewer", "item": "Concerns", "rating": "Rating", "action": "Action",
           "owner": "Owner", "due": "Due", "no_items": "The reviewer set no actions.",
           "no_items_plan": "The reviewer rated nothing anew in this submission; the action plan lists the actions "
                            "still open.",
           "version": "version {version}", **{kind: REVIEW_TARGET_LABELS[kind]["en"] for kind in REVIEW_TARGET_LABELS},
           "outdated": "This review concerns version {reviewed} of the answers; this report shows version {current}, "
                       "which has not been reviewed yet.",
           "acknowledgement": "Reviewer's acknowledgement on approval",
           **ACTION_HEADINGS["en"]},
    "zh": {"title": "监管机构审核", "regulator": "监管机构", "submission": "提交", "submitted": "提交时间",
           "decision": "决定", "decided": "决定时间", "comment": "审核意见", "plan": "审核人员确定的行动计划",
           "item": "涉及", "rating": "评级", "action": "行动", "owner": "负责人", "due": "截止日期",
           "no_items": "审核人员未设定行动。",
           "no_items_plan": "审核人员未对本次提交重新评级；行动计划列出仍未完成的行动。", "version": "第 {version} 版",
           **{kind: REVIEW_TARGET_LABELS[kind]["zh"] for kind in REVIEW_TARGET_LABELS},
           "outdated": "此审核针对第 {reviewed} 版回答；本报告显示的是尚未审核的第 {current} 版。",
           "acknowledgement": "审核人员批准时的说明",
           **ACTION_HEADINGS["zh"]},
}


_UNREAD = object()
"""``action_rows``'s default for ``latest``: not read yet (``None`` means "no submission")."""


def cover_status(audit: Audit) -> str:
    """The status the report's cover prints for ``audit``'s current answers: ``draft`` while changes
    requested on the last submission are being made (those answers are a new version nobody has
    reviewed; the review section says which version was), else the audit's status."""
    return "draft" if audit.status == "changes_requested" else audit.status


def action_rows(audit: Audit, lang: str, today: dt.date, ruleset: RuleSet | None = None, *,
                latest: Submission | None | object = _UNREAD) -> dict[str, Any]:
    """The audit's action plan in ``lang`` as of ``today``: ``rows`` (one per item, oldest first: ``id``,
    ``source`` label, ``target`` (what it concerns, or "General"), ``target_id`` (rule or section id or
    ""), ``action``, ``owner``, ``due`` ISO date, ``state`` (``id`` open|done|overdue, ``label``),
    ``done_note``, ``history`` (lines, oldest first), ``kind`` (``action`` or ``document_request``; for a
    request ``action`` reads "Document requested: …"), ``document`` (the answering document's
    ``name`` and ``sha256``, or ``None``), ``answered`` (a sentence naming them, or "")), ``overdue``
    (count), ``open`` (count) and ``t`` (headings). Items of every version are listed: an open item
    stays until it is done. ``latest``: the audit's latest submission when the caller already read it
    (``None`` for none); read here when not given."""
    from ..extensions import current_ruleset

    ruleset = ruleset or current_ruleset()
    t = ACTION_HEADINGS[lang]
    items = services.actions_of(audit)
    if not items:  # most audits before a review: no history to read
        return {"rows": [], "overdue": 0, "open": 0, "t": t, "overdue_text": ""}
    if latest is _UNREAD:
        latest = services.latest_submission(audit)
    events: dict[int, list[AuditEvent]] = {}
    for event in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.audit_id == audit.id, AuditEvent.kind.in_(("action_added", "action_done")))
            .order_by(AuditEvent.id)):
        events.setdefault(event.details.get("action_id"), []).append(event)
    rows = []
    for item in items:
        state = "overdue" if item.overdue_on(today) else item.state
        document = {"name": item.attachment.file_name, "sha256": item.attachment.sha256} if item.attachment else None
        history = [t["set_in"].format(n=item.submission_number) if item.source == "reviewer"
                   else t["set_before"] if item.submission_number is None
                   else t["set_in"].format(n=item.submission_number)]
        for event in events.get(item.id, []):
            at = format_utc(event.at)
            if event.kind == "action_added":
                history.append(t["added_at"].format(at=at, who=WHO[lang][item.source]))
            else:
                note = event.details.get("note") or t["closed_by_review"].format(
                    n=event.details.get("rated_acceptable_in", ""))
                history.append(t["done_at"].format(at=at, note=note))
        if item.state == "open" and latest is not None and item.submission_number is not None \
                and latest.number > item.submission_number:
            history.append(t["carried"].format(n=latest.number))
        rows.append({
            "id": item.id, "source": t["from_reviewer"] if item.source == "reviewer" else t["from_school"],
            "target": target_label(ruleset, item.target_kind, item.target_id, lang) if item.target_kind
            else t["general"], "target_kind": item.target_kind or "", "target_id": item.target_id or "",
            "action": t["document_request"].format(document=item.action) if item.kind == "document_request"
            else item.action, "owner": item.owner, "due": item.due_date.isoformat(),
            "state": {"id": state, "label": t[state]}, "done_note": item.done_note, "history": history,
            "kind": item.kind, "document": document,
            "answered": t["answered_with"].format(**document) if document else ""})
    overdue = sum(r["state"]["id"] == "overdue" for r in rows)
    return {"rows": rows, "overdue": overdue, "open": sum(r["state"]["id"] != "done" for r in rows), "t": t,
            "overdue_text": t["overdue_count"].format(count=overdue) if overdue else ""}


def review_context(ruleset: RuleSet, audit: Audit, lang: str) -> dict[str, Any] | None:
    """The latest submission's review for the report in ``lang``; before any submission ``None``, or,
    when the school already added actions, only ``t``, ``submission`` (``None``) and ``actions``.

    Keys: ``t`` (headings), ``submission``, ``version``, ``regulator`` (organisation name),
    ``submitted_at``, ``decision`` (``id``, ``label``), ``decided_at``, ``comment``, ``acknowledgement``
    (the reviewer's reason for approving a critical or prohibited verdict or unrated findings, or ""),
    ``actions`` (the whole action plan, see :func:`action_rows`), ``items`` (one
    per rating: ``kind``, ``target``, ``rating`` (``id``, ``label``, ``mark``), ``comment``, and for
    action items ``action``, ``owner``, ``due`` ISO date), ``outdated`` (a sentence when the audit's
    answers are a newer version than the one reviewed, else ""). The reviewer is named by organisation
    only: the report is shared with parents.
    """
    submission = services.latest_submission(audit)
    plan = action_rows(audit, lang, dt.date.today(), ruleset, latest=submission)
    if submission is None:
        return {"t": HEADINGS[lang], "submission": None, "actions": plan} if plan["rows"] else None
    t = HEADINGS[lang]
    items = []
    for rating in submission.ratings:
        item = rating.action_item
        items.append({
            "kind": t[rating.target_kind],
            "target": target_label(ruleset, rating.target_kind, rating.target_id, lang),
            "rating": {"id": rating.value, "label": RATING_LABELS[rating.value][lang],
                       "mark": RATING_MARKS[rating.value]},
            "comment": rating.comment,
            "action": item.action if item else "",
            "owner": item.owner if item else "",
            "due": item.due_date.isoformat() if item else "",
        })
    return {
        "t": t,
        "submission": submission.number,
        "version": t["version"].format(version=submission.version),
        "regulator": submission.regulator.name,
        "submitted_at": format_utc(submission.submitted_at),
        "decision": {"id": submission.decision or "pending", "label": DECISION_LABELS[submission.decision][lang]},
        "decided_at": format_utc(submission.decided_at),
        "comment": submission.decision_comment,
        "items": items,
        "acknowledgement": submission.acknowledgement,
        "actions": plan,
        "outdated": t["outdated"].format(reviewed=submission.version, current=audit.version)
        if submission.version != audit.version else "",
    }
