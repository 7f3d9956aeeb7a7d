"""Interface labels shared by several blueprints (translated per request), and the words that
error messages put in place of the ids they carry (:func:`param_word`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .i18n import ui_lang
from .reports.texts import LEVEL_LABELS, RATING_LABELS, REVIEW_TARGET_LABELS, STATUS_LABELS
from .rules.model import RuleSet
from .rules.questionnaire import Questionnaire

STATUS_NAMES = {status: (lambda status=status: STATUS_LABELS[status][ui_lang()]) for status in STATUS_LABELS}
"""An audit's status in the interface language (called per request); the words are
:data:`app.reports.texts.STATUS_LABELS`, the one wording of each status on pages and in the report."""

ROLE_NAMES = {"school_admin": _l("School administrator"), "reviewer": _l("Reviewer (regulator)"),
              "ngo_analyst": _l("NGO analyst"), "instance_admin": _l("Instance administrator")}
"""A user's role (:data:`app.models.ROLES`) in the interface language."""

ORG_KIND_NAMES = {"school": _l("School"), "regulator": _l("Regulator"), "ngo": _l("NGO")}
"""A kind of organisation (:data:`app.models.ORG_KINDS`) in the interface language."""

WORD_PARAMS = {
    "status": "status", "decision": "decision", "decisions": "decision", "rating": "rating", "ratings": "rating",
    "target_kind": "target_kind", "target_kinds": "target_kind", "role": "role", "roles": "role",
    "org_kind": "org_kind", "org_kinds": "org_kind", "found_org_kind": "org_kind",
    "category": "category", "categories": "category", "option": "option", "choices": "option",
    "verdict": "verdict",
}
"""Parameters of :class:`app.problems.Problem` that hold ids of a vocabulary -> the vocabulary."""


def param_word(name: str, value: Any, lang: str, question_id: str | None = None) -> str | None:
    """The word in ``lang`` for ``value`` of the problem parameter ``name``, taken from the
    vocabulary's one home; ``None`` when ``name`` holds no ids (see :data:`WORD_PARAMS`). An id the
    vocabulary does not know is returned as it is: it is the wrong input the message reports.
    ``question_id`` names the question whose options ``option`` and ``choices`` are. Roles and
    organisation kinds are gettext strings, so they follow the interface language whatever ``lang``
    says. Needs an app context (and a request for the interface language).
    """
    kind = WORD_PARAMS.get(name)
    if kind is None:
        return None
    return _vocabulary(kind, lang, question_id).get(value, str(value))


def _vocabulary(kind: str, lang: str, question_id: str | None) -> dict[str, str]:
    from .extensions import current_ruleset
    from .models import DECISIONS, REVIEW_TARGETS

    if kind == "status":
        return {status: words[lang] for status, words in STATUS_LABELS.items()}
    if kind == "decision":
        # a decision is worded as the status it gives the audit
        return {decision: STATUS_LABELS[decision][lang] for decision in DECISIONS}
    if kind == "rating":
        return {rating: words[lang] for rating, words in RATING_LABELS.items()}
    if kind == "verdict":
        return {level: words[lang] for level, words in LEVEL_LABELS.items()}
    if kind == "target_kind":
        return {target: REVIEW_TARGET_LABELS[target][lang] for target in REVIEW_TARGETS}
    if kind == "role":
        return {role: str(words) for role, words in ROLE_NAMES.items()}
    if kind == "org_kind":
        return {org_kind: str(words) for org_kind, words in ORG_KIND_NAMES.items()}
    questions = current_ruleset().questionnaire.questions
    question = questions.get("product_kind" if kind == "category" else question_id or "")
    return {o.id: o.label[lang] for o in question.options} if question is not None else {}



def display_json(qn: Questionnaire, qid: str, value: Any, lang: str) -> str:
    """A stored JSON answer to question ``qid`` as text in ``lang`` (``None``: "no answer"; an answer
    that no longer fits the question: its raw value)."""
    if value is None:
        return _("no answer")
    loaded = qn.load({qid: value})
    if qid not in loaded.typed:
        return str(value)
    return qn.display(qn.questions[qid], loaded.typed[qid], lang)


def target_label(ruleset: RuleSet, kind: str, target_id: str, lang: str) -> str:
    """A finding's rule title or a section's title in ``lang`` (the id if the rule set lost it)."""
    try:
        if kind == "finding":
            return ruleset.rule(target_id).title[lang]
        return ruleset.questionnaire.section(target_id).title[lang]
    except KeyError:
        return target_id
