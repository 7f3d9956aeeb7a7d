"""Publishing an approved audit to the public registry: who may, when, once; and what is published
(redaction), checked on every public page and export, in English and Chinese, HTML, PDF, CSV and JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from registry_helpers import publish, reviewed_audit, user
from webhelpers import PASSWORD, csrf_token, login

from app import trail
from app.extensions import current_ruleset, db
from app.models import AuditEvent, Publication
from app.registry import services as registry


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _users(accounts):
    return user(accounts["school"]), user(accounts["reviewer"])


# -- when and by whom -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested", "rejected"])
def test_only_an_approved_audit_can_be_published(app, accounts, status):
    with app.app_context():
        school, reviewer = _users(accounts)
        audit = reviewed_audit(school, reviewer, status=status, comment="Please add the necessity assessment.")
        assert audit.status == status
        with pytest.raises(registry.RegistryError) as caught:
            publish(audit, school)
        assert str(caught.value) == (f"audit {audit.report_id} is {status}: only an approved audit can be "
                                     "published")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def _post_publish(client, report_id, **data):
    token = csrf_token(client.get("/account/password").text)  # the session's token (any form has it)
    return client.post(f"/audits/{report_id}/publish", data={"csrf_token": token, **data})


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested"])
def test_web_refuses_to_publish_an_unapproved_audit(app, accounts, client, status):
    with app.app_context():
        school, reviewer = _users(accounts)
        report_id = reviewed_audit(school, reviewer, status=status, comment="Add the DPIA.").report_id
        db.session.commit()
    page = client.get(f"/audits/{report_id}")
    assert page.status_code == 200
    assert f'action="/audits/{report_id}/publish"' not in page.text  # no publish button either
    assert _post_publish(client, report_id).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_school_admin_publishes_once_via_the_web(app, accounts, client):
    with app.app_context():
        school, reviewer = _users(accounts)
        report_id = reviewed_audit(school, reviewer).report_id
        db.session.commit()
    page = client.get(f"/audits/{report_id}")
    assert f'action="/audits/{report_id}/publish"' in page.text
    response = _post_publish(client, report_id)
    assert response.status_code == 302 and response.location.endswith(f"/audits/{report_id}")
    page = client.get(response.location)
    assert "Published as PUB-" in page.text
    assert f'action="/audits/{report_id}/publish"' not in page.text  # the button is gone
    again = _post_publish(client, report_id)
    assert again.status_code == 302
    assert "is already published" in client.get(again.location).text
    with app.app_context():
        rows = db.session.scalars(sa.select(Publication)).all()
        assert len(rows) == 1 and rows[0].school_name is None


def test_the_service_refuses_a_second_publication(app, accounts):
    with app.app_context():
        school, reviewer = _users(accounts)
        audit = reviewed_audit(school, reviewer)
        publish(audit, school)
        with pytest.raises(registry.RegistryError, match=rf"audit {audit.report_id} is already published"):
            publish(audit, school, show_school_name=True)


@pytest.mark.parametrize(("who", "expected"), [
    ("reviewer", 403),          # sees the audit (it was submitted to them) but may not publish it
    ("school2", 302),           # a colleague at the same school may (the check of the positive case)
    ("other_school", 404),
    ("other_reviewer", 404),
    ("ngo", 404),
    ("admin", 404),
])
def test_only_the_owning_schools_admin_may_publish(app, accounts, who, expected):
    with app.app_context():
        school, reviewer = _users(accounts)
        report_id = reviewed_audit(school, reviewer).report_id
        db.session.commit()
    other = app.test_client()
    assert login(other, accounts[who]).status_code == 302
    response = _post_publish(other, report_id)
    assert response.status_code == expected
    with app.app_context():
        published = db.session.scalar(sa.select(sa.func.count()).select_from(Publication))
        assert published == (1 if expected == 302 else 0)


def test_signed_out_publish_goes_to_sign_in(app, accounts, anon_client):
    with app.app_context():
        school, reviewer = _users(accounts)
        report_id = reviewed_audit(school, reviewer).report_id
        db.session.commit()
    token = csrf_token(anon_client.get("/login").text)
    response = anon_client.post(f"/audits/{report_id}/publish", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


# -- redaction ----------------------------------------------------------------------------------------

SCHOOL = "Qzschoolmarker Academy"
REGULATOR = "Qzregulatormarker Authority"
SCHOOL_EMAIL, SCHOOL_PERSON = "qzheadmarker@qzschooldomain.test", "Qzheadname Person"
REVIEWER_EMAIL, REVIEWER_PERSON = "qzofficermarker@qzregdomain.test", "Qzofficername Person"
DESCRIPTION = "Qzdescriptionmarker: cameras above the blackboard, every 30 seconds."
NOTE = "Qzsubmissionnotemarker please look at the consent form"
DECISION = "Qzdecisionmarker approved with remarks"
REVIEW_COMMENT, REVIEW_ACTION, REVIEW_OWNER = "Qzreviewcommentmarker", "Qzreviewactionmarker", "Qzreviewownermarker"
PLANNED = dt.date(2026, 7, 14)
PRODUCT, VENDOR = "Redaction Probe Camera", "Probe Optics Ltd."


def _date_spellings(day: dt.date) -> list[str]:
    return [day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%m/%d/%Y"), day.strftime("%Y/%m/%d"),
            day.strftime("%d.%m.%Y"), f"{day.day} {day:%B} {day.year}", f"{day:%B} {day.day}, {day.year}",
            f"{day.year}年{day.month}月{day.day}日", day.strftime("%Y%m%d")]


def _redaction_setup(app, *, show_school_name: bool) -> dict:
    """A school, regulator and people with marker names; an audit of theirs with marker free text,
    reviewed with marker comments, approved and published; and a second published product to compare."""
    from app.accounts.services import create_org, create_user
    from app.review.services import ReviewInput

    with app.app_context():
        org = create_org(SCHOOL, "school")
        regulator = create_org(REGULATOR, "regulator")
        school = create_user(email=SCHOOL_EMAIL, name=SCHOOL_PERSON, password=PASSWORD, role="school_admin",
                             organisation=org)
        reviewer = create_user(email=REVIEWER_EMAIL, name=REVIEWER_PERSON, password=PASSWORD, role="reviewer",
                               organisation=regulator)
        section = app.extensions["eduaudit.ruleset"].questionnaire.sections[0].id
        audit = reviewed_audit(
            school, reviewer, {"product_name": PRODUCT, "vendor_name": VENDOR, "product_description": DESCRIPTION,
                               "planned_date": PLANNED.isoformat(), "product_version": "3.1"},
            note=NOTE, comment=DECISION,
            reviews=[ReviewInput("section", section, "needs_improvement", comment=REVIEW_COMMENT,
                                 action=REVIEW_ACTION, owner=REVIEW_OWNER,
                                 due_date=dt.date.today() + dt.timedelta(days=30))])
        assert audit.status == "approved"
        publication = publish(audit, school, show_school_name=show_school_name)
        other = reviewed_audit(school, reviewer, {"product_name": "Campus Gate", "vendor_name": "Gate Inc"})
        publish(other, school)
        db.session.commit()
        return {"report_id": audit.report_id, "audit_id": audit.id, "product_id": audit.product_id,
                "other_id": other.product_id, "public_id": publication.public_id, "school_user_id": school.id}


def _public_documents(app, ids) -> dict[str, str]:
    """Every public page and export that shows the published audit, as text (PDFs: extracted text),
    fetched signed out, in English and Chinese."""
    pid, other = ids["product_id"], ids["other_id"]
    pair = f"p={pid}&p={other}"
    urls = ["/products", f"/products?q={PRODUCT.split()[0]}", "/products?category=classroom_analytics",
            f"/products/{pid}", f"/compare?{pair}", f"/compare.pdf?{pair}", f"/products/{pid}/export.csv",
            f"/products/{pid}/export.json", f"/compare/export.csv?{pair}", f"/compare/export.json?{pair}",
            "/published/export.csv", "/published/export.json"]
    out = {}
    for lang in ("en", "zh"):
        client = app.test_client()
        for url in urls:
            if lang == "zh" and "export" in url:
                continue  # exports do not depend on the language
            response = client.get(url, headers={"Accept-Language": lang})
            assert response.status_code == 200, (url, response.status_code)
            if response.mimetype == "application/pdf":
                text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
                assert PRODUCT in text.replace("\n", " ")
            else:
                text = response.get_data(as_text=True)
            out[f"{lang} {url}"] = text
    return out


def _leaks(documents: dict[str, str], markers: list[str]) -> list[tuple[str, str]]:
    return [(name, marker) for name, text in documents.items() for marker in markers
            if marker.lower() in text.lower()]


def _markers(ids, *, with_school: bool) -> list[str]:
    people = [SCHOOL_EMAIL, *SCHOOL_EMAIL.split("@"), SCHOOL_PERSON, REVIEWER_EMAIL, *REVIEWER_EMAIL.split("@"),
              REVIEWER_PERSON, REGULATOR, REGULATOR.split()[0]]
    texts = [DESCRIPTION, DESCRIPTION.split(":")[0], NOTE.split()[0], DECISION.split()[0], REVIEW_COMMENT,
             REVIEW_ACTION, REVIEW_OWNER]
    school = [SCHOOL, SCHOOL.split()[0]] if with_school else []
    return [*people, *texts, *school, ids["report_id"], ids["report_id"][3:], *_date_spellings(PLANNED)]


def test_published_audit_is_redacted_everywhere(app, accounts):
    ids = _redaction_setup(app, show_school_name=False)
    documents = _public_documents(app, ids)
    assert len(documents) == 12 + 6
    assert _leaks(documents, _markers(ids, with_school=True)) == []
    # The canaries: what is published is really there (so the check above looked at real content).
    for name in ("en /products", f"en /products/{ids['product_id']}", "en /published/export.json"):
        assert PRODUCT in documents[name], name
    exported = json.loads(documents["en /published/export.json"])
    mine = next(a for a in exported["audits"] if a["public_id"] == ids["public_id"])
    assert mine["deployment_month"] == "2026-07"
    assert mine["school"] == {"kind": "upper_secondary", "name": None}
    assert mine["product_version"] == "3.1"
    assert set(mine) == {"public_id", "product", "product_version", "jurisdiction", "deployment_month", "verdict",
                         "rule_set_version", "school", "published_at", "findings"}
    assert all(set(f) == {"rule_id", "category", "effect", "level"} for f in mine["findings"])
    assert ",2026-07," in documents["en /published/export.csv"]
    # The school's own report names the school on its cover: private, never in the documents above.
    school_client = app.test_client()
    assert login(school_client, SCHOOL_EMAIL).status_code == 302
    assert f'<p class="cover__school">School: {SCHOOL}</p>' in school_client.get(
        f"/audits/{ids['report_id']}/results").text
    # The stored publication holds nothing more than what is shown.
    with app.app_context():
        row = db.session.scalar(sa.select(Publication).where(Publication.public_id == ids["public_id"]))
        stored = json.dumps({c.name: str(getattr(row, c.key)) for c in Publication.__table__.columns})
        assert _leaks({"publication row": stored}, _markers(ids, with_school=True)) == []


def test_school_name_shown_only_when_chosen_and_nothing_else(app, accounts):
    ids = _redaction_setup(app, show_school_name=True)
    documents = _public_documents(app, ids)
    assert _leaks(documents, _markers(ids, with_school=False)) == []
    pid = ids["product_id"]
    for name in ("en /published/export.json", "en /published/export.csv", f"en /products/{pid}/export.csv",
                 f"en /products/{pid}/export.json"):
        assert SCHOOL in documents[name], name
    exported = json.loads(documents["en /published/export.json"])
    schools = {a["public_id"]: a["school"]["name"] for a in exported["audits"]}
    assert schools[ids["public_id"]] == SCHOOL
    # the other audit was published without it
    assert sorted(schools.values(), key=lambda v: v is None) == [SCHOOL, None]


def test_publishing_is_recorded_in_the_trail(app, accounts):
    with app.app_context():
        school, reviewer = _users(accounts)
        audit = reviewed_audit(school, reviewer)
        publication = publish(audit, school, show_school_name=True)
        db.session.commit()
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.audit_id == audit.id)
                                    .order_by(AuditEvent.id)).all()
        assert events[-1].kind == "published"
        assert events[-1].actor_id == school.id and events[-1].actor == accounts["school"]
        assert events[-1].details == {"public_id": publication.public_id, "school_name_shown": True}
        assert [e.kind for e in events].count("published") == 1


def test_published_record_matches_the_approved_snapshot(app, accounts):
    with app.app_context():
        school, reviewer = _users(accounts)
        audit = reviewed_audit(school, reviewer, {"planned_date": "2025-03-02", "jurisdiction": "UK",
                                                  "product_version": "2.4"})
        snapshot = audit.assessments[-1]
        publication = publish(audit, school)
        assert publication.public_id.startswith("PUB-") and publication.public_id != audit.report_id
        assert (publication.jurisdiction, publication.deployment_month, publication.verdict,
                publication.product_version) == ("UK", "2025-03", snapshot.verdict, "2.4")
        expected = [f["rule_id"] for f in snapshot.result["findings"]]
        assert [f["rule_id"] for f in publication.findings] == expected and expected
        columns = db.session.execute(sa.select(registry.PublishedFinding.rule_id, registry.PublishedFinding.level)
                                     .where(registry.PublishedFinding.publication_id == publication.id)
                                     .order_by(registry.PublishedFinding.id)).all()
        assert [tuple(c) for c in columns] == [(f["rule_id"], f["level"]) for f in publication.findings]
        prohibited = [f for f in snapshot.result["findings"] if f["effect"] == "prohibited"]
        assert all(f["level"] == "prohibited" for f in publication.findings if f["effect"] == "prohibited")
        assert len([f for f in publication.findings if f["effect"] == "prohibited"]) == len(prohibited)


def test_published_levels_are_the_reports_levels_after_mitigation(app, accounts):
    """The public pages must agree with the approved report: a finding the school's measures lowered is
    published at its residual level (the level the report states and the verdict counts), not the inherent."""
    from app.reports.context import build_report_context
    from app.rules.engine import evaluate

    with app.app_context():
        school, reviewer = _users(accounts)
        # encrypted at rest lowers the vendor-held face data; with an impact assessment done, no aggravation
        # lifts it back to the top of the scale
        audit = reviewed_audit(school, reviewer, {"encryption": ["in_transit", "at_rest"], "impact_assessment": "done"})
        snapshot = audit.assessments[-1]
        publication = publish(audit, school)
        lowered = [f for f in snapshot.result["findings"]
                   if f["effect"] != "prohibited" and f["residual_risk_level"] != f["risk_level"]]
        assert any(f["rule_id"] == "face-data-held-by-vendor-or-location-unknown" for f in lowered)
        ruleset = current_ruleset()
        qn = ruleset.questionnaire
        result = evaluate(ruleset, qn.validate_answers(snapshot.answers), snapshot.jurisdiction, snapshot.as_of)
        report = build_report_context(ruleset, result, report_id=audit.report_id,
                                      generated_at=snapshot.created_at)
        assert [(f["rule_id"], f["level"]) for f in publication.findings] == [
            (f["rule_id"], f["headline_level"]["id"]) for f in report["findings"]]
        level = {f["rule_id"]: f["level"] for f in publication.findings}
        assert all(level[f["rule_id"]] == f["residual_risk_level"] != f["risk_level"] for f in lowered)


def _post_unpublish(client, report_id):
    page = client.get(f"/audits/{report_id}")
    return client.post(f"/audits/{report_id}/unpublish", data={"csrf_token": csrf_token(page.text)})


def test_a_school_withdraws_its_publication_and_may_publish_again(app, accounts, client, anon_client):
    with app.app_context():
        school, reviewer = _users(accounts)
        audit = reviewed_audit(school, reviewer, {"product_name": "Withdrawn Widget"})
        report_id, product_id = audit.report_id, audit.product_id
        public_id = publish(audit, school).public_id
        db.session.commit()
    assert anon_client.get(f"/products/{product_id}").status_code == 200
    assert public_id in anon_client.get("/published/export.json").text
    others = {}
    for who in ("reviewer", "other_school", "ngo"):
        others[who] = app.test_client()
        assert login(others[who], accounts[who]).status_code == 302
        assert others[who].post(f"/audits/{report_id}/unpublish",
                                data={"csrf_token": csrf_token(others[who].get("/verify").text)}).status_code == \
            (403 if who == "reviewer" else 404)
    assert anon_client.get(f"/products/{product_id}").status_code == 200  # still published

    response = _post_unpublish(client, report_id)
    assert response.status_code == 302
    assert f"Publication {public_id} withdrawn" in client.get(response.location).text
    assert anon_client.get(f"/products/{product_id}").status_code == 404
    assert public_id not in anon_client.get("/published/export.json").text
    assert "Withdrawn Widget" not in anon_client.get("/products").text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(registry.PublishedFinding)) == 0
        events = [e for e in trail.events(scenario_audit(report_id)) if e.kind == "unpublished"]
        assert [e.details for e in events] == [{"public_id": public_id}]
    assert _post_unpublish(client, report_id).status_code == 403  # nothing left to withdraw
    again = _post_publish(client, report_id)
    assert again.status_code == 302
    with app.app_context():
        republished = db.session.scalar(sa.select(Publication))
        assert republished.public_id != public_id
    assert anon_client.get(f"/products/{product_id}").status_code == 200


def scenario_audit(report_id):
    from app.models import Audit

    return db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
