"""`eduaudit rules diff`: re-evaluate audits under two rule sets and list what changes."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from app.cli import main
from app.rules.diff import AuditInput, diff_rulesets
from app.rules.loader import load_ruleset
from tests.rulesdir import make_rules_dir, rule_text

FACE_GATE = {"data_categories": ["face_templates"], "pupil_min_age": 12}


def _sets(tmp_path):
    old = make_rules_dir(tmp_path / "old")
    new = make_rules_dir(tmp_path / "new", {"core/test-rule.yaml": rule_text()})
    return old, new


def test_diff_lists_added_findings_and_verdict_change(tmp_path):
    old, new = (load_ruleset(p) for p in _sets(tmp_path))
    changes = diff_rulesets(old, new, [AuditInput("gate", FACE_GATE, "CN", dt.date(2025, 1, 1)),
                                       AuditInput("grades", {"data_categories": ["grades"]}, "CN",
                                                  dt.date(2025, 1, 1))])
    gate, grades = changes
    assert (gate.old_verdict, gate.new_verdict, gate.added, gate.changed) == ("low", "high", ("test-rule",), True)
    assert not grades.changed


def test_diff_ignores_answers_unknown_to_one_side(tmp_path):
    old = load_ruleset(make_rules_dir(tmp_path / "old"))
    new_dir = make_rules_dir(tmp_path / "new")
    questionnaire = new_dir / "questionnaire.yaml"
    added = """      - id: tablet_model
        type: text
        label: {en: Tablet model, zh: 平板型号}
        help: {en: Which tablet pupils use., zh: 学生使用的平板。}
"""
    text = questionnaire.read_text(encoding="utf-8")
    anchor = "      - id: vendor_name\n"
    questionnaire.write_text(text.replace(anchor, added + anchor, 1), encoding="utf-8")
    new = load_ruleset(new_dir)
    assert "tablet_model" in new.questionnaire.questions and "tablet_model" not in old.questionnaire.questions
    [change] = diff_rulesets(old, new, [AuditInput("gate", {**FACE_GATE, "tablet_model": "X1"}, "CN",
                                                   dt.date(2025, 1, 1))])
    assert change.error is None and change.old_verdict == change.new_verdict


def test_cli_diff_between_directories(tmp_path):
    old, new = _sets(tmp_path)
    answers = tmp_path / "gate.yaml"
    answers.write_text("jurisdiction: CN\ndata_categories: [face_templates]\npupil_min_age: 12\n"
                       "as_of: 2025-01-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "diff", "--from", str(old), "--to", str(new), "--answers",
                                       str(answers), "--no-stored"])
    assert result.exit_code == 0, result.output
    assert "gate [CN 2025-01-01]: low -> high" in result.output and "    + test-rule" in result.output
    assert "1 of 1 audit(s) change" in result.output


def test_cli_diff_rejects_unknown_revision(tmp_path):
    result = CliRunner().invoke(main, ["rules", "diff", "--from", "no-such-revision-xyz", "--no-stored"])
    assert result.exit_code == 2 and "neither a directory nor a git revision" in result.output


def _case_runs():
    from app.answers import read_answers_file
    from app.rules.loader import get_ruleset
    from app.rules.yamlio import load_yaml, to_plain

    cases = __import__("pathlib").Path(__file__).parent / "cases"
    qn = get_ruleset().questionnaire
    for expected in sorted(cases.glob("*.expected.yaml")):
        answers, _ = read_answers_file(cases / expected.name.replace(".expected", ""), qn)
        for run in to_plain(load_yaml(expected))["runs"]:
            for jurisdiction in ("CN", "EU", "UK", "US"):  # the counterfactual runs too
                yield expected.name.removesuffix(".expected.yaml"), answers, jurisdiction, \
                    dt.date.fromisoformat(run["as_of"])


def test_the_diffs_outcome_is_what_the_full_evaluation_concludes(ruleset):
    # rules diff compares verdicts and residual levels through engine.outcome, which builds no report.
    from app.rules.engine import evaluate, outcome

    runs = list(_case_runs())
    assert len(runs) > 50
    merged = 0
    for name, answers, jurisdiction, as_of in runs:
        full = evaluate(ruleset, answers, jurisdiction, as_of)
        merged += sum(len(f.merged) for f in full.findings)
        assert outcome(ruleset, answers, jurisdiction, as_of) == (
            full.verdict, {f.rule_id: f.residual_risk_level for f in full.findings}), (name, jurisdiction, as_of)
    assert merged  # the cases include findings folded into an overriding rule's


def test_the_diff_split_over_processes_gives_the_same_changes_in_the_same_order(tmp_path):
    old_dir, new_dir = _sets(tmp_path)
    old, new = load_ruleset(old_dir), load_ruleset(new_dir)
    audits = [AuditInput(f"a{i}", {**FACE_GATE, "pupil_min_age": 6 + i % 12} if i % 3 else {"pupil_min_age": "x"},
                         ("CN", "EU", "UK", "US")[i % 4], dt.date(2026, 1, 1)) for i in range(41)]
    one = diff_rulesets(old, new, audits)
    assert any(c.error for c in one) and any(c.added for c in one)
    assert diff_rulesets(old, new, audits, workers=2, parallel_min=10) == one
    assert diff_rulesets(old, new, audits, workers=3, parallel_min=10) == one
