"""The comparison operators of the condition language, each declared once.

A comparison is ``{q: <question id>, <operator>: <value>}``. :data:`OPERATORS` is the closed set:
for each operator the question types it applies to, what its value must be (checked and typed once,
at load) and its test of an answer. Everything else follows this registry: the JSON Schema of the
rule files (:data:`app.rules.schema.OPERATORS`), the compiled conditions of the engine and of the
questionnaire's ``show_if`` (:mod:`app.rules.conditions`) and, for show-if on a live page, the
browser's table ``OPERATORS`` in ``app/static/js/showif.js``, which ``tests/test_condition_agreement.py``
holds to the same names and the same results.

An unanswered question fails every comparison, except those whose ``unanswered`` says otherwise
(``answered: false``).

Adding an operator: declare it below, give it the same test in ``showif.js`` (the answer there is
as the page reads it: numbers for integers, ``YYYY-MM-DD`` text for dates, arrays for multi-choice)
and list it in ``audit_rules/README.md``. The agreement test tries it with its value kind's test
values; a new value kind needs its own there (``_values``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class ValueRefused(ValueError):
    """An operator's value does not fit the question; ``message`` says why in words for a rule author."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class _Question(Protocol):
    id: str
    type: str
    options: tuple[Any, ...]


def _option_ids(question: _Question) -> set[str]:
    return {o.id for o in question.options}


def flag(op: str, question: _Question, raw: Any) -> bool:
    """A value of ``true`` or ``false``."""
    if not isinstance(raw, bool):
        raise ValueRefused(f"'{op}' takes true or false, got {raw!r}")
    return raw


def _options(op: str, question: _Question, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise ValueRefused(f"'{op}' takes a non-empty list of options of '{question.id}'")
    known = _option_ids(question)
    for item in raw:
        if item not in known:
            raise ValueRefused(f"question '{question.id}' has no option '{item}'")
    return raw


def option_list(op: str, question: _Question, raw: Any) -> tuple[str, ...]:
    """A non-empty list of the question's option ids, kept in the order written."""
    return tuple(_options(op, question, raw))


def option_set(op: str, question: _Question, raw: Any) -> frozenset[str]:
    """A non-empty list of the question's option ids, as a set."""
    return frozenset(_options(op, question, raw))


def like_answer(op: str, question: _Question, raw: Any) -> Any:
    """One value typed like an answer to the question: an option id (single, and one option of a
    multi), true / false / ``unknown`` (boolean), an integer, or a ``YYYY-MM-DD`` date -> ``datetime.date``."""
    qtype = question.type
    if qtype in ("single", "multi"):
        if raw not in _option_ids(question):
            raise ValueRefused(f"question '{question.id}' has no option '{raw}'")
        return raw
    if qtype == "boolean":
        if not isinstance(raw, bool) and raw != "unknown":
            raise ValueRefused(f"question '{question.id}' is yes/no: compare with true, false or unknown")
        return raw
    if qtype == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueRefused(f"question '{question.id}' is a number: compare with an integer")
        return raw
    if qtype == "date":
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueRefused(f"question '{question.id}' is a date: compare with YYYY-MM-DD") from None
    raise ValueRefused(f"question '{question.id}' of type '{qtype}' cannot be compared")


def _never(value: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator.

    ``types``: the question types it applies to (``None``: every type). ``value(op, question, raw)``
    checks the raw value from the YAML and returns it typed, or raises :class:`ValueRefused`.
    ``test(answer, value)``: whether a typed answer (see :class:`app.rules.questionnaire.Question`)
    passes, for an answered question. ``unanswered(value)``: the result when the question is not
    answered (false unless said otherwise). ``bind(value)``: the same test with its value fixed, a
    function of the answer alone returning a ``bool``, built once per comparison when the rule set is
    loaded (it must agree with ``test``; ``tests/test_conditions.py`` checks every operator).
    """

    name: str
    types: tuple[str, ...] | None
    value: Callable[[str, _Question, Any], Any]
    test: Callable[[Any, Any], bool]
    unanswered: Callable[[Any], bool] = _never
    binder: Callable[[Any], Callable[[Any], bool]] | None = None

    def bind(self, value: Any) -> Callable[[Any], bool]:
        """``test`` with ``value`` fixed: ``bind(value)(answer) == test(answer, value)``."""
        if self.binder is not None:
            return self.binder(value)
        test = self.test
        return lambda answer: test(answer, value)

    def applies_to(self, question_type: str) -> bool:
        return self.types is None or question_type in self.types

    def typed_value(self, question: _Question, raw: Any) -> Any:
        """``raw`` checked against ``question`` and typed. Raises :class:`ValueRefused`."""
        return self.value(self.name, question, raw)


_COMPARABLE = ("integer", "date")

OPERATORS: Mapping[str, Operator] = {o.name: o for o in (
    Operator("eq", ("single", "boolean", "integer"), like_answer, operator.eq,
             binder=lambda v: lambda answer: answer == v),
    Operator("ne", ("single", "boolean", "integer"), like_answer, operator.ne,
             binder=lambda v: lambda answer: answer != v),
    Operator("in", ("single",), option_set, lambda answer, value: answer in value,
             binder=lambda v: v.__contains__),
    Operator("includes", ("multi",), like_answer, operator.contains,
             binder=lambda v: lambda answer: v in answer),
    Operator("includes_any", ("multi",), option_list, lambda answer, value: any(x in answer for x in value),
             binder=lambda v: lambda answer, wanted=frozenset(v): not wanted.isdisjoint(answer)),
    Operator("includes_all", ("multi",), option_list, lambda answer, value: all(x in answer for x in value),
             binder=lambda v: lambda answer, wanted=frozenset(v): wanted.issubset(answer)),
    Operator("lt", _COMPARABLE, like_answer, operator.lt, binder=lambda v: lambda answer: answer < v),
    Operator("lte", _COMPARABLE, like_answer, operator.le, binder=lambda v: lambda answer: answer <= v),
    Operator("gt", _COMPARABLE, like_answer, operator.gt, binder=lambda v: lambda answer: answer > v),
    Operator("gte", _COMPARABLE, like_answer, operator.ge, binder=lambda v: lambda answer: answer >= v),
    Operator("answered", None, flag, lambda answer, value: value, unanswered=operator.not_),
)}
"""Operator name -> :class:`Operator`, in the order the documentation lists them."""
