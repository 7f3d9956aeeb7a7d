"""PDF render limits: a slow render is killed, too much answer text is refused before rendering, an
oversized PDF is discarded; the web route and the CLI turn each into a clear message."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_web import start, walk
from webhelpers import REALISTIC, complete

from app.answers import read_answers_file
from app.cli import main
from app.extensions import db
from app.models import IssuedReport
from app.reports import limits
from app.reports.context import build_report_context
from app.reports.limits import RenderFailed, RenderLimitExceeded, RenderLimits, answer_chars, render_pdf_limited
from app.rules.engine import evaluate

HANGZHOU = Path(__file__).parent / "cases" / "hangzhou-no11-classroom.yaml"


@pytest.fixture(scope="module")
def hangzhou_context(ruleset):
    answers, _meta = read_answers_file(HANGZHOU, ruleset.questionnaire)
    assessment = evaluate(ruleset, answers, "CN", dt.date(2018, 9, 1))
    return build_report_context(ruleset, assessment, report_id="EA-TESTTESTTE",
                                generated_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC), lang="en")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- the wrapper ----------------------------------------------------------------------------------

def test_a_render_within_the_limits_returns_the_pdf():
    assert render_pdf_limited({"pad": 10}, renderer="render_hooks:tiny") == b"%PDF-1.7\n" + b"x" * 10 + b"\n%%EOF\n"


def test_a_slow_render_is_killed_at_the_time_limit(tmp_path):
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    with pytest.raises(RenderLimitExceeded, match="longer than 1.5 seconds and was stopped") as caught:
        render_pdf_limited({"pid_file": str(pid_file)}, RenderLimits(timeout_s=1.5), renderer="render_hooks:sleepy")
    assert caught.value.kind == "time" and caught.value.limit == 1.5
    assert time.monotonic() - started < 10  # the hook sleeps 120 s
    pid = int(pid_file.read_text(encoding="ascii"))
    assert _gone(pid), "the rendering child is still running"


def test_a_tiny_time_limit_stops_a_real_render(hangzhou_context):
    with pytest.raises(RenderLimitExceeded) as caught:
        render_pdf_limited(hangzhou_context, RenderLimits(timeout_s=0.01))
    assert caught.value.kind == "time"


def test_too_much_answer_text_is_refused_before_any_rendering(hangzhou_context, monkeypatch):
    def no_process(*_args, **_kwargs):
        raise AssertionError("a rendering process was started")

    monkeypatch.setattr(limits, "_context", no_process)
    typical = answer_chars(hangzhou_context)
    assert 0 < typical < 20_000
    big = {**hangzhou_context, "appendix": [*hangzhou_context["appendix"], {"answer": "x" * 200_001}]}
    with pytest.raises(RenderLimitExceeded, match="at most 200,000, so it was not rendered") as caught:
        render_pdf_limited(big)
    assert caught.value.kind == "answers" and caught.value.actual > 200_000
    with pytest.raises(RenderLimitExceeded):
        render_pdf_limited(hangzhou_context, RenderLimits(max_answer_chars=typical - 1))


def test_a_context_without_an_appendix_is_counted_whole():
    assert answer_chars({"cover": {"product": "abc"}, "findings": [{"title": "de"}]}) == 5


def test_an_oversized_pdf_is_discarded():
    with pytest.raises(RenderLimitExceeded, match="would be 2,016 bytes; at most 1,000") as caught:
        render_pdf_limited({"pad": 2000}, RenderLimits(max_pdf_bytes=1000), renderer="render_hooks:tiny")
    assert caught.value.kind == "size"


def test_the_renderers_own_error_comes_back_as_itself():
    with pytest.raises(ValueError, match="boom"):
        render_pdf_limited({}, renderer="render_hooks:fails")


def test_an_error_that_cannot_travel_comes_back_in_words():
    with pytest.raises(RenderFailed, match="OddError: left and right"):
        render_pdf_limited({}, renderer="render_hooks:fails_oddly")


def test_a_child_that_dies_is_reported_with_its_exit_code():
    with pytest.raises(RenderFailed, match=r"ended without a result \(exit code 3\)"):
        render_pdf_limited({}, renderer="render_hooks:dies")


def test_limits_come_from_the_app_config(app):
    assert RenderLimits.from_config(app.config) == RenderLimits(60.0, 200_000, 25 * 1024 * 1024)
    assert RenderLimits.from_config({"PDF_RENDER_TIMEOUT": "5"}).timeout_s == 5.0


# -- the web route and the CLI --------------------------------------------------------------------

@pytest.fixture
def finished(app, client):
    qn = app.extensions["eduaudit.ruleset"].questionnaire
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    walk(client, qn, location, answers)
    return report_id


def _issued(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport))


def test_the_pdf_route_answers_a_timeout_with_503_in_plain_words(app, client, finished):
    app.config["PDF_RENDER_TIMEOUT"] = 0.01
    response = client.get(f"/audits/{finished}/report.pdf")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "The PDF took too long to produce" in response.text
    assert "longer than the 0.01 seconds allowed" in response.text and "answers and results are saved" in response.text
    assert f'href="/audits/{finished}/results?lang=en"' in response.text
    assert response.headers["Retry-After"] == "120"
    assert _issued(app) == 0


def test_the_pdf_route_refuses_too_much_answer_text_with_422(app, client, finished):
    app.config["PDF_MAX_ANSWER_CHARS"] = 100
    response = client.get(f"/audits/{finished}/report.pdf?lang=zh", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert "回答内容过长，无法打印" in response.text and "超过了 PDF 报告最多可打印的 100 个字符" in response.text
    assert _issued(app) == 0


def test_the_cli_exits_2_when_a_limit_stops_the_pdf(tmp_path, monkeypatch):
    from click.testing import CliRunner

    def stopped(_context, _limits=None, **_kwargs):
        raise RenderLimitExceeded("time", "rendering the PDF took longer than 60 seconds and was stopped", limit=60)

    monkeypatch.setattr(limits, "render_pdf_limited", stopped)
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["evaluate", str(HANGZHOU), "--pdf", str(out)])
    assert result.exit_code == 2
    assert "error: no PDF written: rendering the PDF took longer than 60 seconds" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
