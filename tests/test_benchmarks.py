"""The benchmarks measure what they say they measure (they print figures and assert no speed)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench import bench_concurrency, bench_pdf, web_prepare

BEFORE_ISSUE_15 = "18afce4"  # the serving benchmark's "before": the last commit before issue 15's work


def test_the_concurrency_benchmark_signs_in_and_times_a_real_pdf(monkeypatch, capsys):
    # Since accounts exist, the benchmark's anonymous requests were redirected to the sign-in page, and it
    # printed a "PDF download" of 0.01 s. It now signs in and refuses anything but the overview and a PDF.
    monkeypatch.setattr(sys, "argv", ["bench_concurrency.py", "--requests", "2"])
    bench_concurrency.main()
    out = capsys.readouterr().out
    kib = int(re.search(r"PDF download: [\d.]+ s, (\d+) KiB", out).group(1))
    assert kib > 50, out  # the report itself (a redirect to the sign-in page was a few hundred bytes)
    assert re.search(r"GET / alone\s+n=2 ", out) and re.search(r"GET / during the PDF .*n=2 ", out), out


def test_the_unstyled_floor_is_the_report_without_its_stylesheet(ruleset):
    context = bench_pdf.report_context("en")
    styled = str(bench_pdf.render_html(context))
    unstyled = bench_pdf.unstyled_html(context)
    assert "<link" in styled and "<link" not in unstyled and "<style" not in unstyled
    assert len(styled) - len(unstyled) < 100  # only the link went
    assert unstyled.count("<svg") == styled.count("<svg") > 0 and unstyled.count("<table") == styled.count("<table")


def test_the_serving_benchmark_prepares_each_tree_s_database_with_that_tree_s_code(tmp_path):
    # Both trees shared one database made by this tree's migrations, which the before tree cannot read
    # (it still reads users.session_token, dropped since). Each tree now migrates and fills its own.
    root = Path(web_prepare.__file__).resolve().parents[1]
    if subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{BEFORE_ISSUE_15}^{{commit}}"]).returncode:
        pytest.skip(f"{BEFORE_ISSUE_15} is not in this clone's history")
    tree = web_prepare.export(BEFORE_ISSUE_15, tmp_path / "before")
    facts = web_prepare.prepare_with(tree, tmp_path / "before.sqlite3")
    with sqlite3.connect(tmp_path / "before.sqlite3") as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("0006",)]
        assert "session_token" in {row[1] for row in con.execute("PRAGMA table_info(users)")}
        assert con.execute("SELECT count(*) FROM audits WHERE report_id = ? AND organisation_id IS NOT NULL",
                           (facts["report_id"],)).fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM publications").fetchone() == (400,)
    assert facts["section"] and facts["step_fields"] and len(facts["products"]) == 2
