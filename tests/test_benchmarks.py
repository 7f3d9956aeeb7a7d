"""The benchmarks measure what they say they measure (they print figures and assert no speed)."""

from __future__ import annotations

import re
import sys

from bench import bench_concurrency, bench_pdf


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
