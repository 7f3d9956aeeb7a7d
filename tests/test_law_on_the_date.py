"""The law as it stood on the date (issue 12, class 4): an explicit ban reaches the real cases it was
made for from its date, and not the day before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.answers import read_answers_file
from app.rules.engine import evaluate
from app.rules.loader import get_ruleset

MORE = Path(__file__).parent / "cases" / "more"

# (case file, jurisdiction, a day before the ban, a day from it, the rule that states the ban)
BANS = [
    ("hudong-zuoye-homework-app", "CN", "2018-12-24", "2019-01-07",
     "cn-learning-app-with-games-or-ads-used-in-primary-or-secondary-school"),
    ("inbloom-new-york", "US", "2014-03-30", "2014-04-03",
     "us-ny-student-data-given-to-shared-learning-infrastructure-provider"),
]


@pytest.mark.parametrize(("case", "jurisdiction", "before", "after", "rule_id"), BANS, ids=[b[0] for b in BANS])
def test_ban_applies_from_its_date_and_not_before(case, jurisdiction, before, after, rule_id):
    ruleset = get_ruleset()
    answers, _meta = read_answers_file(MORE / f"{case}.yaml", ruleset.questionnaire, require_complete=False)
    early = evaluate(ruleset, answers, jurisdiction, dt.date.fromisoformat(before))
    late = evaluate(ruleset, answers, jurisdiction, dt.date.fromisoformat(after))
    assert rule_id not in {f.rule_id for f in early.findings} and early.verdict != "prohibited"
    assert rule_id in {f.rule_id for f in late.findings} and late.verdict == "prohibited"
