"""Two administrators of the same school edit the same step at once (ACCOUNTS "school" and "school2").

A save based on an older revision never silently overwrites what the other saved in between: the
same question changed differently is a conflict (nothing saved, the page says who changed what and
keeps the typed input); a different question is saved and the other's change kept; saving the page
again after a conflict overwrites deliberately, but only what this user typed.
"""

from __future__ import annotations

import re

import pytest
import scenario
from webhelpers import ACCOUNTS, form_of

FIRST, SECOND = ACCOUNTS["school"][0], ACCOUNTS["school2"][0]


def send(client, url, form, **changes):
    data = {k: list(v) for k, v in form.items()}
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    data["action"] = ["continue"]
    return client.post(url, data=data)


@pytest.fixture
def both(app, accounts):
    """A draft of Test School with every answer given, and each administrator signed in."""
    with app.app_context():
        report_id = scenario.make_audit("complete")
    return report_id, scenario.signed_in(app, "school"), scenario.signed_in(app, "school2")


def stored(app, report_id):
    with app.app_context():
        audit = scenario.audit(report_id)
        return dict(audit.answers), audit.revision


URL = "/audits/{}/steps/product"


def test_the_same_question_changed_by_both_is_a_conflict(app, both):
    report_id, first, second = both
    url = URL.format(report_id)
    page_first, page_second = form_of(first.get(url).text), form_of(second.get(url).text)
    assert page_first["revision"] == page_second["revision"]

    saved = send(first, url, page_first, product_description="First: cameras removed from the plan.")
    assert saved.status_code == 302
    answers, revision = stored(app, report_id)
    assert answers["product_description"] == "First: cameras removed from the plan."

    clash = send(second, url, page_second, product_description="Second: cameras in two rooms only.",
                 vendor_name="Second's vendor spelling")
    assert clash.status_code == 200
    assert stored(app, report_id) == (answers, revision)  # nothing of the second page was saved
    html = clash.text
    assert "Someone else changed this step while you were editing it" in html
    assert "Nothing on this page was saved. Your input is still in the form below." in html
    notice = html[html.index('id="conflict-title"'):]
    notice = notice[:notice.index("</div>")]
    assert re.search(r"What it does, in your words: now “First: cameras removed from the plan\.”, saved by "
                     + re.escape(FIRST) + r" at \d{4}-\d\d-\d\d \d\d:\d\d UTC", notice.replace("&#39;", "'"), re.S), \
        notice
    assert "Second's vendor spelling" not in notice  # only the question both changed is listed
    shown = form_of(html)
    assert shown["product_description"] == ["Second: cameras in two rooms only."]  # their input is kept
    assert shown["vendor_name"] == ["Second's vendor spelling"]
    assert int(shown["revision"][0]) == revision  # saving again now is deliberate

    again = send(second, url, shown)
    assert again.status_code == 302
    answers, _revision = stored(app, report_id)
    assert answers["product_description"] == "Second: cameras in two rooms only."
    assert answers["vendor_name"] == "Second's vendor spelling"
    with app.app_context():
        events = scenario.kinds(report_id)
    assert events[-2:] == ["answers_saved", "answers_saved"]


def test_different_questions_on_the_same_step_are_both_kept(app, both):
    report_id, first, second = both
    url = URL.format(report_id)
    page_first, page_second = form_of(first.get(url).text), form_of(second.get(url).text)
    assert send(first, url, page_first, product_description="Changed by the first.").status_code == 302
    response = send(second, url, page_second, vendor_name="Changed by the second")
    assert response.status_code == 302  # no conflict: saved and on to the next step
    answers, _revision = stored(app, report_id)
    assert answers["product_description"] == "Changed by the first."
    assert answers["vendor_name"] == "Changed by the second"
    with app.app_context():
        from app import trail

        last = trail.events(scenario.audit(report_id))[-1]
        assert (last.actor, set(last.details["changed"])) == (SECOND, {"vendor_name"})


def test_a_question_the_second_did_not_touch_keeps_the_first_s_value(app, both):
    report_id, first, second = both
    url = URL.format(report_id)
    page_first, page_second = form_of(first.get(url).text), form_of(second.get(url).text)
    old_kind = page_second["product_kind"]
    assert old_kind == ["classroom_analytics"]
    assert send(first, url, page_first, product_description="First's text.", product_kind="wearable").status_code == 302

    clash = send(second, url, page_second, product_description="Second's text.")
    assert clash.status_code == 200 and "Someone else changed this step" in clash.text
    shown = form_of(clash.text)
    assert shown["product_description"] == ["Second's text."]
    # the field the second did not touch shows what the first saved, so saving again does not undo it
    assert shown["product_kind"] == ["wearable"]
    assert send(second, url, shown).status_code == 302
    answers, _revision = stored(app, report_id)
    assert answers["product_description"] == "Second's text."
    assert answers["product_kind"] == "wearable"


def test_the_same_value_typed_by_both_is_no_conflict(app, both):
    report_id, first, second = both
    url = URL.format(report_id)
    page_first, page_second = form_of(first.get(url).text), form_of(second.get(url).text)
    assert send(first, url, page_first, vendor_name="Agreed Vendor Ltd").status_code == 302
    assert send(second, url, page_second, vendor_name="Agreed Vendor Ltd").status_code == 302
    assert stored(app, report_id)[0]["vendor_name"] == "Agreed Vendor Ltd"


def test_a_save_without_a_revision_counts_as_current(app, both):
    report_id, first, second = both
    url = URL.format(report_id)
    page_second = form_of(second.get(url).text)
    assert send(first, url, form_of(first.get(url).text), vendor_name="First").status_code == 302
    del page_second["revision"]
    assert send(second, url, page_second, vendor_name="Second").status_code == 302
    assert stored(app, report_id)[0]["vendor_name"] == "Second"


def test_a_page_shown_again_after_saving_carries_the_new_revision(app, both):
    # One administrator alone: a save that keeps the page (a refused answer) must not make their own
    # save look like someone else's, or changing an answer back next time would be silently undone.
    report_id, first, _second = both
    url = URL.format(report_id)
    page = form_of(first.get(url).text)
    original = page["vendor_name"][0]
    stay = send(first, url, page, vendor_name="Typo Vendor", product_kind="no-such-kind")
    assert stay.status_code == 200  # the refused answer keeps the page
    answers, revision = stored(app, report_id)
    assert answers["vendor_name"] == "Typo Vendor"
    shown = form_of(stay.text)
    assert int(shown["revision"][0]) == revision
    assert send(first, url, shown, vendor_name=original, product_kind="wearable").status_code == 302
    answers, _revision = stored(app, report_id)
    assert (answers["vendor_name"], answers["product_kind"]) == (original, "wearable")


def test_merge_and_save_says_what_conflicted_and_saves_nothing_then(app, accounts):
    from app.audits import services
    from app.extensions import current_ruleset, db

    with app.app_context():
        qn = current_ruleset().questionnaire
        report_id = scenario.make_audit("complete")
        audit = scenario.audit(report_id)
        loaded_at, before = audit.revision, dict(audit.answers)
        first = services.merge_and_save(qn, audit, {"vendor_name": "First Ltd", "product_kind": "wearable"},
                                        base_revision=loaded_at, user=scenario.user("school"))
        assert (first.saved, first.conflicts, first.theirs, first.errors) == (True, (), frozenset(), {})
        db.session.commit()
        saved = dict(audit.answers)

        sent = {"vendor_name": "Second Ltd", "product_kind": before["product_kind"],
                "product_description": "Second's text."}
        second = services.merge_and_save(qn, audit, sent, base_revision=loaded_at, user=scenario.user("school2"))
        assert not second.saved and second.values == {}
        [conflict] = second.conflicts
        assert (conflict.question_id, conflict.current, conflict.actor) == ("vendor_name", "First Ltd", FIRST)
        assert second.theirs == {"product_kind"}  # left as loaded: the first's answer stays
        assert dict(audit.answers) == saved

        again = services.merge_and_save(qn, audit, {**sent, "product_kind": "wearable"},
                                        base_revision=audit.revision, user=scenario.user("school2"))
        assert again.saved and again.values["vendor_name"] == "Second Ltd"
        assert audit.answers["product_description"] == "Second's text."
