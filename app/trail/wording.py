"""The audit trail on the audit's page: each event's name and a one-line summary, in the
interface language (the CSV/JSON export keeps every detail, see :mod:`app.trail`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..extensions import current_ruleset
from ..i18n import LIST_SEPARATOR, ui_lang
from ..labels import STATUS_NAMES
from ..models import Audit
from ..reports.context import LEVEL_LABELS
from ..timefmt import format_utc
from . import events

EVENT_LABELS_SHOWN = 5
"""Changed answers named in one trail row on the page; the CSV/JSON export lists every one."""

EVENT_NAMES = {
    "created": lambda: _("Audit created"),
    "answers_saved": lambda: _("Answers saved"),
    "submitted": lambda: _("Submitted to the regulator"),
    "reviewed": lambda: _("Reviewed"),
    "approved": STATUS_NAMES["approved"],
    "changes_requested": STATUS_NAMES["changes_requested"],
    "rejected": STATUS_NAMES["rejected"],
    "new_version": lambda: _("New version started"),
    "pdf_generated": lambda: _("PDF generated"),
    "published": lambda: _("Published"),
    "unpublished": lambda: _("Publication withdrawn"),
    "adopted": lambda: _("Assigned to a school"),
    "action_added": lambda: _("Action added to the plan"),
    "action_done": lambda: _("Action done"),
    "attachment_added": lambda: _("Document attached"),
    "attachment_removed": lambda: _("Document removed"),
    "imported": lambda: _("Imported from another instance"),
}


def _event_summary(kind: str, details: dict[str, Any]) -> str:
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    if kind == "answers_saved":
        labels = [qn.questions[q].label[lang] if q in qn.questions else q for q in details.get("changed", {})]
        if len(labels) > EVENT_LABELS_SHOWN:  # the export has them all
            return _("%(num)s answers: %(first)s and %(more)s more", num=len(labels),
                     first=LIST_SEPARATOR[lang].join(labels[:EVENT_LABELS_SHOWN]),
                     more=len(labels) - EVENT_LABELS_SHOWN)
        return LIST_SEPARATOR[lang].join(labels)
    if kind == "submitted":
        return _("submission %(n)s (version %(v)s) to %(regulator)s; verdict %(verdict)s",
                 n=details.get("submission"), v=details.get("version"), regulator=details.get("regulator", ""),
                 verdict=LEVEL_LABELS.get(details.get("verdict"), {}).get(lang, details.get("verdict", "")))
    if kind in ("approved", "changes_requested", "rejected"):
        if details.get("acknowledgement"):
            return _("%(comment)s (acknowledgement: %(acknowledgement)s)", comment=details.get("comment", ""),
                     acknowledgement=details["acknowledgement"])
        return details.get("comment", "")
    if kind == "action_added":
        return _("%(action)s · owner %(owner)s · due %(due)s", action=details.get("action", ""),
                 owner=details.get("owner", ""), due=details.get("due_date", ""))
    if kind == "action_done":
        return details.get("note") or _("rated acceptable by the reviewer in submission %(n)s",
                                         n=details.get("rated_acceptable_in", ""))
    if kind == "reviewed":
        return _("%(num)s rating(s)", num=len(details.get("ratings", {})))
    if kind == "pdf_generated":
        return f"{details.get('lang', '')} · SHA-256 {details.get('sha256', '')[:16]}…"
    if kind in ("attachment_added", "attachment_removed"):
        q = qn.questions.get(details.get("question", ""))
        return _("%(name)s (%(question)s) · SHA-256 %(sha)s…", name=details.get("file_name", ""),
                 question=q.label[lang] if q else details.get("question", ""), sha=details.get("sha256", "")[:16])
    if kind == "imported":
        return _("from %(report_id)s, exported %(at)s", report_id=details.get("from_report_id", ""),
                 at=details.get("exported_at", ""))
    if kind == "new_version":
        return _("version %(v)s", v=details.get("version"))
    return ""


def event_rows(audit: Audit) -> list[dict[str, str]]:
    """The audit's trail for its page, oldest first: ``at`` (UTC, as the pages show times),
    ``actor`` (e-mail or ``system``), ``kind`` (the event's name) and ``summary`` (one line)."""
    return [{"at": format_utc(e.at), "actor": e.actor, "kind": EVENT_NAMES[e.kind](),
             "summary": _event_summary(e.kind, e.details)} for e in events(audit)]
