"""Fuzzing both file loaders: generated and mutated answers files and rule files.

Whatever bytes arrive, the answers loader raises only :class:`AnswersFileError` and the rule loader
only :class:`RuleLoadError` (both name the file; the command line turns them into exit codes 2 and
3). Bounded: a fixed number of examples, each with a deadline, so the suite's time stays known.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.answers import AnswersFileError, read_answers_file
from app.rules.loader import RuleLoadError, load_ruleset
from app.rules.yamlio import PARSER_FAILURE
from tests.rulesdir import make_rules_dir

CASES = Path(__file__).parent / "cases"
SEED_ANSWERS = [p.read_bytes() for p in sorted(CASES.glob("*.yaml")) if ".expected." not in p.name][:6]
RULE_FILE = "core/classroom-emotion-attention-recognition.yaml"
SEED_RULE = (Path(__file__).resolve().parents[1] / "audit_rules" / RULE_FILE).read_bytes()

PIECES = ["&a ", "*a", "<<: *a", "[", "]", "{", "}", ": ", ", ", "- ", "\n", "\n  ", "'", '"', "#", "!!python/object ",
          "!!binary ", "? ", "|\n", ">-\n", "2026-02-30", "2026-02-28", "9" * 40, "-0x1F", "1e999", ".inf", ".nan",
          "null", "~", "yes", "no", "unknown", "jurisdiction", "planned_date", "pupil_min_age", "data_categories",
          "as_of", "school", "\t", "\\u0000", "\ufeff", "%YAML 1.1\n---\n", "---\n", "...\n", "\x00", "\udcff"]
"""Fragments that matter to YAML and JSON parsers, and this questionnaire's own keys."""

SETTINGS = settings(max_examples=200, deadline=dt.timedelta(seconds=10),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | \
    st.dates().map(str) | st.sampled_from(PIECES)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                     st.dictionaries(st.text(max_size=12) | st.sampled_from(PIECES), inner, max_size=4),
                     max_leaves=25)
token_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=60).map("".join)

FOUND = [b"{? {a: {b: 1}}: 1, c: 2}", b"&a [&a 1]", b"&a [*a]", b"x: &a {<<: *a}", b"!!omap [a: 1, a: 2]",
         b"%YAML 1.3\n---\na: 1\n", b"a: !!bool x\n", b"a: !!int +\n", b'a: "\\U00110000"\n']
"""Inputs that escaped the YAML reader as other errors (TypeError, ReusedAnchorWarning, RecursionError,
AttributeError, AssertionError, KeyError, IndexError, ValueError); each is tried on every run."""


def with_examples(*examples: dict):
    """Run each of ``examples`` (keyword arguments of the test) before the generated ones."""
    def decorate(test):
        for kwargs in reversed(examples):
            test = example(**kwargs)(test)
        return test
    return decorate


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed file with a few slices replaced by fragments or random bytes."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 40)))
        piece = draw(st.sampled_from(PIECES).map(lambda p: p.encode("utf-8", "surrogatepass")) | st.binary(max_size=8))
        data = data[:start] + piece + data[end:]
    return data


def _as_text(tree) -> str:
    return json.dumps(tree, ensure_ascii=False, default=str)


answers_bytes = st.one_of(
    trees.map(lambda t: _as_text(t).encode("utf-8", "surrogatepass")),  # JSON is YAML 1.2 too: read by both parsers
    token_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    mutated(SEED_ANSWERS),
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def questionnaire():
    return load_ruleset().questionnaire


@SETTINGS
@given(data=answers_bytes, suffix=st.sampled_from([".yaml", ".json"]))
@with_examples(*[{"data": d, "suffix": ".yaml"} for d in FOUND], {"data": b'school: "\\ud800"\n', "suffix": ".yaml"},
               {"data": b'{"school": "\\ud800"}', "suffix": ".json"})
def test_answers_loader_raises_only_its_own_error(workdir, questionnaire, data, suffix):
    path = workdir / f"answers{suffix}"
    path.write_bytes(data)
    try:
        answers, meta = read_answers_file(path, questionnaire, require_complete=False)
    except AnswersFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        assert not any(PARSER_FAILURE in p for p in exc.problems), exc.problems  # a failure no check names
        str(exc).encode("utf-8")  # no lone surrogate ("\\ud800"), which no output can hold
    else:
        json.dumps([answers, meta], ensure_ascii=False, default=str).encode("utf-8")


@pytest.fixture(scope="module")
def rules_root(tmp_path_factory):
    root = make_rules_dir(tmp_path_factory.mktemp("fuzz-rules"))
    load_ruleset(root)  # the unchanged files are remembered: each example re-reads only the fuzzed one
    return root


@SETTINGS
@given(data=st.one_of(mutated([SEED_RULE]), token_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      trees.map(lambda t: _as_text(t).encode("utf-8", "surrogatepass"))))
@with_examples(*[{"data": d} for d in FOUND])
def test_rule_loader_raises_only_its_own_error(rules_root, data):
    path = rules_root / RULE_FILE
    path.write_bytes(data)
    try:
        load_ruleset(rules_root)
    except RuleLoadError as exc:
        assert exc.problems
        assert PARSER_FAILURE not in str(exc), str(exc)  # a failure no check names
    finally:
        shutil.copy(Path(__file__).resolve().parents[1] / "audit_rules" / RULE_FILE, path)
