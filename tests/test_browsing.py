"""The axe watch of the browser tests (tests/browsing.py) on pages made for it, served on a loopback port:
a violation is reported in English and Chinese, and a page that changes and leaves while its report is
on its way is still checked, without holding the navigation for long."""

from __future__ import annotations

import browsing
import pytest
from browsing import CHROMIUM_ARGS, AxeWatch
from webhelpers import served
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""

PAGES = {
    "/unlabelled-image": ("An image without a text alternative", '<img src="data:," width="10" height="10">'),
    # As review.js does when a rating is saved: the markup changes while axe's report is on its way to
    # Python, and the person moves on at once (here the page itself, so that the moment is the same on
    # every run). The report is taken as it leaves by wrapping the binding the watch installed.
    "/saved-then-left": (
        "A rating saved, then the next page",
        """<p id="state">Saving</p>
<script>
  const report = window.__axeReport;
  window.__axeReport = (...args) => {
    window.__axeReport = report;
    location.assign("/next");
    document.getElementById("state").textContent = "Saved";
    return report(...args);
  };
</script>""",
    ),
    "/next": ("The next page", "<p>Nothing more.</p>"),
}


@pytest.fixture
def site():
    """The pages above on a free loopback port, in Chinese when the browser asks for it: the base URL."""

    @Request.application
    def serve(request: Request) -> Response:
        if request.path not in PAGES:
            return Response("Not found", status=404)
        title, body = PAGES[request.path]
        lang = "zh-Hans" if request.accept_languages.best_match(["en", "zh"]) == "zh" else "en"
        return Response(PAGE.format(lang=lang, title=title, body=body), mimetype="text/html")

    with served(serve, name="axe-site") as base_url:
        yield base_url


@pytest.fixture
def watch(chromium_path, monkeypatch):
    """An :class:`AxeWatch` on headless Chromium that holds a navigation 8 s at most (60 s in the tests)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setattr(browsing, "WAIT_SECONDS", 8.0)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield AxeWatch(chromium)
        finally:
            chromium.close()


def test_a_violation_is_reported_in_english_and_chinese(site, watch):
    page = watch.new_page()
    page.goto(site + "/unlabelled-image")
    watch.check_open_pages()
    found = {(c.lang, v["id"]) for c in watch.checks for v in c.violations}
    assert {("en", "image-alt"), ("zh-Hans", "image-alt")} <= found
    assert "image-alt" in watch.report()
    assert watch.problems == []


def test_a_page_that_changes_and_leaves_as_it_reports_is_checked_before_it_goes(site, watch):
    """The bug: the page waited for the reply to its report, which Chromium does not deliver while the
    navigation is held, and the watch waited for the page's next report: 60 s, then "axe did not finish"."""
    page = watch.new_page()
    page.goto(site + "/saved-then-left")
    # The watch may hold the navigation up to its 8 s (WAIT_SECONDS above) while it checks both languages;
    # the bug held it 60 s. 6 s was shorter than the hold itself and failed about one run in three.
    page.wait_for_url("**/next", timeout=20_000)
    watch.check_open_pages()
    assert watch.problems == []
    checked = [(c.url.removeprefix(site), c.lang) for c in watch.checks]
    assert ("/saved-then-left", "en") in checked and ("/next", "en") in checked
    assert ("/saved-then-left", "zh-Hans") in checked and ("/next", "zh-Hans") in checked
    assert not any(c.violations for c in watch.checks), watch.report()
