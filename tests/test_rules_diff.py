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
