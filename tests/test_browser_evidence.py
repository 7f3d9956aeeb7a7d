"""In headless Chromium: a school attaches a document to an answer (an executable renamed .pdf is
refused), the report's PDF lists it with its SHA-256; an administrator disables a user, whose open
page is signed out at the next click."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import scenario
from browsing import sign_in
from pypdf import PdfReader

pytestmark = pytest.mark.browser

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300


def attach_refusing_an_executable(page, base_url: str, report_id: str, folder, screenshot=None) -> str:
    """From the audit's page, try to attach an executable renamed .pdf (refused, the page says why),
    then attach a PDF, "signed DPA.pdf", to the legal basis; returns its SHA-256. ``screenshot(page, stage)``
    runs after each ("refused", "attached")."""
    from playwright.sync_api import expect

    fake = folder / "contract.pdf"
    fake.write_bytes(EXE)
    real = folder / "signed DPA.pdf"
    real.write_bytes(scenario.PDF_BYTES)
    sha = hashlib.sha256(scenario.PDF_BYTES).hexdigest()
    page.goto(f"{base_url}/audits/{report_id}")
    page.get_by_role("link", name="0 documents attached to the answers").click()
    page.get_by_label("The answer it supports").select_option("legal_basis")
    page.get_by_label("The document").set_input_files(str(fake))
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator(".field-error")).to_contain_text("its content is a .exe file, whatever its name says")
    if screenshot is not None:
        screenshot(page, "refused")
    page.get_by_label("The document").set_input_files(str(real))
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator(".flash--success")).to_contain_text(sha)
    expect(page.locator("table.attachments")).to_contain_text("signed DPA.pdf")
    if screenshot is not None:
        screenshot(page, "attached")
    return sha


def test_attach_refuse_an_executable_and_find_the_hash_in_the_pdf(app, accounts, live_server, browser,
                                                                   tmp_path):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, accounts["school"])
    sha = attach_refusing_an_executable(page, live_server, report_id, tmp_path)
    page.goto(f"{live_server}/audits/{report_id}")
    with page.expect_download(timeout=180_000) as download_info:  # a render takes seconds, more under load
        page.get_by_role("link", name="Download PDF").click()
    data = download_info.value.path().read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert sha in re.sub(r"\s+", "", text) and "signed DPA.pdf" in text


def test_a_disabled_user_s_open_page_is_signed_out_at_the_next_click(app, accounts, live_server,
                                                                     browser):
    from playwright.sync_api import expect

    school = browser.new_context().new_page()
    sign_in(school, live_server, accounts["school"])
    admin = browser.new_context().new_page()
    sign_in(admin, live_server, accounts["admin"])
    admin.get_by_role("link", name="Accounts").click()
    admin.get_by_role("link", name=accounts["school"]).click()
    admin.get_by_role("button", name="Disable", exact=True).click()
    expect(admin.locator(".flash--success")).to_contain_text("is disabled")
    school.get_by_role("link", name="Password").click()
    expect(school).to_have_url(re.compile(r"/login"))
