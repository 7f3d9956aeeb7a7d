"""The `eduaudit` command line: the JSON contract, clear errors for bad answers files, rule checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def _pdf_text(path: Path) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text().split())


def test_evaluate_puts_the_school_on_the_pdf_cover(tmp_path):
    pdf = tmp_path / "out.pdf"
    result = run("evaluate", COMPLETE, "--pdf", pdf, "--school", "Hangzhou No. 11 High School")
    assert result.exit_code == 0, result.output
    assert "School: Hangzhou No. 11 High School" in _pdf_text(pdf)


@pytest.fixture
def rendered(monkeypatch):
    """The contexts the CLI asks to render; the PDF is a stand-in (no WeasyPrint)."""
    from app.reports import limits

    contexts = []

    def fake(context, _limits=None, **_kwargs):
        contexts.append(context)
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(limits, "render_pdf_limited", fake)
    return contexts


@pytest.mark.parametrize(("in_file", "option", "cover"), [
    (None, None, "not stated"),
    ("File School", None, "File School"),
    ("File School", "Option School", "Option School"),
    (None, "Option School", "Option School"),
])
def test_the_school_comes_from_the_option_else_the_answers_file(tmp_path, rendered, in_file, option, cover):
    answers = tmp_path / "answers.yaml"
    answers.write_text(COMPLETE.read_text(encoding="utf-8") + (f"\nschool: {in_file}\n" if in_file else ""),
                       encoding="utf-8")
    result = run("evaluate", answers, "--pdf", tmp_path / "out.pdf", *(("--school", option) if option else ()))
    assert result.exit_code == 0, result.output
    assert [c["cover"]["school"] for c in rendered] == [cover]


@pytest.mark.parametrize("value", ["''", "42", "[A, B]"])
def test_a_school_that_is_not_a_name_is_an_error(tmp_path, value):
    answers = tmp_path / "answers.yaml"
    answers.write_text(COMPLETE.read_text(encoding="utf-8") + f"\nschool: {value}\n", encoding="utf-8")
    result = run("evaluate", answers)
    assert result.exit_code == 2 and "school: expected the school's name as text" in result.output


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_the_pdf_gets_the_mode_of_a_new_file(tmp_path, rendered, umask, mode):
    import os
    import stat

    pdf = tmp_path / "out.pdf"
    before = os.umask(umask)
    try:
        first = run("evaluate", COMPLETE, "--pdf", pdf)
        pdf.chmod(0o600)  # a file already there is replaced by a new one, with the mode a new file gets
        second = run("evaluate", COMPLETE, "--pdf", pdf)
    finally:
        os.umask(before)
    assert first.exit_code == 0 and second.exit_code == 0, (first.output, second.output)
    assert stat.S_IMODE(pdf.stat().st_mode) == mode
    assert pdf.read_bytes() == b"%PDF-1.7 stand-in"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]  # no temporary file left


def test_an_atomic_write_that_fails_leaves_nothing(tmp_path, monkeypatch):
    import os

    from app import fileio

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        fileio.write_atomically(tmp_path / "out.pdf", b"data")
    assert list(tmp_path.iterdir()) == []
