"""Print details of the laid-out report, checked on WeasyPrint's box tree rather than on the PDF's text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.answers import read_answers_file
from app.reports.context import build_report_context
from app.reports.render import ASSET_SCHEME, asset_fetcher, render_html
from app.rules.engine import evaluate

CASES = Path(__file__).parent / "cases"
MARKS = {"level", "flag", "pending", "criterion__state"}
"""Inline marks drawn with a border around a word."""


def laid_out_boxes(ruleset, name: str, jurisdiction: str, as_of: str, lang: str):
    from weasyprint import HTML

    answers, _meta = read_answers_file(CASES / f"{name}.yaml", ruleset.questionnaire)
    assessment = evaluate(ruleset, answers, jurisdiction, dt.date.fromisoformat(as_of))
    context = build_report_context(ruleset, assessment, report_id="EA-PRINT-01",
                                   generated_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC), lang=lang)
    document = HTML(string=str(render_html(context)), base_url=f"{ASSET_SCHEME}:/",
                    url_fetcher=asset_fetcher()).render()
    for page in document.pages:
        yield from page._page_box.descendants()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bordered_marks_leave_room_above_and_below_the_characters(ruleset, lang):
    # Chinese characters fill the whole em box, so a border drawn at the content edge crossed them
    # (严重, 未核实 were hard to read in print). Every mark gets at least 0.1 em of padding above and below.
    marks = {}
    for box in laid_out_boxes(ruleset, "google-workspace-nl-2021", "EU", "2021-05-31", lang):
        element = getattr(box, "element", None)
        if element is None or getattr(box, "element_tag", None) is None or box.style["border_top_width"] == 0:
            continue
        classes = set((element.get("class") or "").split()) & MARKS
        if not classes:
            continue
        marks.setdefault(classes.pop(), []).append(box)
    assert {"level", "flag"} <= marks.keys(), marks.keys()  # the case has levels and an UNVERIFIED source
    for name, boxes in marks.items():
        for box in boxes:
            room = 0.1 * box.style["font_size"]
            assert box.padding_top >= room and box.padding_bottom >= room, (name, box.padding_top)
