"""The JSON API: personal tokens (created in the browser, shown once, stored hashed, scoped, expiring,
revocable), CSRF for cookie requests only, problem details naming the field, the form's validation and
conflict rules on answers, evaluation, submission, review, report jobs and the per-token rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import scenario
import sqlalchemy as sa
from apihelpers import bearer, make_token
from redishelpers import on_redis
from webhelpers import REALISTIC, complete, csrf_token

from app.extensions import current_ruleset, db
from app.models import ApiToken, Audit, IssuedReport

API = "/api/v1"


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr("app.audits.services.render_pdf_limited",
                        lambda context, lim, pdf_variant=None: b"%PDF-1.7 stub " + context["report_id"].encode())


def _problem(response, status, code):
    assert response.status_code == status, (response.status_code, response.text)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["code"] == code and body["type"] == f"urn:eduaudit:problem:{code}"
    assert body["detail"] and body["title"]
    return body


# -- tokens ------------------------------------------------------------------------------------------

def test_a_token_is_created_in_the_browser_shown_once_stored_hashed_and_revoked(app, client):
    page = client.get("/account/tokens")
    assert page.status_code == 200
    created = client.post("/account/tokens", data={"csrf_token": csrf_token(page.text), "name": "School MIS",
                                                   "scope": "read", "lifetime": "30"})
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"].split(", ")
    text = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
    assert text.startswith("eat_") and len(text) >= 40
    again = client.get("/account/tokens")
    assert text not in again.text and text[:12] in again.text  # shown once; the prefix tells it apart
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        assert row.token_sha256 == hashlib.sha256(text.encode()).hexdigest() and text not in str(row.__dict__)
        assert row.scope == "read" and dt.timedelta(days=29) < row.expires_at - row.created_at <= dt.timedelta(days=30)
        token_id = row.id
    api = app.test_client()
    assert api.get(f"{API}/audits", headers=bearer(text)).status_code == 200
    revoked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(again.text)})
    assert revoked.status_code == 302
    _problem(api.get(f"{API}/audits", headers=bearer(text)), 401, "api.bad_token")


def test_another_user_cannot_revoke_my_token(app, accounts):
    with app.app_context():
        make_token("school")
        token_id = db.session.scalar(sa.select(ApiToken.id))
    from test_access import client_as

    other = client_as(app, "other_school")
    assert other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": other.token}).status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_a_token_name_that_is_too_long_is_refused_on_the_page(client):
    page = client.get("/account/tokens")
    refused = client.post("/account/tokens", data={"csrf_token": csrf_token(page.text), "name": "x" * 101,
                                                   "scope": "write", "lifetime": "90"})
    assert refused.status_code == 200 and "new-token" not in refused.text and "field-error" in refused.text


def test_expired_unknown_and_malformed_tokens_answer_401(app, accounts):
    with app.app_context():
        old = make_token("school", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    api = app.test_client()
    _problem(api.get(f"{API}/audits", headers=bearer(old)), 401, "api.bad_token")
    _problem(api.get(f"{API}/audits", headers=bearer("eat_" + "x" * 43)), 401, "api.bad_token")
    _problem(api.get(f"{API}/audits", headers={"Authorization": "Basic abc"}), 401, "api.bad_token")
    _problem(api.get(f"{API}/audits"), 401, "api.no_credentials")


def test_a_read_token_reads_but_cannot_write(app, accounts):
    with app.app_context():
        read = make_token("school", "read")
    api = app.test_client()
    assert api.get(f"{API}/audits", headers=bearer(read)).status_code == 200
    _problem(api.post(f"{API}/audits", json={"product_name": "P", "vendor_name": "V"}, headers=bearer(read)),
             403, "api.read_only_token")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Audit)) == 0


def test_a_token_acts_as_its_user_whatever_session_cookie_comes_along(app, client, accounts):
    with app.app_context():
        other = make_token("other_school")
        mine = scenario.make_audit("draft")
    assert client.get(f"{API}/audits/{mine}").status_code == 200  # the cookie: the owning school
    _problem(client.get(f"{API}/audits/{mine}", headers=bearer(other)), 404, "api.not_found")


# -- CSRF: cookie requests need it, token requests do not ----------------------------------------------

def test_cookie_requests_that_change_something_need_the_csrf_header(app, client):
    body = {"product_name": "Gate", "vendor_name": "Vendor"}
    _problem(client.post(f"{API}/audits", json=body), 403, "api.csrf")
    token = csrf_token(client.get("/account/password").text)
    created = client.post(f"{API}/audits", json=body, headers={"X-CSRFToken": token})
    assert created.status_code == 201 and created.json["product_name"] == "Gate"


def test_token_requests_need_no_csrf_token(app, accounts):
    with app.app_context():
        text = make_token("school")
    created = app.test_client().post(f"{API}/audits", json={"product_name": "Gate", "vendor_name": "V"},
                                     headers=bearer(text))
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"/api/v1/audits/{created.json['report_id']}")


# -- answers: the form's rules -------------------------------------------------------------------------

def _draft(api) -> dict:
    created = api.post(f"{API}/audits", json={"product_name": "Smart Classroom", "vendor_name": "Vision Co"})
    assert created.status_code == 201, created.text
    return created.json


def test_answers_are_typed_and_saved_and_the_revision_moves_on(school_api):
    audit = _draft(school_api)
    saved = school_api.patch(f"{API}/audits/{audit['report_id']}/answers",
                             json={"base_revision": audit["revision"],
                                   "answers": {"pupil_min_age": "12", "jurisdiction": "EU", "use_mandatory": "yes"}})
    assert saved.status_code == 200, saved.text
    body = saved.json
    assert body["saved"] == ["jurisdiction", "pupil_min_age", "use_mandatory"]
    assert body["audit"]["answers"]["pupil_min_age"] == 12 and body["audit"]["answers"]["use_mandatory"] is True
    assert body["audit"]["revision"] > audit["revision"]
    cleared = school_api.patch(f"{API}/audits/{audit['report_id']}/answers",
                               json={"base_revision": body["audit"]["revision"], "answers": {"pupil_min_age": None}})
    assert "pupil_min_age" not in cleared.json["audit"]["answers"]


def test_a_refused_answer_names_the_field_and_nothing_is_saved(app, school_api):
    audit = _draft(school_api)
    refused = school_api.patch(f"{API}/audits/{audit['report_id']}/answers",
                               json={"base_revision": audit["revision"],
                                     "answers": {"jurisdiction": "EU", "pupil_min_age": 1, "no_such_question": 1}})
    body = _problem(refused, 422, "api.answers_refused")
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert fields == {"answers.pupil_min_age": "answer.too_small",
                      "answers.no_such_question": "answer.unknown_question"}
    with app.app_context():
        assert "jurisdiction" not in scenario.audit(audit["report_id"]).answers


def test_a_cross_question_check_refuses_the_request(app, school_api):
    audit = _draft(school_api)
    refused = school_api.patch(f"{API}/audits/{audit['report_id']}/answers",
                               json={"base_revision": audit["revision"],
                                     "answers": {"pupil_min_age": 15, "pupil_max_age": 9}})
    body = _problem(refused, 422, "api.answers_refused")
    assert {e["field"] for e in body["errors"]} >= {"answers.pupil_max_age"}
    with app.app_context():
        assert "pupil_min_age" not in scenario.audit(audit["report_id"]).answers


def test_a_schema_violation_names_the_field(school_api):
    audit = _draft(school_api)
    body = _problem(school_api.patch(f"{API}/audits/{audit['report_id']}/answers", json={"answers": {}}),
                    422, "api.invalid")
    assert [e["field"] for e in body["errors"]] == ["json.base_revision"]
    body = _problem(school_api.post(f"{API}/audits", json={"product_name": "P", "vendor_name": "V", "x": 1}),
                    422, "api.invalid")
    assert [e["field"] for e in body["errors"]] == ["json.x"]


def test_two_writers_conflict_as_on_the_form(app, accounts, school_api):
    with app.app_context():
        colleague = make_token("school2")
    audit = _draft(school_api)
    base = audit["revision"]
    first = school_api.patch(f"{API}/audits/{audit['report_id']}/answers",
                             json={"base_revision": base, "answers": {"pupil_min_age": 12}})
    assert first.status_code == 200
    other = app.test_client()
    # The colleague read the audit before that save: a different age is a conflict, nothing is written.
    clash = other.patch(f"{API}/audits/{audit['report_id']}/answers", headers=bearer(colleague),
                        json={"base_revision": base, "answers": {"pupil_min_age": 13, "jurisdiction": "UK"}})
    body = _problem(clash, 409, "api.edit_conflict")
    assert [e["field"] for e in body["errors"]] == ["answers.pupil_min_age"]
    with app.app_context():
        stored = scenario.audit(audit["report_id"]).answers
        assert stored["pupil_min_age"] == 12 and "jurisdiction" not in stored
    # Sending the age as it was read keeps the other answer, and saves the rest.
    merged = other.patch(f"{API}/audits/{audit['report_id']}/answers", headers=bearer(colleague),
                         json={"base_revision": base, "answers": {"jurisdiction": "UK"}})
    assert merged.status_code == 200 and merged.json["audit"]["answers"]["pupil_min_age"] == 12


def test_frozen_and_foreign_audits(app, accounts, school_api):
    with app.app_context():
        submitted = scenario.make_audit("submitted")
        foreign = scenario.make_audit("draft", owner="other_school")
    _problem(school_api.patch(f"{API}/audits/{submitted}/answers",
                              json={"base_revision": 1, "answers": {"pupil_min_age": 12}}), 403, "api.forbidden")
    _problem(school_api.get(f"{API}/audits/{foreign}"), 404, "api.not_found")


# -- evaluation, submission, review ------------------------------------------------------------------

def _complete(app, api, report_id):
    with app.app_context():
        qn = current_ruleset().questionnaire
        answers = qn.to_json(qn.validate_answers(complete(qn, REALISTIC)))
    revision = api.get(f"{API}/audits/{report_id}").json["revision"]
    saved = api.patch(f"{API}/audits/{report_id}/answers", json={"base_revision": revision, "answers": answers})
    assert saved.status_code == 200, saved.text


def test_an_incomplete_audit_names_the_open_questions_then_evaluates_to_the_contract(app, school_api):
    audit = _draft(school_api)
    body = _problem(school_api.post(f"{API}/audits/{audit['report_id']}/evaluation"), 422, "audit.not_ready")
    assert "answers.jurisdiction" in {e["field"] for e in body["errors"]}
    _complete(app, school_api, audit["report_id"])
    result = school_api.post(f"{API}/audits/{audit['report_id']}/evaluation")
    assert result.status_code == 200 and result.json["verdict"] == "prohibited"
    assessment = school_api.get(result.headers["Location"]).json
    assert assessment["result"] == result.json and assessment["verdict"] == "prohibited"
    findings = school_api.get(result.headers["Location"] + "/findings").json
    assert findings["findings"] == result.json["findings"] and findings["findings"]


def test_submit_review_and_decide_through_the_api(app, accounts, school_api):
    with app.app_context():
        reviewer = make_token("reviewer")
        regulators = school_api.get(f"{API}/regulators").json["regulators"]
    regulator = next(r for r in regulators if r["name"] == "Test Regulator")
    audit = _draft(school_api)
    rid = audit["report_id"]
    _complete(app, school_api, rid)
    _problem(school_api.post(f"{API}/audits/{rid}/submissions", json={"regulator_id": 999999}), 422,
             "api.no_such_regulator")
    submitted = school_api.post(f"{API}/audits/{rid}/submissions", json={"regulator_id": regulator["id"]})
    assert submitted.status_code == 201 and submitted.json["number"] == 1
    officer = app.test_client()
    officer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {reviewer}"
    assert [q["report_id"] for q in officer.get(f"{API}/review/queue").json["queue"]] == [rid]
    rule = school_api.get(f"{API}/audits/{rid}/assessments/{submitted.json['assessment_id']}/findings") \
        .json["findings"][0]["rule_id"]
    incomplete = officer.put(f"{API}/audits/{rid}/review/ratings", json={"items": [
        {"target_kind": "finding", "target_id": rule, "rating": "must_be_corrected", "comment": "Stop it."}]})
    body = _problem(incomplete, 422, "api.invalid")
    assert body["errors"][0]["field"] == "json.items.0" and body["errors"][0]["code"] == "review.action_missing"
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    rated = officer.put(f"{API}/audits/{rid}/review/ratings", json={"items": [
        {"target_kind": "finding", "target_id": rule, "rating": "must_be_corrected", "comment": "Stop it.",
         "action": "Remove the cameras", "owner": "Head teacher", "due_date": due}]})
    assert rated.status_code == 200 and rated.json["ratings"][0]["action"] == "Remove the cameras"
    _problem(officer.post(f"{API}/audits/{rid}/review/decision", json={"decision": "approved"}), 422,
             "review.approval_blocked")
    decided = officer.post(f"{API}/audits/{rid}/review/decision",
                           json={"decision": "changes_requested", "comment": "See the action."})
    assert decided.status_code == 200 and decided.json["decision"] == "changes_requested"
    school_view = school_api.get(f"{API}/audits/{rid}/submissions").json["submissions"][0]
    assert school_view["decision"] == "changes_requested" and school_view["ratings"][0]["due_date"] == due
    assert school_api.get(f"{API}/audits/{rid}").json["status"] == "changes_requested"
    kinds = [e["kind"] for e in school_api.get(f"{API}/audits/{rid}/trail").json["events"]]
    assert kinds[-4:] == ["submitted", "action_added", "reviewed", "changes_requested"]


# -- report jobs -------------------------------------------------------------------------------------

JOB_ID = re.compile(r"report-[0-9a-f]{64}")


def test_a_report_job_is_requested_polled_and_downloaded(app, accounts, school_api, stub_pdf):
    with app.app_context():
        rid = scenario.make_audit("complete")
        other = make_token("other_school")
    started = school_api.post(f"{API}/audits/{rid}/reports", json={"lang": "zh"})
    assert started.status_code == 202, started.text
    assert JOB_ID.fullmatch(started.json["id"])  # the job queue's id
    assert started.headers["Location"] == started.json["url"] == f"{API}/report-jobs/{started.json['id']}"
    assert "Retry-After" not in started.headers  # without workers the job ran in the request: nothing to wait for
    job = school_api.get(started.headers["Location"]).json
    assert job["state"] == "finished" and job["progress"] == 100 and job["lang"] == "zh" and job["problem"] is None
    pdf = school_api.get(job["download"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == job["sha256"]
    with app.app_context():
        assert db.session.scalar(sa.select(IssuedReport.sha256)) == job["sha256"]  # recorded for /verify
    stranger = app.test_client()
    _problem(stranger.get(started.headers["Location"], headers=bearer(other)), 404, "api.not_found")
    _problem(stranger.get(job["download"], headers=bearer(other)), 404, "api.not_found")
    _problem(school_api.get(f"{API}/report-jobs/..%2F..%2Fetc"), 404, "api.not_found")
    _problem(school_api.get(f"{API}/report-jobs/report-{'0' * 64}"), 404, "api.not_found")


def test_the_same_report_again_is_the_same_job_served_from_the_store(app, accounts, school_api, stub_pdf,
                                                                      monkeypatch):
    from app import jobs

    with app.app_context():
        rid = scenario.make_audit("complete")
    first = school_api.post(f"{API}/audits/{rid}/reports", json={}).json

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again although the PDF is stored")

    monkeypatch.setattr("app.audits.services.render_pdf_limited", no_render)
    again = school_api.post(f"{API}/audits/{rid}/reports", json={})
    assert again.status_code == 202 and again.json == first
    # a job the queue has forgotten (expired; or run by another web process) is answered from the store
    app.extensions[jobs.JOBS_KEY].inline.clear()
    job = school_api.get(first["url"]).json
    assert job == first
    assert school_api.get(job["download"]).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport)) == 1


@pytest.mark.parametrize(("kind", "status"), [("time", 503), ("size", 422)])
def test_a_render_stopped_by_a_limit_gives_a_failed_job_and_records_nothing(app, accounts, school_api, monkeypatch,
                                                                             kind, status):
    from app.reports.limits import RenderLimitExceeded

    def stopped(context, lim, pdf_variant=None):
        raise RenderLimitExceeded(kind, "stopped", limit=60.0, actual=61.0)

    monkeypatch.setattr("app.audits.services.render_pdf_limited", stopped)
    with app.app_context():
        rid = scenario.make_audit("complete")
    job = school_api.post(f"{API}/audits/{rid}/reports", json={}).json
    assert job["state"] == "failed" and job["download"] is None and job["sha256"] is None
    problem = job["problem"]
    assert problem["code"] == "api.render_limit" and problem["status"] == status
    assert problem["type"] == "urn:eduaudit:problem:api.render_limit" and f"{kind}: 60" in problem["detail"]
    assert school_api.get(job["url"]).json == job
    _problem(school_api.get(f"{job['url']}/pdf"), 404, "api.not_found")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport)) == 0


def test_a_render_that_crashes_gives_a_failed_job_whose_problem_hides_the_cause(app, accounts, school_api,
                                                                                monkeypatch):
    def crash(context, lim, pdf_variant=None):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("app.audits.services.render_pdf_limited", crash)
    with app.app_context():
        rid = scenario.make_audit("complete")
    job = school_api.post(f"{API}/audits/{rid}/reports", json={}).json
    assert job["state"] == "failed" and job["problem"]["code"] == "api.render_failed"
    assert job["problem"]["status"] == 503 and "secret internals" not in str(job)


def test_on_redis_a_job_stays_queued_until_a_worker_runs_it(app, accounts, school_api, stub_pdf):
    from rq import SimpleWorker
    from rq.job import Job

    from app import jobs

    with app.app_context():
        rid = scenario.make_audit("complete")
        other = make_token("other_school")
    with on_redis(app) as (connection, _queue):
        started = school_api.post(f"{API}/audits/{rid}/reports", json={"lang": "en"})
        job_id = started.json["id"]
        try:
            assert started.status_code == 202 and started.json["state"] == "queued"
            assert started.json["download"] is None and started.json["sha256"] is None
            assert started.headers["Retry-After"] == "2" and started.headers["Location"] == started.json["url"]
            polled = school_api.get(started.json["url"])
            assert polled.json["state"] == "queued" and polled.headers["Retry-After"] == "2"
            _problem(school_api.get(f"{started.json['url']}/pdf"), 404, "api.not_found")  # not finished yet
            # a second request joins the queued job instead of queueing another render
            assert school_api.post(f"{API}/audits/{rid}/reports", json={"lang": "en"}).json["id"] == job_id
            _problem(app.test_client().get(started.json["url"], headers=bearer(other)), 404, "api.not_found")
            with app.app_context():
                SimpleWorker([jobs.queue()], connection=jobs.queue().connection).work(burst=True)
            done = school_api.get(started.json["url"])
            assert done.json["state"] == "finished" and done.json["progress"] == 100
            assert "Retry-After" not in done.headers
            pdf = school_api.get(done.json["download"])
            assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == done.json["sha256"]
            stranger = app.test_client()
            _problem(stranger.get(done.json["url"], headers=bearer(other)), 404, "api.not_found")
            _problem(stranger.get(done.json["download"], headers=bearer(other)), 404, "api.not_found")
            with app.app_context():
                assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport)) == 1
        finally:
            Job.fetch(job_id, connection=connection).delete()


def test_with_redis_down_a_job_is_looked_up_later_with_a_problem_not_a_traceback(app, accounts, school_api,
                                                                                 stub_pdf):
    from app import jobs

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/5"  # nothing listens on port 1
    jobs.init_app(app)
    with app.app_context():
        rid = scenario.make_audit("complete")
    started = school_api.post(f"{API}/audits/{rid}/reports", json={})
    assert started.status_code == 202 and started.json["state"] == "finished"  # rendered in this process
    assert school_api.get(started.json["download"]).status_code == 200
    unknown = school_api.get(f"{API}/report-jobs/report-{'0' * 64}")
    body = _problem(unknown, 503, "api.jobs_unreachable")
    assert unknown.headers["Retry-After"] == "60" and "ConnectionError" not in body["detail"]


# -- limits and errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"API_RATE_LIMIT": "3 per minute"}])
def test_requests_are_limited_per_token(app, accounts):
    with app.app_context():
        first, second = make_token("school"), make_token("school")
    api = app.test_client()
    for _ in range(3):
        assert api.get(f"{API}/audits", headers=bearer(first)).status_code == 200
    limited = _problem(api.get(f"{API}/audits", headers=bearer(first)), 429, "api.rate_limited")
    assert limited["status"] == 429
    assert api.get(f"{API}/audits", headers=bearer(second)).status_code == 200  # its own bucket


def test_unknown_addresses_and_methods_under_the_api_are_problems(app, school_api):
    _problem(school_api.get(f"{API}/no-such-thing"), 404, "api.not_found")
    _problem(school_api.delete(f"{API}/audits"), 405, "api.method_not_allowed")


def test_public_registry_resources_need_no_token(app, accounts):
    with app.app_context():
        scenario.make_audit("published", product="Published Gate")
    anon = app.test_client()
    products = anon.get(f"{API}/products").json
    assert [p["name"] for p in products["products"]] == ["Published Gate"] and products["total"] == 1
    pid = products["products"][0]["id"]
    assert anon.get(f"{API}/products/{pid}").json["audits"] == 1
    assert len(anon.get(f"{API}/products/{pid}/published").json["audits"]) == 1
    assert len(anon.get(f"{API}/published").json["audits"]) == 1


@pytest.mark.parametrize("app_config", [{"PDF_RATE_LIMIT": "1 per minute"}])
def test_report_requests_count_against_the_pdf_limit(app, accounts, school_api, stub_pdf):
    with app.app_context():
        rid = scenario.make_audit("complete")
    assert school_api.post(f"{API}/audits/{rid}/reports", json={}).status_code == 202
    _problem(school_api.post(f"{API}/audits/{rid}/reports", json={}), 429, "api.rate_limited")
    assert school_api.get(f"{API}/audits/{rid}").status_code == 200  # only reports are limited this tightly


def test_an_approval_of_a_grave_verdict_through_the_api_needs_the_acknowledgement(app, accounts, school_api):
    """The web asks the reviewer why they approve a critical or prohibited verdict; the API must carry
    that reason too (before, it could not, so such an audit could not be approved through the API)."""
    with app.app_context():
        reviewer = make_token("reviewer")
        regulators = school_api.get(f"{API}/regulators").json["regulators"]
    regulator = next(r for r in regulators if r["name"] == "Test Regulator")
    rid = _draft(school_api)["report_id"]
    _complete(app, school_api, rid)
    submitted = school_api.post(f"{API}/audits/{rid}/submissions", json={"regulator_id": regulator["id"]})
    assert submitted.status_code == 201 and submitted.json["verdict"] in ("critical", "prohibited")
    officer = app.test_client()
    officer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {reviewer}"
    findings = school_api.get(f"{API}/audits/{rid}/assessments/{submitted.json['assessment_id']}/findings").json
    rated = officer.put(f"{API}/audits/{rid}/review/ratings", json={"items": [
        {"target_kind": "finding", "target_id": f["rule_id"], "rating": "acceptable"} for f in findings["findings"]]})
    assert rated.status_code == 200, rated.text
    _problem(officer.post(f"{API}/audits/{rid}/review/decision", json={"decision": "approved"}), 422,
             "review.acknowledge_verdict")
    reason = "Approved for one term under the bureau's supervision; the gate is removed in July."
    approved = officer.post(f"{API}/audits/{rid}/review/decision",
                            json={"decision": "approved", "acknowledgement": reason})
    assert approved.status_code == 200, approved.text
    assert approved.json["decision"] == "approved" and approved.json["acknowledgement"] == reason
    assert school_api.get(f"{API}/audits/{rid}/submissions").json["submissions"][0]["acknowledgement"] == reason


# -- the review loop's records: the action plan and the documents ----------------------------------------

@pytest.fixture
def planned(app, accounts):
    """A submitted audit with changes requested by a rating (a reviewer's item), the school's own item, and
    a document; returns its report id, the items' ids (reviewer's, school's), the document's id and the
    school's token."""
    from app.review import services as review_services

    with app.app_context():
        rid = scenario.make_audit("submitted")
        audit, school, reviewer = scenario.audit(rid), scenario.user("school"), scenario.user("reviewer")
        submission = scenario.latest_submission(rid)
        rule = submission.assessment.read_result().findings[0].rule_id
        due = dt.date.today() + dt.timedelta(days=20)
        review_services.save_reviews(current_ruleset(), submission, reviewer, [review_services.ReviewInput(
            "finding", rule, "must_be_corrected", "No contract", "Sign a DPA", "Head", due)])
        review_services.decide(submission, reviewer, "changes_requested", "")
        own = review_services.add_action(audit, school, "Tell the parents", "Deputy", due)
        db.session.commit()
        theirs = next(i.id for i in review_services.actions_of(audit) if i.source == "reviewer")
        attachment = scenario.attach(rid, file_name="dpa.pdf")
        return rid, rule, theirs, own.id, attachment, make_token("school")


def test_the_action_plan_lists_every_item_with_all_its_fields(app, planned):
    rid, rule, theirs, own, _attachment, token = planned
    listed = app.test_client().get(f"{API}/audits/{rid}/actions", headers=bearer(token))
    assert listed.status_code == 200, listed.text
    items = {item["id"]: item for item in listed.json["actions"]}
    assert set(items) == {theirs, own}
    assert items[theirs] | {"created_at": None, "due_date": None} == {
        "id": theirs, "source": "reviewer", "kind": "action", "attachment_id": None, "action": "Sign a DPA",
        "owner": "Head", "due_date": None, "state": "open",
        "overdue": False, "done_note": "", "done_at": None, "created_at": None, "created_by": "officer@regulator.test",
        "target_kind": "finding", "target_id": rule, "submission_number": 1,
        "rating": {"submission": 1, "target_kind": "finding", "target_id": rule}}
    assert items[own]["source"] == "school" and items[own]["rating"] is None and items[own]["target_kind"] is None
    assert items[own]["created_by"] == "head@school.test"


def test_the_school_marks_an_action_done_with_a_note_as_on_its_page(app, planned):
    rid, _rule, theirs, _own, _attachment, token = planned
    client = app.test_client()
    blank = client.post(f"{API}/audits/{rid}/actions/{theirs}/done", json={"note": "  "}, headers=bearer(token))
    assert _problem(blank, 422, "review.done_note_missing")
    done = client.post(f"{API}/audits/{rid}/actions/{theirs}/done", json={"note": "DPA signed on 3 March"},
                       headers=bearer(token))
    assert done.status_code == 200, done.text
    assert done.json["state"] == "done" and done.json["done_note"] == "DPA signed on 3 March" and done.json["done_at"]
    again = client.post(f"{API}/audits/{rid}/actions/{theirs}/done", json={"note": "again"}, headers=bearer(token))
    assert _problem(again, 422, "review.action_already_done")
    with app.app_context():
        assert scenario.kinds(rid)[-1] == "action_done"
    reviewer = client.post(f"{API}/audits/{rid}/actions/{theirs}/done", json={"note": "x"},
                           headers=bearer(make_token_in(app, "reviewer")))
    assert _problem(reviewer, 403, "api.forbidden")


def make_token_in(app, key):
    with app.app_context():
        return make_token(key)


def test_an_audit_s_documents_are_listed_and_downloaded_as_files_to_save(app, planned):
    rid, _rule, _theirs, _own, attachment, token = planned
    client = app.test_client()
    listed = client.get(f"{API}/audits/{rid}/attachments", headers=bearer(make_token_in(app, "reviewer")))
    assert listed.status_code == 200, listed.text
    (row,) = listed.json["attachments"]
    assert row["id"] == attachment and row["file_name"] == "dpa.pdf" and row["media_type"] == "application/pdf"
    assert row["sha256"] == hashlib.sha256(scenario.PDF_BYTES).hexdigest()
    assert row["size_bytes"] == len(scenario.PDF_BYTES)
    assert row["current"] is True and row["removed_in_version"] is None and row["question_id"] == "legal_basis"
    got = client.get(row["download"], headers=bearer(token))
    assert got.status_code == 200 and got.data == scenario.PDF_BYTES
    assert got.headers["Content-Disposition"].startswith("attachment") and got.headers["X-Content-Type-Options"] == \
        "nosniff" and got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert got.headers["Cache-Control"] == "private, no-store"
    other = client.get(row["download"], headers=bearer(make_token_in(app, "other_school")))
    assert _problem(other, 404, "api.not_found")
