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
