"""The NGO analyst's path in headless Chromium: find two products, compare them, download CSV, JSON, PDF.

Marked ``browser`` (fixtures from test_browser: Chromium and a live server). The audits are created,
approved and published through the services first; the browser then does what a new NGO user would.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from browsing import sign_in
from pypdf import PdfReader
from webhelpers import REALISTIC, complete

from app.extensions import db
from app.models import User

pytestmark = pytest.mark.browser

PRODUCTS = [
    # (product, vendor, product_kind, jurisdiction, answers changed from REALISTIC; None: not answered)
    ("Smart Classroom Behaviour Management System", "Example Vision Technology Co., Ltd.", "classroom_analytics",
     "CN", {}),
    ("Campus Face Gate", "Gatekeeper Systems Inc.", "face_gate", "EU",
     {"purposes": ["attendance"], "face_uses": ["attendance"], "inferred_states": None, "inference_inputs": None,
      "inference_purpose": None, "scores_shown_to": None}),
]


def publish_audits(app, per_product: int = 2) -> list[int]:
    """Create, submit, approve and publish ``per_product`` audits of each product; returns product ids."""
    from app.audits import services as audits
    from app.evaluation import evaluate_audit
    from app.registry import services as registry
    from app.review import services as review

    ruleset = app.extensions["eduaudit.ruleset"]
    qn = ruleset.questionnaire
    with app.app_context():
        school = db.session.scalar(sa.select(User).where(User.role == "school_admin"))
        reviewer = db.session.scalar(sa.select(User).where(User.role == "reviewer",
                                                           User.email == "officer@regulator.test"))
        ids = []
        for product, vendor, kind, jurisdiction, changes in PRODUCTS:
            for n in range(per_product):
                raw = {**complete(qn, REALISTIC), "product_name": product, "vendor_name": vendor, "product_kind": kind,
                       "jurisdiction": jurisdiction, "product_version": f"{n + 1}.0"}
                for key, value in changes.items():
                    if value is None:
                        raw.pop(key, None)
                    elif key in qn.questions:
                        raw[key] = value
                typed = qn.validate_answers(complete(qn, raw))
                audit = audits.create_audit(qn, product_name=product, vendor_name=vendor,
                                            organisation=school.organisation, user=school)
                audits.save_step(qn, audit, typed, user=school)
                snapshot = evaluate_audit(ruleset, audit).snapshot
                submission = review.submit(audit, snapshot, school, reviewer.organisation)
                review.decide(submission, reviewer, "approved", "fine", "Approved in the test set-up.")
                registry.publish(audit, school, show_school_name=False)
            ids.append(audit.product_id)
        db.session.commit()
        return ids


def test_an_ngo_analyst_finds_compares_and_downloads(app, accounts, live_server, browser):
    from playwright.sync_api import expect

    product_ids = publish_audits(app)
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, accounts["ngo"])
    page.get_by_role("link", name="Browse and compare products").click()
    expect(page.get_by_role("heading", name="Products audited by schools")).to_be_visible()

    # Find the first product by a vendor name typed loosely, then clear the search.
    page.get_by_label("Product or vendor").fill("example vision")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.products tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Smart Classroom Behaviour Management System")
    page.get_by_label("Product or vendor").fill("")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(2)

    page.get_by_label("Compare Smart Classroom Behaviour Management System").check()
    page.get_by_label("Compare Campus Face Gate").check()
    page.get_by_role("button", name="Compare the ticked products").click()
    expect(page.get_by_role("heading", name="Comparison of 2 products")).to_be_visible()
    table = page.locator("table.compare-table")
    expect(table).to_contain_text("Facial recognition")
    assert page.locator("svg.chart").count() >= 1

    downloads = {}
    for name in ("CSV", "JSON", "Download PDF"):
        with page.expect_download() as info:
            page.get_by_role("link", name=name, exact=True).click()
        downloads[name] = info.value.path().read_bytes()

    assert downloads["CSV"].startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(downloads["CSV"].decode("utf-8-sig"))))
    assert len(rows) == 4 and {r["product_id"] for r in rows} == {str(i) for i in product_ids}
    assert {r["school_name"] for r in rows} == {""}  # the school chose not to be named
    exported = json.loads(downloads["JSON"])
    assert exported["scope"]["kind"] == "comparison" and sorted(exported["scope"]["products"]) == sorted(product_ids)
    assert sorted(a["product"]["name"] for a in exported["audits"]) == sorted(p[0] for p in PRODUCTS for _ in (1, 2))
    assert {a["product_version"] for a in exported["audits"]} == {"1.0", "2.0"}
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(downloads["Download PDF"])).pages)
    assert downloads["Download PDF"].startswith(b"%PDF-")
    assert "Comparison of 2 products" in text and "Campus Face Gate" in text
    assert "Smart Classroom Behaviour Management System" in text
