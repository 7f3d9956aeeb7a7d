"""Monitoring facts the questionnaire could not hold (issue 12, class 5): a web filter that blocks help,
monitoring that follows school-issued devices home, watch-list face recognition and live viewing by staff.
The questions are asked only where they apply, and each rule reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.engine import evaluate
from app.rules.loader import get_ruleset

FILTER = "web-filter-blocks-help-pupils-need"
DEVICES = "monitoring-follows-school-issued-devices-home"
WATCH_LIST = "face-recognition-matches-people-against-watch-list"
LIVE = "staff-watch-pupils-live-without-a-sign"
NEW_RULES = {FILTER, DEVICES, WATCH_LIST, LIVE}
DATE = dt.date(2026, 3, 1)

GRADEBOOK = {
    "product_kind": "school_management", "purposes": ["assessment", "attendance", "parent_communication"],
    "school_type": "primary", "pupil_min_age": 6, "pupil_max_age": 12, "data_categories": ["names_contact", "grades"],
    "sensors": ["none"], "monitoring_scope": ["none"], "automated_outputs": ["none"],
}


def _levels(answers, jurisdiction, date=DATE):
    result = evaluate(get_ruleset(), answers, jurisdiction, date)
    return {f.rule_id: f.residual_risk_level for f in result.findings}


def _visible(qid, answers):
    q = get_ruleset().questionnaire
    return q.is_visible(q.questions[qid], answers)


@pytest.mark.parametrize(
    ("qid", "answers", "asked"),
    [
        ("filter_blocked_topics", {"product_kind": "monitoring"}, True),
        ("filter_blocked_topics", {"product_kind": "learning_platform", "sensors": ["pupil_devices"]}, False),
        ("filter_blocked_topics", GRADEBOOK, False),
        ("monitored_devices", {"product_kind": "monitoring"}, True),
        ("monitored_devices", {"product_kind": "learning_platform", "sensors": ["pupil_devices"],
                               "monitoring_scope": ["outside_school_hours"]}, True),
        ("monitored_devices", {"product_kind": "learning_platform", "sensors": ["pupil_devices"],
                               "monitoring_scope": ["none"]}, False),
        ("monitored_devices", GRADEBOOK, False),
        ("live_viewing", {"product_kind": "proctoring"}, True),
        ("live_viewing", {"product_kind": "face_gate", "sensors": ["classroom_cameras"]}, True),
        ("live_viewing", {"product_kind": "homework_tutoring", "sensors": ["pupil_devices"]}, False),
        ("live_viewing", GRADEBOOK, False),
        ("live_view_sign", {"product_kind": "monitoring", "live_viewing": True}, True),
        ("live_view_sign", {"product_kind": "monitoring", "live_viewing": False}, False),
        ("face_uses", {"data_categories": ["face_images"]}, True),
    ],
)
def test_questions_are_asked_only_where_they_apply(qid, answers, asked):
    assert _visible(qid, answers) is asked


def test_face_uses_offers_watch_list():
    options = [o.id for o in get_ruleset().questionnaire.questions["face_uses"].options]
    assert "watch_list" in options


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK", "US"])
def test_an_ordinary_gradebook_fires_none_of_the_new_rules(jurisdiction):
    assert not set(_levels(GRADEBOOK, jurisdiction)) & NEW_RULES


@pytest.mark.parametrize(("jurisdiction", "level"), [("EU", "medium"), ("UK", "medium"), ("CN", None), ("US", None)])
def test_a_filter_that_blocks_help_is_a_fixable_gap_where_a_source_says_so(jurisdiction, level):
    """Medium in the EU and UK (filters must be necessary and proportionate); no finding in the US, whose law
    (CIPA) asks for image filtering only, nor in China, where no source here says so."""
    answers = {"product_kind": "monitoring",
               "filter_blocked_topics": ["lgbtq_information", "help_and_support_services"]}
    assert _levels(answers, jurisdiction).get(FILTER) == level


@pytest.mark.parametrize("blocked", [["none"], ["unknown"]])
def test_a_filter_that_leaves_help_reachable_or_is_not_known_fires_nothing(blocked):
    assert FILTER not in _levels({"product_kind": "monitoring", "filter_blocked_topics": blocked}, "UK")


def test_monitoring_that_follows_take_home_devices_adds_an_equity_finding():
    answers = {"product_kind": "monitoring", "monitored_devices": ["school_devices_taken_home"],
               "monitoring_scope": ["lessons", "outside_school_hours"]}
    levels = _levels(answers, "EU")
    assert levels[DEVICES] == "medium"
    assert "monitoring-beyond-school-day-or-into-homes" in levels  # the time-of-day finding stays its own


def test_take_home_devices_monitored_in_lessons_only_fire_nothing():
    answers = {"product_kind": "monitoring", "monitored_devices": ["school_devices_taken_home"],
               "monitoring_scope": ["lessons"]}
    assert DEVICES not in _levels(answers, "UK")


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK"])
def test_watch_list_face_recognition_is_high(jurisdiction):
    answers = {"data_categories": ["face_images"], "face_uses": ["watch_list"]}
    assert _levels(answers, jurisdiction)[WATCH_LIST] == "high"


def test_watch_list_face_recognition_is_not_called_an_ai_act_ban():
    """The AI Act's Art. 5(1)(h) covers law enforcement only: a school's own list is a risk, not prohibited."""
    answers = {"data_categories": ["face_images"], "face_uses": ["watch_list"]}
    result = evaluate(get_ruleset(), answers, "EU", DATE)
    assert result.verdict != "prohibited"


@pytest.mark.parametrize(("date", "rule"), [
    (dt.date(2021, 6, 1), "us-ny-biometric-identifying-technology-moratorium-in-schools"),
    (dt.date(2024, 1, 1), "us-ny-facial-recognition-in-schools"),
])
def test_watch_list_cameras_in_a_new_york_school_are_banned(date, rule):
    """Lockport (2020): cameras matching everyone seen against a list of barred people."""
    answers = {"jurisdiction": "US", "us_state": "ny", "school_type": "upper_secondary",
               "data_categories": ["face_images"], "face_uses": ["watch_list"]}
    result = evaluate(get_ruleset(), answers, "US", date)
    assert rule in {f.rule_id for f in result.findings}
    assert result.verdict == "prohibited"


@pytest.mark.parametrize(("sign", "fires"), [(False, True), ("unknown", True), (True, False)])
def test_live_viewing_without_a_sign_to_the_pupil(sign, fires):
    answers = {"product_kind": "monitoring", "live_viewing": True, "live_view_sign": sign}
    assert (_levels(answers, "UK").get(LIVE) == "medium") is fires


PERMISSIONS = "app-requests-device-permissions-beyond-its-function"
BEFORE_CONSENT = "app-collects-before-anyone-agrees"
US_BEFORE_CONSENT = "us-coppa-collection-before-parental-consent-or-school-authorisation"
US_BEYOND_NEED = "us-ftc-mandatory-collection-beyond-need"


@pytest.mark.parametrize(
    ("answers", "asked"),
    [
        ({"sensors": ["pupil_devices"]}, True),
        ({"sensors": ["classroom_cameras"]}, False),
        (GRADEBOOK, False),
    ],
    ids=["app-on-pupils-devices", "cameras-only", "gradebook"],
)
def test_app_questions_are_asked_only_for_apps_on_pupils_or_parents_devices(answers, asked):
    assert [_visible(qid, answers) for qid in ("excess_device_permissions", "collects_before_consent")] == [asked] * 2


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK"])
def test_permissions_beyond_the_function_and_collection_before_consent_are_each_medium(jurisdiction):
    answers = {"sensors": ["pupil_devices"], "excess_device_permissions": ["location"], "collects_before_consent": True}
    levels = _levels(answers, jurisdiction)
    assert (levels[PERMISSIONS], levels[BEFORE_CONSENT]) == ("medium", "medium")


@pytest.mark.parametrize("answer", [["none"], ["unknown"]])
def test_permissions_that_serve_pupils_or_are_not_known_fire_nothing(answer):
    answers = {"sensors": ["pupil_devices"], "excess_device_permissions": answer, "collects_before_consent": False}
    assert not set(_levels(answers, "EU")) & {PERMISSIONS, BEFORE_CONSENT}


def test_in_the_us_coppa_reads_the_same_facts_for_children_under_13_only():
    base = {"sensors": ["pupil_devices"], "use_mandatory": True, "necessity_documented": False,
            "data_categories": ["names_contact", "grades"], "excess_device_permissions": ["contacts"],
            "collects_before_consent": True}
    young = _levels({**base, "pupil_min_age": 8}, "US")
    assert {US_BEFORE_CONSENT, US_BEYOND_NEED} <= set(young)
    assert not {US_BEFORE_CONSENT, US_BEYOND_NEED} & set(_levels({**base, "pupil_min_age": 14}, "US"))
    assert not {PERMISSIONS, BEFORE_CONSENT} & set(young)  # the core rules leave the US to COPPA
