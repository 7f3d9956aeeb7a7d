"""The operator registry: one declaration per operator, read by the schema and the compiled conditions."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules import schema
from app.rules.conditions import ConditionError, compile_condition
from app.rules.operators import OPERATORS


def test_the_schema_takes_its_operators_from_the_registry():
    assert list(schema.OPERATORS) == list(OPERATORS)
    assert schema.OPERATORS["answered"] == schema.QUESTION_TYPES
    assert schema.OPERATORS["lt"] == ("integer", "date")
    leaf = next(s for s in schema.CONDITION["oneOf"] if "q" in s["properties"])
    assert set(leaf["properties"]) == {"q", *OPERATORS}


@pytest.mark.parametrize(("tree", "path", "message"), [
    ({"q": "jurisdiction", "like": "CN"}, ("when", "like"), "unknown operator 'like' (known: eq, ne, in,"),
    ({"q": "planned_date", "includes": "CN"}, ("when", "includes"),
     "operator 'includes' does not apply to question 'planned_date' of type 'date' (allowed for: multi)"),
    ({"q": "product_name", "answered": "yes"}, ("when", "answered"), "'answered' takes true or false, got 'yes'"),
    ({"q": "jurisdiction", "in": "CN"}, ("when", "in"), "'in' takes a non-empty list of options of 'jurisdiction'"),
    ({"q": "data_categories", "includes_all": []}, ("when", "includes_all"),
     "'includes_all' takes a non-empty list of options of 'data_categories'"),
    ({"all": [{"q": "data_categories", "includes_any": ["face_images", "dna"]}]}, ("when", "all", 0, "includes_any"),
     "question 'data_categories' has no option 'dna'"),
    ({"q": "data_categories", "includes": "dna"}, ("when", "includes"),
     "question 'data_categories' has no option 'dna'"),
    ({"not": {"q": "use_mandatory", "eq": "maybe"}}, ("when", "not", "eq"),
     "question 'use_mandatory' is yes/no: compare with true, false or unknown"),
    ({"q": "pupil_min_age", "lt": "14"}, ("when", "lt"),
     "question 'pupil_min_age' is a number: compare with an integer"),
    ({"q": "pupil_min_age", "eq": True}, ("when", "eq"),
     "question 'pupil_min_age' is a number: compare with an integer"),
    ({"q": "planned_date", "gte": "2026-02-30"}, ("when", "gte"),
     "question 'planned_date' is a date: compare with YYYY-MM-DD"),
])
def test_a_value_that_does_not_fit_is_a_load_error_naming_the_path(ruleset, tree, path, message):
    with pytest.raises(ConditionError) as info:
        compile_condition(tree, ruleset.questionnaire, ("when",))
    assert info.value.path == path
    assert info.value.message.startswith(message)


@pytest.mark.parametrize(("tree", "answer", "holds"), [
    ({"q": "jurisdiction", "eq": "CN"}, "CN", True),
    ({"q": "jurisdiction", "ne": "CN"}, "EU", True),
    ({"q": "jurisdiction", "in": ["EU", "UK"]}, "CN", False),
    ({"q": "data_categories", "includes": "face_images"}, ("face_images",), True),
    ({"q": "data_categories", "includes_any": ["eeg", "face_images"]}, ("face_images",), True),
    ({"q": "data_categories", "includes_all": ["eeg", "face_images"]}, ("face_images",), False),
    ({"q": "pupil_min_age", "lt": 14}, 14, False),
    ({"q": "pupil_min_age", "lte": 14}, 14, True),
    ({"q": "planned_date", "gt": "2025-02-02"}, dt.date(2025, 2, 2), False),
    ({"q": "planned_date", "gte": "2025-02-02"}, dt.date(2025, 2, 2), True),
    ({"q": "use_mandatory", "eq": "unknown"}, "unknown", True),
    ({"q": "use_mandatory", "ne": True}, "unknown", True),
    ({"q": "product_name", "answered": True}, "Gate", True),
    ({"q": "product_name", "answered": False}, "Gate", False),
])
def test_every_operator_tests_an_answer_and_fails_when_unanswered(ruleset, tree, answer, holds):
    condition = compile_condition(tree, ruleset.questionnaire)
    assert condition({tree["q"]: answer}) is holds
    unanswered = tree.get("answered") is False
    assert condition({}) is unanswered


# Answers and values of every type an operator reads: a yes/no question can also hold "unknown", so a
# comparison with True must say False for it (True.__eq__("unknown") is NotImplemented, which is truthy).
_SAMPLES = {
    "single": ["a", "b", "unknown"],
    "boolean": [True, False, "unknown"],
    "integer": [0, 13, 14, 15],
    "date": [dt.date(2025, 2, 1), dt.date(2025, 2, 2), dt.date(2025, 2, 3)],
    "multi": [(), ("a",), ("b",), ("a", "b"), ("a", "b", "c")],
}
_VALUES = {
    "in": [frozenset({"a"}), frozenset({"a", "b"}), frozenset()],
    "includes": ["a", "c"],
    "includes_any": [("a",), ("a", "c"), ("c", "d")],
    "includes_all": [("a",), ("a", "b"), ("a", "c")],
    "answered": [True, False],
}


@pytest.mark.parametrize("name", list(OPERATORS))
def test_an_operator_bound_to_its_value_agrees_with_its_test(name):
    # Compiled conditions call bind(value)(answer), built once per comparison at load time; the
    # operator's test(answer, value) is the definition it must keep to, for every type it reads.
    op = OPERATORS[name]
    for qtype in op.types or ("single", "boolean", "integer", "date", "multi"):
        values = _VALUES.get(name, _SAMPLES[qtype])
        for value in values:
            bound = op.bind(value)
            for answer in _SAMPLES[qtype]:
                if qtype in ("integer", "date") and name in ("eq", "ne") and type(answer) is not type(value):
                    continue
                expected = op.test(answer, value)
                assert bound(answer) is bool(expected), (name, qtype, answer, value)
