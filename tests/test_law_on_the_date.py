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


def _in_force(source, day: dt.date) -> bool:
    start = source.effective or source.date
    return start is not None and dt.date.fromisoformat(str(start)) <= day


# Core rules with no Chinese legal text before PIPL (1 Nov 2021) that we could cite: before it they rest on
# the seed report's risk analysis, and the report marks PIPL "not yet in force". The 2020 edition of
# GB/T 35273 (automated decisions, personalised display) is not cited for want of its clause numbers.
NO_CHINESE_BASIS_BEFORE_PIPL = {
    "algorithm-accuracy-not-tested-across-pupil-groups",
    "automated-decisions-without-human-review-or-appeal",
    "face-recognition-accuracy-not-validated-for-pupils",
    "personalised-recommendations-without-opt-out",
}

# (case file, jurisdiction, a date before the law the findings would otherwise cite only)
BEFORE_PIPL = [
    ("hangzhou-no11-classroom", "CN", "2018-09-01"),
    ("brainco-jinhua-headbands", "CN", "2019-10-31"),
    ("more/hudong-zuoye-homework-app", "CN", "2018-10-26"),
]


@pytest.mark.parametrize(("case", "jurisdiction", "day"), BEFORE_PIPL, ids=[b[0] for b in BEFORE_PIPL])
def test_a_chinese_finding_before_pipl_cites_a_chinese_law_then_in_force(case, jurisdiction, day):
    """An audit dated 2018 cites the law of 2018 (CSL 2017, Civil Code from 2021, the MoE's notices),
    not only PIPL, which was not yet in force."""
    ruleset = get_ruleset()
    answers, _meta = read_answers_file(MORE.parent / f"{case}.yaml", ruleset.questionnaire, require_complete=False)
    on = dt.date.fromisoformat(day)
    result = evaluate(ruleset, answers, jurisdiction, on)
    only_later_law = [f.rule_id for f in result.findings
                      if any(r.source == "pipl" for r in f.references)
                      and not any(ruleset.sources[r.source].jurisdiction == "CN"
                                  and _in_force(ruleset.sources[r.source], on) for r in f.references)]
    only_later_law = sorted(set(only_later_law) - NO_CHINESE_BASIS_BEFORE_PIPL)
    assert only_later_law == [], only_later_law


def test_uk_screening_cites_the_uk_gdpr_and_the_icos_list_not_eu_law():
    """Issue 12: UK DPIA screening rests on UK GDPR Art. 35 and the ICO's Art. 35(4) list; the EU's
    WP248 scheme applies in the EU only."""
    ruleset = get_ruleset()
    schemes = {s.id: s for s in ruleset.screening}
    assert "UK" not in schemes["dpia"].jurisdictions
    uk = schemes["uk-dpia"]
    assert {r.source for r in uk.references} == {"uk-gdpr", "ico-dpia-list"}
    answers = {"pupil_min_age": 11, "data_categories": ["face_templates"], "product_kind": "face_gate"}
    [result] = evaluate(ruleset, answers, "UK", dt.date(2024, 9, 1)).screening
    assert result.scheme == "uk-dpia" and result.required
    assert {"innovative-technology-with-children", "biometric-identification-of-children"} <= set(result.criteria_met)


# A school canteen paying by face, pupils aged 11-18, parents told by an opt-out slip (the facts of the
# ICO's cases at Chelmer Valley, England, and North Ayrshire, Scotland).
_CANTEEN_FRT = {"jurisdiction": "UK", "product_kind": "face_gate", "school_type": "upper_secondary",
                "school_sector": "public", "pupil_min_age": 11, "pupil_max_age": 18, "pupils_affected": 1200,
                "purposes": ["payment"], "use_mandatory": False,
                "data_categories": ["names_contact", "face_templates"], "face_uses": ["payment"],
                "legal_basis": "consent", "consent_form": "opt_out", "guardian_consent": False}


def test_scotland_weighs_pupils_biometrics_under_the_uk_gdpr_without_the_protection_of_freedoms_act():
    """POFA 2012 ss.26-28 bind schools in England and Wales only; in Scotland opt-out 'consent' to pupils'
    biometrics is still no consent under UK GDPR (high), but no statute makes written consent a condition."""
    ruleset = get_ruleset()
    day = dt.date(2023, 6, 1)
    by_nation = {nation: evaluate(ruleset, {**_CANTEEN_FRT, "uk_nation": nation}, "UK", day)
                 for nation in ("england", "wales", "scotland", "northern_ireland")}
    pofa = "uk-pupil-biometrics-without-written-parental-consent"
    assert {n: pofa in {f.rule_id for f in a.findings} for n, a in by_nation.items()} == {
        "england": True, "wales": True, "scotland": False, "northern_ireland": False}
    assert by_nation["england"].verdict == "critical"
    assert by_nation["scotland"].verdict == "high"
    assert "uk-parental-opt-out-used-as-consent" in {f.rule_id for f in by_nation["scotland"].findings}


def test_colorado_bar_on_school_facial_recognition_applies_from_sb22_113_and_only_in_colorado():
    ruleset = get_ruleset()
    gate = {"jurisdiction": "US", "us_state": "co", "product_kind": "face_gate", "school_type": "lower_secondary",
            "school_sector": "public", "pupil_min_age": 11, "pupil_max_age": 14, "purposes": ["attendance"],
            "data_categories": ["names_contact", "face_templates"], "face_uses": ["entry", "attendance"]}
    rule = "us-co-public-school-contracts-for-facial-recognition"
    before = evaluate(ruleset, gate, "US", dt.date(2022, 8, 9))
    after = evaluate(ruleset, gate, "US", dt.date(2025, 9, 1))
    elsewhere = evaluate(ruleset, {**gate, "us_state": "other"}, "US", dt.date(2025, 9, 1))
    assert rule not in {f.rule_id for f in before.findings} and before.verdict != "prohibited"
    assert rule in {f.rule_id for f in after.findings} and after.verdict == "prohibited"
    assert rule not in {f.rule_id for f in elsewhere.findings} and elsewhere.verdict != "prohibited"
