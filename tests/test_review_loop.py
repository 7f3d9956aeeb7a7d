"""The review loop loses nothing: ratings saved one at a time and with the decision, acknowledged
approvals, an action plan that follows the audit, resubmissions compared finding by finding, and the
small frictions of the main path (issue 13, points 1-5)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import csrf_token

from app.answers import read_answers_file
from app.evaluation import evaluate_audit
from app.extensions import current_ruleset, db
from app.models import ActionItem, AuditEvent
from app.review import services
from app.review.services import ReviewError, ReviewInput

CASES = Path(__file__).parent / "cases"
TODAY = dt.date.today()
DUE = (TODAY + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def reviewer(app, accounts):
    return scenario.signed_in(app, "reviewer")


@pytest.fixture
def school(app, accounts):
    return scenario.signed_in(app, "school")


def flashes(html: str) -> str:
    return " ".join(re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)).replace("&#34;", '"')


def findings_of(app, report_id):
    with app.app_context():
        return [f["rule_id"] for f in scenario.latest_submission(report_id).assessment.result["findings"]]


def save_json(client, report_id, payload, *, token=None):
    page = client.get(f"/audits/{report_id}/review")
    headers = {"X-CSRFToken": token if token is not None else csrf_token(page.text)}
    return client.post(f"/audits/{report_id}/review/rating", json=payload, headers=headers)


def events(report_id, kind):
    audit = scenario.audit(report_id)
    return [e.details for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.audit_id == audit.id, AuditEvent.kind == kind).order_by(AuditEvent.id))]


# -- 1. ratings saved as they are made ------------------------------------------------------------------

def test_one_rating_is_saved_by_the_json_endpoint_and_shows_on_the_page(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    rule_id = findings_of(app, report_id)[0]
    response = save_json(reviewer, report_id, {"kind": "finding", "id": rule_id, "rating": "needs_improvement",
                                               "comment": "Cameras film pupils", "action": "Remove them",
                                               "owner": "Head teacher", "due": DUE})
    assert response.status_code == 200 and response.json["saved"] is True
    assert response.json["target"] == f"finding:{rule_id}"
    with app.app_context():
        [rating] = scenario.ratings_of(report_id)
        assert (rating.target_id, rating.value, rating.comment) == (rule_id, "needs_improvement",
                                                                    "Cameras film pupils")
        assert (rating.action_item.action, rating.action_item.owner, rating.action_item.due_date.isoformat()) == (
            "Remove them", "Head teacher", DUE)
        assert scenario.kinds(report_id)[-1] == "reviewed"
    page = reviewer.get(f"/audits/{report_id}/review").text
    assert "Cameras film pupils" in page and 'data-save-url="/audits/' in page and "js/review.js" in page


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"kind": "section", "id": "context", "rating": "must_be_corrected", "comment": "c", "action": "a",
      "owner": "", "due": DUE}, 422, "Name who owns the action (needed for this rating)."),
    ({"kind": "section", "id": "context", "rating": "needs_improvement", "comment": "c", "action": "a",
      "owner": "o", "due": "31/12/2026"}, 422, "The due date must be a date (YYYY-MM-DD)."),
    ({"kind": "section", "id": "nowhere", "rating": "acceptable"}, 422, "is not part of this submission"),
    ({"kind": "section", "id": "context", "rating": 3}, 400, "The request is not a rating."),
])
def test_the_json_endpoint_refuses_an_incomplete_or_malformed_rating_and_saves_nothing(app, reviewer, payload,
                                                                                       status, message):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        before = scenario.counts()
    response = save_json(reviewer, report_id, payload)
    assert response.status_code == status and response.json["saved"] is False
    assert message.lower() in response.json["error"].lower()
    with app.app_context():
        assert scenario.counts() == before


def test_the_json_endpoint_needs_the_csrf_token_and_an_undecided_submission(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        decided = scenario.make_audit("approved")
        before = scenario.counts()
    payload = {"kind": "section", "id": "context", "rating": "acceptable"}
    assert save_json(reviewer, report_id, payload, token="forged").status_code == 400
    refused = save_json(reviewer, decided, payload)
    assert refused.status_code == 409 and "already decided" in refused.json["error"]
    with app.app_context():
        assert scenario.counts() == before


def review_data(client, report_id, ratings, **extra):
    """The review page's form as the browser posts it: every block's fields (as the page shows them),
    ``ratings`` put in, and ``extra`` fields (the decision's)."""
    page = client.get(f"/audits/{report_id}/review").text
    index = {target: i for i, target in enumerate(scenario.review_targets(page))}
    data = {"csrf_token": csrf_token(page)}
    for target, fields in ratings.items():
        for name, value in fields.items():
            data[f"t{index[target]}_{name}"] = value
    return {**data, **extra}


def test_the_decision_saves_unsaved_ratings_first(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    data = review_data(reviewer, report_id, {
        ("section", "context"): {"rating": "needs_improvement", "comment": "Ages unclear",
                                 "action": "State the ages", "owner": "Deputy", "due": DUE}},
        intent="decide", decision="changes_requested", comment="See the ratings")
    response = reviewer.post(f"/audits/{report_id}/review", data=data)
    assert response.status_code == 302 and response.location == "/review"
    with app.app_context():
        assert [(r.target_id, r.value) for r in scenario.ratings_of(report_id)] == [("context", "needs_improvement")]
        assert scenario.audit(report_id).status == "changes_requested"
        kinds = scenario.kinds(report_id)
        assert kinds.index("reviewed") < kinds.index("changes_requested")


def test_a_decision_with_an_incomplete_rating_is_refused_and_keeps_everything_typed(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    data = review_data(reviewer, report_id, {
        ("section", "context"): {"rating": "acceptable", "comment": "KEEP-ME-1"},
        ("section", "product"): {"rating": "must_be_corrected", "comment": "KEEP-ME-2", "action": "KEEP-ME-3",
                                 "owner": "", "due": DUE}},
        intent="decide", decision="changes_requested", comment="KEEP-ME-4")
    response = reviewer.post(f"/audits/{report_id}/review", data=data)
    assert response.status_code == 200
    assert "The decision was not recorded: 1 rating(s) need more detail" in flashes(response.text)
    for text in ("KEEP-ME-2", "KEEP-ME-3", "KEEP-ME-4"):
        assert text in response.text
    assert re.search(r'<input checked[^>]*value="changes_requested"', response.text)
    with app.app_context():
        assert scenario.audit(report_id).status == "submitted"
        # the complete rating was saved; the incomplete one was not
        assert [(r.target_id, r.value, r.comment) for r in scenario.ratings_of(report_id)] == [
            ("context", "acceptable", "KEEP-ME-1")]


def test_saving_the_same_page_twice_writes_nothing_the_second_time(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    assert scenario.web_review(reviewer, report_id, {("section", "context"): {
        "rating": "acceptable", "comment": "fine"}}).status_code == 302
    with app.app_context():
        before = scenario.counts()
    page = reviewer.get(f"/audits/{report_id}/review").text
    data = dict(re.findall(r'name="(t\d+_(?:owner|due))"[^>]*value="([^"]*)"', page))
    index = scenario.review_targets(page).index(("section", "context"))
    data.update({f"t{index}_rating": "acceptable", f"t{index}_comment": "fine", "csrf_token": csrf_token(page)})
    assert reviewer.post(f"/audits/{report_id}/review", data=data).status_code == 302
    with app.app_context():
        assert scenario.counts() == before


# -- 2. approving without looking --------------------------------------------------------------------------

def low_risk_answers():
    qn = current_ruleset().questionnaire
    typed, _meta = read_answers_file(CASES / "l1-offline-practice-platform.yaml", qn)
    return qn.to_json(typed)


def test_approving_with_findings_unrated_needs_an_acknowledgement(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted", answers=low_risk_answers())
        verdict = scenario.latest_submission(report_id).assessment.verdict
    assert verdict not in ("critical", "prohibited")
    findings = findings_of(app, report_id)
    assert findings, "the low-risk case needs a finding for this test"
    refused = reviewer.post(f"/audits/{report_id}/review", data=review_data(
        reviewer, report_id, {}, intent="decide", decision="approved", comment=""))
    assert refused.status_code == 200
    assert f"{len(findings)} finding(s) are not rated: rate them, or state in the acknowledgement" in flashes(
        refused.text)
    assert f"{len(findings)} finding(s) are not rated: approving without rating them" in refused.text
    # rating every finding lifts the need; an acknowledgement is then not asked for
    ratings = {("finding", rule_id): {"rating": "acceptable"} for rule_id in findings}
    response = reviewer.post(f"/audits/{report_id}/review", data=review_data(
        reviewer, report_id, ratings, intent="decide", decision="approved"))
    assert response.status_code == 302
    with app.app_context():
        submission = scenario.latest_submission(report_id)
        assert (submission.decision, submission.acknowledgement) == ("approved", "")


def test_an_acknowledged_approval_is_kept_in_the_trail_and_printed_in_the_report(app, reviewer, school):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    response = scenario.web_decide(reviewer, report_id, "approved", "Approved",
                                   "ACK-7: the emotion analysis is switched off by contract")
    assert response.status_code == 302
    with app.app_context():
        [approved] = events(report_id, "approved")
        assert approved["acknowledgement"] == "ACK-7: the emotion analysis is switched off by contract"
    overview = school.get(f"/audits/{report_id}").text
    assert "ACK-7" in overview  # on the trail and in the review summary
    assert overview.count("ACK-7") == 2
    results = school.get(f"/audits/{report_id}/results").text  # the same template as the PDF
    review = results[results.index('id="review"'):]
    assert "Reviewer&#39;s acknowledgement on approval" in review and "ACK-7" in review


def test_decide_service_needs_the_acknowledgement(app, accounts):
    with app.app_context():
        submission = scenario.latest_submission(scenario.make_audit("submitted"))
        reviewer = scenario.user("reviewer")
        with pytest.raises(ReviewError, match="the verdict is prohibited: to approve it, state why"):
            services.decide(submission, reviewer, "approved", "fine", "   ")
        with pytest.raises(ReviewError, match="the comment has 5001 characters"):
            services.decide(submission, reviewer, "approved", "fine", "a" * 5001)
        assert submission.decision is None
        services.decide(submission, reviewer, "approved", "fine", " Because. ")
        assert submission.acknowledgement == "Because."


# -- 3. actions follow the audit to the end -------------------------------------------------------------------

def request_changes_with_an_action(app, reviewer, report_id, rule_id, *, due=DUE):
    assert scenario.web_review(reviewer, report_id, {("finding", rule_id): {
        "rating": "needs_improvement", "comment": "Needs a DPA", "action": "ACTION-SIGN-DPA",
        "owner": "Head teacher", "due": due}}).status_code == 302
    assert scenario.web_decide(reviewer, report_id, "changes_requested", "See the plan").status_code == 302


def resubmit(app, report_id, answers=None):
    with app.app_context():
        audit = scenario.audit(report_id)
        if answers is not None:
            from app.audits import services as audit_services

            qn = current_ruleset().questionnaire
            audit_services.save_step(qn, audit, scenario.typed_answers(answers), user=scenario.user("school"))
        evaluation = evaluate_audit(current_ruleset(), audit)
        services.submit(audit, evaluation.snapshot, scenario.user("school"), scenario.latest_submission(
            report_id).regulator)
        db.session.commit()


def test_a_reviewer_action_carries_over_until_done_and_prints_with_owner_due_and_history(app, reviewer, school):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    rule_id = findings_of(app, report_id)[0]
    request_changes_with_an_action(app, reviewer, report_id, rule_id)
    resubmit(app, report_id)
    # the second submission is approved with nothing rated anew: the action stays on the plan
    assert scenario.web_decide(reviewer, report_id, "approved", "ok", "Pilot only").status_code == 302
    results = school.get(f"/audits/{report_id}/results").text
    plan = results[results.index('id="action-plan"'):]
    plan = plan[:plan.index("</section>")]
    assert "The reviewer set no actions" not in results
    assert "ACTION-SIGN-DPA" in plan and "Head teacher" in plan and DUE in plan
    assert "set in submission 1" in plan and "carried over to submission 2" in plan
    # the engine's action-plan table has the finding's owner and due date filled in
    row = plan[plan.index(f'href="#finding-{rule_id}"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="ap-fill">Head teacher</td>' in row and DUE in row

    overview = school.get(f"/audits/{report_id}").text
    with app.app_context():
        item = db.session.scalar(sa.select(ActionItem))
    done = school.post(f"/audits/{report_id}/actions/{item.id}/done",
                       data={"csrf_token": csrf_token(overview), "note": "DPA signed on 1 March"})
    assert done.status_code == 302
    with app.app_context():
        item = db.session.get(ActionItem, item.id)
        assert (item.state, item.done_note) == ("done", "DPA signed on 1 March")
        assert events(report_id, "action_done")[-1]["note"] == "DPA signed on 1 March"
    plan = school.get(f"/audits/{report_id}/results").text
    plan = plan[plan.index('id="action-plan"'):]
    assert "Done" in plan and "DPA signed on 1 March" in plan and "carried over" not in plan


def test_the_school_adds_its_own_action_and_a_missing_owner_is_refused(app, school):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        before = scenario.counts()
    page = school.get(f"/audits/{report_id}").text
    assert "Add an action of the school" in page
    refused = school.post(f"/audits/{report_id}/actions", data={
        "csrf_token": csrf_token(page), "action": "Tell the parents", "owner": "", "due_date": DUE})
    assert "Name who owns the action." in flashes(school.get(refused.location).text)
    with app.app_context():
        assert scenario.counts() == before
    added = school.post(f"/audits/{report_id}/actions", data={
        "csrf_token": csrf_token(page), "action": "Tell the parents", "owner": "Class teachers", "due_date": DUE})
    assert added.status_code == 302 and added.location.endswith("#action-plan")
    overview = school.get(added.location).text
    assert "Tell the parents" in overview and "Added by the school" in overview and "Open" in overview
    with app.app_context():
        item = db.session.scalar(sa.select(ActionItem))
        assert (item.source, item.owner, item.state, item.review_id) == ("school", "Class teachers", "open", None)
        assert events(report_id, "action_added")[-1]["action"] == "Tell the parents"


def test_an_overdue_action_is_highlighted_to_the_school_and_the_regulator(app, reviewer, school):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    rule_id = findings_of(app, report_id)[0]
    request_changes_with_an_action(app, reviewer, report_id, rule_id)
    with app.app_context():
        item = db.session.scalar(sa.select(ActionItem))
        item.due_date = TODAY - dt.timedelta(days=3)
        db.session.commit()
    overview = school.get(f"/audits/{report_id}").text
    assert "1 action(s) are overdue." in overview and "action-row--overdue" in overview
    assert "1 action(s) are overdue." in reviewer.get(f"/audits/{report_id}/review").text
    assert "1 action(s) are overdue." in reviewer.get(f"/audits/{report_id}").text
    results = school.get(f"/audits/{report_id}/results").text
    assert "1 action(s) overdue" in results and "action-state--overdue" in results


def test_rated_acceptable_in_a_later_submission_closes_the_earlier_action(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        ruleset, reviewer = current_ruleset(), scenario.user("reviewer")
        first = scenario.latest_submission(report_id)
        services.save_reviews(ruleset, first, reviewer, [
            ReviewInput("section", "context", "needs_improvement", "c", "act", "own", TODAY)], today=TODAY)
        services.decide(first, reviewer, "changes_requested")
        db.session.commit()
    resubmit(app, report_id)
    with app.app_context():
        second = scenario.latest_submission(report_id)
        # needs improvement again: the same item, not a second one
        services.save_reviews(current_ruleset(), second, scenario.user("reviewer"), [
            ReviewInput("section", "context", "needs_improvement", "c", "act 2", "own", TODAY)], today=TODAY)
        items = db.session.scalars(sa.select(ActionItem)).all()
        assert [(i.action, i.state, i.submission_number, i.rating.submission.number) for i in items] == [
            ("act 2", "open", 1, 2)]
        services.save_reviews(current_ruleset(), second, scenario.user("reviewer"), [
            ReviewInput("section", "context", "acceptable")], today=TODAY)
        [item] = db.session.scalars(sa.select(ActionItem)).all()
        assert (item.state, item.done_note) == ("done", "")
        assert events(report_id, "action_done")[-1]["rated_acceptable_in"] == 2


def test_action_services_refuse_what_is_wrong(app, accounts):
    with app.app_context():
        audit = scenario.audit(scenario.make_audit("complete"))
        other = scenario.audit(scenario.make_audit("complete"))
        school = scenario.user("school")
        for args, message in [(("", "o", TODAY), "say what is to be done"),
                              (("a", " ", TODAY), "name who owns the action"),
                              (("a", "o", None), "give the date the action is due"),
                              (("a", "o", TODAY - dt.timedelta(days=1)), "is in the past"),
                              (("a" * 2001, "o", TODAY), "the action has 2001 characters")]:
            with pytest.raises(ReviewError, match=message):
                services.add_action(audit, school, *args, today=TODAY)
        item = services.add_action(audit, school, "a", "o", TODAY, today=TODAY)
        with pytest.raises(ReviewError, match="say in the note what was done"):
            services.close_action(audit, item, school, "  ")
        with pytest.raises(ReviewError, match=f"action {item.id} is not on this audit's action plan"):
            services.close_action(other, item, school, "done")
        services.close_action(audit, item, school, "done")
        with pytest.raises(ReviewError, match="is already done"):
            services.close_action(audit, item, school, "again")


# -- 4. a resubmission compared with the last one -----------------------------------------------------------

def test_a_resubmission_marks_each_finding_and_carries_ratings_over(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        first = scenario.latest_submission(report_id)
        before = {f["rule_id"] for f in first.assessment.result["findings"]}
    ratings = {("finding", rule_id): {"rating": "acceptable", "comment": f"PREV-{rule_id}"} for rule_id in before}
    ratings[("section", "context")] = {"rating": "needs_improvement", "comment": "Ages unclear",
                                       "action": "State the ages", "owner": "Deputy", "due": DUE}
    assert scenario.web_review(reviewer, report_id, ratings).status_code == 302
    assert scenario.web_decide(reviewer, report_id, "changes_requested", "See the ratings").status_code == 302
    with app.app_context():
        answers = low_risk_answers()
    resubmit(app, report_id, answers)
    with app.app_context():
        first, second = services.submissions(scenario.audit(report_id))
        changes = services.finding_changes(first, second)
    now = {r for r, c in changes.items() if c["change"] != "resolved"}
    resolved = {r for r, c in changes.items() if c["change"] == "resolved"}
    assert resolved and resolved == before - now

    page = reviewer.get(f"/audits/{report_id}/review").text
    listed = page[page.index("Findings resolved by the new answers"):]
    listed = listed[:listed.index("</ul>")]
    for rule_id in resolved:
        assert f'id="resolved-{rule_id}"' in listed and f"PREV-{rule_id}" in listed
    for rule_id in now:
        block = page[page.index(f'id="t-finding-{rule_id}"'):]
        block = block[:block.index("</fieldset>")]
        label = {"new": "New since the last submission", "unchanged": "Unchanged since the last submission",
                 "level_changed": "Level changed since the last submission"}[changes[rule_id]["change"]]
        assert label in block
        assert (f"PREV-{rule_id}" in block) == (rule_id in before)

    carried = reviewer.post(f"/audits/{report_id}/review/carry-over", data={"csrf_token": csrf_token(page)})
    assert carried.status_code == 302
    expected = len(now & before) + 1  # the findings still raised, and the section with its open action
    assert f"{expected} rating(s) carried over from the previous submission." in flashes(
        reviewer.get(carried.location).text)
    with app.app_context():
        got = {(r.target_kind, r.target_id): (r.value, r.comment) for r in scenario.ratings_of(report_id)}
        assert got == {**{("finding", r): ("acceptable", f"PREV-{r}") for r in now & before},
                       ("section", "context"): ("needs_improvement", "Ages unclear")}
        [item] = db.session.scalars(sa.select(ActionItem)).all()  # the open action moved, not copied
        assert item.rating.submission.number == 2 and item.state == "open"
        assert events(report_id, "reviewed")[-1]["carried_from"] == 1


def test_carry_over_needs_an_earlier_submission(app, accounts):
    with app.app_context():
        submission = scenario.latest_submission(scenario.make_audit("submitted"))
        with pytest.raises(ReviewError, match="has no earlier submission"):
            services.carry_over(current_ruleset(), submission, scenario.user("reviewer"))


# -- 5. frictions on the main path -------------------------------------------------------------------------

def test_the_results_page_can_submit(app, school):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        regulator_id = scenario.user("reviewer").organisation_id
    page = school.get(f"/audits/{report_id}/results").text
    assert "Submit for review" in page and f'action="/audits/{report_id}/submit"' in page
    response = school.post(f"/audits/{report_id}/submit", data={"csrf_token": csrf_token(page),
                                                                "regulator": str(regulator_id)})
    assert response.status_code == 302
    with app.app_context():
        assert scenario.audit(report_id).status == "submitted"
    assert "Submit for review" not in school.get(f"/audits/{report_id}/results").text


def test_the_step_counter_counts_every_step_and_marks_the_skipped_ones(app, school):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        qn = current_ruleset().questionnaire
        total = len(qn.sections)
        visible = [s.id for s in qn.visible_sections({})]
    assert len(visible) < total, "the questionnaire needs a conditional step for this test"
    page = school.get(f"/audits/{report_id}/steps/{visible[0]}").text
    assert f"Step 1 of {total}" in page
    assert page.count("not needed for these answers") == total - len(visible)
    later = school.get(f"/audits/{report_id}/steps/{visible[-1]}").text
    number = [s.id for s in qn.sections].index(visible[-1]) + 1
    assert f"Step {number} of {total}" in later


def test_a_new_version_after_changes_requested_prints_as_a_draft(app, reviewer, school):
    with app.app_context():
        report_id = scenario.make_audit("changes_requested")
    results = school.get(f"/audits/{report_id}/results").text
    cover = results[results.index('class="cover'):results.index('class="toc"')]
    assert "Changes requested" not in cover and "Draft" in cover
    assert "This review concerns version 1 of the answers; this report shows version 2" in results
