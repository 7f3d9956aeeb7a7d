"""Real deployments from ../shared/cases/public-cases.md, with the verdicts regulators reached.

Each `tests/cases/<case>.yaml` is an ordinary answers file (usable with `eduaudit evaluate`);
its sibling `<case>.expected.yaml` names the source case and lists the jurisdiction/date runs and
what each must give: the overall verdict and the risk categories its key findings must include.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.answers import read_answers_file
from app.rules.engine import evaluate
from app.rules.loader import get_ruleset
from app.rules.yamlio import load_yaml, to_plain

CASES = Path(__file__).parent / "cases"
SUFFIX = ".expected.yaml"
ANSWER_FILES = sorted(p for p in CASES.glob("*.yaml") if not p.name.endswith(SUFFIX))
EXPECTED = {p.name[: -len(SUFFIX)]: to_plain(load_yaml(p)) for p in sorted(CASES.glob("*" + SUFFIX))}
RUNS = [(name, i, run) for name, exp in EXPECTED.items() for i, run in enumerate(exp["runs"])]


def test_every_case_file_has_expectations_and_vice_versa():
    files = {p.stem for p in ANSWER_FILES}
    assert len(files) >= 8, "every case of public-cases.md is encoded"
    assert files == set(EXPECTED), "each case file needs a <case>.expected.yaml and vice versa"


@pytest.mark.parametrize(("name", "index", "run"), RUNS, ids=[f"{n}-{r['jurisdiction']}-{r['as_of']}"
                                                              for n, _, r in RUNS])
def test_case_verdict_and_categories(name, index, run):
    ruleset = get_ruleset()
    answers, _meta = read_answers_file(CASES / f"{name}.yaml", ruleset.questionnaire)
    result = evaluate(ruleset, answers, run["jurisdiction"], dt.date.fromisoformat(run["as_of"]))
    # A finding folded into another (same fact, stated once) still counts with its own category.
    categories = {f.category for f in result.findings} | {ruleset.rule(m).category for f in result.findings
                                                          for m in f.merged}
    assert result.verdict == run["verdict"], [(f.rule_id, f.residual_risk_level) for f in result.findings]
    missing = set(run.get("categories", [])) - categories
    assert not missing, f"no finding in categories {sorted(missing)}; got {sorted(categories)}"
    raised = {f.rule_id for f in result.findings} | {m for f in result.findings for m in f.merged}
    for rule_id in run.get("rules", []):
        assert rule_id in raised


@pytest.mark.parametrize("path", ANSWER_FILES, ids=[p.stem for p in ANSWER_FILES])
def test_source_markers_stay_in_comments_not_in_answers(path):
    # A YAML comment inside a folded block becomes part of the text and would print in the report.
    answers = to_plain(load_yaml(path))
    leaked = {k: v for k, v in answers.items() if isinstance(v, str) and "#" in v}
    assert not leaked
