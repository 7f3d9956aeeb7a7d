"""`eduaudit cases`: every real case run with its expected jurisdictions and dates, and the counts."""

from __future__ import annotations

import json

from click.testing import CliRunner

from app.cli import main
from tests.rulesdir import make_rules_dir, rule_text

# With the test rule (facial-recognition, "high" when face templates are collected) this case is high.
GATE = "jurisdiction: CN\ndata_categories: [face_templates]\npupil_min_age: 12\n"
GATE_RUNS = """\
source: test
runs:
  - {jurisdiction: CN, region: CN-GD, as_of: 2025-01-01, verdict: high, categories: [facial-recognition]}
  - {jurisdiction: CN, as_of: 2025-01-01, verdict: critical, categories: [facial-recognition, governance]}
  - {jurisdiction: CN, as_of: 2025-01-01, verdict: low, categories: []}
"""


def _case_folder(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "gate.yaml").write_text(GATE, encoding="utf-8")
    (folder / "gate.expected.yaml").write_text(GATE_RUNS, encoding="utf-8")
    rules = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()})
    return folder, rules


def test_cases_report_counts_matches_misses_categories_and_false_alarms(tmp_path):
    folder, rules = _case_folder(tmp_path)
    result = CliRunner().invoke(main, ["cases", str(folder), "--rules-dir", str(rules)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["gate", "CN/CN-GD", "2025-01-01", "expected", "high", "got", "high", "OK"]
    assert lines[1].endswith("expected critical   got high       MISS  missing: governance")
    assert lines[2].split()[-3:] == ["got", "high", "MISS"]
    # 1 of 3 verdicts; 2 of 3 key categories found; the run expecting low but judged high is a false
    # alarm, the run expecting critical but judged high is a miss only.
    assert lines[-1] == "verdicts 1/3, key categories 67% (2/3), false alarms 1/3"


def test_cases_report_json_and_broken_case(tmp_path):
    folder, rules = _case_folder(tmp_path)
    (folder / "broken.yaml").write_text("jurisdiction: CN\nno_such_question: 1\n", encoding="utf-8")
    (folder / "broken.expected.yaml").write_text("runs: []\n", encoding="utf-8")
    (folder / "odd.yaml").write_text(GATE, encoding="utf-8")
    (folder / "odd.expected.yaml").write_text("runs: [just text, {jurisdiction: XX, as_of: 2025-01-01}]\n",
                                              encoding="utf-8")
    result = CliRunner().invoke(main, ["cases", str(folder), "--rules-dir", str(rules), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    broken, *gate, text_run, bad_jurisdiction = report["runs"]
    assert broken["case"] == "broken" and "no_such_question" in broken["error"]
    assert "not a mapping" in text_run["error"] and "XX" in bad_jurisdiction["error"]
    assert [(r["expected"], r["got"], r["missing"]) for r in gate] == [
        ("high", "high", []), ("critical", "high", ["governance"]), ("low", "high", [])]
    assert report["summary"] == {"runs": 6, "verdicts_ok": 1, "categories_expected": 3, "categories_found": 2,
                                 "categories_pct": 67, "false_alarms": 1, "errors": 3}
    text = CliRunner().invoke(main, ["cases", str(folder), "--rules-dir", str(rules)])
    assert text.exit_code == 0 and text.output.count(" ERROR ") == 3, text.output


def test_a_key_category_is_found_through_a_rules_also_categories(tmp_path):
    # The run expecting [facial-recognition, governance] misses governance with the plain test rule; a
    # rule that names governance among its also_categories covers it (docs/cases.md, "Key categories").
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "gate.yaml").write_text(GATE, encoding="utf-8")
    (folder / "gate.expected.yaml").write_text(GATE_RUNS, encoding="utf-8")
    text = rule_text().replace("category: facial-recognition", "category: facial-recognition\n"
                               "also_categories: [governance]")
    assert "also_categories" in text
    rules = make_rules_dir(tmp_path, {"core/test-rule.yaml": text})
    result = CliRunner().invoke(main, ["cases", str(folder), "--rules-dir", str(rules)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].endswith("expected critical   got high       MISS")
    assert result.output.splitlines()[-1] == "verdicts 1/3, key categories 100% (3/3), false alarms 1/3"
