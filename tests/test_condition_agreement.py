"""The browser's show-if (app/static/js/showif.js, run in Node) agrees with the server's conditions.

One Node process serves the whole module: each request is one line of JSON on its stdin (a batch of
cases), each reply one line of JSON. Answers go to the script as the page gives them: the text of
an input, the checked radio's value, the list of ticked checkboxes (``ShowIf.answer`` types them), or
already typed as ``answer`` returns them (numbers for integers, ``YYYY-MM-DD`` for dates, arrays for
multi-choice, true / false / ``"unknown"`` for yes/no).

Not compared: the server's range limits (an integer's min and max, the years a date may name) and
its text checks (length, control characters), which the page leaves to the server's message; the
compact date forms Python also reads (``20260131``), which a date input never gives. Node is
required: without it this module fails rather than skips, so the agreement cannot go unchecked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.conditions import compile_condition
from app.rules.loader import get_ruleset
from app.rules.operators import OPERATORS, flag, like_answer, option_list, option_set
from app.rules.questionnaire import AnswerError, build_questionnaire

SHOWIF = Path(__file__).resolve().parents[1] / "app" / "static" / "js" / "showif.js"

# The harness: requests {"operators": true} | {"answer": [[type, raw], ...]} |
# {"evaluate": [{"node", "answers"}, ...]} | {"page": [{"slots": [[id, node|null], ...], "answers"}, ...]}.
# "page" does what steps.js does on every change: in page order, a question is shown when it has no
# condition or its condition holds over the answers of the questions shown above it.
HARNESS = r"""
const showif = require(process.argv[1]);
const lines = require("readline").createInterface({input: process.stdin, crlfDelay: Infinity});
function page(c) {
  const shown = {};
  return c.slots.map(([id, node]) => {
    const visible = node === null || showif.evaluate(node, (q) => shown[q]);
    if (visible && c.answers[id] !== undefined) { shown[id] = c.answers[id]; }
    return visible;
  });
}
function typed([type, raw]) {
  const value = showif.answer(type, raw);
  return value === undefined ? null : value;
}
lines.on("line", (line) => {
  const request = JSON.parse(line);
  let reply;
  try {
    if (request.operators) { reply = Object.keys(showif.OPERATORS); }
    else if (request.answer) { reply = request.answer.map(typed); }
    else if (request.evaluate) { reply = request.evaluate.map((c) => showif.evaluate(c.node, (q) => c.answers[q])); }
    else { reply = request.page.map(page); }
  } catch (e) { reply = {error: String((e && e.stack) || e)}; }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
"""


class Node:
    """One Node process running :data:`HARNESS` over showif.js."""

    def __init__(self, executable: str) -> None:
        self.process = subprocess.Popen([executable, "-e", HARNESS, str(SHOWIF)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def ask(self, request: dict[str, Any]) -> Any:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"node exited ({self.process.poll()}) on {json.dumps(request)[:300]}"
        reply = json.loads(line)
        assert not isinstance(reply, dict), reply["error"]
        return reply

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def node():
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (Node.js 18+) is not on PATH: the show-if agreement test needs it (Debian: nodejs)")
    harness = Node(executable)
    yield harness
    harness.close()


# -- a questionnaire with two questions of every type ------------------------------------------

TYPES = ("single", "multi", "boolean", "integer", "date", "text", "textarea")
OPTIONS = {"single": ("x", "y", "z"), "multi": ("x", "y", "z", "none")}


def _question(qid: str, qtype: str) -> dict[str, Any]:
    text = {"en": qid, "zh": qid}
    out: dict[str, Any] = {"id": qid, "type": qtype, "label": text, "help": text}
    if qtype in OPTIONS:
        out["options"] = [{"id": o, "label": {"en": o, "zh": o}} for o in OPTIONS[qtype]]
    if qtype == "multi":
        out["exclusive"] = ["none"]
    return out


QN = build_questionnaire({"version": 1, "sections": [
    {"id": "step", "title": {"en": "Step", "zh": "步骤"},
     "questions": [_question(f"{copy}_{t}", t) for copy in ("a", "b") for t in TYPES]},
]})
QIDS = tuple(QN.questions)

INTEGERS = (-999_999_999, -1, 0, 1, 13, 14, 18, 999_999_999)
DATES = ("2000-01-01", "2024-02-28", "2024-02-29", "2024-03-01", "2100-12-31")


def _subsets(items: tuple[str, ...]) -> list[list[str]]:
    return [list(c) for n in range(1, len(items) + 1) for c in itertools.combinations(items, n)]


TYPED_ANSWERS: dict[str, list[Any]] = {
    "single": list(OPTIONS["single"]),
    "multi": [tuple(s) for s in _subsets(("x", "y", "z"))] + [("none",)],
    "boolean": [True, False, "unknown"],
    "integer": [*INTEGERS, 12, 17, 19],
    "date": [dt.date.fromisoformat(d) for d in (*DATES, "1999-12-31", "2023-02-28", "2026-09-01")],
    "text": ["some words"],
    "textarea": ["a line\nand another"],
}
"""Typed answers (as the server keeps them) to try for each question type; "not answered" is added."""


def _values(kind: Any, qtype: str) -> list[Any]:
    """The values (as written in YAML) an operator taking ``kind`` is tried with on a ``qtype`` question."""
    if kind is flag:
        return [True, False]
    if kind is option_set or kind is option_list:
        return _subsets(OPTIONS[qtype])
    if kind is like_answer:
        return {"single": list(OPTIONS["single"]), "multi": list(OPTIONS["multi"]),
                "boolean": [True, False, "unknown"], "integer": list(INTEGERS), "date": list(DATES)}[qtype]
    raise AssertionError(f"no test values for the operator value kind {kind.__name__}: add them here")


LEAVES: list[dict[str, Any]] = [
    {"q": qid, name: value}
    for name, op in OPERATORS.items()
    for qid, q in QN.questions.items() if op.applies_to(q.type)
    for value in _values(op.value, q.type)
]
"""Every operator on every question it applies to, with every test value."""


def page_form(answers: dict[str, Any]) -> dict[str, Any]:
    """Typed answers as the page's script holds them (``ShowIf.answer``): dates as text, tuples as lists."""
    return QN.to_json(answers)


def residual(condition) -> Any:
    """The whole condition as the server sends it to the page (every question local)."""
    return condition.partial({}, QIDS)


def _compile(tree: dict[str, Any]):
    return compile_condition(tree, QN)


# -- the operator table -----------------------------------------------------------------------

def test_the_browser_names_the_same_operators_as_the_registry(node):
    in_js = node.ask({"operators": True})
    assert sorted(in_js) == sorted(OPERATORS), (
        f"only in showif.js: {sorted(set(in_js) - set(OPERATORS))}; "
        f"only in app/rules/operators.py: {sorted(set(OPERATORS) - set(in_js))}")


def test_every_operator_and_question_type_is_exercised():
    assert {next(k for k in leaf if k != "q") for leaf in LEAVES} == set(OPERATORS)
    assert {QN.questions[leaf["q"]].type for leaf in LEAVES} == set(TYPES)


# -- every operator, every input --------------------------------------------------------------

def test_every_operator_gives_the_same_result_for_every_answer(node):
    cases, expected, labels = [], [], []
    for tree in LEAVES:
        qid = tree["q"]
        for wrapped in (tree, {"not": tree}):
            condition = _compile(wrapped)
            for answer in [None, *TYPED_ANSWERS[QN.questions[qid].type]]:
                answers = {} if answer is None else {qid: answer}
                cases.append({"node": residual(condition), "answers": page_form(answers)})
                expected.append(condition(answers))
                labels.append((wrapped, answer))
    got = node.ask({"evaluate": cases})
    differ = [(label, want) for label, want, js in zip(labels, expected, got, strict=True) if want != js]
    assert not differ, f"{len(differ)} of {len(cases)} differ (condition, answer, server): {differ[:10]}"
    assert len(cases) > 2000


RAW_INPUTS: dict[str, list[Any]] = {
    "single": [None, "x", "z"],
    "boolean": [None, "yes", "no", "unknown"],
    "multi": [[], ["x"], ["x", "z"], ["x", "y", "z"], ["none"]],
    "integer": ["", "   ", "12", " 12 ", "0012", "-0", "-7", "+7", "1.5", "1e3", "12a", "0x1A", "٣",
                "999999999", "-999999999", "1000000000", "-1000000000"],
    "date": ["", " ", "2026-01-31", " 2026-01-31 ", "2024-02-29", "2023-02-29", "2100-02-29", "2026-02-30",
             "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-5", "31/01/2026", "2026-01-31T00:00"],
    "text": ["", "   ", "some words", "  padded  "],
    "textarea": ["", "\n\n", "a line\nand another"],
}
"""What the page's inputs give: checked values, a checked radio's value (None: none), input text."""


def _server_reads(question, raw: Any) -> Any:
    """The typed answer the server keeps for ``raw`` sent from the form (None: no answer, or refused)."""
    if raw is None or raw == [] or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return QN.coerce(question, raw)
    except AnswerError:
        return None


def test_the_page_reads_an_input_as_the_server_does(node):
    cases, expected = [], []
    for qtype, inputs in RAW_INPUTS.items():
        question = QN.questions[f"a_{qtype}"]
        for raw in inputs:
            typed = _server_reads(question, raw)
            cases.append([qtype, raw])
            expected.append(None if typed is None else page_form({"v": typed})["v"])
    got = node.ask({"answer": cases})
    differ = [(case, want, js) for case, want, js in zip(cases, expected, got, strict=True) if want != js]
    assert not differ, f"(type, input), server, page: {differ}"


def test_an_integer_or_date_compares_by_value_not_as_text(node):
    # "9" > "10" as text, "2026-10-01" < "2026-9-30" as text: the page must compare numbers and real dates.
    later = _compile({"q": "a_integer", "gt": 9})
    before = _compile({"q": "a_date", "lt": "2026-10-01"})
    raw = [["integer", "10"], ["integer", "0010"], ["date", "2026-9-30"]]
    ten, ten_padded, loose_date = node.ask({"answer": raw})
    assert ten == 10 and ten_padded == 10 and loose_date is None
    got = node.ask({"evaluate": [{"node": residual(later), "answers": {"a_integer": ten}},
                                 {"node": residual(before), "answers": {"a_date": "2026-09-30"}}]})
    assert got == [True, True]


# -- nested conditions and partial evaluation -------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

trees = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"all": c}),
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=10,
)
answer_sets = st.fixed_dictionaries({}, optional={
    qid: st.sampled_from(TYPED_ANSWERS[q.type]) for qid, q in QN.questions.items()})


@SETTINGS
@given(tree=trees, answers=st.lists(answer_sets, min_size=1, max_size=8))
def test_nested_conditions_agree(node, tree, answers):
    condition = _compile(tree)
    got = node.ask({"evaluate": [{"node": residual(condition), "answers": page_form(a)} for a in answers]})
    assert got == [condition(a) for a in answers]


@SETTINGS
@given(tree=trees, answers=answer_sets, local=st.sets(st.sampled_from(QIDS)))
def test_partial_evaluation_then_the_page_equals_full_evaluation(node, tree, answers, local):
    condition = _compile(tree)
    others = {k: v for k, v in answers.items() if k not in local}
    rest = condition.partial(others, local)
    assert rest == condition.partial(answers, local), "answers to local questions are not read"
    if isinstance(rest, bool):
        assert rest == condition(answers)
        return
    assert set(_questions(rest)) <= local
    json.dumps(rest)  # JSON-ready
    [got] = node.ask({"evaluate": [{"node": rest, "answers": page_form(
        {k: v for k, v in answers.items() if k in local})}]})
    assert got == condition(answers)


def _questions(rest: Any) -> list[str]:
    if "q" in rest:
        return [rest["q"]]
    if "not" in rest:
        return _questions(rest["not"])
    return [q for child in rest.get("all", rest.get("any")) for q in _questions(child)]


def test_partial_evaluation_keeps_the_shape_of_what_is_left():
    condition = _compile({"all": [{"q": "a_single", "eq": "x"},
                                  {"any": [{"q": "b_multi", "includes_any": ["y", "x"]}, {"q": "b_integer", "lt": 14}]},
                                  {"not": {"q": "b_date", "gte": "2024-02-29"}},
                                  {"q": "b_single", "in": ["z", "x"]}]})
    local = {"b_multi", "b_date", "b_single"}
    assert condition.partial({"a_single": "y"}, local) is False
    assert condition.partial({"a_single": "x", "b_integer": 3}, local) == {"all": [
        {"not": {"q": "b_date", "op": "gte", "value": "2024-02-29"}},
        {"q": "b_single", "op": "in", "value": ["x", "z"]}]}
    assert condition.partial({"a_single": "x"}, local) == {"all": [
        {"q": "b_multi", "op": "includes_any", "value": ["y", "x"]},
        {"not": {"q": "b_date", "op": "gte", "value": "2024-02-29"}},
        {"q": "b_single", "op": "in", "value": ["x", "z"]}]}
    assert _compile({"q": "a_boolean", "answered": False}).partial({}, ()) is True


# -- the real questionnaire: what the step page shows is what the server asks ------------------

RULESET = get_ruleset()
REAL = RULESET.questionnaire


def _real_value(q) -> st.SearchStrategy:
    if q.type in ("single", "multi"):
        ids = [o.id for o in q.options]
        if q.type == "single":
            return st.sampled_from(ids)
        plain = [x for x in ids if x not in q.exclusive]
        return st.one_of(st.lists(st.sampled_from(plain), min_size=1, unique=True).map(
            lambda xs, order=tuple(ids): tuple(sorted(xs, key=order.index))), *[st.just((x,)) for x in q.exclusive])
    if q.type == "boolean":
        return st.sampled_from([True, False, "unknown"])
    if q.type == "integer":
        return st.integers(min_value=q.min if q.min is not None else 0, max_value=q.max if q.max is not None else 99)
    if q.type == "date":
        return st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31))
    return st.just("words")


real_answers = st.fixed_dictionaries({}, optional={q.id: _real_value(q) for q in REAL.questions.values()})


@SETTINGS
@given(answers=real_answers)
def test_every_step_of_the_questionnaire_shows_what_the_server_asks(node, answers):
    from app.audits.forms import step_slots

    effective = REAL.effective_answers(answers)
    pages, asked = [], []
    for section in REAL.visible_sections(answers):
        slots = step_slots(REAL, section, answers)
        on_page = {s.question.id for s in slots}
        assert all(REAL.is_visible(q, effective) is False for q in section.questions if q.id not in on_page)
        pages.append({"slots": [[s.question.id, s.condition] for s in slots],
                      "answers": REAL.to_json({s.question.id: answers[s.question.id]
                                               for s in slots if s.question.id in answers})})
        asked.append([REAL.is_visible(s.question, effective) for s in slots])
    assert node.ask({"page": pages}) == asked
