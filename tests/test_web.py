"""The web app as a school administrator uses it: start, walk the steps, fix errors, see results."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from webhelpers import REALISTIC, complete, csrf_token, form_fields, step_of

from app.extensions import db
from app.models import AssessmentSnapshot, Audit

REPORT_ID = re.compile(r"^EA-[A-Z2-7]{10}$")


@pytest.fixture
def qn(app):
    return app.extensions["eduaudit.ruleset"].questionnaire


def start(client, product="Smart Classroom Behaviour Management System 1.0", vendor="Example Vision"):
    page = client.get("/")
    response = client.post("/audits", data={"csrf_token": csrf_token(page.text), "product_name": product,
                                            "vendor_name": vendor})
    assert response.status_code == 302, response.text
    report_id = response.location.split("/")[2]
    return report_id, response.location


def post_step(client, location, data, action="continue", **extra):
    page = client.get(location)
    assert page.status_code == 200
    return client.post(location, data={"csrf_token": csrf_token(page.text), "action": action, **data, **extra})


def stored(app, report_id):
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == report_id))
        return dict(audit.answers)


def walk(client, qn, location, answers):
    """Post every step with ``answers`` until the results page; returns the visited section ids."""
    visited = []
    while "/steps/" in location:
        section_id = step_of(location)
        visited.append(section_id)
        response = post_step(client, location, form_fields(qn, section_id, answers))
        assert response.status_code == 302, (section_id, re.findall(r'field-error"[^>]*>(.*?)</p>', response.text))
        location = response.location
        assert len(visited) < 50
    return visited, location


def test_home_says_what_the_tool_does_and_offers_a_start(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Start a new audit" in page.text
    assert "No audits yet" in page.text


def test_start_creates_a_draft_and_opens_the_first_step(app, client, qn):
    report_id, location = start(client, product="Campus Gate FR", vendor="Gatekeeper Ltd")
    assert REPORT_ID.match(report_id)
    assert step_of(location) == qn.sections[0].id
    answers = stored(app, report_id)
    assert answers == {"product_name": "Campus Gate FR", "vendor_name": "Gatekeeper Ltd"}
    home = client.get("/").text
    assert "Campus Gate FR" in home and "Gatekeeper Ltd" in home and "not evaluated yet" in home
    step = client.get(location).text
    assert 'value="Campus Gate FR"' in step


def test_start_needs_both_names(client):
    page = client.get("/")
    response = client.post("/audits", data={"csrf_token": csrf_token(page.text), "product_name": " ",
                                            "vendor_name": "Acme"})
    assert response.status_code == 200
    assert "Enter the product&#39;s name." in response.text or "Enter the product's name." in response.text
    assert 'value="Acme"' in response.text


def test_walk_every_step_to_the_results(app, client, qn):
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    visited, results_url = walk(client, qn, location, answers)
    assert visited[0] == "product" and len(visited) == len(qn.visible_sections(qn.validate_answers(answers)))
    assert results_url.endswith(f"/audits/{report_id}/results")

    page = client.get(results_url)
    assert page.status_code == 200
    text = page.text
    assert "Download PDF" in text and f"/audits/{report_id}/report.pdf" in text
    assert "Prohibited" in text  # the EU AI Act's ban on emotion recognition in schools
    assert "Emotion recognition in an education institution is prohibited in the EU" in text
    # the trace: answers that triggered the finding, and the legal basis with its pinpoint
    assert "What the system infers" in text and "Emotions; Attention, focus or engagement" in text
    assert "Art. 5(1)(f)" in text
    assert "Regulation (EU) 2024/1689" in text

    with app.app_context():
        snapshots = db.session.scalars(sa.select(AssessmentSnapshot)).all()
        assert len(snapshots) == 1
        snap = snapshots[0]
        assert snap.verdict == "prohibited" and snap.jurisdiction == "EU" and snap.as_of.isoformat() == "2026-09-01"
        assert snap.rule_set_sha256 == app.extensions["eduaudit.ruleset"].sha256
        assert snap.result["verdict"] == "prohibited"
    client.get(results_url)  # viewing again adds no snapshot while nothing changed
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AssessmentSnapshot.id))) == 1
    assert "Prohibited" in client.get("/").text


def test_back_saves_then_goes_to_the_previous_step_and_reload_shows_answers(app, client, qn):
    report_id, location = start(client)
    context_url = post_step(client, location, {"product_kind": "face_gate"}).location
    assert step_of(context_url) == "context"
    response = post_step(client, context_url, {"school_type": "primary", "pupil_min_age": "6",
                                               "planned_date": "2026-09-01"}, action="back")
    assert response.status_code == 302 and step_of(response.location) == "product"
    answers = stored(app, report_id)
    assert answers["school_type"] == "primary" and answers["pupil_min_age"] == 6
    assert answers["planned_date"] == "2026-09-01" and answers["product_kind"] == "face_gate"

    again = client.get(context_url).text  # "days later": a fresh GET shows what was saved
    assert re.search(r'id="school_type-\d+" name="school_type"\s+value="primary" checked', again)
    assert 'value="6"' in again and 'value="2026-09-01"' in again


def test_step_navigation_saves_before_jumping(app, client):
    report_id, location = start(client)
    response = post_step(client, location, {"product_kind": "wearable"}, goto="data")
    assert step_of(response.location) == "data"
    assert stored(app, report_id)["product_kind"] == "wearable"


def test_a_validation_error_keeps_other_answers_and_the_typed_input(app, client):
    report_id, location = start(client)
    context_url = post_step(client, location, {}).location
    response = post_step(client, context_url, {"school_type": "lower_secondary", "pupil_min_age": "twelve",
                                               "pupils_affected": "0", "school_sector": "private"})
    assert response.status_code == 200  # stays on the step to show the problems
    text = response.text
    assert "Enter a whole number between 2 and 99." in text
    assert "Enter a whole number between 1 and 10000000." in text
    assert 'value="twelve"' in text  # what was typed is shown again, with the error beside it
    assert 'aria-invalid="true"' in text
    answers = stored(app, report_id)
    assert answers["school_type"] == "lower_secondary" and answers["school_sector"] == "private"
    assert "pupil_min_age" not in answers and "pupils_affected" not in answers


def test_a_wrong_choice_and_an_exclusive_choice_are_explained(app, client):
    report_id, location = start(client)
    response = post_step(client, location, {"product_kind": "teleporter"}, goto="data")
    assert response.status_code == 302  # navigation still happens; the warning says what was not kept
    page = client.get(response.location).text
    assert "not valid and were not kept" in page and "Kind of product" in page
    response = post_step(client, response.location, {"sensors": ["classroom_cameras", "none"],
                                                      "data_categories": ["grades"]})
    assert response.status_code == 200
    assert "cannot be combined with other choices" in response.text
    assert stored(app, report_id)["data_categories"] == ["grades"]


def test_ages_that_contradict_each_other_are_refused_on_the_field(app, client):
    report_id, location = start(client)
    context_url = post_step(client, location, {}).location
    response = post_step(client, context_url, {"pupil_min_age": "12", "pupil_max_age": "8"})
    assert response.status_code == 200
    assert "The oldest pupils&#39; age (8) is below the youngest (12)." in response.text
    answers = stored(app, report_id)
    assert answers["pupil_min_age"] == 12 and "pupil_max_age" not in answers



def test_a_refused_age_does_not_leave_the_saved_ages_contradicting_each_other(app, client, qn):
    # Saved 10 to 14; then 15 to 9 is sent. 9 is refused; keeping 15 beside the saved 14 would store
    # answers that contradict each other (the step said "complete", submitting was refused without a
    # word on the step). Both are refused; the saved answers stay as they were.
    report_id, location = start(client)
    context_url = post_step(client, location, {}).location
    post_step(client, context_url, {"pupil_min_age": "10", "pupil_max_age": "14"})
    response = post_step(client, context_url, {"pupil_min_age": "15", "pupil_max_age": "9"})
    assert response.status_code == 200
    assert "2 answers could not be saved" in response.text
    assert "The oldest pupils&#39; age (9) is below the youngest (15)." in response.text
    answers = stored(app, report_id)
    assert (answers["pupil_min_age"], answers["pupil_max_age"]) == (10, 14)
    assert qn.load(answers).conflicts == []

def test_required_questions_still_open_are_listed_on_the_step(client):
    _report_id, location = start(client)
    context_url = post_step(client, location, {}).location
    text = client.get(context_url).text
    assert "required questions on this step are still open" in text
    assert 'href="#q-planned_date"' in text and "not answered yet" in text


def test_questions_that_depend_on_the_same_step_carry_the_markup_the_static_script_toggles(app, client, qn):
    report_id, location = start(client)
    response = post_step(client, location, {}, goto="hosting")
    hosting_url = response.location
    page = client.get(hosting_url).text
    block = re.search(r'<div class="question[^"]*" id="q-transfer_safeguards"[^>]*>', page).group(0)
    assert "data-show-if=" in block and "leaves_country" in block and " hidden" in block
    assert re.search(r'<script src="/static/js/steps.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "no inline script"
    # the answer to a question that is hidden again is kept, but evaluation ignores it
    post_step(client, hosting_url, {"leaves_country": "yes", "transfer_safeguards": "no"})
    post_step(client, hosting_url, {"leaves_country": "no", "transfer_safeguards": "no"})
    answers = stored(app, report_id)
    assert answers["leaves_country"] == "no" and answers["transfer_safeguards"] is False
    typed = qn.validate_answers(answers)
    assert "transfer_safeguards" not in qn.effective_answers(typed)


def test_results_list_missing_answers_with_links_to_their_steps(client):
    report_id, location = start(client)
    response = client.get(f"/audits/{report_id}/results")
    assert response.status_code == 200
    assert "still needed" in response.text
    assert f'href="/audits/{report_id}/steps/context#q-planned_date"' in response.text
    pdf = client.get(f"/audits/{report_id}/report.pdf")
    assert pdf.status_code == 302 and pdf.location.endswith("/results")


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/audits", data={"product_name": "X", "vendor_name": "Y"})
    assert response.status_code == 400
    assert "This page has expired" in response.text and "Nothing from this page was saved" in response.text


def test_post_over_the_size_limit_gets_a_clear_413(client, app):
    report_id, location = start(client)
    page = client.get(location)
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post(location, data={"csrf_token": csrf_token(page.text), "product_description": big})
    assert response.status_code == 413
    assert "The form is too large" in response.text and "nothing was saved" in response.text
    assert "product_description" not in stored(app, report_id)


def test_user_text_is_escaped_everywhere(app, client, qn):
    evil = '<script>alert(1)</script><link rel=attachment href="file:///etc/passwd">'
    answers = complete(qn, {**REALISTIC, "product_name": evil, "product_description": evil})
    report_id, location = start(client, evil, evil)
    walk(client, qn, location, answers)
    for url in ("/", f"/audits/{report_id}/steps/product", f"/audits/{report_id}/results"):
        text = client.get(url).text
        assert "<script>alert(1)" not in text and "<link rel=attachment" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


def test_unknown_audit_and_step_are_404(client):
    assert client.get("/audits/EA-AAAAAAAAAA/results").status_code == 404
    report_id, _ = start(client)
    response = client.get(f"/audits/{report_id}/steps/no-such-step")
    assert response.status_code == 404 and "Page not found" in response.text


def test_a_step_that_does_not_apply_redirects_onwards(client):
    report_id, _ = start(client)
    response = client.get(f"/audits/{report_id}/steps/cameras")  # no cameras declared
    assert response.status_code == 302 and "/steps/cameras" not in response.location


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pdf_download_is_an_attachment_named_after_the_report(app, client, qn):
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    walk(client, qn, location, answers)
    # the English and the Chinese report (and later versions) get their own names: one download used to
    # overwrite the other
    for lang in ("zh", "en"):
        response = client.get(f"/audits/{report_id}/report.pdf?lang={lang}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition == f"attachment; filename=eduaudit-{report_id}-v1-draft-{lang}.pdf"
        assert response.data.startswith(b"%PDF")


def test_the_draft_and_the_submitted_pdf_have_their_own_file_names(app, client):
    # same version, same language, different covers: saving both into one folder must not clash
    import scenario

    with app.app_context():
        report_id = scenario.make_audit("complete")
    names = []
    for submit in (False, True):
        if submit:
            assert scenario.web_submit(client, report_id).status_code == 302
        response = client.get(f"/audits/{report_id}/report.pdf?lang=en")
        assert response.status_code == 200
        names.append(response.headers["Content-Disposition"])
    assert names == [f"attachment; filename=eduaudit-{report_id}-v1-draft-en.pdf",
                     f"attachment; filename=eduaudit-{report_id}-v1-submitted-en.pdf"]


def test_the_report_cover_names_the_school_on_the_page_and_in_the_regulators_pdf(app, accounts, client):
    import io

    from pypdf import PdfReader
    from registry_helpers import reviewed_audit, user
    from webhelpers import login

    with app.app_context():
        audit = reviewed_audit(user(accounts["school"]), user(accounts["reviewer"]), status="submitted")
        report_id, school = audit.report_id, audit.organisation.name
        db.session.commit()
    assert school == "Test School"
    for lang, line in (("en", f"School: {school}"), ("zh", f"学校：{school}")):
        page = client.get(f"/audits/{report_id}/results?lang={lang}")
        assert page.status_code == 200
        assert f'<p class="cover__school">{line}</p>' in page.text, lang
    regulator = app.test_client()
    assert login(regulator, accounts["reviewer"]).status_code == 302
    pdf = regulator.get(f"/audits/{report_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    cover = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert f"School: {school}" in cover


def test_a_pdf_render_that_fails_gets_a_plain_503_page_and_records_nothing(app, client, qn, monkeypatch):
    from app.audits import services
    from app.models import IssuedReport
    from app.reports.limits import RenderFailed

    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    walk(client, qn, location, answers)

    def crash(*args, **kwargs):
        raise RenderFailed("the rendering process ended without a result (exit code -9)")

    monkeypatch.setattr(services, "render_report", crash)
    response = client.get(f"/audits/{report_id}/report.pdf")
    assert response.status_code == 503 and response.headers["Retry-After"] == "120"
    assert "The PDF could not be produced" in response.text and "exit code" not in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport)) == 0


def test_the_results_page_is_rendered_once_per_audit_revision_language_and_rule_set(app, accounts, client, qn,
                                                                                   monkeypatch):
    from webhelpers import login

    from app.audits import views

    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    _visited, results_url = walk(client, qn, location, answers)
    real, calls = views.evaluate_audit, []
    monkeypatch.setattr(views, "evaluate_audit", lambda *a: calls.append(1) or real(*a))
    client.get(results_url)  # shows and clears the last step's message
    first = client.get(results_url).text
    assert client.get(results_url).text == first and len(calls) == 1  # served from the rendered page
    assert "禁止" in client.get(results_url + "?lang=zh").text and len(calls) == 2  # another language
    # The same checks as ever: another school's administrator gets a 404, not the cached page.
    other = app.test_client()
    login(other, accounts["other_school"])
    assert other.get(results_url).status_code == 404 and len(calls) == 2
    # A changed answer is a new revision: evaluated and rendered again, with the new result.
    changed = {**answers, "product_name": "Renamed Classroom Camera"}
    post_step(client, f"/audits/{report_id}/steps/product", form_fields(qn, "product", changed))
    page = client.get(results_url).text
    assert len(calls) == 3 and "Renamed Classroom Camera" in page and page != first


def test_the_audit_list_loads_only_the_columns_it_shows(app, accounts, client, qn):
    from app.accounts.services import get_user_by_email
    from app.audits.services import list_audits

    answers = complete(qn, REALISTIC)
    _report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    _visited, results_url = walk(client, qn, location, answers)
    client.get(results_url)
    with app.app_context():
        user = get_user_by_email(accounts["school"])
        [(audit, snapshot)] = list_audits(user)
        assert audit.product_name == answers["product_name"] and snapshot.verdict == "prohibited"
        assert "answers" not in sa.inspect(audit).dict and "result" not in sa.inspect(snapshot).dict
        with pytest.raises(sa.exc.InvalidRequestError):
            audit.answers  # noqa: B018  (reading it would be a query per row: refused)
