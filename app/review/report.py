"""The review as the report prints it: status, regulator, decision, comment, action plan (en/zh)."""

from __future__ import annotations

from typing import Any

from ..models import DECISIONS, Audit
from ..reports.texts import RATING_LABELS, REVIEW_TARGET_LABELS, STATUS_LABELS
from ..rules.model import RuleSet
from ..timefmt import format_utc
from . import services

DECISION_LABELS = {None: {"en": "Awaiting review", "zh": "待审核"},
                   **{decision: STATUS_LABELS[decision] for decision in DECISIONS}}
"""A submission's decision (``None``: not decided yet); a decision is worded as the status it gives the audit."""
RATING_MARKS = {"acceptable": "✓", "needs_improvement": "!", "must_be_corrected": "✗"}
"""Marks beside each rating, so it reads without colour."""
HEADINGS = {
    "en": {"title": "Regulator's review", "regulator": "Regulator", "submission": "Submission",
           "submitted": "Submitted", "decision": "Decision", "decided": "Decided", "comment": "Reviewer's comment",
           "plan": "Action plan set by the reviewer", "item": "Concerns", "rating": "Rating", "action": "Action",
           "owner": "Owner", "due": "Due", "no_items": "The reviewer set no actions.",
           "version": "version {version}", **{kind: REVIEW_TARGET_LABELS[kind]["en"] for kind in REVIEW_TARGET_LABELS},
           "outdated": "This review concerns version {reviewed} of the answers; this report shows version {current}, "
                       "which has not been reviewed yet."},
    "zh": {"title": "监管机构审核", "regulator": "监管机构", "submission": "提交", "submitted": "提交时间",
           "decision": "决定", "decided": "决定时间", "comment": "审核意见", "plan": "审核人员确定的行动计划",
           "item": "涉及", "rating": "评级", "action": "行动", "owner": "负责人", "due": "截止日期",
           "no_items": "审核人员未设定行动。", "version": "第 {version} 版",
           **{kind: REVIEW_TARGET_LABELS[kind]["zh"] for kind in REVIEW_TARGET_LABELS},
           "outdated": "此审核针对第 {reviewed} 版回答；本报告显示的是尚未审核的第 {current} 版。"},
}


def target_label(ruleset: RuleSet, kind: str, target_id: str, lang: str) -> str:
    """A finding's rule title or a section's title in ``lang`` (the id if the rule set lost it)."""
    try:
        if kind == "finding":
            return ruleset.rule(target_id).title[lang]
        return ruleset.questionnaire.section(target_id).title[lang]
    except KeyError:
        return target_id


def review_context(ruleset: RuleSet, audit: Audit, lang: str) -> dict[str, Any] | None:
    """The latest submission's review for the report in ``lang``, or ``None`` if never submitted.

    Keys: ``t`` (headings), ``submission``, ``version``, ``regulator`` (organisation name),
    ``submitted_at``, ``decision`` (``id``, ``label``), ``decided_at``, ``comment``, ``items`` (one
    per rating: ``kind``, ``target``, ``rating`` (``id``, ``label``, ``mark``), ``comment``, and for
    action items ``action``, ``owner``, ``due`` ISO date), ``outdated`` (a sentence when the audit's
    answers are a newer version than the one reviewed, else ""). The reviewer is named by organisation
    only: the report is shared with parents.
    """
    submission = services.latest_submission(audit)
    if submission is None:
        return None
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
        "outdated": t["outdated"].format(reviewed=submission.version, current=audit.version)
        if submission.version != audit.version else "",
    }
