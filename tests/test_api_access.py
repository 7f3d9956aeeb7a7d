"""Every route of the JSON API × every role, with personal tokens, against audits in meaningful states.

Like ``tests/test_access.py`` (whose table check also requires a row here for every API route): a
new API route cannot ship without its access rules written down. Signed out (no token) a private
resource answers 401; signed in, an audit the caller may not see answers 404 and an action they may
not take 403, as on the pages. Every request carries a write token, so scopes do not hide the rules.
"""

from __future__ import annotations

import pytest
import scenario
import sqlalchemy as sa
from apihelpers import bearer, make_token
from test_access import ROLES, STATES, audits, by_state, row, same  # noqa: F401  (audits: a fixture)

from app.extensions import db
from app.models import AssessmentSnapshot

KEY = {"school": "school", "other_school": "other_school", "reviewer": "reviewer",
       "other_reviewer": "other_reviewer", "ngo": "ngo", "admin": "admin"}
"""Role of the table -> test account of ``webhelpers.ACCOUNTS``."""

NONE = row(401, 404, 404, 404, 404, 404, 404)
"""Private, no such thing (or not visible): 401 signed out, 404 for everyone else."""
VIEW = by_state(draft=row(401, 200, 404, 404, 404, 404, 404), submitted=row(401, 200, 404, 200, 404, 404, 404),
                approved=row(401, 200, 404, 200, 404, 404, 404), missing=NONE)
SCHOOL_ONLY = dict(reviewer=403, other_reviewer=403, ngo=403, admin=403)


def school(draft, submitted, approved, missing=404):
    """A school-administrator action: other roles 403 whatever the audit, the other school 404."""
    def r(school_status):
        return row(401, school_status, 404, 403, 403, 403, 403)
    return by_state(draft=r(draft), submitted=r(submitted), approved=r(approved), missing=r(missing))


def reviewer(draft, submitted, approved, missing=404):
    """A reviewer's action: other roles 403, the other regulator 404."""
    def r(reviewer_status):
        return row(401, 403, 403, reviewer_status, 404, 403, 403)
    return by_state(draft=r(draft), submitted=r(submitted), approved=r(approved), missing=r(missing))


A = "/api/v1/audits/{id}"
# (endpoint, method) -> [(url, json body or None, expected)], expected as in test_access.
API_TABLE: dict[tuple[str, str], list[tuple[str, dict | None, dict]]] = {
    ("api-docs.openapi_json", "GET"): [("/api/v1/openapi.json", None, same(200, anon=200))],
    ("api_audits.list_audits", "GET"): [("/api/v1/audits", None, same(200, anon=401))],
    ("api_audits.create_audit", "POST"): [("/api/v1/audits", {"product_name": "Gate", "vendor_name": "V"},
                                           row(401, 201, 201, 403, 403, 403, 403))],
    ("api_audits.get_audit", "GET"): [(A, None, VIEW)],
    ("api_audits.update_answers", "PATCH"): [(A + "/answers", {"base_revision": 1, "answers": {}},
                                              school(draft=200, submitted=403, approved=403))],
    ("api_audits.evaluate", "POST"): [(A + "/evaluation", None, by_state(  # the draft is incomplete: 422
        draft=row(401, 422, 404, 404, 404, 404, 404), submitted=VIEW["submitted"], approved=VIEW["approved"],
        missing=NONE))],
    ("api_audits.list_assessments", "GET"): [(A + "/assessments", None, VIEW)],
    ("api_audits.get_assessment", "GET"): [(A + "/assessments/{aid}", None, by_state(  # the draft has none
        draft=row(401, 404, 404, 404, 404, 404, 404), submitted=VIEW["submitted"], approved=VIEW["approved"],
        missing=NONE))],
    ("api_audits.list_findings", "GET"): [(A + "/assessments/{aid}/findings", None, by_state(
        draft=row(401, 404, 404, 404, 404, 404, 404), submitted=VIEW["submitted"], approved=VIEW["approved"],
        missing=NONE))],
    ("api_audits.list_submissions", "GET"): [(A + "/submissions", None, VIEW)],
    ("api_audits.submit", "POST"): [(A + "/submissions", {"regulator_id": 999999},  # no such regulator: 422
                                     school(draft=422, submitted=403, approved=403))],
    ("api_audits.list_regulators", "GET"): [("/api/v1/regulators", None, row(401, 200, 200, 403, 403, 403, 403))],
    ("api_audits.new_version", "POST"): [(A + "/versions", None, school(draft=403, submitted=403, approved=200))],
    ("api_audits.get_trail", "GET"): [(A + "/trail", None, VIEW)],
    ("api_audits.export_portable", "GET"): [(A + "/portable", None, VIEW)],
    ("api_audits.import_portable", "POST"): [("/api/v1/audits/import", {},  # not a portable audit: 422
                                              row(401, 422, 422, 403, 403, 403, 403))],
    ("api_review.list_actions", "GET"): [(A + "/actions", None, VIEW)],
    ("api_review.action_done", "POST"): [(A + "/actions/999999/done", {"note": "Done"},  # no such item: 404
                                          school(draft=404, submitted=404, approved=404))],
    ("api_evidence.list_attachments", "GET"): [(A + "/attachments", None, VIEW)],
    ("api_evidence.download_attachment", "GET"): [(A + "/attachments/{att}", None, VIEW),
                                                  (A + "/attachments/{other_att}", None, by_state(  # another audit's
                                                      draft=NONE, submitted=NONE, approved=NONE, missing=NONE))],
    ("api_reports.request_report", "POST"): [(A + "/reports", {"lang": "en"}, by_state(
        draft=row(401, 422, 404, 404, 404, 404, 404),  # incomplete: 422 naming the open questions
        submitted=row(401, 202, 404, 202, 404, 404, 404), approved=row(401, 202, 404, 202, 404, 404, 404),
        missing=NONE))],
    ("api_reports.get_job", "GET"): [("/api/v1/report-jobs/{job}", None, row(401, 200, 404, 200, 404, 404, 404)),
                                     ("/api/v1/report-jobs/AAAAAAAAAAAAAAAAAAAAAA", None, NONE)],
    ("api_reports.download", "GET"): [("/api/v1/report-jobs/{job}/pdf", None, row(401, 200, 404, 200, 404, 404, 404)),
                                      ("/api/v1/report-jobs/AAAAAAAAAAAAAAAAAAAAAA/pdf", None, NONE)],
    ("api_review.queue", "GET"): [("/api/v1/review/queue", None, row(401, 403, 403, 200, 200, 403, 403))],
    ("api_review.save_ratings", "PUT"): [(A + "/review/ratings", {"items": []},
                                          reviewer(draft=404, submitted=200, approved=403))],
    ("api_review.decide", "POST"): [(A + "/review/decision", {"decision": "approved", "acknowledgement": "Seen"},
                                     reviewer(draft=404, submitted=200, approved=403))],
    ("api_registry.list_products", "GET"): [("/api/v1/products", None, same(200, anon=200))],
    ("api_registry.get_product", "GET"): [("/api/v1/products/{p1}", None, same(200, anon=200)),
                                          ("/api/v1/products/{unpublished}", None, same(404, anon=404))],
    ("api_registry.product_export", "GET"): [("/api/v1/products/{p1}/published", None, same(200, anon=200)),
                                             ("/api/v1/products/{unpublished}/published", None, same(404, anon=404))],
    ("api_registry.published_export", "GET"): [("/api/v1/published", None, same(200, anon=200))],
    ("api_registry.publish", "POST"): [(A + "/publication", {}, school(draft=403, submitted=403, approved=201))],
    ("api_registry.unpublish", "DELETE"): [(A + "/publication", None,  # none of these is published
                                            school(draft=403, submitted=403, approved=403))],
}


def api_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_api_table_lists_every_api_route_and_no_other(app):
    assert api_routes(app) == set(API_TABLE), sorted(api_routes(app) ^ set(API_TABLE))


def test_the_api_table_covers_every_role_and_state():
    for route, cases in API_TABLE.items():
        for url, _body, expected in cases:
            if "{id}" in url:
                assert set(expected) == set(STATES), (route, url)
                assert all(set(by_role) == set(ROLES) for by_role in expected.values()), (route, url)
            else:
                assert set(expected) == set(ROLES), (route, url)


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT": "10000 per minute", "PDF_RATE_LIMIT": "10000 per minute"}


@pytest.fixture
def api_audits(app, audits):  # noqa: F811  (the fixture imported above)
    """``audits`` of test_access, plus a token per role, the latest assessment id per state and a finished
    report job of the submitted audit (requested by its school)."""
    with app.app_context():
        tokens = {role: make_token(key) for role, key in KEY.items()}
        aids = {}
        for state in ("submitted", "approved"):
            audit = scenario.audit(audits[state])
            aids[state] = db.session.scalar(sa.select(sa.func.max(AssessmentSnapshot.id))
                                            .where(AssessmentSnapshot.audit_id == audit.id))
    job = app.test_client().post(f"/api/v1/audits/{audits['submitted']}/reports", json={},
                                 headers=bearer(tokens["school"]))
    assert job.status_code == 202, job.text
    return {**audits, "tokens": tokens, "aids": aids, "job": job.json["id"]}


@pytest.mark.parametrize("route", sorted(API_TABLE), ids=lambda r: f"{r[0]}-{r[1]}")
def test_api_route_answers_each_role_as_the_table_says(app, api_audits, route):
    endpoint, method = route
    failures = []
    for url_template, body, expected in API_TABLE[route]:
        cases = ([(state, api_audits[state], by_role) for state, by_role in expected.items()]
                 if "{id}" in url_template else [("-", None, expected)])
        for state, report_id, by_role in cases:
            url = url_template.replace("{id}", report_id or "").replace("{job}", api_audits["job"])
            url = url.replace("{aid}", str(api_audits["aids"].get(state, 999999)))
            url = (url.replace("{att}", str(api_audits["attachments"].get(state, 999999)))
                   .replace("{other_att}", str(api_audits["other_attachment"])))
            for key, product_id in api_audits["products"].items():
                url = url.replace(f"{{{key}}}", str(product_id))
            # the owning school and the reviewer go last: their requests may move the audit on
            for role in sorted(ROLES, key=lambda r: r in ("school", "reviewer")):
                headers = bearer(api_audits["tokens"][role]) if role != "anon" else {}
                response = app.test_client().open(url, method=method, json=body, headers=headers)
                got = response.status_code
                if got != by_role[role]:
                    failures.append(f"{method} {url} [{state}] as {role}: expected {by_role[role]}, got {got}")
                elif got >= 400:
                    assert response.mimetype == "application/problem+json", (url, role, response.text)
    assert not failures, "\n".join(failures)
