"""What monitoring infers from pupils' writing and who receives its alerts (issue 12, class 5): the two
questions are asked only where pupils' content is monitored, and the two rules read them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.engine import evaluate
from app.rules.loader import get_ruleset

QUESTIONS = ("monitoring_inferences", "alert_recipients")
INFERENCE = "sensitive-traits-inferred-from-pupils-writing"
POLICE = "monitoring-alerts-reach-police-routinely"


@pytest.mark.parametrize(
    ("answers", "asked"),
    [
        ({"product_kind": "monitoring"}, True),
        ({"product_kind": "learning_platform", "data_categories": ["content"], "monitoring_scope": ["at_home"]}, True),
        ({"product_kind": "learning_platform", "data_categories": ["content"], "monitoring_scope": ["none"]}, False),
        (
            {
                "product_kind": "classroom_analytics",
                "data_categories": ["facial_expressions"],
                "monitoring_scope": ["lessons"],
            },
            False,
        ),
        (
            {
                "product_kind": "school_management",
                "data_categories": ["names_contact", "grades"],
                "monitoring_scope": ["none"],
            },
            False,
        ),
    ],
    ids=["monitoring-product", "content-monitored-at-home", "content-not-monitored", "camera-analytics", "gradebook"],
)
def test_questions_are_asked_only_where_pupils_content_is_monitored(answers, asked):
    q = get_ruleset().questionnaire
    assert [q.is_visible(q.questions[qid], answers) for qid in QUESTIONS] == [asked, asked]


@pytest.mark.parametrize("jurisdiction", ["CN", "EU", "UK", "US"])
def test_inferred_sensitive_traits_and_a_police_feed_are_each_high(jurisdiction):
    answers = {
        "product_kind": "monitoring",
        "monitoring_inferences": ["sexuality_or_gender_identity"],
        "alert_recipients": ["school_staff", "police_or_law_enforcement"],
    }
    result = evaluate(get_ruleset(), answers, jurisdiction, dt.date(2026, 3, 1))
    levels = {f.rule_id: f.residual_risk_level for f in result.findings}
    assert levels[INFERENCE] == "high"
    assert levels[POLICE] == "high"


def test_unknown_fires_neither_rule():
    """'We do not know' is neither an inference nor a police feed."""
    answers = {"product_kind": "monitoring", "monitoring_inferences": ["unknown"], "alert_recipients": ["unknown"]}
    fired = {f.rule_id for f in evaluate(get_ruleset(), answers, "EU", dt.date(2026, 3, 1)).findings}
    assert not fired & {INFERENCE, POLICE}
