"""Facts about the data the form could not state before (issue 12, class 5): short fixed retention in
days or weeks, more precise kinds of personal data, and products that receive only anonymous or
aggregated data. Old answers keep loading and keep their meaning."""

from __future__ import annotations

import datetime as dt

import pytest

from app.reports.prose import deployment
from app.rules.engine import evaluate
from app.rules.loader import get_ruleset

# --- retention in days or weeks --------------------------------------------------------------------


def _option_ids(question_id: str) -> list[str]:
    return [o.id for o in get_ruleset().questionnaire.questions[question_id].options]


def test_days_or_weeks_sits_between_straight_after_use_and_the_school_year():
    ids = _option_ids("retention_period")
    assert ids.index("immediately") + 1 == ids.index("days_or_weeks") == ids.index("school_year") - 1


def test_the_number_of_days_is_asked_only_for_a_period_in_days_or_weeks():
    q = get_ruleset().questionnaire
    question = q.questions["retention_days"]
    assert q.is_visible(question, {"retention_period": "days_or_weeks"})
    assert not q.is_visible(question, {"retention_period": "school_year"})
    assert [m.id for m in q.missing_required({"retention_period": "days_or_weeks"})].count("retention_days") == 1


RETENTION_RULE = "retention-unbounded-or-unscheduled"


@pytest.mark.parametrize("period", ["immediately", "days_or_weeks", "school_year"])
def test_a_short_fixed_period_lowers_an_unwritten_schedule_like_the_school_year(period):
    answers = {"retention_period": period, "retention_days": 30, "retention_schedule": False,
               "deletion_at_contract_end": True, "hosting": "vendor_cloud_domestic"}
    finding = next(f for f in evaluate(get_ruleset(), answers, "EU", dt.date(2026, 3, 1)).findings
                   if f.rule_id == RETENTION_RULE)
    assert finding.residual_risk_level == "low" and finding.risk_level == "medium"


def test_a_period_in_days_is_not_a_record_kept_across_school_years():
    answers = {"data_categories": ["attention_signals"], "retention_period": "days_or_weeks", "retention_days": 28}
    fired = {f.rule_id for f in evaluate(get_ruleset(), answers, "EU", dt.date(2026, 3, 1)).findings}
    assert "behaviour-records-kept-across-school-years" not in fired


FOOTAGE = "cn-campus-security-footage-kept-under-30-days"
CAMERAS = {"sensors": ["entrance_cameras"], "purposes": ["safety_security"], "retention_period": "days_or_weeks"}


@pytest.mark.parametrize(("days", "as_of", "fires"), [
    (29, "2025-04-01", True),
    (30, "2025-04-01", False),
    (29, "2025-03-31", False),
])
def test_chinese_security_footage_must_be_kept_at_least_30_days_from_april_2025(days, as_of, fires):
    result = evaluate(get_ruleset(), {**CAMERAS, "retention_days": days}, "CN", dt.date.fromisoformat(as_of))
    assert (FOOTAGE in {f.rule_id for f in result.findings}) is fires


@pytest.mark.parametrize("jurisdiction", ["EU", "UK", "US"])
def test_the_30_day_floor_is_chinese_law_only(jurisdiction):
    result = evaluate(get_ruleset(), {**CAMERAS, "retention_days": 7}, jurisdiction, dt.date(2026, 3, 1))
    assert FOOTAGE not in {f.rule_id for f in result.findings}


@pytest.mark.parametrize(("lang", "text"), [("en", "Data is kept for 30 days, then deleted."),
                                            ("zh", "数据保存 30 天，到期删除。")])
def test_the_report_states_the_number_of_days(lang, text):
    qn = get_ruleset().questionnaire
    paragraphs = deployment(qn, {"retention_period": "days_or_weeks", "retention_days": 30}, lang)["paragraphs"]
    assert text in paragraphs[-1]
