"""The interface in English and Simplified Chinese: choosing the language, translated pages and
questionnaire texts, and a catalogue that is complete, compiled and free of forgotten English."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from test_web import post_step, start, stored, walk
from webhelpers import ACCOUNT_WORDS, REALISTIC, complete, csrf_token, form_fields

from app.extensions import db
from app.models import Audit

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
SWITCH_TOKEN = re.compile(r'<form class="lang-switch"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"')

CHINESE_ANSWERS = {
    **REALISTIC,
    "product_name": "智慧课堂行为管理系统 1.0",
    "vendor_name": "示例视觉科技有限公司",
    "product_description": "黑板上方的摄像头每 30 秒读取一次学生表情，教师在看板上查看专注度评分。",
}


@pytest.fixture
def qn(app):
    return app.extensions["eduaudit.ruleset"].questionnaire


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def switch_to(client, lang: str, next_url: str = "/", **headers):
    page = client.get("/", headers=headers)
    token = SWITCH_TOKEN.search(page.text).group(1)
    return client.post("/language", data={"csrf_token": token, "lang": lang, "next": next_url}, headers=headers)


# -- choosing the language ----------------------------------------------------------------------

def test_english_is_the_default(client):
    page = client.get("/")
    assert '<html lang="en">' in page.text and "Start a new audit" in page.text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.5"}).text
    assert "Accept-Language" in page.headers["Vary"]


def test_accept_language_zh_cn_picks_chinese(client, qn):
    page = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in page.text
    assert "开始新的评估" in page.text and "Start a new audit" not in page.text
    assert esc(qn.questions["product_name"].help["zh"]) in page.text


def test_the_header_switch_sets_the_language_for_the_session(client):
    report_id, location = start(client)
    response = switch_to(client, "zh", location)
    assert response.status_code == 302 and response.location == location
    page = client.get(location, headers={"Accept-Language": "en"})  # the session's choice beats the browser
    assert '<html lang="zh-Hans">' in page.text and "保存并继续" in page.text
    switch_to(client, "en")
    assert "Save and continue" in client.get(location, headers=ZH).text


def test_the_switch_needs_a_csrf_token_and_a_post(client):
    client.get("/")
    response = client.post("/language", data={"lang": "zh", "next": "/"})
    assert response.status_code == 400 and "This page has expired" in response.text
    assert client.get("/language?lang=zh").status_code == 405
    assert '<html lang="en">' in client.get("/").text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_the_switch_returns_only_to_pages_of_this_site(client, target):
    response = switch_to(client, "zh", target)
    assert response.status_code == 302 and response.location == "/"


def test_the_switch_ignores_an_unknown_language(client):
    response = switch_to(client, "fr")
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").text


# -- translated pages ---------------------------------------------------------------------------

def test_a_step_in_chinese_shows_questionnaire_texts_in_chinese(client, qn):
    names = {"product_name": "智慧课堂", "vendor_name": "某公司"}
    report_id, location = start(client, names["product_name"], names["vendor_name"])
    response = post_step(client, location, {**names, "product_kind": "face_gate"}, goto="context")
    page = client.get(response.location, headers=ZH).text
    section = qn.section("context")
    assert f"<h1>{esc(section.title['zh'])}</h1>" in page and esc(section.intro["zh"]) in page
    shown = [q for q in section.questions if f'data-question="{q.id}"' in page]
    assert len(shown) > 3
    for q in shown:
        assert esc(q.label["zh"]) in page and esc(q.label["en"]) not in page
    assert "第 2 步，共" in page and "保存并继续" in page and "必答" in page
    assert "智慧课堂（某公司）" in page


def test_yes_no_questions_offer_not_known_in_chinese(client, qn):
    report_id, location = start(client)
    boolean = next(q for s in qn.sections if s.show_if is None for q in s.questions
                   if q.type == "boolean" and q.show_if is None)
    response = post_step(client, location, {"product_kind": "face_gate"}, goto=boolean.section_id)
    page = client.get(response.location, headers=ZH).text
    block = page[page.index(f'id="q-{boolean.id}"'):]
    block = block[:block.index("</fieldset>")]
    assert [label for label in re.findall(r"<label [^>]*>([^<]*)</label>", block)] == ["是", "否", "不清楚"]


def test_field_errors_are_in_chinese(app, client):
    page = client.get("/", headers=ZH)
    response = client.post("/audits", data={"csrf_token": csrf_token(page.text), "product_name": " ",
                                            "vendor_name": "某公司"}, headers=ZH)
    assert "请填写产品名称。" in response.text
    report_id, location = start(client)
    context_url = post_step(client, location, {}).location
    page = client.get(context_url, headers=ZH)
    response = client.post(context_url, headers=ZH, data={
        "csrf_token": csrf_token(page.text), "action": "continue", "pupil_min_age": "twelve", "pupils_affected": "0"})
    assert response.status_code == 200
    assert "请输入 2 到 99 之间的整数。" in response.text
    assert "请输入 1 到 10000000 之间的整数。" in response.text
    assert "2 条回答未能保存" in response.text
    response = client.post(context_url, headers=ZH, data={
        "csrf_token": csrf_token(page.text), "action": "continue", "pupil_min_age": "12", "pupil_max_age": "8"})
    assert "最大学生年龄（8）小于最小学生年龄（12）。" in response.text
    assert "pupil_max_age" not in stored(app, report_id)


def test_the_report_follows_the_interface_language_unless_asked(app, client, qn):
    label = qn.questions["product_kind"].label  # the report lists the answers under their questions
    answers = complete(qn, CHINESE_ANSWERS)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    walk(client, qn, location, answers)
    switch_to(client, "zh")
    page = client.get(f"/audits/{report_id}/results").text
    assert f'href="/audits/{report_id}/report.pdf?lang=zh"' in page
    assert '<strong lang="zh-Hans">中文</strong>' in page and esc(label["zh"]) in page
    english = client.get(f"/audits/{report_id}/results?lang=en").text
    assert "下载 PDF" in english and "报告语言：" in english  # the page around it stays Chinese
    assert f'href="/audits/{report_id}/report.pdf?lang=en"' in english and esc(label["en"]) in english
    assert "report.pdf?lang=zh" in client.get(f"/audits/{report_id}/results?lang=xx").text
    switch_to(client, "en")
    assert f'href="/audits/{report_id}/report.pdf?lang=en"' in client.get(f"/audits/{report_id}/results").text


# -- no English left on Chinese pages -----------------------------------------------------------

KNOWN_ENGLISH = [
    "Start a new audit", "Skip to content", "All audits", "Steps", "Save and", "Back", "Required",
    "not answered yet", "Tick all that apply", "complete", "not started", "open", "Yes", "No", "Not known",
    "Download PDF", "Report language", "Change answers", "Results", "could not be saved", "still open",
    "not evaluated yet", "re-evaluate", "Page not found", "This page has expired", "Error", "Audits",
    "Saved", "Last saved", "Privacy-risk audits", "not legal advice", "UNVERIFIED",
]
"""Phrases of the English interface; none may appear in a Chinese page's text."""

SKIPPED_CLASSES = {"results-main"}
"""The report fragment has its own language (``?lang=``) and its own tests."""
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """Text a reader meets (text nodes, <title>, aria-label, alt, placeholder), except inside the
    report fragment, <script>/<style>, and elements marked with a language other than Chinese."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its content skipped?

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in ("script", "style") \
            or bool(SKIPPED_CLASSES & set((a.get("class") or "").split())) \
            or (a.get("lang") is not None and not a["lang"].startswith("zh"))
        if not skipped:
            self.texts += [a[k] for k in ("aria-label", "alt", "placeholder", "title") if a.get(k)]
        if tag not in VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip() and not (self.stack and self.stack[-1]):
            self.texts.append(data.strip())


def english_left(page: str, allowed: set[str]) -> list[str]:
    """Latin-script words in the page's visible text that are not in ``allowed``."""
    parser = _VisibleText()
    parser.feed(page)
    found = []
    for text in parser.texts:
        text = re.sub(r"EA-[A-Z2-7]{10}|\b[0-9a-f]{12}\b", " ", text)  # report ids, short rule-set hashes
        found += [w for w in re.findall(r"[A-Za-z]+", text) if w not in allowed]
        found += [p for p in KNOWN_ENGLISH if re.search(rf"\b{re.escape(p)}\b", text)]
    return found


def _zh_pages(app, client, qn) -> dict[str, str]:
    """Every kind of page, rendered in Chinese, with notices, errors and flashes showing."""
    answers = complete(qn, CHINESE_ANSWERS)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    switch_to(client, "zh")
    pages = {"home (one draft)": client.get("/").text}
    after_first = post_step(client, location, {"product_kind": "teleporter"}, goto="context")
    pages["step with a warning flash"] = client.get(after_first.location).text
    page = client.get(after_first.location).text
    pages["step with field errors"] = client.post(after_first.location, data={
        "csrf_token": csrf_token(page), "action": "continue", "pupil_min_age": "x", "pupil_max_age": "1"}).text
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
        # ages that contradict each other, and a saved answer the questionnaire no longer offers
        audit.answers = {**audit.answers, "pupil_min_age": 12, "pupil_max_age": 8, "school_type": "castle"}
        db.session.commit()
    pages["results: missing and conflicting answers"] = client.get(f"/audits/{report_id}/results").text
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
        audit.answers = {k: v for k, v in audit.answers.items() if not k.startswith("pupil_")}
        db.session.commit()
    location = f"/audits/{report_id}/steps/product"
    while "/steps/" in location:
        section_id = location.rsplit("/", 1)[-1]
        page = client.get(location)
        pages[f"step {section_id}"] = page.text
        response = client.post(location, data={"csrf_token": csrf_token(page.text), "action": "continue",
                                               **form_fields(qn, section_id, answers)})
        assert response.status_code == 302, section_id
        location = response.location
    pages["results"] = client.get(location).text
    pages["home (one evaluated audit)"] = client.get("/").text
    pages["404"] = client.get("/audits/EA-AAAAAAAAAA/results").text
    pages["405"] = client.get("/language").text
    pages["csrf"] = client.post("/audits", data={}).text
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    pages["413"] = client.post(f"/audits/{report_id}/steps/product", data={"product_description": big}).text
    return pages


def test_chinese_pages_have_no_english_interface_text_left(app, client, qn):
    allowed = {"EduAudit", "PDF", "UTC", "KiB", "Cookie"}
    allowed.update(ACCOUNT_WORDS)  # the signed-in user's e-mail and organisation (data, not interface)
    for text in _questionnaire_texts(qn, "zh"):
        allowed.update(re.findall(r"[A-Za-z]+", text))  # acronyms the Chinese texts use: GDPR, ICO, ...
    pages = _zh_pages(app, client, qn)
    assert len(pages) > 10
    for name, page in pages.items():
        assert '<html lang="zh-Hans">' in page, name
        assert english_left(page, allowed) == [], name


def _questionnaire_texts(qn, lang: str) -> list[str]:
    out = []
    for s in qn.sections:
        out += [s.title[lang], (s.intro or {}).get(lang, "")]
        for q in s.questions:
            out += [q.label[lang], q.help[lang]]
            out += [t[lang] for o in q.options for t in (o.label, o.help) if t]
    return out


def test_the_english_check_would_notice_a_forgotten_string():
    page = ('<html lang="zh-Hans"><body><p>开始</p><button>Save draft</button>'
            '<span lang="en">English</span></body></html>')
    assert english_left(page, {"EduAudit"}) == ["Save", "draft"]


# -- the catalogue ------------------------------------------------------------------------------

def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def test_every_message_has_a_chinese_translation():
    catalog = _catalog()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 50
    for m in messages:
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), m.id
        assert not m.fuzzy, m.id
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []  # e.g. a %(placeholder)s dropped or renamed in the translation


def test_the_catalogue_holds_exactly_the_strings_in_the_sources():
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    extracted = {msgid if isinstance(msgid, str) else msgid[0]
                 for _file, _line, msgid, _comments, _context in
                 extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog() if m.id}
    assert extracted - in_po == set(), "run pybabel extract and update (docs/web-and-report.md)"
    assert in_po - extracted == set(), "strings no longer in the sources: run pybabel update"


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "messages.mo"
    with compiled.open("wb") as f:
        write_mo(f, _catalog())
    with compiled.open("rb") as f:
        fresh = _strings(read_mo(f))
    committed = _strings(read_mo(io.BytesIO(MO.read_bytes())))
    assert len(committed) > 50
    assert committed == fresh, "run: .venv/bin/pybabel compile -d app/translations"


def _strings(catalog) -> dict:
    """msgid -> translation; plural ids and forms as tuples (read_mo gives lists)."""
    def freeze(value):
        return value if isinstance(value, str) else tuple(value)
    return {freeze(m.id): freeze(m.string) for m in catalog if m.id}
