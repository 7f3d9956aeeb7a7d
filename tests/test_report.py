"""The report: plain-data context, one template, PDF output, and a renderer that fetches nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from pypdf import PdfReader
from webhelpers import REALISTIC, complete, spying_fetcher

from app.reports.context import build_report_context
from app.reports.render import AssetRefused, asset_fetcher, render_html, render_pdf, resolve_asset
from app.rules.engine import evaluate

GENERATED = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC)
REPORT_ID = "EA-ABCDEFGH23"
EVIL = '<script>alert(1)</script><link rel=attachment href="file:///etc/passwd">'


def assess(ruleset, **overrides):
    qn = ruleset.questionnaire
    answers = qn.validate_answers(complete(qn, {**REALISTIC, **overrides}))
    return evaluate(ruleset, answers, answers["jurisdiction"], answers["planned_date"])


@pytest.fixture(scope="module")
def realistic(ruleset):
    return assess(ruleset)


@pytest.fixture(scope="module")
def pdf_en(ruleset, realistic):
    return render_pdf(build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED))


@pytest.fixture(scope="module")
def zh_case(ruleset):
    assessment = assess(ruleset, product_name="智慧课堂行为管理系统", vendor_name="示例视觉科技有限公司")
    context = build_report_context(ruleset, assessment, report_id=REPORT_ID, generated_at=GENERATED, lang="zh")
    return context, render_pdf(context)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_context_is_plain_data(ruleset, realistic):
    context = build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED)
    assert json.loads(json.dumps(context)) == context  # nothing but JSON-able values
    assert context["cover"]["verdict"]["id"] == "prohibited"
    assert context["cover"]["report_id"] == REPORT_ID and context["status"]["id"] == "draft"
    assert context["summary"]["total"] == len(realistic.findings)
    first = context["findings"][0]
    assert first["effect"]["id"] == "prohibited"  # prohibited findings come first
    assert first["evidence"] and all(e["question"] and e["answer"] for e in first["evidence"])
    assert first["references"][0]["pinpoint"] and first["references"][0]["title"]
    assert {"severity", "likelihood", "level"} <= set(first["inherent"]) == set(first["residual"])
    cited = {r["source_id"] for f in context["findings"] for r in (*f["references"], *f["elsewhere"])}
    cited |= {r["source_id"] for s in context["screening"]["schemes"] for r in s["references"]}
    cited |= {r["source_id"] for f in context["findings"] for step in f["steps"] for r in step["references"]}
    assert {b["source_id"] for b in context["bibliography"]} == cited
    assert context["methodology"]["rule_set_sha256"] == ruleset.sha256
    asked = [q["question_id"] for s in context["appendix"] for q in s["questions"]]
    assert "product_name" in asked and len(asked) == len(set(asked))


def test_unverified_citations_are_marked_in_findings_and_bibliography(ruleset):
    rule = next((r for r in ruleset.rules if r.unverified and r.fire_examples), None)
    if rule is None:
        pytest.skip("no rule cites an UNVERIFIED source today")
    example = rule.fire_examples[0]
    assessment = evaluate(ruleset, example.answers, example.jurisdiction, example.as_of)
    context = build_report_context(ruleset, assessment, report_id=REPORT_ID, generated_at=GENERATED)
    finding = next(f for f in context["findings"] if f["rule_id"] == rule.id)
    assert any(r["unverified"] for r in finding["references"])
    assert context["has_unverified"]
    html = str(render_html(context))
    assert 'class="flag">UNVERIFIED<' in html


def test_zh_context_uses_chinese_texts(ruleset, zh_case):
    context, _pdf = zh_case
    assert context["t"]["findings"] == "评估发现"
    assert context["cover"]["jurisdiction"]["label"] == "欧盟"
    assert context["findings"][0]["title"] == ruleset.rule(context["findings"][0]["rule_id"]).title["zh"]


def test_unknown_language_is_refused(ruleset, realistic):
    with pytest.raises(ValueError, match="unknown report language"):
        build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED, lang="fr")


SCHOOL = "Hangzhou No. 11 High School"


@pytest.mark.parametrize(("lang", "line"), [("en", f"School: {SCHOOL}"), ("zh", f"学校：{SCHOOL}")])
def test_cover_names_the_school(ruleset, realistic, lang, line):
    context = build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED, lang=lang,
                                   school=f"  {SCHOOL} ")
    assert context["cover"]["school"] == SCHOOL
    html = str(render_html(context, fragment=True))
    assert f'<p class="cover__school">{line}</p>' in html
    assert html.index("cover__school") < html.index('id="toc-title"')  # on the cover


@pytest.mark.parametrize(("lang", "line"), [("en", "School: not stated"), ("zh", "学校：未填写")])
@pytest.mark.parametrize("school", [None, "", "   "])
def test_cover_says_plainly_when_the_school_is_not_stated(ruleset, realistic, lang, line, school):
    context = build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED, lang=lang,
                                   school=school)
    assert f'<p class="cover__school">{line}</p>' in str(render_html(context))


def test_school_on_the_cover_is_escaped(ruleset, realistic):
    context = build_report_context(ruleset, realistic, report_id=REPORT_ID, generated_at=GENERATED, school=EVIL)
    html = str(render_html(context))
    assert "<script>alert(1)" not in html and "School: &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pdf_cover_says_the_school_is_not_stated(pdf_en):
    assert "School: not stated" in pages_text(pdf_en)[0]


def test_pdf_has_report_id_and_page_x_of_y_footer(pdf_en):
    assert pdf_en.startswith(b"%PDF")
    texts = pages_text(pdf_en)
    total = len(texts)
    assert total >= 3
    assert REPORT_ID in texts[0]
    assert f"page 1 / {total}" in texts[0]
    assert f"page {total} / {total}" in texts[-1]
    assert REPORT_ID in texts[1]  # running header on later pages
    assert any("Art. 5(1)(f)" in t for t in texts)


def test_zh_pdf_embeds_a_cjk_font_and_chinese_text_round_trips(zh_case):
    _context, pdf = zh_case
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("CJK" in f for f in fonts), fonts
    text = "".join(pages_text(pdf))
    assert "隐私风险评估报告" in text
    assert "智慧课堂行为管理系统" in text and "示例视觉科技有限公司" in text
    assert re.search(r"第 1 / \d+ 页", text)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:1/",
    "http://169.254.169.254/latest/meta-data/",
    "https://example.org/x.css",
    "data:text/css;base64,Ym9keXtjb2xvcjpyZWR9",
    "eduaudit-asset:../../../../etc/passwd",
    "eduaudit-asset:css/../../../../../etc/passwd",
    "eduaudit-asset:css%2F..%2F..%2F..%2Frules%2Floader.py",
    "eduaudit-asset:/etc/passwd",
    "eduaudit-asset:css/report.css?x=1",
    "eduaudit-asset:js/steps.js",
    "eduaudit-asset:",
    "css/report.css",
])
def test_fetcher_refuses_everything_but_packaged_assets(url):
    with pytest.raises(AssetRefused):
        asset_fetcher()(url)


def test_fetcher_serves_the_print_stylesheet():
    response = asset_fetcher()("eduaudit-asset:css/report.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    assert resolve_asset("eduaudit-asset:css/report.css").name == "report.css"


def test_markup_in_user_text_is_printed_as_text_and_nothing_is_attached(ruleset):
    assessment = assess(ruleset, product_name=EVIL, vendor_name=EVIL, product_description=EVIL)
    context = build_report_context(ruleset, assessment, report_id=REPORT_ID, generated_at=GENERATED)
    html = str(render_html(context))
    assert "<link rel=attachment" not in html and "<script>" not in html
    assert "&lt;link rel=attachment" in html
    pdf = render_pdf(context)
    reader = PdfReader(io.BytesIO(pdf))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert not any(str(a.get_object().get("/Subtype")) == "/FileAttachment"
                   for page in reader.pages for a in (page.get("/Annots") or []))
    assert b"root:x:0:0" not in pdf
    assert "<link rel=attachment" in "".join(pages_text(pdf)).replace("\n", " ")


def test_even_raw_markup_cannot_make_the_renderer_fetch_or_attach(tmp_path):
    """Defence in depth: were markup ever to reach WeasyPrint, the fetcher still refuses it."""
    from weasyprint import HTML

    html = ('<link rel="stylesheet" href="http://127.0.0.1:1/x.css">'
            '<link rel="attachment" href="file:///etc/passwd"><a rel="attachment" href="file:///etc/hostname">a</a>'
            '<img src="http://169.254.169.254/"><img src="data:image/png;base64,iVBORw0KGgo=">'
            '<p style="background: url(file:///etc/passwd)">x</p>')
    calls: list[str] = []
    pdf = HTML(string=html, base_url="eduaudit-asset:/", url_fetcher=spying_fetcher(calls)).write_pdf(
        attachments=None, uncompressed_pdf=True)
    assert calls, "WeasyPrint asked the fetcher"
    assert b"/EmbeddedFile" not in pdf and b"root:x:0:0" not in pdf
