"""In headless Chromium: what a school types on a step survives a save the server refuses or loses.

Signed out in another tab, the password changed on another device, the page's CSRF token out of date,
a form over the size limit, another save of the audit at the same instant: each time the typed text is
kept in the browser (or shown again by the server), put back into the step the next time it opens with
a message saying so, and dropped from the browser only once the server confirms the save.
"""

from __future__ import annotations

import pytest
import scenario
from browsing import sign_in
from sqlalchemy.orm.exc import StaleDataError
from test_browser import SAVE
from webhelpers import ACCOUNTS, PASSWORD

from app.extensions import db
from app.kept import step_key

pytestmark = pytest.mark.browser

TYPED = "Typed on the step and never saved: the vendor confirmed the cameras are off at weekends."
DESCRIPTION = '[data-question="product_description"] textarea'
VERSION = '[data-question="product_version"] input'
NEW_PASSWORD = "another horse battery staple"


@pytest.fixture
def draft(app, accounts):
    """A draft audit of the school; returns its report id."""
    with app.app_context():
        return scenario.make_audit("draft")


def _typing_on_the_step(context, base_url: str, report_id: str):
    """A page of ``context`` (a browser context) signed in as the school, on the audit's first step,
    with ``TYPED`` typed and not sent."""
    page = context.new_page()
    sign_in(page, base_url, ACCOUNTS["school"][0])
    page.goto(f"{base_url}/audits/{report_id}/steps/product")
    page.locator(DESCRIPTION).fill(TYPED)
    return page


def _saved_description(app, report_id: str) -> str | None:
    with app.app_context():
        db.session.expire_all()
        return scenario.audit(report_id).answers.get("product_description")


def _kept(page, report_id: str) -> str | None:
    return page.evaluate("key => window.localStorage.getItem(key)", step_key(report_id, "product", 1))


def _sign_in_here(page, password: str = PASSWORD) -> None:
    """Sign in on the sign-in page the browser is on (keeping its ``next``)."""
    page.get_by_label("E-mail address").fill(ACCOUNTS["school"][0])
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _check_put_back_then_saved(app, page, base_url: str, report_id: str) -> None:
    """The step shows the kept text and says so; saving it drops the browser's copy."""
    from playwright.sync_api import expect

    expect(page).to_have_url(f"{base_url}/audits/{report_id}/steps/product")
    expect(page.locator(DESCRIPTION)).to_have_value(TYPED)
    expect(page.locator("#kept-notice")).to_be_visible()
    expect(page.locator("#kept-notice")).to_contain_text("filled in again from this browser")
    assert _saved_description(app, report_id) != TYPED
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url("**/steps/context")
    assert _saved_description(app, report_id) == TYPED
    assert _kept(page, report_id) is None
    page.goto(f"{base_url}/audits/{report_id}/steps/product")
    expect(page.locator("#kept-notice")).to_be_hidden()


def test_signed_out_in_another_tab_then_save_keeps_the_typed_text(app, accounts, draft, live_server, browser,
                                                                  ):
    from playwright.sync_api import expect

    context = browser.new_context()
    step = _typing_on_the_step(context, live_server, draft)
    other_tab = context.new_page()
    other_tab.goto(live_server + "/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url("**/login")

    step.get_by_role("button", name=SAVE).click()
    expect(step.get_by_role("heading", name="Your session has ended")).to_be_visible()
    expect(step.locator("main")).to_contain_text("kept in this browser and will be filled in again")
    assert TYPED in (_kept(step, draft) or "")
    step.get_by_role("link", name="Sign in again").click()
    _sign_in_here(step)
    _check_put_back_then_saved(app, step, live_server, draft)


def test_a_password_changed_on_another_device_then_save_keeps_the_typed_text(app, accounts, draft, live_server,
                                                                             browser):
    from playwright.sync_api import expect

    step = _typing_on_the_step(browser.new_context(), live_server, draft)
    elsewhere = browser.new_context().new_page()
    sign_in(elsewhere, live_server, accounts["school"])
    elsewhere.goto(live_server + "/account/password")
    elsewhere.get_by_label("Current password").fill(PASSWORD)
    elsewhere.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    elsewhere.get_by_label("New password again").fill(NEW_PASSWORD)
    elsewhere.get_by_role("button", name="Change password").click()
    expect(elsewhere.locator(".flash--success")).to_contain_text("Password changed")

    step.get_by_role("button", name=SAVE).click()
    step.wait_for_url(lambda url: "/login?next=" in url)
    expect(step.locator(".flash--warning")).to_contain_text("Your session ended")
    expect(step.locator(".flash--warning")).to_contain_text("kept in this browser")
    _sign_in_here(step, NEW_PASSWORD)
    _check_put_back_then_saved(app, step, live_server, draft)


def test_an_expired_page_keeps_the_typed_text(app, accounts, draft, live_server, browser):
    from playwright.sync_api import expect

    context = browser.new_context()
    step = _typing_on_the_step(context, live_server, draft)
    # The cookies are cleared and the user signs in again in another tab: a new session, whose CSRF
    # token the open step's form does not carry.
    context.clear_cookies()
    sign_in(context.new_page(), live_server, accounts["school"])

    step.get_by_role("button", name=SAVE).click()
    expect(step.get_by_role("heading", name="This page has expired")).to_be_visible()
    expect(step.locator("main")).to_contain_text("kept in this browser and will be filled in again")
    step.get_by_role("link", name="Open the page again").click()
    _check_put_back_then_saved(app, step, live_server, draft)


def test_a_form_over_the_size_limit_keeps_every_answer_typed_on_the_page(app, accounts, draft, live_server,
                                                                         browser):
    from playwright.sync_api import expect

    step = _typing_on_the_step(browser.new_context(), live_server, draft)
    # The textarea's maxlength stops a person; an older page, or a form changed in the browser, does not.
    version = step.locator(VERSION)
    version.evaluate("el => el.removeAttribute('maxlength')")
    version.fill("x" * (app.config["MAX_CONTENT_LENGTH"] + 1))

    step.get_by_role("button", name=SAVE).click()
    expect(step.get_by_role("heading", name="The form is too large")).to_be_visible()
    expect(step.locator("main")).to_contain_text("kept in this browser and will be filled in again")
    step.get_by_role("link", name="Open the page again").click()
    expect(step.locator(VERSION)).to_have_value("x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    step.locator(VERSION).fill("2.1")
    _check_put_back_then_saved(app, step, live_server, draft)


def test_a_save_at_the_same_instant_as_another_keeps_the_typed_text(app, accounts, draft, live_server, browser,
                                                                    monkeypatch):
    from playwright.sync_api import expect

    from app.audits import services

    real = services.merge_and_save
    calls = []

    def racing(*args, **kwargs):  # the first save loses the race to another transaction
        calls.append(1)
        if len(calls) == 1:
            raise StaleDataError("another transaction changed the audit")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "merge_and_save", racing)
    step = _typing_on_the_step(browser.new_context(), live_server, draft)
    step.get_by_role("button", name=SAVE).click()
    expect(step.locator(".flash--warning")).to_contain_text("Someone else saved this audit at the same moment")
    expect(step.locator(DESCRIPTION)).to_have_value(TYPED)
    assert _saved_description(app, draft) != TYPED
    step.get_by_role("button", name=SAVE).click()
    step.wait_for_url("**/steps/context")
    assert _saved_description(app, draft) == TYPED
    assert _kept(step, draft) is None
