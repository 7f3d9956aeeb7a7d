"""The review loop through the web (every POST with its CSRF token), then the services' errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import REALISTIC, complete, csrf_token, form_fields

from app.answers import read_answers_file
from app.evaluation import latest_snapshot
from app.extensions import db
from app.models import ActionItem, Rating, Submission
from app.review import services
from app.review.services import ReviewError, ReviewInput

CASES = Path(__file__).parent / "cases"
TODAY = dt.date.today()
DUE = (TODAY + dt.timedelta(days=30)).isoformat()
QUEUE_ROW = re.compile(r"(EA-[A-Z2-7]{10}) · #(\d+)")


@pytest.fixture
def qn(app):
    return app.extensions["eduaudit.ruleset"].questionnaire


@pytest.fixture
def reviewer(app, accounts):
    return scenario.signed_in(app, "reviewer")


def low_risk_answers(qn):
    typed, _meta = read_answers_file(CASES / "l1-offline-practice-platform.yaml", qn)
    return qn.to_json(typed)


def first_finding(app, report_id):
    """The first finding of the latest submission: (rule id, evidence question ids)."""
    with app.app_context():
        finding = scenario.latest_submission(report_id).assessment.result["findings"][0]
        return finding["rule_id"], [e["question"] for e in finding["evidence"]]


def flashes(html: str) -> str:
    return " ".join(re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)).replace("&#34;", '"')


def question_block(html: str, qid: str) -> str:
    start = html.index(f'id="q-{qid}"')
    following = html.find('<div class="question ', start + 1)
    return html[start:following if following != -1 else len(html)]


# -- submitting freezes the answers --------------------------------------------------------------------

def test_submitting_freezes_the_answers(app, client, accounts):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        revision = scenario.audit(report_id).revision
    response = scenario.web_submit(client, report_id, note="Please look at the cameras")
    assert response.status_code == 302 and response.location == f"/audits/{report_id}"
    overview = client.get(response.location).text
    assert "Submitted to Test Regulator. The answers are frozen" in overview
    assert "Submitted, awaiting review" in overview and "Submit to a regulator" not in overview
    assert "Continue the answers" not in overview
    with app.app_context():
        audit = scenario.audit(report_id)
        answers, revision = dict(audit.answers), audit.revision
        submission = scenario.latest_submission(report_id)
        assert (audit.status, audit.regulator.name) == ("submitted", "Test Regulator")
        assert (submission.number, submission.version, submission.note) == (1, 1, "Please look at the cameras")
        assert submission.assessment.verdict == "prohibited" and submission.decision is None

    step = client.get(f"/audits/{report_id}/steps/product")
    assert step.status_code == 302 and step.location == f"/audits/{report_id}"
    assert "its answers are frozen" in client.get(step.location).text
    token = csrf_token(client.get("/account/password").text)
    post = client.post(f"/audits/{report_id}/steps/product",
                       data={"csrf_token": token, "product_name": "Renamed after submission"})
    assert post.status_code == 302 and post.location == f"/audits/{report_id}"
    assert "its answers are frozen" in client.get(post.location).text
    assert client.post(f"/audits/{report_id}/submit", data={"csrf_token": token, "regulator": "1"}).status_code == 403
    with app.app_context():
        audit = scenario.audit(report_id)
        assert audit.answers == answers and audit.revision == revision and audit.status == "submitted"
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_an_incomplete_audit_cannot_be_submitted(app, client, accounts):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        regulator = scenario.user("reviewer").organisation_id
    page = client.get(f"/audits/{report_id}")
    assert "Answer every required question first" in page.text and 'name="regulator"' not in page.text
    token = csrf_token(client.get("/account/password").text)
    response = client.post(f"/audits/{report_id}/submit", data={"csrf_token": token,
                                                                 "regulator": str(regulator)})
    assert response.status_code == 302 and response.location == f"/audits/{report_id}/results"
    with app.app_context():
        assert scenario.audit(report_id).status == "draft"
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


# -- the queue ---------------------------------------------------------------------------------------

def queue_ids(reviewer, query=""):
    page = reviewer.get("/review" + query)
    assert page.status_code == 200
    return [m[0] for m in QUEUE_ROW.findall(page.text)]


def test_the_queue_lists_submissions_worst_first_and_filters_them(app, reviewer, qn):
    with app.app_context():
        low = scenario.make_audit("submitted", owner="other_school", answers=low_risk_answers(qn))
        worst = scenario.make_audit("submitted")
        approved = scenario.make_audit("approved")
        elsewhere = scenario.make_audit("submitted", regulator="Other Regulator")
        draft = scenario.make_audit("draft")
        categories = {rid: {f["category"] for f in scenario.latest_submission(rid).assessment.result["findings"]}
                      for rid in (low, worst)}
        verdicts = {rid: scenario.latest_submission(rid).assessment.verdict for rid in (low, worst, approved)}
    assert verdicts == {low: "low", worst: "prohibited", approved: "prohibited"}
    only_worst = sorted(categories[worst] - categories[low])
    assert only_worst

    assert queue_ids(reviewer) == [worst, approved, low]  # prohibited first (oldest first among equals)
    assert elsewhere not in reviewer.get("/review").text and draft not in reviewer.get("/review").text
    assert queue_ids(reviewer, "?status=approved") == [approved]
    assert queue_ids(reviewer, "?status=submitted") == [worst, low]
    assert queue_ids(reviewer, "?verdict=low") == [low]
    assert queue_ids(reviewer, "?verdict=prohibited") == [worst, approved]
    assert queue_ids(reviewer, f"?category={only_worst[0]}") == [worst, approved]
    assert queue_ids(reviewer, "?school=Other+School") == [low]
    assert queue_ids(reviewer, "?school=Test+School&verdict=prohibited&status=submitted") == [worst]
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    assert queue_ids(reviewer, f"?submitted_from={yesterday}") == [worst, approved, low]
    assert queue_ids(reviewer, f"?submitted_from={tomorrow}") == []
    assert queue_ids(reviewer, f"?submitted_to={yesterday}") == []
    assert queue_ids(reviewer, f"?submitted_from={yesterday}&submitted_to={tomorrow}") == [worst, approved, low]
    assert "No submission matches these filters." in reviewer.get(f"/review?submitted_from={tomorrow}").text
    page = reviewer.get("/review").text
    assert '<option value="Other School">Other School</option>' in page  # the school filter's choices
    assert "Other Regulator" not in page

    other = scenario.signed_in(app, "other_reviewer")
    assert queue_ids(other) == [elsewhere]


# -- rating findings and sections ------------------------------------------------------------------------

REQUIRED = {
    "comment": "Say in the comment what is wrong",
    "action": "Name the action the school must take",
    "owner": "Name who owns the action",
    "due": "Give the date the action is due",
}


@pytest.mark.parametrize("missing", sorted(REQUIRED))
@pytest.mark.parametrize("rating", ["needs_improvement", "must_be_corrected"])
def test_an_incomplete_rating_names_what_is_missing_and_the_complete_ones_are_saved(app, reviewer, rating, missing):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    rule_id, _questions = first_finding(app, report_id)
    fields = {"rating": rating, "comment": "Cameras film pupils", "action": "Remove the cameras",
              "owner": "Head teacher", "due": DUE}
    fields[missing] = ""
    response = scenario.web_review(reviewer, report_id, {
        ("section", "context"): {"rating": "acceptable", "comment": "Fine"},
        ("finding", rule_id): fields})
    assert response.status_code == 200
    html = response.text
    assert "1 rating(s) saved; 1 need more detail and were not saved" in flashes(html)
    block = html[html.index(f'id="t-finding-{rule_id}"'):]
    block = block[:block.index("</fieldset>")]
    assert REQUIRED[missing] in block and "needed for this rating" in block
    # what was typed stays on the page
    for name, value in fields.items():
        if value and name != "rating":
            assert value in block, name
    assert f'<option selected value="{rating}">' in block
    at = html.index(f'id="t-finding-{rule_id}"')
    assert "question--error" in html[at - 80:at]
    with app.app_context():
        assert [(r.target_id, r.value, r.comment) for r in scenario.ratings_of(report_id)] == [
            ("context", "acceptable", "Fine")]
        assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 0
        assert scenario.kinds(report_id)[-1] == "reviewed"


def test_a_due_date_in_the_past_is_refused(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    response = scenario.web_review(reviewer, report_id, {("section", "context"): {
        "rating": "needs_improvement", "comment": "c", "action": "a", "owner": "o", "due": yesterday}})
    assert response.status_code == 200 and f"The due date {yesterday} is in the past." in response.text
    with app.app_context():
        assert scenario.ratings_of(report_id) == []


def test_ratings_create_action_items_and_block_approval_while_one_must_be_corrected(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    rule_id, _questions = first_finding(app, report_id)
    response = scenario.web_review(reviewer, report_id, {
        ("finding", rule_id): {"rating": "must_be_corrected", "comment": "Banned in the EU",
                               "action": "Stop the emotion recognition", "owner": "Head teacher", "due": DUE},
        ("section", "context"): {"rating": "needs_improvement", "comment": "Ages unclear",
                                 "action": "State the ages", "owner": "Deputy", "due": DUE},
        ("section", "product"): {"rating": "acceptable", "comment": ""}})
    assert response.status_code == 302 and response.location.endswith("#decision")
    assert "Review saved (3 rating(s))" in flashes(reviewer.get(response.location).text)
    with app.app_context():
        ratings = {(r.target_kind, r.target_id): r for r in scenario.ratings_of(report_id)}
        assert {k: r.value for k, r in ratings.items()} == {
            ("finding", rule_id): "must_be_corrected", ("section", "context"): "needs_improvement",
            ("section", "product"): "acceptable"}
        items = db.session.scalars(sa.select(ActionItem).order_by(ActionItem.id)).all()
        assert [(i.action, i.owner, i.due_date.isoformat()) for i in items] == [
            ("Stop the emotion recognition", "Head teacher", DUE), ("State the ages", "Deputy", DUE)]
        assert ratings[("section", "product")].action_item is None
        assert scenario.kinds(report_id)[-1] == "reviewed"

    page = reviewer.get(f"/audits/{report_id}/review").text  # the form shows what was saved
    assert "Stop the emotion recognition" in page and "Ages unclear" in page

    refused = scenario.web_decide(reviewer, report_id, "approved", "Looks fine")
    assert refused.status_code == 200  # the page again, with the decision as typed
    assert "rated “must be corrected”" in flashes(refused.text) and "Looks fine</textarea>" in refused.text
    with app.app_context():
        assert scenario.audit(report_id).status == "submitted"
        assert scenario.latest_submission(report_id).decision is None

    # lowering the rating is allowed (it keeps its action); then approval goes through
    assert scenario.web_review(reviewer, report_id, {("finding", rule_id): {
        "rating": "needs_improvement", "comment": "Banned in the EU", "action": "Stop it", "owner": "Head",
        "due": DUE}}).status_code == 302
    # the verdict is prohibited: approving it needs the reviewer's stated reason
    unacknowledged = scenario.web_decide(reviewer, report_id, "approved", "With the action plan")
    assert unacknowledged.status_code == 200
    assert "The verdict is Prohibited: to approve it, state why in the acknowledgement." in flashes(
        unacknowledged.text)
    with app.app_context():
        assert scenario.audit(report_id).status == "submitted"
    assert scenario.web_decide(reviewer, report_id, "approved", "With the action plan",
                               "Pilot stopped; the plan removes the cameras").status_code == 302
    with app.app_context():
        assert scenario.audit(report_id).status == "approved"
        assert scenario.latest_submission(report_id).acknowledgement == "Pilot stopped; the plan removes the cameras"
        assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 2
        assert db.session.scalar(sa.select(ActionItem.action).join(Rating).where(
            Rating.target_id == rule_id)) == "Stop it"


def test_rating_acceptable_withdraws_the_action_and_an_invalid_item_does_not_hold_back_the_valid_one(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    assert scenario.web_review(reviewer, report_id, {("section", "context"): {
        "rating": "needs_improvement", "comment": "c", "action": "a", "owner": "o", "due": DUE}}).status_code == 302
    # one incomplete item (no owner) beside a valid change: the valid one is written, the other kept on the page
    response = scenario.web_review(reviewer, report_id, {
        ("section", "product"): {"rating": "needs_improvement", "comment": "p", "action": "pa", "owner": "",
                                 "due": DUE},
        ("section", "context"): {"rating": "acceptable"}})
    assert response.status_code == 200
    assert "1 rating(s) saved; 1 need more detail and were not saved" in flashes(response.text)
    block = response.text[response.text.index('id="t-section-product"'):]
    assert "Name who owns the action" in block[:block.index("</fieldset>")] and "\npa</textarea>" in block
    with app.app_context():
        # rated acceptable in the same submission: the school's action is withdrawn
        assert [(r.target_id, r.value) for r in scenario.ratings_of(report_id)] == [("context", "acceptable")]
        assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 0


def test_a_decision_needs_a_choice_and_changes_need_a_reason(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    response = scenario.web_decide(reviewer, report_id, "")
    assert response.status_code == 200 and "Choose a decision." in flashes(response.text)
    response = scenario.web_decide(reviewer, report_id, "changes_requested", "")
    assert response.status_code == 200 and "Say what must change" in flashes(response.text)
    with app.app_context():
        assert scenario.audit(report_id).status == "submitted"


# -- the whole loop --------------------------------------------------------------------------------

def test_changes_requested_then_resubmitted_then_approved_then_a_new_version(app, client, reviewer, qn):
    answers = complete(qn, REALISTIC)
    with app.app_context():
        report_id = scenario.make_audit("complete")
    assert scenario.web_submit(client, report_id).status_code == 302
    rule_id, evidence = first_finding(app, report_id)
    evidence_here = [q for q in evidence if qn.questions[q].section_id == qn.questions[evidence[0]].section_id]
    section_id = qn.questions[evidence[0]].section_id
    untouched = next(q.id for q in qn.section(section_id).questions if q.id not in evidence)

    assert scenario.web_review(reviewer, report_id, {
        ("finding", rule_id): {"rating": "must_be_corrected", "comment": "FINDING-COMMENT-7",
                               "action": "Drop the feature", "owner": "Head", "due": DUE},
        ("section", "context"): {"rating": "needs_improvement", "comment": "SECTION-COMMENT-9",
                                 "action": "Count the pupils again", "owner": "Deputy", "due": DUE},
    }).status_code == 302
    response = scenario.web_decide(reviewer, report_id, "changes_requested", "DECISION-COMMENT-3")
    assert response.status_code == 302 and response.location == "/review"
    with app.app_context():
        audit = scenario.audit(report_id)
        assert (audit.status, audit.version) == ("changes_requested", 2)

    # the school sees the comments beside the answers that raised them, and the section's at the top
    step = client.get(f"/audits/{report_id}/steps/{section_id}")
    assert step.status_code == 200
    block = question_block(step.text, evidence_here[0])  # beside the first answer that raised it, once
    assert "FINDING-COMMENT-7" in block and "Must be corrected" in block and "Drop the feature" in block
    assert step.text.count("FINDING-COMMENT-7") == 1
    assert "FINDING-COMMENT-7" not in question_block(step.text, untouched)
    context = client.get(f"/audits/{report_id}/steps/context").text
    first_question = context.index('<div class="question ')
    assert "SECTION-COMMENT-9" in context[:first_question]
    assert "Count the pupils again" in context[:first_question]
    overview = client.get(f"/audits/{report_id}").text
    assert "DECISION-COMMENT-3" in overview and "Changes requested" in overview
    assert "Continue the answers" in overview

    # the school changes an answer and submits again
    response = client.post(f"/audits/{report_id}/steps/context", data={
        "csrf_token": csrf_token(context), "action": "continue",
        **form_fields(qn, "context", {**answers, "pupils_affected": 900})})
    assert response.status_code == 302
    assert scenario.web_submit(client, report_id, note="Counted again").status_code == 302

    review_page = reviewer.get(f"/audits/{report_id}/review").text
    assert "What changed since the previous submission" in review_page
    changes = review_page[review_page.index('id="changes-title"'):review_page.index("</table>",
                                                                                   review_page.index('id="changes-title"'))]
    rows = re.findall(r"<tr><td>([^<]+)</td><td><del>([^<]+)</del></td><td><ins>([^<]+)</ins></td></tr>", changes)
    assert rows == [(qn.questions["pupils_affected"].label["en"], "1200", "900")]
    assert "Counted again" in review_page
    with app.app_context():
        assert scenario.latest_submission(report_id).ratings == []  # a new submission starts unrated
    assert scenario.web_decide(reviewer, report_id, "approved", "Thanks",
                               "Approved for a supervised pilot with the open actions").status_code == 302

    overview = client.get(f"/audits/{report_id}").text
    history = overview[overview.index('id="history-title"'):]
    history = history[:history.index("</table>")]
    decided = re.findall(r"<tr><td>(\d)</td><td>(\d)</td>.*?<td>(Changes requested|Approved)<br>", history, re.S)
    assert decided == [("1", "1", "Changes requested"), ("2", "2", "Approved")]
    assert "Start a new version" in overview

    response = client.post(f"/audits/{report_id}/new-version", data={"csrf_token": csrf_token(overview)})
    assert response.status_code == 302
    assert "Version 3 started" in flashes(client.get(response.location).text)
    with app.app_context():
        audit = scenario.audit(report_id)
        assert (audit.status, audit.version) == ("draft", 3)
        subs = services.submissions(audit)
        assert [(s.number, s.version, s.decision) for s in subs] == [(1, 1, "changes_requested"),
                                                                       (2, 2, "approved")]
        assert subs[0].assessment.answers["pupils_affected"] == 1200  # the submitted versions stay as they were
    assert client.get(f"/audits/{report_id}/steps/context").status_code == 200
    assert "SECTION-COMMENT-9" not in client.get(f"/audits/{report_id}/steps/context").text  # latest review: none


def test_a_reviewer_cannot_review_a_decided_submission(app, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("approved")
    page = reviewer.get(f"/audits/{report_id}/review").text
    assert "Save the review" not in page and 'id="decision"' not in page and "disabled" in page
    response = scenario.web_review(reviewer, report_id, {("section", "context"): {"rating": "acceptable"}})
    assert response.status_code == 302
    assert "already decided" in flashes(reviewer.get(response.location).text)
    with app.app_context():
        assert scenario.ratings_of(report_id) == []


# -- the services' errors --------------------------------------------------------------------------

@pytest.fixture
def ctx(app, accounts):
    with app.app_context():
        yield


def submission_of(report_id):
    return scenario.latest_submission(report_id)


def test_submit_errors(ctx):
    from app.accounts.services import get_org

    report_id = scenario.make_audit("complete")
    other_id = scenario.make_audit("complete")
    audit, school = scenario.audit(report_id), scenario.user("school")
    snapshot = latest_snapshot(audit)
    regulator = get_org("Test Regulator")
    with pytest.raises(ReviewError, match="'Test School' is not a regulator"):
        services.submit(audit, snapshot, school, get_org("Test School"))
    with pytest.raises(ReviewError, match="does not belong to this audit"):
        services.submit(audit, latest_snapshot(scenario.audit(other_id)), school, regulator)
    with pytest.raises(ReviewError, match="the note has 5001 characters; at most 5000"):
        services.submit(audit, snapshot, school, regulator, note="n" * 5001)
    assert audit.status == "draft"
    services.submit(audit, snapshot, school, regulator)
    with pytest.raises(ReviewError, match="is submitted: only a draft or an audit with changes requested"):
        services.submit(audit, snapshot, school, regulator)


@pytest.mark.parametrize("state", ["draft", "submitted", "changes_requested"])
def test_new_version_needs_a_closed_audit(ctx, state):
    audit = scenario.audit(scenario.make_audit(state))
    with pytest.raises(ReviewError, match=f"is {state}: only an approved or rejected audit"):
        services.new_version(audit, scenario.user("school"))


def test_new_version_after_a_rejection(ctx):
    audit = scenario.audit(scenario.make_audit("rejected"))
    services.new_version(audit, scenario.user("school"))
    assert (audit.status, audit.version) == ("draft", 2)


@pytest.mark.parametrize(("item", "message"), [
    (ReviewInput("rule", "context", "acceptable"), "unknown review target 'rule'"),
    (ReviewInput("section", "nowhere", "acceptable"), "section 'nowhere' is not part of this submission"),
    (ReviewInput("finding", "no.such.rule", "acceptable"), "finding 'no.such.rule' is not part of this submission"),
    (ReviewInput("section", "context", "great"), "unknown rating 'great'"),
    (ReviewInput("section", "context", "acceptable", comment="c" * 5001), "the comment has 5001 characters"),
    (ReviewInput("section", "context", "needs_improvement", "c", "a" * 2001, "o", TODAY),
     "the action has 2001 characters"),
    (ReviewInput("section", "context", "needs_improvement", "c", "a", "o" * 201, TODAY),
     "the owner has 201 characters"),
    (ReviewInput("section", "context", "must_be_corrected", " ", "a", "o", TODAY), "say in the comment"),
    (ReviewInput("section", "context", "must_be_corrected", "c", "", "o", TODAY), "name the action"),
    (ReviewInput("section", "context", "must_be_corrected", "c", "a", " ", TODAY), "name who owns"),
    (ReviewInput("section", "context", "must_be_corrected", "c", "a", "o", None), "give the date"),
    (ReviewInput("section", "context", "must_be_corrected", "c", "a", "o", TODAY - dt.timedelta(days=1)),
     "is in the past"),
])
def test_save_reviews_checks_every_item_before_writing(ctx, ruleset, item, message):
    submission = submission_of(scenario.make_audit("submitted"))
    good = ReviewInput("section", "product", "acceptable", "fine")
    with pytest.raises(ReviewError, match=re.escape(message)):
        services.save_reviews(ruleset, submission, scenario.user("reviewer"), [good, item], today=TODAY)
    assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 0


def test_save_reviews_replaces_a_rating_and_its_action(ctx, ruleset):
    submission = submission_of(scenario.make_audit("submitted"))
    reviewer = scenario.user("reviewer")
    first = ReviewInput("section", "context", "must_be_corrected", "c", "act", "own", TODAY)
    services.save_reviews(ruleset, submission, reviewer, [first], today=TODAY)
    later = ReviewInput("section", "context", "needs_improvement", " c2 ", " act2 ", "own2", TODAY)
    [rating] = services.save_reviews(ruleset, submission, reviewer, [later], today=TODAY)
    assert (rating.value, rating.comment) == ("needs_improvement", "c2")
    assert (rating.action_item.action, rating.action_item.owner) == ("act2", "own2")
    assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 1
    assert services.save_reviews(ruleset, submission, reviewer, []) == []


def test_decide_errors(ctx, ruleset):
    report_id = scenario.make_audit("submitted")
    submission, reviewer = submission_of(report_id), scenario.user("reviewer")
    with pytest.raises(ReviewError, match="unknown decision 'maybe'"):
        services.decide(submission, reviewer, "maybe")
    with pytest.raises(ReviewError, match="the comment has 5001 characters"):
        services.decide(submission, reviewer, "approved", "c" * 5001)
    for decision in ("changes_requested", "rejected"):
        with pytest.raises(ReviewError, match="say what must change"):
            services.decide(submission, reviewer, decision, "   ")
    services.save_reviews(ruleset, submission, reviewer,
                          [ReviewInput("section", "context", "must_be_corrected", "c", "a", "o", TODAY)], today=TODAY)
    with pytest.raises(ReviewError, match="1 item\\(s\\) are rated “must be corrected”"):
        services.decide(submission, reviewer, "approved")
    assert submission.decision is None and scenario.audit(report_id).status == "submitted"
    services.decide(submission, reviewer, "changes_requested")  # the rating says what to change
    assert scenario.audit(report_id).status == "changes_requested"
    with pytest.raises(ReviewError, match="submission 1 was already decided \\(changes_requested\\)"):
        services.decide(submission, reviewer, "approved")
    with pytest.raises(ReviewError, match="already decided"):
        services.save_reviews(ruleset, submission, reviewer, [ReviewInput("section", "context", "acceptable")])


def test_answer_changes_lists_changed_added_and_removed_answers():
    before = {"a": 1, "b": [1, 2], "c": "x"}
    after = {"a": 1, "b": [2, 1], "d": True}
    assert services.answer_changes(before, after) == [("b", [1, 2], [2, 1]), ("d", None, True), ("c", "x", None)]
    assert services.answer_changes(after, after) == []


def test_queue_service_filters_and_schools(ctx):
    report_id = scenario.make_audit("submitted")
    regulator_id = scenario.user("reviewer").organisation_id
    rows = services.queue(regulator_id, services.QueueFilters())
    assert [r["audit"].report_id for r in rows] == [report_id]
    assert rows[0]["school"] == "Test School" and rows[0]["categories"] == sorted(rows[0]["categories"])
    assert services.queue(regulator_id, services.QueueFilters(category="no-such-category")) == []
    assert services.schools_of(regulator_id) == ["Test School"]
    assert services.queue(scenario.user("other_reviewer").organisation_id, services.QueueFilters()) == []
    assert [r.name for r in services.regulators()] == ["Other Regulator", "Test Regulator"]


def test_a_reviewer_sees_only_what_was_submitted_to_their_regulator(app, client, reviewer):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    assert scenario.web_submit(client, report_id, note="NOTE-FOR-REGULATOR-A").status_code == 302
    assert scenario.web_decide(reviewer, report_id, "changes_requested", "Please fix.").status_code == 302
    assert scenario.web_submit(client, report_id, regulator="Other Regulator",
                               note="NOTE-FOR-REGULATOR-B").status_code == 302
    other = scenario.signed_in(app, "other_reviewer")
    page_b = other.get(f"/audits/{report_id}/review").text
    assert "NOTE-FOR-REGULATOR-B" in page_b and "NOTE-FOR-REGULATOR-A" not in page_b
    # regulator A keeps its own (decided) submission in view, not the one sent to B
    page_a = reviewer.get(f"/audits/{report_id}/review").text
    assert "NOTE-FOR-REGULATOR-A" in page_a and "NOTE-FOR-REGULATOR-B" not in page_a
    assert scenario.web_decide(reviewer, report_id, "approved").status_code == 403
    assert "NOTE-FOR-REGULATOR-B" not in reviewer.get("/review").text


@pytest.mark.parametrize(("today", "planned", "expected"), [
    ("2026-11-29", "2027-06-01", "2027-01-28"),  # go-live far off: 60 days
    ("2026-11-29", "2027-01-04", "2027-01-04"),  # go-live sooner: due by then
    ("2026-11-29", "2026-09-01", "2027-01-28"),  # already running: 60 days
])
def test_the_proposed_due_date_comes_before_go_live(today, planned, expected):
    from app.review.services import default_due_date

    assert default_due_date(dt.date.fromisoformat(today), dt.date.fromisoformat(planned)) == \
        dt.date.fromisoformat(expected)
