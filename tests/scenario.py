"""Audits in given states, made through the services (fast), for the access, review and trail tests."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from webhelpers import ACCOUNTS, REALISTIC, complete, csrf_token, login

from app.accounts.services import get_org, get_user_by_email
from app.audits import services
from app.evaluation import evaluate_audit
from app.extensions import current_ruleset, db
from app.models import Audit, AuditEvent, Rating, Submission, User
from app.review import services as review_services

TABLES = ("audits", "submissions", "reviews", "action_items", "audit_events", "users", "assessments",
          "issued_reports", "organisations", "vendors", "products", "publications", "published_findings",
          "attachments", "account_events")


def user(key: str) -> User:
    """The test user of ``webhelpers.ACCOUNTS[key]`` (inside an app context)."""
    found = get_user_by_email(ACCOUNTS[key][0])
    assert found is not None, key
    return found


def typed_answers(answers: dict[str, Any] | None = None) -> dict[str, Any]:
    qn = current_ruleset().questionnaire
    return qn.validate_answers(complete(qn, answers or REALISTIC))


def make_audit(state: str = "draft", *, owner: str = "school", regulator: str = "Test Regulator",
               answers: dict[str, Any] | None = None, product: str | None = None) -> str:
    """An audit of ``owner``'s school in ``state`` (draft, complete, submitted, changes_requested,
    approved, rejected, published); returns its report id. Inside an app context; commits."""
    qn = current_ruleset().questionnaire
    school_admin = user(owner)
    typed = typed_answers(answers)
    if product:
        typed["product_name"] = product
    audit = services.create_audit(qn, product_name=typed["product_name"], vendor_name=typed["vendor_name"],
                                  organisation=school_admin.organisation, user=school_admin)
    if state != "draft":
        services.save_step(qn, audit, typed, user=school_admin)
        evaluation = evaluate_audit(current_ruleset(), audit)
        if state != "complete":
            submission = review_services.submit(audit, evaluation.snapshot, school_admin, get_org(regulator))
            if state in ("changes_requested", "approved", "rejected", "published"):
                reviewer = db.session.scalar(sa.select(User).where(User.organisation_id == submission.regulator_id))
                decision = "approved" if state == "published" else state
                review_services.decide(submission, reviewer, decision, "Decided in the test set-up.",
                                       "Approved in the test set-up." if decision == "approved" else "")
            if state == "published":
                from app.registry.services import publish

                publish(audit, school_admin, show_school_name=False)
    db.session.commit()
    return audit.report_id


def audit(report_id: str) -> Audit:
    found = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
    assert found is not None, report_id
    return found


def counts() -> dict[str, int]:
    """Row count of every table that a state change touches."""
    with db.engine.connect() as connection:
        return {t: connection.scalar(sa.text(f"SELECT COUNT(*) FROM {t}")) for t in TABLES}  # noqa: S608


def kinds(report_id: str) -> list[str]:
    a = audit(report_id)
    return list(db.session.scalars(sa.select(AuditEvent.kind).where(AuditEvent.audit_id == a.id)
                                   .order_by(AuditEvent.id)))


def latest_submission(report_id: str) -> Submission:
    return review_services.latest_submission(audit(report_id))


def ratings_of(report_id: str) -> list[Rating]:
    return list(latest_submission(report_id).ratings)


# -- the same through the web, as the users do it ---------------------------------------------------

TARGET_RE = re.compile(r'id="t-(finding|section)-([^"]+)"')


def web_submit(client, report_id: str, regulator: str = "Test Regulator", note: str = ""):
    page = client.get(f"/audits/{report_id}")
    assert page.status_code == 200
    match = re.search(r'<option (?:selected )?value="(\d+)"(?: selected)?>' + re.escape(regulator) + "</option>",
                      page.text)
    assert match, "no submit form with that regulator on the overview:\n" + page.text[page.text.find("<main"):][:3000]
    return client.post(f"/audits/{report_id}/submit", data={"csrf_token": csrf_token(page.text),
                                                             "regulator": match.group(1), "note": note})


def review_targets(html: str) -> list[tuple[str, str]]:
    """(kind, id) of the review page's blocks, in the order of the form's ``t<i>_`` fields."""
    return TARGET_RE.findall(html)


def web_review(client, report_id: str, ratings: dict[tuple[str, str], dict[str, str]]):
    """Post the review form with ``ratings``: (kind, id) -> {rating, comment, action, owner, due}."""
    page = client.get(f"/audits/{report_id}/review")
    assert page.status_code == 200
    index = {target: i for i, target in enumerate(review_targets(page.text))}
    data = {"csrf_token": csrf_token(page.text)}
    for target, fields in ratings.items():
        i = index[target]
        for name, value in fields.items():
            data[f"t{i}_{name}"] = value
    return client.post(f"/audits/{report_id}/review", data=data)


def web_decide(client, report_id: str, decision: str, comment: str = "", acknowledgement: str = ""):
    page = client.get(f"/audits/{report_id}/review")
    assert page.status_code == 200
    return client.post(f"/audits/{report_id}/decision", data={"csrf_token": csrf_token(page.text),
                                                               "decision": decision, "comment": comment,
                                                               "acknowledgement": acknowledgement})


def signed_in(app, key: str):
    test_client = app.test_client()
    response = login(test_client, ACCOUNTS[key][0])
    assert response.status_code == 302, response.text
    test_client.get(response.location)
    return test_client


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
"""A (minimal) PDF document as an attachment."""


def attach(report_id: str, data: bytes = PDF_BYTES, *, file_name: str = "contract.pdf",
           question: str = "legal_basis") -> int:
    """Attach ``data`` to ``question``'s answer of the audit in its current version, whatever its status
    (as if attached before it was submitted): the row and the stored bytes; returns the attachment's
    id. Inside an app context; commits."""
    import hashlib

    from flask import current_app

    from app.evidence.services import media_type
    from app.evidence.storage import store_from_config
    from app.models import Attachment

    a = audit(report_id)
    sha256 = store_from_config(current_app.config).put(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    row = Attachment(audit_id=a.id, question_id=question, file_name=file_name, media_type=media_type(data, file_name),
                     size_bytes=len(data), sha256=sha256, added_in_version=a.version)
    db.session.add(row)
    db.session.commit()
    return row.id
