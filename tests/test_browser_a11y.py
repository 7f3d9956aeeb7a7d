"""Accessibility in headless Chromium: the focus ring's contrast, measured; pages no other browser test
reaches (administration, API tokens, password, a review still open), visited so the ``browser`` fixture
runs axe-core on them in English and Chinese (tests/browsing.py)."""

from __future__ import annotations

import re
import uuid

import pytest
import scenario
from browsing import sign_in

pytestmark = pytest.mark.browser

# For the control that has the focus: its outline (colour, style, width) and the colour of what lies just
# outside the ring, on each side still in the viewport: the first element under that point, other than
# the control and what it contains, whose background is not transparent (the canvas is white).
FOCUSED_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const width = parseFloat(cs.outlineWidth) || 0, offset = parseFloat(cs.outlineOffset) || 0;
  const r = el.getBoundingClientRect(), out = offset + width + 2;
  const points = [[r.left - out, r.top + r.height / 2], [r.right + out, r.top + r.height / 2],
                  [r.left + r.width / 2, r.top - out], [r.left + r.width / 2, r.bottom + out]];
  const behind = [];
  for (const [x, y] of points) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    let colour = "rgb(255, 255, 255)";
    for (const under of document.elementsFromPoint(x, y)) {
      if (under === el || el.contains(under)) continue;
      const bg = getComputedStyle(under).backgroundColor;
      const alpha = bg.startsWith("rgba") ? parseFloat(bg.split(",")[3]) : 1;
      if (alpha > 0.5) { colour = bg; break; }
    }
    behind.push(colour);
  }
  return {tag: el.tagName.toLowerCase(), type: el.type || "",
          text: (el.innerText || el.name || el.id || "").slice(0, 40), style: cs.outlineStyle, width,
          colour: cs.outlineColor, behind};
}"""


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour (0 black .. 1 white)."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG's contrast ratio (1..21) of two colours."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((255, 191, 71), (246, 247, 249)) == pytest.approx(1.53, abs=0.01)  # the old yellow ring
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def _tab_through(page, limit: int = 80) -> list[dict]:
    """Press Tab until the focus comes back round (or ``limit`` presses); the ring of each control."""
    rings, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUSED_RING)
        if ring is None:
            continue
        key = page.evaluate("() => { const e = document.activeElement; return e.outerHTML.slice(0, 200); }")
        if key in seen and ring["type"] != "date":
            break
        seen.add(key)
        rings.append(ring)
    return rings


def _weak_rings(rings: list[dict]) -> list[str]:
    weak = []
    for ring in rings:
        label = f"{ring['tag']}[{ring['type']}] {ring['text']!r}"
        if ring["style"] in ("none", "hidden") or ring["width"] < 2:
            weak.append(f"{label}: no focus outline ({ring['style']} {ring['width']}px)")
            continue
        for behind in ring["behind"]:
            ratio = contrast_ratio(_rgb(ring["colour"]), _rgb(behind))
            if ratio < 3:
                weak.append(f"{label}: outline {ring['colour']} on {behind} is {ratio:.2f}:1")
    return weak


def test_every_focusable_control_shows_a_ring_of_3_to_1(app, accounts, live_server, browser):
    """Keyboard focus on links, buttons, radios, checkboxes, text, number and date fields, in the blue
    header and on the page: the outline is at least 2px wide and 3:1 against what is
    around it (WCAG 1.4.11, 2.4.7)."""
    with app.app_context():
        report_id = scenario.make_audit("complete")
    page = browser.new_page()
    sign_in(page, live_server, accounts["school"])
    rings = []
    for path in ("/", f"/audits/{report_id}/steps/context", f"/audits/{report_id}"):
        page.goto(live_server + path)
        rings += _tab_through(page)
    kinds = {(r["tag"], r["type"]) for r in rings}
    assert {("a", ""), ("button", "submit"), ("input", "date"), ("input", "radio")} <= kinds, kinds
    assert not _weak_rings(rings), "\n".join(_weak_rings(rings))


def test_administration_tokens_and_an_open_review_pass_axe(app, accounts, live_server, browser):
    """Pages the other browser tests do not reach, for the ``browser`` fixture's axe checks: the instance
    administrator's users, a user, organisations and account log; a school's API tokens (the form with its
    error, one made), password page, the verify page and the start form with its errors; a reviewer's
    queue and a review with one rating of many made."""
    from playwright.sync_api import expect

    with app.app_context():
        report_id = scenario.make_audit("submitted")
    admin = browser.new_page()
    sign_in(admin, live_server, accounts["admin"])
    for path in ("/admin/organisations", "/admin/log", "/admin/users"):
        admin.goto(live_server + path)
    admin.get_by_role("link", name=accounts["school"]).click()
    expect(admin.get_by_role("heading", level=1)).to_be_visible()

    school = browser.new_page()
    sign_in(school, live_server, accounts["school"])
    school.goto(live_server + "/account/tokens")
    school.get_by_role("button", name="Create token").click()  # no name: the form with its error
    expect(school.locator(".field-error")).to_be_visible()
    school.get_by_label("Name", exact=True).fill("Reporting script")
    school.get_by_role("button", name="Create token").click()
    expect(school.locator("#new-token")).to_be_visible()
    school.goto(live_server + "/account/password")
    school.goto(live_server + "/verify")
    school.goto(live_server + "/")
    school.get_by_role("button", name="Start a new audit").click()  # nothing typed: the form with its errors
    expect(school.locator(".field-error").first).to_be_visible()

    reviewer = browser.new_page()
    sign_in(reviewer, live_server, accounts["reviewer"])
    reviewer.goto(f"{live_server}/audits/{report_id}/review")
    block = reviewer.locator("[id^='t-finding-']").first
    block.get_by_label("Comment").fill("Partly reviewed: this one first.")
    block.get_by_label("Rating").select_option("acceptable")
    expect(block.locator(".save-state--saved")).to_have_text("Saved")
    reviewer.goto(live_server + "/review")
    reviewer.goto(f"{live_server}/audits/{report_id}/review")  # the review still open, one rating made
    assert {"en", "zh-Hans"} <= browser.languages()


def test_the_pdf_job_pages_pass_axe(app, accounts, live_server, browser):
    """The report PDF's job pages, for the ``browser`` fixture's axe checks: with the queue unreachable
    (the plain-words page) and, on Redis without a worker, a job waiting behind its progress bar."""
    from playwright.sync_api import expect
    from test_jobs import REDIS_URL, UNREACHABLE_REDIS, redis_or_skip

    from app import jobs

    with app.app_context():
        report_id = scenario.make_audit("complete")
    page = browser.new_page()
    sign_in(page, live_server, accounts["school"])
    app.config["REDIS_URL"] = UNREACHABLE_REDIS
    jobs.init_app(app)
    page.goto(f"{live_server}/audits/{report_id}/report-jobs/report-{'0' * 64}")
    expect(page.get_by_text("cannot be reached at the moment")).to_be_visible()

    connection = redis_or_skip()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE=queue)
    jobs.init_app(app)
    try:
        page.goto(f"{live_server}/audits/{report_id}/report.pdf?lang=en")
        expect(page.get_by_role("progressbar")).to_be_visible()
        browser.check_open_pages()  # while the job still waits (the queue has no worker)
    finally:
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)
