"""Interface labels shared by several blueprints (translated per request)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .rules.questionnaire import Questionnaire

STATUS_NAMES = {
    "draft": lambda: _("Draft"),
    "submitted": lambda: _("Submitted, awaiting review"),
    "changes_requested": lambda: _("Changes requested"),
    "approved": lambda: _("Approved"),
    "rejected": lambda: _("Rejected"),
}
"""An audit's status in the interface language (called per request)."""

LIST_SEPARATOR = {"en": "; ", "zh": "；"}
"""Between question labels in one sentence (Chinese labels carry their own commas)."""


def display_json(qn: Questionnaire, qid: str, value: Any, lang: str) -> str:
    """A stored JSON answer to question ``qid`` as text in ``lang`` (``None``: "no answer"; an answer
    that no longer fits the question: its raw value)."""
    if value is None:
        return _("no answer")
    loaded = qn.load({qid: value})
    if qid not in loaded.typed:
        return str(value)
    return qn.display(qn.questions[qid], loaded.typed[qid], lang)


def sentence(message: str) -> str:
    """``message`` as a sentence: capital first letter, one full stop."""
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."
