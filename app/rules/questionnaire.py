"""The questionnaire as data: sections, typed questions, options, help text and show-if conditions.

Built from ``audit_rules/questionnaire.yaml`` (see :func:`build_questionnaire`). The web form, the
answers-file reader, the rule loader and the report all read this one object.

A question's ``show_if`` may refer only to questions asked before it (earlier sections, or earlier
questions of its own section); a section's ``show_if`` only to earlier sections. So a step can be
laid out from the answers saved so far, and questions within a step reveal one another in order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..problems import Problem
from .conditions import Condition, ConditionError, compile_condition

DEFAULT_MAX_LENGTH = {"text": 300, "textarea": 5000}
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
"""Dates outside this range are typing slips, not deployments: the law is applied on this date."""
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""A character below U+0020 other than tab, line feed and carriage return: refused in text answers."""

UNKNOWN = "unknown"
"""The third answer to a yes/no question: the administrator does not know. Rules read it as
"not confirmed", exactly like a missing answer, but the report shows that it was asked."""


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Mapping[str, str]
    help: Mapping[str, str] | None = None


@dataclass(slots=True)
class Question:
    """One question. ``type`` is one of text, textarea, single, multi, boolean, integer, date.

    Typed answers: text -> str; single -> option id; multi -> tuple of option ids in option order;
    boolean -> True, False or ``"unknown"``; integer -> int; date -> ``datetime.date``.
    """

    id: str
    type: str
    label: Mapping[str, str]
    help: Mapping[str, str]
    section_id: str
    required: bool = False
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    exclusive: tuple[str, ...] = ()
    show_if: Condition | None = None
    _option_index: dict[str, Option] | None = field(default=None, init=False, repr=False, compare=False)

    def option(self, option_id: str) -> Option | None:
        """The option whose id is ``option_id``, or ``None`` (the lookup table is built on first use)."""
        index = self._option_index
        if index is None:
            index = self._option_index = {o.id: o for o in self.options}
        return index.get(option_id)


@dataclass(slots=True)
class Section:
    id: str
    title: Mapping[str, str]
    intro: Mapping[str, str] | None
    questions: tuple[Question, ...]
    show_if: Condition | None = None


class AnswerError(Problem, ValueError):
    """One answer is wrong: ``question_id`` names it, ``code`` and ``params`` say why (see
    :data:`app.messages.MESSAGES`; ``option`` and ``choices`` are option ids of the question).
    ``str()`` is ``"<question id>: <English message>"``."""

    def __init__(self, question_id: str, code: str, /, **params: Any) -> None:
        super().__init__(code, **params)
        self.question_id = question_id

    @property
    def message(self) -> str:
        """The English message without the question id."""
        return super().__str__()

    def __str__(self) -> str:
        return f"{self.question_id}: {self.message}"


class AnswersInvalid(ValueError):
    """Several answers are wrong; ``errors`` lists every :class:`AnswerError`."""

    def __init__(self, errors: list[AnswerError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class QuestionnaireError(ValueError):
    """The questionnaire file itself is inconsistent; ``path`` locates the problem."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class LoadedAnswers:
    """Stored answers typed against the questionnaire (:meth:`Questionnaire.load`).

    ``typed``: question id -> typed value, for every answer that still fits. ``stale``: question id
    -> :class:`AnswerError` for stored answers that no longer fit (unknown question, removed option...).
    ``conflicts``: errors of checks that span questions (e.g. oldest age below youngest).
    """

    typed: dict[str, Any]
    stale: dict[str, AnswerError] = field(default_factory=dict)
    conflicts: list[AnswerError] = field(default_factory=list)


@dataclass(slots=True)
class Questionnaire:
    """Sections in order plus an index ``questions`` from id to :class:`Question`."""

    version: int
    sections: tuple[Section, ...]
    questions: dict[str, Question] = field(default_factory=dict)

    # -- visibility -------------------------------------------------------------------------
    def section_visible(self, section: Section, answers: Mapping[str, Any]) -> bool:
        return section.show_if is None or section.show_if(answers)

    def is_visible(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Whether ``question`` is asked, given (effective) answers to earlier sections."""
        section = self.section(question.section_id)
        if not self.section_visible(section, answers):
            return False
        return question.show_if is None or question.show_if(answers)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def effective_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers restricted to questions that are asked; stale answers to hidden ones drop out.

        Stored answers are never deleted (no lost work if a pupil-age or data choice is changed
        back); only evaluation and the report use this effective view.
        """
        out: dict[str, Any] = {}
        for section in self.sections:
            if not self.section_visible(section, out):
                continue
            for q in section.questions:
                if q.id in answers and (q.show_if is None or q.show_if(out)):
                    out[q.id] = answers[q.id]
        return out

    def visible_sections(self, answers: Mapping[str, Any]) -> list[Section]:
        """Sections that have at least one question to ask, in order."""
        eff = self.effective_answers(answers)
        return [s for s in self.sections
                if self.section_visible(s, eff) and any(self.is_visible(q, eff) for q in s.questions)]

    def missing_required(self, answers: Mapping[str, Any]) -> list[Question]:
        """Required questions that are asked but not answered, in questionnaire order."""
        eff = self.effective_answers(answers)
        return [q for s in self.sections for q in s.questions
                if q.required and q.id not in eff and self.is_visible(q, eff)]

    # -- values -----------------------------------------------------------------------------
    def coerce(self, question: Question, raw: Any) -> Any:
        """Turn one raw value (from a file or a form) into its typed form.

        Returns ``None`` for "no answer" (empty text, empty list). Raises :class:`AnswerError`
        whose code says what is wrong (``answer.*`` in :data:`app.messages.MESSAGES`).
        """
        qid, t = question.id, question.type
        if raw is None:
            return None
        if t in ("text", "textarea"):
            if not isinstance(raw, str):
                raise AnswerError(qid, "answer.expected_text")
            value = raw.strip()
            limit = question.max_length or DEFAULT_MAX_LENGTH[t]
            if len(value) > limit:
                raise AnswerError(qid, "answer.too_long", length=len(value), limit=limit)
            if _CONTROL_CHARACTER.search(value):
                raise AnswerError(qid, "answer.control_characters")
            return value or None
        if t == "single":
            if not isinstance(raw, str) or question.option(raw) is None:
                raise AnswerError(qid, "answer.not_a_choice", value=str(raw), choices=[o.id for o in question.options])
            return raw
        if t == "multi":
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list | tuple):
                raise AnswerError(qid, "answer.expected_choices")
            bad = [x for x in raw if not isinstance(x, str) or question.option(x) is None]
            if bad:
                raise AnswerError(qid, "answer.unknown_choices", values=[str(x) for x in bad],
                                  choices=[o.id for o in question.options])
            order = [o.id for o in question.options]
            value = tuple(sorted(set(raw), key=order.index))
            lone = [x for x in value if x in question.exclusive]
            if lone and len(value) > 1:
                raise AnswerError(qid, "answer.exclusive_choice", option=lone[0])
            return value or None
        if t == "boolean":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw in ("yes", "no"):
                return raw == "yes"
            if raw == UNKNOWN:
                return UNKNOWN
            raise AnswerError(qid, "answer.expected_boolean")
        if t == "integer":
            if isinstance(raw, str):
                if not re.fullmatch(r"-?[0-9]{1,9}", raw.strip()):
                    raise AnswerError(qid, "answer.expected_integer")
                raw = int(raw.strip())
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise AnswerError(qid, "answer.expected_integer")
            if question.min is not None and raw < question.min:
                raise AnswerError(qid, "answer.too_small", min=question.min)
            if question.max is not None and raw > question.max:
                raise AnswerError(qid, "answer.too_large", max=question.max)
            return raw
        if t == "date":
            if isinstance(raw, dt.datetime):
                value = raw.date()
            elif isinstance(raw, dt.date):
                value = raw
            else:
                text = str(raw).strip()
                try:
                    value = dt.date.fromisoformat(text)
                except ValueError:
                    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):  # the form of a date: 2026-02-30
                        raise AnswerError(qid, "answer.date_does_not_exist", value=text) from None
                    raise AnswerError(qid, "answer.expected_date") from None
            if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
                raise AnswerError(qid, "answer.date_out_of_range", first=DATE_RANGE[0].isoformat(),
                                  last=DATE_RANGE[1].isoformat())
            return value
        raise AnswerError(qid, "answer.unsupported_type", type=t)  # pragma: no cover

    def load(self, stored: Mapping[str, Any]) -> LoadedAnswers:
        """Type stored JSON answers (question id -> value, as :meth:`to_json` wrote them) one by one.

        Unlike :meth:`validate_answers` this never raises: answers saved under an older questionnaire
        that no longer fit are reported in :attr:`LoadedAnswers.stale` (and left out of ``typed``),
        answers that conflict with each other in :attr:`LoadedAnswers.conflicts`, so a draft always
        opens and nothing stored is silently dropped.
        """
        typed: dict[str, Any] = {}
        stale: dict[str, AnswerError] = {}
        for qid, raw in stored.items():
            question = self.questions.get(qid)
            if question is None:
                stale[qid] = AnswerError(qid, "answer.no_longer_asked")
                continue
            try:
                value = self.coerce(question, raw)
            except AnswerError as exc:
                stale[qid] = exc
                continue
            if value is not None:
                typed[qid] = value
        return LoadedAnswers(typed, stale, self.cross_check(typed))

    def validate_answers(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Type-check a whole mapping of question id -> raw value.

        Returns the typed answers without empty ones. Raises :class:`AnswersInvalid` listing every
        unknown question id and every wrong value; nothing is returned half-checked.
        """
        errors: list[AnswerError] = []
        out: dict[str, Any] = {}
        for qid, value in raw.items():
            question = self.questions.get(str(qid))
            if question is None:
                errors.append(AnswerError(str(qid), "answer.unknown_question"))
                continue
            try:
                typed = self.coerce(question, value)
            except AnswerError as exc:
                errors.append(exc)
                continue
            if typed is not None:
                out[question.id] = typed
        errors.extend(self.cross_check(out))
        if errors:
            raise AnswersInvalid(errors)
        return out

    CROSS_CHECKED = frozenset({"pupil_min_age", "pupil_max_age"})
    """The questions :meth:`cross_check` reads."""

    def cross_check(self, answers: Mapping[str, Any]) -> list[AnswerError]:
        """Checks that span two questions (today: youngest age not above oldest age); the questions
        they read are :attr:`CROSS_CHECKED`."""
        lo, hi = answers.get("pupil_min_age"), answers.get("pupil_max_age")
        if isinstance(lo, int) and isinstance(hi, int) and hi < lo:
            return [AnswerError("pupil_max_age", "answer.oldest_below_youngest", oldest=hi, youngest=lo)]
        return []

    def display(self, question: Question, value: Any, lang: str = "en") -> str:
        """A human-readable form of a typed answer, in ``lang``."""
        if value is None:
            return {"en": "not answered", "zh": "未回答"}.get(lang, "not answered")
        if question.type == "boolean":
            if value == UNKNOWN:
                return {"en": "not known", "zh": "不清楚"}[lang]
            return ({"en": "yes", "zh": "是"} if value else {"en": "no", "zh": "否"})[lang]
        if question.type == "single":
            opt = question.option(value)
            return opt.label[lang] if opt else str(value)
        if question.type == "multi":
            sep = "、" if lang == "zh" else "; "
            return sep.join(question.option(v).label[lang] if question.option(v) else str(v) for v in value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    @staticmethod
    def to_json(answers: Mapping[str, Any]) -> dict[str, Any]:
        """Typed answers -> JSON-safe values (dates as ISO strings, tuples as lists)."""
        out: dict[str, Any] = {}
        for k, v in answers.items():
            if isinstance(v, dt.date):
                out[k] = v.isoformat()
            elif isinstance(v, tuple):
                out[k] = list(v)
            else:
                out[k] = v
        return out


def _texts(d: Mapping | None) -> Mapping[str, str] | None:
    return dict(d) if d is not None else None


def build_questionnaire(data: Mapping[str, Any]) -> Questionnaire:
    """Build from schema-valid plain data. Raises :class:`QuestionnaireError` for inconsistencies
    the schema cannot see: duplicate ids, options on the wrong type, forward ``show_if`` references.
    """
    qn = Questionnaire(version=data["version"], sections=())
    sections: list[Section] = []
    section_ids: set[str] = set()
    for si, sdata in enumerate(data["sections"]):
        sp: tuple[str | int, ...] = ("sections", si)
        if sdata["id"] in section_ids:
            raise QuestionnaireError((*sp, "id"), f"duplicate section id '{sdata['id']}'")
        section_ids.add(sdata["id"])
        known_before = dict(qn.questions)  # show_if may only look backwards
        earlier = Questionnaire(version=qn.version, sections=(), questions=known_before)
        sec_show = None
        if "show_if" in sdata:
            try:
                sec_show = compile_condition(sdata["show_if"], earlier, (*sp, "show_if"))
            except ConditionError as exc:
                raise QuestionnaireError(exc.path, f"section '{sdata['id']}' show_if: {exc.message} "
                                                   "(show_if may refer only to earlier sections)") from None
        questions: list[Question] = []
        for qi, qd in enumerate(sdata["questions"]):
            qp = (*sp, "questions", qi)
            qid = qd["id"]
            if qid in qn.questions:
                raise QuestionnaireError((*qp, "id"), f"duplicate question id '{qid}'")
            t = qd["type"]
            options = tuple(Option(o["id"], _texts(o["label"]), _texts(o.get("help")))
                            for o in qd.get("options", []))
            if (t in ("single", "multi")) != bool(options):
                raise QuestionnaireError(qp, f"question '{qid}': options are required for single/multi "
                                             "questions and not allowed otherwise")
            if len({o.id for o in options}) != len(options):
                raise QuestionnaireError((*qp, "options"), f"question '{qid}' has duplicate option ids")
            exclusive = tuple(qd.get("exclusive", ()))
            if exclusive and (t != "multi" or any(x not in {o.id for o in options} for x in exclusive)):
                raise QuestionnaireError((*qp, "exclusive"), f"question '{qid}': exclusive must name options "
                                                             "of a multi question")
            show_if = None
            if "show_if" in qd:
                so_far = Questionnaire(version=qn.version, sections=(),
                                       questions={**known_before, **{x.id: x for x in questions}})
                try:
                    show_if = compile_condition(qd["show_if"], so_far, (*qp, "show_if"))
                except ConditionError as exc:
                    raise QuestionnaireError(exc.path, f"question '{qid}' show_if: {exc.message} "
                                                       "(show_if may refer only to questions asked before)") from None
            q = Question(id=qid, type=t, label=_texts(qd["label"]), help=_texts(qd["help"]),
                         section_id=sdata["id"], required=bool(qd.get("required", False)), options=options,
                         min=qd.get("min"), max=qd.get("max"), max_length=qd.get("max_length"),
                         exclusive=exclusive, show_if=show_if)
            questions.append(q)
        for q in questions:
            qn.questions[q.id] = q
        sections.append(Section(sdata["id"], _texts(sdata["title"]), _texts(sdata.get("intro")),
                                tuple(questions), sec_show))
    qn.sections = tuple(sections)
    return qn
