"""The condition language shared by rules, mitigations and the questionnaire's ``show_if``.

A condition is a small tree::

    {all: [c, ...]}  {any: [c, ...]}  {not: c}  {q: <question id>, <operator>: <value>}

Operators form a closed set, declared once in :mod:`app.rules.operators`; an unknown operator, an
unknown question, an option that does not exist or an operator that does not fit the question's
type is a load error (see :func:`compile_condition`), never a silent ``None``.

Semantics of an unanswered question: every leaf over it is false, except ``answered: false``.
So ``{not: {q: guardian_consent, eq: true}}`` holds when consent is denied *or* not stated: a
safeguard that the administrator has not confirmed counts as absent, as in CNIL's PIA method.

A questionnaire step shows questions whose ``show_if`` reads answers of the same step: the server
evaluates what it can (:meth:`Condition.partial`) and the page's script (``app/static/js/showif.js``)
evaluates the rest as the administrator types.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .operators import OPERATORS, ValueRefused

if TYPE_CHECKING:
    from .questionnaire import Questionnaire

Answers = Mapping[str, Any]
Residual = dict[str, Any]
"""A condition left for the browser, JSON-ready: ``{"q": id, "op": operator, "value": value}``,
``{"all": [residual, ...]}``, ``{"any": [residual, ...]}`` or ``{"not": residual}``."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """One comparison: ``question`` ``op`` ``value`` (value already typed: date, int, bool, str, tuple)."""

    question: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition; ``test(answers)`` is a closure built once at load time."""

    tree: Any
    test: Callable[[Answers], bool]
    repeats: bool = field(init=False, repr=False, compare=False)
    """Whether two leaves of the tree are the same comparison (only then can evidence list one twice)."""
    fixed_evidence: tuple[Leaf, ...] | None = field(init=False, repr=False, compare=False)
    """The evidence whenever the condition holds, for a tree whose explaining leaves do not depend on
    the answers (no ``any`` that holds or ``all`` that fails on the way: about half the rules' conditions);
    ``None`` for the others."""

    def __post_init__(self) -> None:
        leaves = _leaves(self.tree)
        object.__setattr__(self, "repeats", len({(x.question, x.op, x.value) for x in leaves}) < len(leaves))
        fixed = None
        if _answers_free(self.tree, True):
            out: list[Leaf] = []
            _collect(self.tree, {}, out, True, known=True)  # no child is tested on such a tree
            fixed = self._unique(out)
        object.__setattr__(self, "fixed_evidence", fixed)

    def __call__(self, answers: Answers) -> bool:
        return self.test(answers)

    def evidence(self, answers: Answers, holds: bool | None = None) -> tuple[Leaf, ...]:
        """The leaves that explain why the condition holds for ``answers``, each comparison once.

        For ``all`` every child counts, for ``any`` only the children that hold; under ``not`` the
        roles swap (a negated ``all`` is explained by its failing children, a negated ``any`` by all
        of them), so a "not confirmed" leaf shows the answer that is missing or different.
        ``holds``: ``True`` when the caller knows the condition holds for ``answers`` (a fired rule's,
        a met criterion's), so the leaves every child of which must hold are not tested again; ``None``
        tests it here.
        """
        if holds is None:
            holds = self.test(answers)
        if holds and self.fixed_evidence is not None:
            return self.fixed_evidence
        out: list[Leaf] = []
        _collect(self.tree, answers, out, True, known=holds)
        return self._unique(out)

    def _unique(self, out: list[Leaf]) -> tuple[Leaf, ...]:
        """``out`` with each comparison once, in first-seen order."""
        if not self.repeats:
            return tuple(out)
        seen: set[tuple[str, str, Any]] = set()
        unique = []
        for leaf in out:
            key = (leaf.question, leaf.op, leaf.value)
            if key not in seen:
                seen.add(key)
                unique.append(leaf)
        return tuple(unique)

    def partial(self, answers: Answers, local: Collection[str]) -> bool | Residual:
        """Evaluate what ``answers`` decide and keep the comparisons over ``local`` questions.

        ``answers``: typed answers (those of ``local`` questions are not read); ``local``: ids of the
        questions still being answered (a questionnaire step's own questions). Returns ``True`` or
        ``False`` when the condition holds or fails whatever the local answers are, else the rest as a
        :data:`Residual` tree with typed values made JSON-ready (dates as ``YYYY-MM-DD``, an ``in``
        list sorted, other lists as written). ``all``/``any`` children that are decided drop out, a
        single remaining child replaces its parent. Evaluating the residual over the local answers
        (as ``showif.js`` does) gives the same result as calling the condition on all answers.
        """
        return _partial(self.tree, answers, frozenset(local))


class ConditionError(ValueError):
    """A condition refers to something that does not exist; ``path`` locates it in the tree."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        self.path = tuple(path)
        self.message = message
        super().__init__(message)


# A compiled node keeps the original structure with typed leaves, so evidence can walk it, and its own
# test function in the last place: ("all", [nodes], fn) | ("any", [nodes], fn) | ("not", node, fn) |
# ("leaf", Leaf, fn). The functions are built once, at load time.
_Node = tuple

_MISSING = object()


def _leaf_fn(leaf: Leaf) -> Callable[[Answers], bool]:
    q, v = leaf.question, leaf.value
    op = OPERATORS[leaf.op]
    if op.unanswered(v):
        test = op.test
        return lambda a: test(a[q], v) if q in a else True
    bound = op.bind(v)

    def leaf_test(a: Answers) -> bool:
        answer = a.get(q, _MISSING)
        return answer is not _MISSING and bound(answer)
    return leaf_test


def _all_fn(fns: tuple[Callable[[Answers], bool], ...]) -> Callable[[Answers], bool]:
    if len(fns) == 2:
        first, second = fns
        return lambda a: first(a) and second(a)

    def all_test(a: Answers) -> bool:
        for f in fns:
            if not f(a):
                return False
        return True
    return all_test


def _any_fn(fns: tuple[Callable[[Answers], bool], ...]) -> Callable[[Answers], bool]:
    if len(fns) == 2:
        first, second = fns
        return lambda a: first(a) or second(a)

    def any_test(a: Answers) -> bool:
        for f in fns:
            if f(a):
                return True
        return False
    return any_test


def _collect(node: _Node, answers: Answers, out: list[Leaf], target: bool, known: bool = False) -> None:
    """Add the leaves that explain why ``node`` evaluates to ``target`` for ``answers``. ``known``: the
    caller knows that it does, so what that decides is not tested again (a leaf reached then explains it;
    so do all children of an ``all`` that holds or of an ``any`` that fails)."""
    kind = node[0]
    if kind == "leaf":
        if known or node[2](answers) == target:
            out.append(node[1])
    elif kind == "not":
        _collect(node[1], answers, out, not target, known)
    elif (kind == "all") == target:
        # all -> True: every child holds; any -> False: every child fails. All of them explain it.
        for child in node[1]:
            _collect(child, answers, out, target, known)
    else:
        # any -> True: the children that hold explain it; all -> False: the children that fail.
        for child in node[1]:
            if child[2](answers) == target:
                _collect(child, answers, out, target, True)


def _answers_free(node: _Node, target: bool) -> bool:
    """Whether :func:`_collect` of ``node`` known to evaluate to ``target`` gives the same leaves for any answers:
    it never tests a child (it does only for an ``any`` that holds or an ``all`` that fails)."""
    kind = node[0]
    if kind == "leaf":
        return True
    if kind == "not":
        return _answers_free(node[1], not target)
    return (kind == "all") == target and all(_answers_free(child, target) for child in node[1])


def _leaves(node: _Node) -> list[Leaf]:
    """Every leaf of a compiled tree, in order."""
    if node[0] == "leaf":
        return [node[1]]
    if node[0] == "not":
        return _leaves(node[1])
    return [leaf for child in node[1] for leaf in _leaves(child)]


def _partial(node: _Node, answers: Answers, local: frozenset[str]) -> bool | Residual:
    kind = node[0]
    if kind == "leaf":
        leaf, test = node[1], node[2]
        if leaf.question in local:
            return {"q": leaf.question, "op": leaf.op, "value": _json_value(leaf.value)}
        return bool(test(answers))
    if kind == "not":
        inner = _partial(node[1], answers, local)
        return (not inner) if isinstance(inner, bool) else {"not": inner}
    children = [_partial(child, answers, local) for child in node[1]]
    decisive = kind == "any"  # any: one True decides; all: one False decides
    if any(c is decisive for c in children):
        return decisive
    rest = [c for c in children if not isinstance(c, bool)]
    if not rest:
        return not decisive
    return rest[0] if len(rest) == 1 else {kind: rest}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _typed_value(question: Any, op: str, raw: Any, path: list[str | int]) -> Any:
    operator = OPERATORS[op]
    if not operator.applies_to(question.type):
        raise ConditionError(path, f"operator '{op}' does not apply to question '{question.id}' of type "
                                   f"'{question.type}' (allowed for: {', '.join(operator.types or ())})")
    try:
        return operator.typed_value(question, raw)
    except ValueRefused as exc:
        raise ConditionError(path, exc.message) from None


def _compile(tree: Any, questionnaire: Questionnaire, path: list[str | int]) -> _Node:
    if not isinstance(tree, Mapping):
        raise ConditionError(path, "a condition must be a mapping")
    if "all" in tree or "any" in tree:
        kind = "all" if "all" in tree else "any"
        children = tree[kind]
        if not isinstance(children, list) or not children:
            raise ConditionError(path, f"'{kind}' takes a non-empty list")
        nodes = [_compile(c, questionnaire, [*path, kind, i]) for i, c in enumerate(children)]
        fns = tuple(n[2] for n in nodes)
        if len(fns) == 1:
            return (kind, nodes, fns[0])
        return (kind, nodes, _all_fn(fns) if kind == "all" else _any_fn(fns))
    if "not" in tree:
        inner = _compile(tree["not"], questionnaire, [*path, "not"])
        inner_fn = inner[2]
        return ("not", inner, lambda a: not inner_fn(a))
    if "q" not in tree:
        raise ConditionError(path, f"unknown condition keys {sorted(tree)}: expected all, any, not or q")
    ops = [k for k in tree if k != "q"]
    if len(ops) != 1:
        raise ConditionError(path, f"a comparison takes exactly one operator, got {ops}")
    op = ops[0]
    if op not in OPERATORS:
        raise ConditionError([*path, op], f"unknown operator '{op}' (known: {', '.join(OPERATORS)})")
    question = questionnaire.questions.get(tree["q"])
    if question is None:
        raise ConditionError([*path, "q"], f"unknown question '{tree['q']}'")
    leaf = Leaf(question.id, op, _typed_value(question, op, tree[op], [*path, op]))
    return ("leaf", leaf, _leaf_fn(leaf))


def compile_condition(tree: Any, questionnaire: Questionnaire,
                      path: Sequence[str | int] = ()) -> Condition:
    """Check ``tree`` against ``questionnaire`` and compile it.

    Raises :class:`ConditionError` whose ``path`` (relative to the file) points at the bad part.
    """
    node = _compile(tree, questionnaire, list(path))
    return Condition(tree=node, test=node[2])


def canonical(tree: Any) -> str:
    """A stable text form of a raw condition tree, for spotting two rules with identical conditions."""
    return json.dumps(tree, sort_keys=True, ensure_ascii=False, default=str)
