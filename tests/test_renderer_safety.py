"""Nothing a user types makes the PDF renderer fetch or attach anything: every free-text question
of the questionnaire gets each hostile payload, and a spy on the fetcher records every URL asked for."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from webhelpers import REALISTIC, complete, spying_fetcher

from app.reports import render
from app.reports.context import build_report_context
from app.rules.engine import evaluate

PAYLOADS = [
    "file:///etc/passwd",
    '<img src="file:///etc/passwd">',
    "http://127.0.0.1:9/steal",
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    "http://169.254.169.254/latest/meta-data/",
    '<img src="http://169.254.169.254/">',
    # a URL that would redirect elsewhere if it were ever fetched
    '<img src="http://127.0.0.1:9/redirect?to=file:///etc/passwd">',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<link rel=attachment href="file:///etc/passwd">',
    '<a rel="attachment" href="file:///etc/hostname">x</a>',
    '<style>@import url(file:///etc/passwd); body{background:url(http://127.0.0.1:9/)}</style>',
]


@pytest.fixture(scope="module")
def text_questions(ruleset):
    return [q.id for q in ruleset.questionnaire.questions.values() if q.type in ("text", "textarea")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_every_free_text_field_fetches_and_attaches_nothing(ruleset, text_questions, payload,
                                                                       monkeypatch):
    assert {"product_name", "vendor_name", "product_description"} <= set(text_questions)
    answers = complete(ruleset.questionnaire, {**REALISTIC, **{q: payload for q in text_questions}})
    result = evaluate(ruleset, answers, answers["jurisdiction"], dt.date.fromisoformat(answers["planned_date"]))
    context = build_report_context(ruleset, result, report_id="EA-SAFETY0001",
                                   generated_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
    asked: list[str] = []
    monkeypatch.setattr(render, "asset_fetcher", lambda: spying_fetcher(asked))
    pdf = render.render_pdf(context)
    assert asked and all(url.startswith("eduaudit-asset:") for url in asked), asked
    assert b"root:x:0:0" not in pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert not any(str(a.get_object().get("/Subtype")) in ("/FileAttachment", "/Link")
                   and "/etc/" in str(a.get_object()) for page in reader.pages for a in (page.get("/Annots") or []))
