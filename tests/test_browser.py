"""End to end in headless Chromium: start an audit, answer every step, read the results, download the PDF.

Marked ``browser``. Locally it skips when /usr/bin/chromium is absent; with CI set it fails instead,
so a CI image without Chromium cannot pass silently. The ``browser`` fixture runs axe-core on every page
(tests/browsing.py).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import scenario
from browsing import sign_in
from pypdf import PdfReader
from webhelpers import REALISTIC, complete

pytestmark = pytest.mark.browser

SAVE = re.compile(r"^Save and (continue|see the results)$")
"""The step's main button (beside "Save and attach documents")."""

def answer_step(page, questionnaire, section_id, answers):
    """Fill this step's questions as a person would: in order, skipping the ones the page hides."""
    for q in questionnaire.section(section_id).questions:
        if q.id not in answers:
            continue
        block = page.locator(f'[data-question="{q.id}"]')
        if block.count() == 0 or not block.is_visible():
            continue
        value = answers[q.id]
        if q.type == "boolean":
            block.locator(f'input[value="{"yes" if value is True else "no" if value is False else value}"]').check()
        elif q.type == "single":
            block.locator(f'input[value="{value}"]').check()
        elif q.type == "multi":
            for option in q.options:
                box = block.locator(f'input[value="{option.id}"]')
                box.set_checked(option.id in value)
        else:
            block.locator(f'[name="{q.id}"]').fill(str(value))


def test_start_to_pdf_in_chromium(app, accounts, live_server, browser):
    from playwright.sync_api import expect

    qn = app.extensions["eduaudit.ruleset"].questionnaire
    answers = complete(qn, REALISTIC)
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, accounts["school"])
    report_id = _start_and_answer(page, live_server, qn, answers, before_step=_check_transfer_toggle)
    expect(page.locator(".cover .verdict__value")).to_contain_text("Prohibited")
    expect(page.locator("#findings .finding").first).to_contain_text("Art. 5(1)(f)")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"eduaudit-{report_id}-v1-draft-en.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    first_page = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert report_id in first_page


UNLOAD_BLOCKED = """() => {
    const event = new Event("beforeunload", {cancelable: true});
    window.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def test_leaving_a_step_with_unsent_changes_asks_first(app, accounts, live_server, browser):
    # The page's beforeunload handler is what makes the browser ask; headless Chromium shows no
    # prompt, so the test fires the event the browser would fire and reads the handler's answer.

    page = browser.new_page()
    sign_in(page, live_server, accounts["school"])
    page.goto(live_server + "/")
    page.get_by_label("Product name").fill("Gate 1")
    page.get_by_label("Vendor").fill("Example Vision")
    page.get_by_role("button", name="Start a new audit").click()
    assert page.evaluate(UNLOAD_BLOCKED) is False  # nothing typed yet: leave freely
    page.locator('[data-question="product_description"] textarea').fill("typed but not sent")
    assert page.evaluate(UNLOAD_BLOCKED) is True  # unsent change: the browser asks first
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url("**/steps/context")
    assert page.evaluate(UNLOAD_BLOCKED) is False  # sent and saved: leave freely


RATED_FINDING = "eu-emotion-recognition-education-ban"
"""The finding the reviewer rates; its answers (step "inference") carry the reviewer's comment."""


def _check_transfer_toggle(page, section_id: str) -> None:
    """The same-step condition works live: "Is the transfer covered..." appears only after "Yes"."""
    from playwright.sync_api import expect

    if section_id == "hosting":
        transfer = page.locator('[data-question="transfer_safeguards"]')
        expect(transfer).to_be_hidden()
        page.locator('[data-question="leaves_country"] input[value="yes"]').check()
        expect(transfer).to_be_visible()


def _start_and_answer(page, base_url: str, qn, answers, before_step=None) -> str:
    """Start an audit on the home page, answer every step, land on the results; returns the report id.
    ``before_step(page, section_id)`` runs on each step before it is answered."""
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    page.get_by_label("Product name").fill(answers["product_name"])
    page.get_by_label("Vendor").fill(answers["vendor_name"])
    page.get_by_role("button", name="Start a new audit").click()
    expect(page.locator(".step-count")).to_contain_text("Step 1 of")
    for _ in range(40):
        if page.url.endswith("/results"):
            break
        section_id = page.url.rsplit("/", 1)[-1]
        if before_step is not None:
            before_step(page, section_id)
        answer_step(page, qn, section_id, answers)
        before = page.url
        page.get_by_role("button", name=SAVE).click()
        page.wait_for_url(lambda url, before=before: url != before)  # saved: the next step or results
        expect(page.locator(".field-error")).to_have_count(0)
    else:
        pytest.fail("never reached the results page")
    expect(page.locator(".cover .verdict__value")).to_be_visible()
    return page.url.split("/")[-2]


def _submit(page, base_url: str, report_id: str, regulator: str, note: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/audits/{report_id}")
    page.get_by_label("Regulator", exact=True).select_option(label=regulator)
    if note:
        page.get_by_label("Note to the reviewer").fill(note)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**/audits/{report_id}")
    expect(page.locator(".flash--success")).to_contain_text(f"Submitted to {regulator}")
    expect(page.locator(".facts .status")).to_have_text("Submitted, awaiting review")


def _decide(page, decision: str, comment: str, acknowledgement: str = "") -> None:
    page.get_by_label(decision, exact=True).check()
    page.get_by_label("Comment to the school").fill(comment)
    if acknowledgement:
        page.get_by_label("Acknowledgement: why you approve").fill(acknowledgement)
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/review")


def test_submit_review_resubmit_approve_in_chromium(app, accounts, live_server, browser):
    """The review loop with three people, each in their own browser: the school submits, the reviewer
    rates a finding and requests changes, the school sees why, changes an answer and resubmits, the
    reviewer sees the change and approves, and the PDF carries the approval. An NGO analyst cannot
    open the audit."""
    import datetime as dt

    from playwright.sync_api import expect

    qn = app.extensions["eduaudit.ruleset"].questionnaire
    answers = complete(qn, REALISTIC)
    changed_question = qn.questions["inferred_states"]
    assert "behaviours" in answers["inferred_states"]
    removed = changed_question.option("behaviours").label["en"]
    comment = "Reading pupils' emotions is banned in schools; remove this function."
    action = "Switch off the emotion and behaviour analysis and send the vendor's confirmation."
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()

    school = browser.new_context(accept_downloads=True).new_page()
    reviewer = browser.new_context().new_page()
    ngo = browser.new_context().new_page()
    sign_in(school, live_server, accounts["school"])
    sign_in(reviewer, live_server, accounts["reviewer"])
    sign_in(ngo, live_server, accounts["ngo"])

    # School: answer everything, then submit from the overview.
    report_id = _start_and_answer(school, live_server, qn, answers)
    school.goto(f"{live_server}/audits/{report_id}")
    expect(school.locator(".facts .status")).to_have_text("Draft")
    _submit(school, live_server, report_id, "Test Regulator", note="First submission.")

    # Reviewer: the queue lists it; rate one finding, save, request changes.
    reviewer.goto(live_server + "/")
    reviewer.wait_for_url("**/review")
    row = reviewer.locator("table.queue tbody tr", has_text=report_id)
    expect(row).to_contain_text("Test School")
    expect(row.locator(".status")).to_have_text("Submitted, awaiting review")
    row.get_by_role("link", name=answers["product_name"]).click()
    reviewer.wait_for_url(f"**/audits/{report_id}/review")
    expect(reviewer.locator("dl.facts").first).to_contain_text("First submission.")
    expect(reviewer.get_by_text("What changed since the previous submission")).to_have_count(0)
    # The network drops while the reviewer rates: the rating stays in the browser, says so,
    # survives a reload and is sent when the connection is back.
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

    # NGO analyst: the audit does not exist for them.
    response = ngo.goto(f"{live_server}/audits/{report_id}")
    assert response is not None and response.status == 404

    # School: the status and the comment, on the overview and beside the answer; change it.
    school.goto(f"{live_server}/audits/{report_id}")
    expect(school.locator(".facts .status")).to_have_text("Changes requested")
    expect(school.locator(".review-decision-comment")).to_have_text(
        "Remove the emotion analysis, then submit again.")
    expect(school.locator(".rating-row--needs_improvement")).to_contain_text(action)
    school.goto(f"{live_server}/audits/{report_id}/steps/{changed_question.section_id}")
    question = school.locator(f'[data-question="{changed_question.id}"]')
    note = question.locator(".review-comment--needs_improvement")
    expect(note).to_contain_text("Needs improvement")
    expect(note).to_contain_text(comment)
    expect(note).to_contain_text(action)
    question.locator('input[value="behaviours"]').uncheck()
    school.get_by_role("button", name=SAVE).click()
    expect(school.locator(".flash--success")).to_contain_text("Saved")
    _submit(school, live_server, report_id, "Test Regulator")

    # Reviewer: the change is listed; approve.
    reviewer.goto(live_server + "/review")
    reviewer.locator("table.queue tbody tr", has_text=report_id).get_by_role(
        "link", name=answers["product_name"]).click()
    reviewer.wait_for_url(f"**/audits/{report_id}/review")
    changes = reviewer.locator("section", has=reviewer.get_by_role(
        "heading", name="What changed since the previous submission"))
    change = changes.locator("table.changes tbody tr", has_text=changed_question.label["en"])
    expect(change).to_have_count(1)
    expect(change.locator("del")).to_contain_text(removed)
    expect(change.locator("ins")).not_to_contain_text(removed)
    # Approving a prohibited verdict with nothing rated asks for the acknowledgement first.
    reviewer.get_by_label("Approve", exact=True).check()
    reviewer.get_by_label("Comment to the school").fill("Approved now that the emotion analysis is off.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.locator(".flash--warning")).to_contain_text("state why in the acknowledgement")
    expect(reviewer.get_by_label("Comment to the school")).to_have_value(
        "Approved now that the emotion analysis is off.")
    _decide(reviewer, "Approve", "Approved now that the emotion analysis is off.",
            "ACK: the vendor confirmed the analysis is switched off; the action stays open.")
    expect(reviewer.locator(".flash--success")).to_contain_text("Approved")

    # School: approved; the PDF carries the regulator's review.
    school.goto(f"{live_server}/audits/{report_id}")
    expect(school.locator(".facts .status")).to_have_text("Approved")
    with school.expect_download() as download_info:
        school.get_by_role("link", name="Download PDF").click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    assert report_id in text
    assert "Regulator's review" in text, "the PDF has no review section (templates/reports/_review.html)"
    assert "Approved" in text
    assert "Approved now that the emotion analysis is off." in text
    assert "ACK: the vendor confirmed the analysis is switched off" in text
    # the action set on the first submission is carried to the approved version, with owner and due date
    plan = text[text.index("Actions and their progress"):]
    assert action[:40] in plan and "Head teacher" in plan and due in plan and "carried over to submission 2" in plan
