"""Every rule proves itself: its `fire` examples must fire and its `silent` ones must not."""

from __future__ import annotations

import pytest

from app.rules.engine import example_fires, lowered_example_problem
from app.rules.loader import RuleLoadError, get_ruleset

# A broken rule file must fail a test, not abort collection of the whole suite.
try:
    _RULESET, _LOAD_ERROR = get_ruleset(), None
except RuleLoadError as exc:
    _RULESET, _LOAD_ERROR = None, exc
_CASES = [(r, kind, i, ex) for r in (_RULESET.rules if _RULESET else ())
          for kind, exs in (("fire", r.fire_examples), ("silent", r.silent_examples))
          for i, ex in enumerate(exs)]


def test_rule_set_loads():
    assert _LOAD_ERROR is None, str(_LOAD_ERROR)


@pytest.mark.parametrize(("rule", "kind", "index", "example"), _CASES,
                         ids=[f"{r.id}-{k}-{i}" for r, k, i, _ in _CASES])
def test_rule_example(rule, kind, index, example):
    assert example_fires(_RULESET, rule, example) is (kind == "fire")


_LOWERED = [(r, i, ex) for r in (_RULESET.rules if _RULESET else ()) for i, ex in enumerate(r.lowered_examples)]


@pytest.mark.parametrize(("rule", "index", "example"), _LOWERED, ids=[f"{r.id}-lowered-{i}" for r, i, _ in _LOWERED])
def test_a_measure_lowers_the_residual_level_in_the_rules_own_example(rule, index, example):
    assert lowered_example_problem(_RULESET, rule, example) is None
