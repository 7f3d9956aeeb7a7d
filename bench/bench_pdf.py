"""PDF benchmark: seconds per page and memory of the report renderer, and memory over many renders.

Run: `.venv/bin/python bench/bench_pdf.py [--renders N] [--repeat K]`. Prints figures; it asserts
nothing, so it never fails a build. Record results in docs/benchmarks.md.

The report is the Hangzhou No. 11 classroom case (tests/cases/hangzhou-no11-classroom.yaml) in CN on
2018-09-01, rendered with the real template and print stylesheet (`app.reports.render.render_pdf`):

(a) in English, (b) in Chinese, and two floors for the English content:
(c) unstyled: the report's own HTML with its stylesheet link removed (it has no other styling): the
    same content (headings, paragraphs, tables, SVG charts, links) as plain HTML in the renderer's
    default look. The issue's "same content as plain, unstyled HTML"; its ratio to (a) is the target.
(d) text only: the English report's text alone, one <p> per block, no tables, no charts: what
    WeasyPrint needs at least for the same words (a stricter floor, printed for reference).

Each variant runs in a fresh process: one warm-up render, then K timed renders, of which the median
and the minimum are printed (on a shared machine the minimum is the steadier figure: other work only
ever adds time). The ratios are given from both, per document (the same content either way) and per
page (the floors print larger type, so they fill more pages).
Memory per variant: the process's peak resident set size (`resource.getrusage(RUSAGE_SELF).ru_maxrss`,
interpreter, imports and rule set included) and the peak of Python allocations during one render
(`tracemalloc`, which does not see the C libraries' memory: Pango, HarfBuzz, cairo-free pydyf buffers).
Then N reports are rendered one after another in this process and its current resident set size
(`VmRSS` in /proc/self/status) is printed at 1, N/4, N/2, 3N/4 and N renders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answers import read_answers_file  # noqa: E402
from app.reports.context import build_report_context  # noqa: E402
from app.reports.render import PRINT_STYLESHEET, asset_fetcher, asset_url, render_html, render_pdf  # noqa: E402
from app.rules.engine import evaluate  # noqa: E402
from app.rules.loader import load_ruleset  # noqa: E402

CASE = ROOT / "tests" / "cases" / "hangzhou-no11-classroom.yaml"
JURISDICTION, AS_OF = "CN", dt.date(2018, 9, 1)
GENERATED_AT = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "caption", "figcaption", "div",
          "section", "header", "footer", "tr", "blockquote", "summary"}
SKIPPED = {"style", "script", "svg", "head"}


def report_context(lang: str) -> dict[str, Any]:
    """The Hangzhou report's context in ``lang`` (rule set loaded and evaluated here)."""
    ruleset = load_ruleset()
    answers, _meta = read_answers_file(CASE, ruleset.questionnaire)
    assessment = evaluate(ruleset, answers, JURISDICTION, AS_OF)
    return build_report_context(ruleset, assessment, report_id="EA-BENCHMARK", generated_at=GENERATED_AT,
                                lang=lang)


class _Text(HTMLParser):
    """The text of an HTML document, one string per block element (charts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skip += 1
        elif tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip -= 1
        elif tag in BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data)


def plain_html(context: dict[str, Any]) -> str:
    """The report's text as minimal HTML: no stylesheet, no images or charts, one <p> per block."""
    parser = _Text()
    parser.feed(str(render_html(context)))
    parser.close()
    body = "\n".join(f"<p>{escape(block)}</p>" for block in parser.blocks)
    return f'<!doctype html><html lang="{context["lang"]}"><meta charset="utf-8"><body>\n{body}\n</body></html>'


def unstyled_html(context: dict[str, Any]) -> str:
    """The report's own HTML without its stylesheet. Raises ``RuntimeError`` if the template's styling
    changed shape (the link is not there exactly once, or a ``<style>`` element or ``style`` attribute
    appeared), so the floor never silently keeps some styling."""
    html = str(render_html(context))
    link = f'<link rel="stylesheet" href="{asset_url(PRINT_STYLESHEET)}">'
    if html.count(link) != 1:
        raise RuntimeError(f"expected the stylesheet link {link!r} once in the report, "
                           f"found it {html.count(link)} times")
    html = html.replace(link, "")
    if "<style" in html or ' style="' in html or "<link" in html:
        raise RuntimeError("the report carries styling besides its stylesheet link: update unstyled_html()")
    return html


def render_plain(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url="eduaudit-asset:/", url_fetcher=asset_fetcher()).write_pdf()


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(variant: str, repeat: int) -> dict[str, Any]:
    """In a fresh process: pages, median and minimum seconds of ``repeat`` renders, peak RSS and tracemalloc
    peak."""
    context = report_context("zh" if variant == "zh" else "en")
    if variant in FLOORS:
        html = FLOORS[variant](context)

        def render() -> bytes:
            return render_plain(html)
    else:
        def render() -> bytes:
            return render_pdf(context)
    pdf = render()  # warm-up: imports, fonts, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    render()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"variant": variant, "pages": pages(pdf), "bytes": len(pdf), "seconds": statistics.median(times),
            "min": min(times),
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "traced_mib": traced_peak / 2**20}


FLOORS = {"unstyled": unstyled_html, "text": plain_html}
"""The floors' HTML, by variant name."""


def rss_mib() -> float:
    """Current resident set size of this process (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the peak instead


def series(renders: int) -> list[tuple[int, float, float]]:
    """Render the English report ``renders`` times in this process; (count, RSS MiB, seconds) at checkpoints."""
    context = report_context("en")
    marks = sorted({1, *(max(1, round(renders * q / 4)) for q in (1, 2, 3, 4))})
    out = []
    started = time.perf_counter()
    for i in range(1, renders + 1):
        render_pdf(context)
        if i in marks:
            out.append((i, rss_mib(), time.perf_counter() - started))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=100, help="consecutive renders for the memory series")
    parser.add_argument("--repeat", type=int, default=3, help="timed renders per variant (after one warm-up)")
    args = parser.parse_args()

    import weasyprint

    print(f"python {platform.python_version()} on {platform.machine()}, {multiprocessing.cpu_count()} CPU(s), "
          f"WeasyPrint {weasyprint.__version__}; case {CASE.name} {JURISDICTION} {AS_OF}")
    results = {}
    for variant in ("en", "zh", *FLOORS):
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            results[variant] = pool.submit(measure, variant, args.repeat).result()
    label = {"en": "(a) styled, English", "zh": "(b) styled, Chinese", "unstyled": "(c) unstyled, English",
             "text": "(d) text only, English"}
    print(f"{'variant':<30} {'pages':>5} {'KiB':>6} {'s/render':>8} {'min s':>6} {'s/page':>7} {'peak RSS MiB':>12} "
          f"{'tracemalloc MiB':>15}")
    for variant, r in results.items():
        print(f"{label[variant]:<30} {r['pages']:>5} {r['bytes'] / 1024:>6.0f} {r['seconds']:>8.2f} {r['min']:>6.2f} "
              f"{r['seconds'] / r['pages']:>7.3f} {r['maxrss_mib']:>12.0f} {r['traced_mib']:>15.1f}")
    for key, name in (("seconds", "median"), ("min", "minimum")):
        per_page = {v: r[key] / r["pages"] for v, r in results.items()}
        for floor in FLOORS:
            print(f"{name:>7}: styled/{floor} {results['en'][key] / results[floor][key]:.2f}x (en) and "
                  f"{results['zh'][key] / results[floor][key]:.2f}x (zh) per document, "
                  f"{per_page['en'] / per_page[floor]:.2f}x (en) per page")
        print(f"{name:>7}: zh/en {results['zh'][key] / results['en'][key]:.2f}x per document, "
              f"{per_page['zh'] / per_page['en']:.2f}x per page")

    from app.reports.limits import render_pdf_limited

    context = report_context("en")
    render_pdf_limited(context)  # starts the forkserver (imports WeasyPrint once)
    started = time.perf_counter()
    render_pdf_limited(context)
    print(f"same report through the child-process wrapper (app.reports.limits): "
          f"{time.perf_counter() - started:.2f} s (in-process median {results['en']['seconds']:.2f} s)")

    print(f"{args.renders} consecutive renders of (a) in one process: RSS after n renders")
    before = rss_mib()
    for count, rss, elapsed in series(args.renders):
        print(f"  n={count:<4} RSS {rss:7.1f} MiB  ({elapsed / count:.2f} s/render so far)")
    print(f"  (RSS of this process before the series, rule set loaded: {before:.1f} MiB)")


if __name__ == "__main__":
    main()
