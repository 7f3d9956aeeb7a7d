"""The review loop with three people, each in their own browser (headless Chromium): a school, a
regulator's reviewer and an NGO analyst.

The school attaches a document (an executable renamed .pdf is refused) and submits; the reviewer rates
one finding at a time (a rating made while the network is down is kept in the browser, survives a
reload and is sent when the connection is back), presses the decision with a rating the server has not
seen (it is saved, not lost) and requests changes; the NGO analyst cannot open the audit; the school is
signed out in another tab while changing an answer, and the typed text is filled in again after signing
in; the resubmission shows the changed answers, the finding the new answers resolved, and the previous
ratings carried over in one action; approving the prohibited verdict asks for the acknowledgement; the
approved version's PDF prints the action with its owner and due date, the review, and the document's
SHA-256.

Set ``EDUAUDIT_SCREENSHOTS`` to a folder to keep a screenshot of each of these points there
(``review-<n>-<slug>.png``) and the approved PDF (``review-5-approved.pdf``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
import scenario
from browsing import sign_in
from pypdf import PdfReader
from test_browser import SAVE, _decide, _submit
from test_browser_evidence import attach_refusing_an_executable
from webhelpers import PASSWORD, REALISTIC

pytestmark = pytest.mark.browser

RATED_FINDING = "eu-emotion-recognition-education-ban"
"""The finding the reviewer rates; its answers (step "inference") carry the reviewer's comment."""
RESOLVED_FINDING = "algorithm-accuracy-not-tested-across-pupil-groups"
"""The finding the school's second version resolves (it tested the algorithm across pupil groups)."""
SHOTS = os.environ.get("EDUAUDIT_SCREENSHOTS")


def _shot(target, number: int, slug: str) -> None:
    """A screenshot of ``target`` (a whole page, or an element) when ``EDUAUDIT_SCREENSHOTS`` names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        whole = {"full_page": True} if hasattr(target, "goto") else {}
        target.screenshot(path=str(Path(SHOTS) / f"review-{number}-{slug}.png"), **whole)


def _open_review(reviewer, base_url: str, report_id: str, product: str) -> None:
    reviewer.goto(base_url + "/review")
    reviewer.locator("table.queue tbody tr", has_text=report_id).get_by_role("link", name=product).click()
    reviewer.wait_for_url(f"**/audits/{report_id}/review")


def test_three_people_through_the_review_loop_lose_nothing(app, accounts, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    qn = app.extensions["eduaudit.ruleset"].questionnaire
    changed_question = qn.questions["inferred_states"]
    removed = changed_question.option("behaviours").label["en"]
    product = REALISTIC["product_name"]
    comment = "Reading pupils' emotions is banned in schools; remove this function."
    action = "Switch off the emotion and behaviour analysis and send the vendor's confirmation."
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    typed = "Cameras above the blackboard count pupils at the door; the emotion analysis is switched off."
    with app.app_context():
        report_id = scenario.make_audit("complete")

    school_context = browser.new_context(accept_downloads=True)
    school = school_context.new_page()
    reviewer = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    ngo = browser.new_context().new_page()
    sign_in(school, live_server, accounts["school"])
    sign_in(reviewer, live_server, accounts["reviewer"])
    sign_in(ngo, live_server, accounts["ngo"])

    # School: a document for the legal basis (an executable renamed .pdf is refused), then submit.
    sha = attach_refusing_an_executable(
        school, live_server, report_id, tmp_path,
        screenshot=lambda page, stage: _shot(page, 6, f"attachment-{stage}"))
    _submit(school, live_server, report_id, "Test Regulator", note="First submission.")

    # Reviewer: the network drops while a finding is rated: the rating stays in the browser,
    # says so, survives a reload and is sent when the connection is back.
    reviewer.goto(live_server + "/")
    reviewer.wait_for_url("**/review")
    row = reviewer.locator("table.queue tbody tr", has_text=report_id)
    expect(row).to_contain_text("Test School")
    expect(row.locator(".status")).to_have_text("Submitted, awaiting review")
    _open_review(reviewer, live_server, report_id, product)
    expect(reviewer.locator("dl.facts").first).to_contain_text("First submission.")
    expect(reviewer.get_by_text("What changed since the previous submission")).to_have_count(0)
    reviewer.route("**/review/rating", lambda route: route.abort())
    block = reviewer.locator(f"#t-finding-{RATED_FINDING}")
    block.get_by_label("Comment").fill(comment)
    block.get_by_label("Action for the school").fill(action)
    block.get_by_label("Owner").fill("Head teacher")
    block.get_by_label("Due date").fill(due)
    block.get_by_label("Rating").select_option("needs_improvement")
    expect(block.locator(".save-state--error")).to_contain_text("kept in this browser")
    with app.app_context():
        assert scenario.ratings_of(report_id) == []
    reviewer.unroute("**/review/rating")
    reviewer.reload()
    block = reviewer.locator(f"#t-finding-{RATED_FINDING}")
    expect(block.locator(".save-state--saved")).to_have_text("Saved")
    expect(block.get_by_label("Rating")).to_have_value("needs_improvement")
    _shot(block, 1, "rating-saved-after-reload")
    reviewer.reload()  # saved on the server now: the page shows it without the browser's copy
    expect(reviewer.locator(f"#t-finding-{RATED_FINDING}").get_by_label("Comment")).to_have_value(comment)
    with app.app_context():
        assert [(r.target_id, r.value) for r in scenario.ratings_of(report_id)] == [
            (RATED_FINDING, "needs_improvement")]

    # A rating the server has not seen when the decision is pressed is saved with it, not lost.
    reviewer.route("**/review/rating", lambda route: route.abort())
    section = reviewer.locator("#t-section-context")
    section.get_by_label("Comment").fill("UNSAVED-SECTION-COMMENT")
    section.get_by_label("Rating").select_option("acceptable")
    expect(section.locator(".save-state--error")).to_be_visible()
    _decide(reviewer, "Request changes", "Remove the emotion analysis, then submit again.")
    reviewer.unroute("**/review/rating")
    with app.app_context():
        assert {(r.target_id, r.value, r.comment) for r in scenario.ratings_of(report_id)} == {
            (RATED_FINDING, "needs_improvement", comment),
            ("context", "acceptable", "UNSAVED-SECTION-COMMENT")}
    expect(reviewer.locator(".flash--success")).to_contain_text("Changes requested")
    reviewer.goto(f"{live_server}/audits/{report_id}/review")  # the decided review, read only
    section = reviewer.locator("#t-section-context")
    expect(section.get_by_label("Comment")).to_have_value("UNSAVED-SECTION-COMMENT")
    expect(section.get_by_label("Rating")).to_have_value("acceptable")
    _shot(section, 2, "decision-kept-unsaved-rating")

    # NGO analyst: the audit does not exist for them.
    response = ngo.goto(f"{live_server}/audits/{report_id}")
    assert response is not None and response.status == 404

    # School: the status and the comment, on the overview and beside the answer.
    school.goto(f"{live_server}/audits/{report_id}")
    expect(school.locator(".facts .status")).to_have_text("Changes requested")
    expect(school.locator(".review-decision-comment")).to_have_text(
        "Remove the emotion analysis, then submit again.")
    expect(school.locator(".rating-row--needs_improvement")).to_contain_text(action)
    # Signed out in another tab while typing: Save keeps the typed text, and after signing in
    # again the step shows it.
    school.goto(f"{live_server}/audits/{report_id}/steps/product")
    school.locator('[data-question="product_description"] textarea').fill(typed)
    other_tab = school_context.new_page()
    other_tab.goto(live_server + "/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url("**/login")
    other_tab.close()
    school.get_by_role("button", name=SAVE).click()
    expect(school.get_by_role("heading", name="Your session has ended")).to_be_visible()
    _shot(school, 7, "signed-out-session-ended")
    school.get_by_role("link", name="Sign in again").click()
    school.get_by_label("E-mail address").fill(accounts["school"])
    school.get_by_label("Password").fill(PASSWORD)
    school.get_by_role("button", name="Sign in").click()
    school.wait_for_url(f"**/audits/{report_id}/steps/product")
    expect(school.locator('[data-question="product_description"] textarea')).to_have_value(typed)
    expect(school.locator("#kept-notice")).to_be_visible()
    _shot(school, 7, "signed-out-typed-text-kept")
    school.get_by_role("button", name=SAVE).click()
    school.wait_for_url("**/steps/context")
    # The comment beside the answer; the answers that resolve findings.
    school.goto(f"{live_server}/audits/{report_id}/steps/{changed_question.section_id}")
    question = school.locator(f'[data-question="{changed_question.id}"]')
    note = question.locator(".review-comment--needs_improvement")
    expect(note).to_contain_text(comment)
    expect(note).to_contain_text(action)
    question.locator('input[value="behaviours"]').uncheck()
    school.get_by_role("button", name=SAVE).click()
    expect(school.locator(".flash--success")).to_contain_text("Saved")
    school.goto(f"{live_server}/audits/{report_id}/steps/automation")
    school.locator('[data-question="bias_tested"] input[value="yes"]').check()
    school.get_by_role("button", name=SAVE).click()
    expect(school.locator(".flash--success")).to_contain_text("Saved")
    _submit(school, live_server, report_id, "Test Regulator")

    # Reviewer: what changed, what the new answers resolved; the ratings carried over at once.
    _open_review(reviewer, live_server, report_id, product)
    changes = reviewer.locator("section", has=reviewer.get_by_role(
        "heading", name="What changed since the previous submission"))
    change = changes.locator("table.changes tbody tr", has_text=changed_question.label["en"])
    expect(change.locator("del")).to_contain_text(removed)
    expect(change.locator("ins")).not_to_contain_text(removed)
    expect(changes.locator("table.changes")).to_contain_text(typed)
    expect(changes.locator(f"#resolved-{RESOLVED_FINDING}")).to_be_visible()
    block = reviewer.locator(f"#t-finding-{RATED_FINDING}")
    expect(block.locator(".previous-rating")).to_contain_text(comment)
    expect(block.get_by_label("Rating")).to_have_value("")
    reviewer.get_by_role("button", name="Carry the previous ratings over").click()
    expect(reviewer.locator(".flash--success")).to_contain_text("carried over from the previous submission")
    block = reviewer.locator(f"#t-finding-{RATED_FINDING}")
    expect(block.get_by_label("Rating")).to_have_value("needs_improvement")
    expect(reviewer.locator("#t-section-context").get_by_label("Rating")).to_have_value("acceptable")
    changes.scroll_into_view_if_needed()
    _shot(changes, 4, "resubmission-resolved-and-carried-over")

    # Approving a prohibited verdict asks for the acknowledgement first, keeping the comment.
    reviewer.get_by_label("Approve", exact=True).check()
    reviewer.get_by_label("Comment to the school").fill("Approved now that the emotion analysis is off.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.locator(".flash--warning")).to_contain_text("state why in the acknowledgement")
    expect(reviewer.get_by_label("Comment to the school")).to_have_value(
        "Approved now that the emotion analysis is off.")
    reviewer.locator("#decision").scroll_into_view_if_needed()
    _shot(reviewer, 3, "approval-asks-acknowledgement")
    _decide(reviewer, "Approve", "Approved now that the emotion analysis is off.",
            "ACK: the vendor confirmed the analysis is switched off; the action stays open.")
    expect(reviewer.locator(".flash--success")).to_contain_text("Approved")

    # School: approved; the PDF carries the regulator's review, the action plan and the document.
    school.goto(f"{live_server}/audits/{report_id}")
    expect(school.locator(".facts .status")).to_have_text("Approved")
    with school.expect_download(timeout=180_000) as download_info:  # a render takes seconds, more under load
        school.get_by_role("link", name="Download PDF").click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    if SHOTS:
        (Path(SHOTS) / "review-5-approved.pdf").write_bytes(data)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
    assert report_id in text
    assert "Regulator's review" in text, "the PDF has no review section (templates/reports/_review.html)"
    assert "Approved now that the emotion analysis is off." in text
    assert "ACK: the vendor confirmed the analysis is switched off" in text
    # the action set on the first submission is carried to the approved version, with owner and due date
    plan = text[text.index("Actions and their progress"):]
    assert action[:40] in plan and "Head teacher" in plan and due in plan and "carried over to submission 2" in plan
    assert sha in re.sub(r"\s+", "", text) and "signed DPA.pdf" in text
