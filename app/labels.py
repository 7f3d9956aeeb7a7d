"""Interface labels shared by several blueprints (translated per request)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .i18n import ui_lang
from .reports.texts import STATUS_LABELS
from .rules.questionnaire import Questionnaire

STATUS_NAMES = {status: (lambda status=status: STATUS_LABELS[status][ui_lang()]) for status in STATUS_LABELS}
"""An audit's status in the interface language (called per request); the words are
:data:`app.reports.texts.STATUS_LABELS`, the one wording of each status on pages and in the report."""


def display_json(qn: Questionnaire, qid: str, value: Any, lang: str) -> str:
    """A stored JSON answer to question ``qid`` as text in ``lang`` (``None``: "no answer"; an answer
    that no longer fits the question: its raw value)."""
    from .audits.services import load_answers  # here: app.audits imports this module

    if value is None:
        return _("no answer")
    loaded = load_answers(qn, {qid: value})
    if qid not in loaded.typed:
        return str(value)
    return qn.display(qn.questions[qid], loaded.typed[qid], lang)
