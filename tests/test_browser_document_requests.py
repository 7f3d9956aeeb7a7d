"""In headless Chromium (with the axe check of every page): a reviewer asks the school for a document on
a finding, and the school sees the request on its documents page, told why it cannot attach yet while
the version is with the regulator."""

from __future__ import annotations

import datetime as dt

import pytest
import scenario
from browsing import sign_in

pytestmark = pytest.mark.browser


def test_a_reviewer_asks_for_a_document_and_the_school_sees_the_request(app, accounts, live_server, browser):
    from playwright.sync_api import expect

    with app.app_context():
        report_id = scenario.make_audit("submitted")
    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(reviewer, live_server, accounts["reviewer"])
    reviewer.goto(f"{live_server}/audits/{report_id}/review")
    form = reviewer.locator("form.request-fields")
    # The form reads in order: what it concerns and the document, owner and due date, then the button
    # (a grid meant for the rating fields once put the button first).
    button = form.get_by_role("button", name="Ask for the document")
    due = form.get_by_label("Due date")
    assert button.bounding_box()["y"] > due.bounding_box()["y"] + due.bounding_box()["height"] - 1
    form.get_by_label("The document to provide").fill("The signed data processing agreement")
    form.get_by_label("Owner").fill("Head teacher")
    due.fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    button.click()
    expect(reviewer.locator(".flash--success")).to_be_visible()

    school = browser.new_context().new_page()
    sign_in(school, live_server, accounts["school"])
    school.goto(f"{live_server}/audits/{report_id}/attachments")
    requests = school.locator("section.document-requests")
    expect(requests).to_contain_text("The regulator asked for: The signed data processing agreement")
    expect(requests).to_contain_text("When the audit is open for changes again")
    expect(requests.get_by_role("link", name="Attach")).to_have_count(0)  # frozen: nothing to attach to yet
