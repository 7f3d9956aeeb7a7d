"""The `eduaudit` command line: the JSON contract, clear errors for bad answers files, rule checks."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from tests.rulesdir import make_rules_dir, rule_text

COMPLETE = Path(__file__).parent / "cases" / "hangzhou-no11-classroom.yaml"


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def test_rules_check_passes_on_the_repository_rules():
    result = run("rules", "check")
    assert result.exit_code == 0, result.output
    assert "examples passed" in result.output


def test_rules_check_reports_failing_example_with_file_and_line(tmp_path):
    bad = rule_text(fire="{data_categories: [grades]}")  # cannot fire: the condition wants face templates
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": bad})
    result = run("rules", "check", "--rules-dir", root)
    assert result.exit_code == 1
    assert "audit_rules/core/test-rule.yaml:16 [rule test-rule] examples.fire[0] did not fire" in result.output


def test_rules_check_flags_identical_conditions(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(),
                                     "core/twin-rule.yaml": rule_text(id="twin-rule")})
    result = run("rules", "check", "--rules-dir", root)
    assert result.exit_code == 1 and "same condition" in result.output


def test_broken_rule_set_exits_3_naming_file_and_line(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(when="{q: shoe_size, eq: 3}")})
    result = run("rules", "check", "--rules-dir", root)
    assert result.exit_code == 3
    assert "audit_rules/core/test-rule.yaml:11 [rule test-rule]: unknown question 'shoe_size'" in result.output


def test_evaluate_prints_the_json_contract():
    result = run("evaluate", COMPLETE, "--jurisdiction", "CN", "--as-of", "2018-09-01", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"verdict", "jurisdiction", "as_of", "rule_set", "screening", "findings"}
    assert (out["verdict"], out["jurisdiction"], out["as_of"]) == ("critical", "CN", "2018-09-01")
    assert out["screening"] == []  # PIPL's impact assessment did not exist yet in 2018
    assert out["findings"][0]["rule_id"] == "classroom-emotion-attention-recognition"


def test_bad_answers_file_exits_2_names_questions_and_writes_nothing(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\nshoe_size: 42\ndata_categories: [dna]\n", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    result = run("evaluate", answers, "--pdf", pdf)
    assert result.exit_code == 2
    assert "shoe_size: is not a question" in result.output
    assert "data_categories: unknown choice(s) dna" in result.output
    assert not pdf.exists() and list(tmp_path.iterdir()) == [answers]


def test_missing_required_answers_are_named(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\nproduct_name: Gate\n", encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2
    assert "vendor_name: is required but not answered" in result.output


def test_duplicate_key_in_answers_file_is_an_error(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\njurisdiction: EU\n", encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2 and "line 2" in result.output and "duplicate key" in result.output


def test_unreadable_answers_file(tmp_path):
    result = run("evaluate", tmp_path / "missing.yaml")
    assert result.exit_code == 2 and "cannot read file" in result.output


def test_impossible_date_is_a_clear_error(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\nplanned_date: 2018-02-30\n", encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2 and "dates are YYYY-MM-DD and must exist" in result.output


def test_implausible_date_names_the_question(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("jurisdiction: CN\nplanned_date: 1900-01-01\n", encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2 and "planned_date: must be between 2000-01-01 and 2100-12-31" in result.output


def test_pdf_into_a_missing_folder_fails_before_any_work(tmp_path):
    result = run("evaluate", COMPLETE, "--pdf", tmp_path / "nope" / "out.pdf")
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "nope").exists()


def test_duplicate_key_in_json_answers_is_an_error(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"jurisdiction": "CN", "vendor_name": "A", "vendor_name": "B"}', encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2 and "duplicate key 'vendor_name'" in result.output
