"""Security in practice: leavers' accounts, vendor support access without MFA, and how soon a breach was
told, as the repository's rule set reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.engine import evaluate

DAY = dt.date(2026, 1, 1)

# Every baseline control confirmed: security-baseline-missing stays silent.
CONTROLS = {"encryption": ["in_transit", "at_rest"], "mfa_privileged": True, "access_logged": True,
            "breach_plan": True, "known_vulnerabilities": False, "hosting": "vendor_cloud_domestic"}


def _finding(ruleset, answers, jurisdiction="EU", as_of=DAY, rule_id="security-baseline-missing"):
    found = [f for f in evaluate(ruleset, answers, jurisdiction, as_of).findings if f.rule_id == rule_id]
    return found[0] if found else None


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK", "US"])
def test_leavers_unanswered_changes_nothing(ruleset, jurisdiction):
    answers = {"jurisdiction": jurisdiction, **CONTROLS}
    assert _finding(ruleset, answers, jurisdiction) is None
    assert _finding(ruleset, {**answers, "leavers_access_revoked": True}, jurisdiction) is None


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK", "US"])
def test_leavers_accounts_still_working_is_a_missing_control(ruleset, jurisdiction):
    answers = {"jurisdiction": jurisdiction, **CONTROLS, "leavers_access_revoked": False}
    assert _finding(ruleset, answers, jurisdiction) is not None


def test_leavers_accounts_still_working_is_a_stated_failure_for_sensitive_data(ruleset):
    answers = {"jurisdiction": "EU", **CONTROLS, "data_categories": ["names_contact", "health"],
               "leavers_access_revoked": False}
    finding = _finding(ruleset, answers)
    assert "sensitive-data-where-security-fails" in finding.aggravations_applied
    assert finding.severity == "maximum"
    unknown = _finding(ruleset, {**answers, "leavers_access_revoked": None, "breach_plan": "unknown"})
    assert "sensitive-data-where-security-fails" not in unknown.aggravations_applied


def test_vendor_support_route_without_mfa_raises_likelihood(ruleset):
    answers = {"jurisdiction": "US", "us_state": "other", **CONTROLS, "pupil_min_age": 14,
               "mfa_privileged": False}
    without_route = _finding(ruleset, {**answers, "vendor_staff_access": False}, "US")
    with_route = _finding(ruleset, {**answers, "vendor_staff_access": True}, "US")
    assert "vendor-support-route-without-mfa" not in without_route.aggravations_applied
    assert "vendor-support-route-without-mfa" in with_route.aggravations_applied
    assert (without_route.likelihood, with_route.likelihood) == ("limited", "significant")
    assert [s.id for s in with_route.trace if s.kind == "aggravation"] == ["vendor-support-route-without-mfa"]
    before_order = _finding(ruleset, {**answers, "vendor_staff_access": True}, "US", dt.date(2023, 1, 25))
    assert "vendor-support-route-without-mfa" not in before_order.aggravations_applied


BREACH = {"breach_occurred": True, "encryption": ["in_transit"],
          "data_categories": ["names_contact", "identity_numbers"]}
NOTICE_RULES = {"EU": "eu-personal-data-breach-not-notified-in-time",
                "UK": "uk-personal-data-breach-not-notified-in-time",
                "CN": "cn-personal-information-leak-not-reported-and-notified-promptly",
                "US": "us-breach-of-pupils-identifying-data-told-to-families-after-state-deadline"}


@pytest.mark.parametrize(("jurisdiction", "late", "in_time"), [
    ("EU", {"breach_regulator_told": "within_30_days"}, {"breach_regulator_told": "within_72_hours"}),
    ("UK", {"breach_regulator_told": "not_told"}, {"breach_regulator_told": "within_72_hours"}),
    ("CN", {"breach_regulator_told": "later"}, {"breach_regulator_told": "within_30_days"}),
    ("US", {"us_state": "ny", "breach_families_told": "within_60_days"},
     {"us_state": "ny", "breach_families_told": "within_30_days"}),
    ("US", {"us_state": "tx", "breach_families_told": "later"},
     {"us_state": "tx", "breach_families_told": "within_60_days"}),
])
def test_breach_told_late_is_an_unmet_obligation(ruleset, jurisdiction, late, in_time):
    rule_id = NOTICE_RULES[jurisdiction]
    answers = {"jurisdiction": jurisdiction, **BREACH}
    finding = _finding(ruleset, {**answers, **late}, jurisdiction, rule_id=rule_id)
    assert finding is not None and finding.effect == "obligation"
    assert finding.risk_level in ("high", "critical")
    assert _finding(ruleset, {**answers, **in_time}, jurisdiction, rule_id=rule_id) is None


def test_breach_timing_is_asked_only_after_a_breach(ruleset):
    qn = ruleset.questionnaire
    for qid in ("breach_regulator_told", "breach_families_told"):
        question = qn.questions[qid]
        assert not qn.is_visible(question, {"breach_occurred": False})
        assert not qn.is_visible(question, {})
        assert qn.is_visible(question, {"breach_occurred": True})
    # a timing answer left over from a breach answer since withdrawn does not fire anything
    answers = {"jurisdiction": "EU", "breach_occurred": False, "breach_regulator_told": "not_told"}
    assert _finding(ruleset, answers, rule_id=NOTICE_RULES["EU"]) is None


def test_new_york_schools_have_their_own_deadlines_for_any_pupil_data(ruleset):
    rule_id = "us-ny-school-breach-told-after-education-law-deadlines"
    answers = {"jurisdiction": "US", "us_state": "ny", "school_sector": "public", "school_type": "primary",
               "breach_occurred": True, "data_categories": ["names_contact", "grades"],
               "breach_regulator_told": "within_72_hours", "breach_families_told": "later"}
    as_of = dt.date(2025, 3, 1)
    assert _finding(ruleset, answers, "US", as_of, rule_id=rule_id) is not None
    # grades are not covered by the business statute, so only the Education Law rule speaks
    assert _finding(ruleset, answers, "US", as_of, rule_id=NOTICE_RULES["US"]) is None
    assert _finding(ruleset, {**answers, "breach_families_told": "within_60_days"}, "US", as_of,
                    rule_id=rule_id) is None
    assert _finding(ruleset, {**answers, "school_sector": "private"}, "US", as_of, rule_id=rule_id) is None
