"""The engine's contract: jurisdiction and date matter, evidence explains, mitigations lower
residual risk, stale answers to hidden questions are ignored, bad input is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.engine import evaluate, verdict_of
from app.rules.loader import load_ruleset
from app.rules.questionnaire import AnswersInvalid
from tests.rulesdir import make_rules_dir

EMOTION_CAMERA = {
    "data_categories": ["facial_expressions", "face_images"],
    "sensors": ["classroom_cameras"],
    "inferred_states": ["emotions", "attention"],
    "inference_inputs": ["face"],
    "inference_purpose": "teaching_feedback",
    "scores_shown_to": ["teacher"],
}


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return load_ruleset(make_rules_dir(tmp_path_factory.mktemp("rules")))


def test_same_facts_differ_by_jurisdiction_and_date(mini):
    day_before = evaluate(mini, EMOTION_CAMERA, "EU", dt.date(2025, 2, 1))
    ban_day = evaluate(mini, EMOTION_CAMERA, "EU", dt.date(2025, 2, 2))
    china = evaluate(mini, EMOTION_CAMERA, "CN", dt.date(2025, 2, 2))
    assert (day_before.verdict, ban_day.verdict, china.verdict) == ("critical", "prohibited", "critical")
    assert ban_day.findings[0].rule_id == "eu-emotion-recognition-education-ban"


def test_medical_purpose_lifts_the_ban_but_not_the_risk(mini):
    result = evaluate(mini, {**EMOTION_CAMERA, "inference_purpose": "medical"}, "EU", dt.date(2025, 6, 1))
    assert result.verdict == "critical"
    assert [f.rule_id for f in result.findings] == ["classroom-emotion-attention-recognition"]


def test_evidence_names_the_triggering_answers(mini):
    [finding] = evaluate(mini, EMOTION_CAMERA, "CN", dt.date(2024, 1, 1)).findings
    assert [(e.question, e.answer, e.matched) for e in finding.evidence] == [
        ("inferred_states", ("emotions", "attention"), ("emotions", "attention")),
        ("inference_inputs", ("face",), ("face",))]


def test_evidence_narrows_multi_choice_answers_to_what_the_rule_looked_for(mini):
    answers = {**EMOTION_CAMERA, "inferred_states": ["emotions", "physical_states", "behaviours"]}
    [finding] = evaluate(mini, answers, "CN", dt.date(2024, 1, 1)).findings
    states = finding.evidence[0]
    assert states.answer == ("emotions", "physical_states", "behaviours") and states.matched == ("emotions",)
    assert finding.to_dict()["evidence"][0] == {"question": "inferred_states",
                                                "answer": ["emotions", "physical_states", "behaviours"],
                                                "matched": ["emotions"]}


def test_mitigation_lowers_residual_risk_only(mini):
    [finding] = evaluate(mini, {**EMOTION_CAMERA, "scores_shown_to": ["nobody"]}, "CN",
                         dt.date(2024, 1, 1)).findings
    assert (finding.risk_level, finding.residual_risk_level) == ("critical", "high")
    assert (finding.residual_severity, finding.residual_likelihood) == ("maximum", "limited")
    assert finding.mitigations_applied == ("aggregate-only",)


def test_prohibition_is_not_mitigated(mini):
    result = evaluate(mini, {**EMOTION_CAMERA, "scores_shown_to": ["nobody"]}, "EU", dt.date(2025, 6, 1))
    ban = next(f for f in result.findings if f.effect == "prohibited")
    assert ban.residual_risk_level == "critical" and result.verdict == "prohibited"


def test_answers_to_hidden_questions_are_ignored(mini):
    # Inference answers kept from an earlier draft, but no longer any emotion/attention data: the
    # inference section is not asked, so its stale answers must not trigger anything.
    stale = {**EMOTION_CAMERA, "data_categories": ["grades"], "sensors": ["none"]}
    result = evaluate(mini, stale, "EU", dt.date(2025, 6, 1))
    assert (result.verdict, result.findings) == ("low", ())
    assert "inferred_states" not in result.answers


def test_deterministic(mini):
    runs = {repr(evaluate(mini, EMOTION_CAMERA, "EU", dt.date(2025, 6, 1)).to_dict()) for _ in range(3)}
    assert len(runs) == 1


def test_json_contract_keys(mini):
    out = evaluate(mini, EMOTION_CAMERA, "EU", dt.date(2025, 6, 1)).to_dict()
    assert set(out) == {"verdict", "jurisdiction", "as_of", "rule_set", "screening", "findings"}
    assert set(out["rule_set"]) == {"version", "sha256"}
    required = {"rule_id", "category", "effect", "severity", "likelihood", "risk_level", "residual_risk_level",
                "evidence", "references"}
    assert all(required <= set(f) for f in out["findings"])
    assert out["as_of"] == "2025-06-01"


def test_bad_answers_are_refused_naming_the_question(mini):
    with pytest.raises(AnswersInvalid) as info:
        evaluate(mini, {"data_categories": ["dna"], "shoe_size": 4, "pupil_min_age": "ten"}, "EU",
                 dt.date(2025, 1, 1))
    assert {e.question_id for e in info.value.errors} == {"data_categories", "shoe_size", "pupil_min_age"}


@pytest.mark.parametrize(("jurisdiction", "as_of"), [("FR", dt.date(2025, 1, 1)), ("EU", "2025-01-01")])
def test_bad_jurisdiction_or_date(mini, jurisdiction, as_of):
    with pytest.raises(ValueError):
        evaluate(mini, {}, jurisdiction, as_of)


def test_verdict_of_no_findings_is_low():
    assert verdict_of([]) == "low"


def test_screening_pipl_any_trigger_makes_pipia_mandatory(mini):
    under_14 = evaluate(mini, {"pupil_min_age": 12, "data_categories": ["grades"]}, "CN", dt.date(2024, 1, 1))
    [pipia] = under_14.screening
    assert (pipia.scheme, pipia.required, pipia.criteria_met) == ("pipia", True, ("sensitive-personal-information",))
    adults = evaluate(mini, {"pupil_min_age": 18, "data_categories": ["grades"]}, "CN", dt.date(2024, 1, 1))
    assert adults.screening[0].required is False


def test_screening_wp248_needs_two_criteria(mini):
    one = evaluate(mini, {"pupil_min_age": 12, "data_categories": ["grades"]}, "EU", dt.date(2024, 1, 1))
    two = evaluate(mini, {"pupil_min_age": 12, "data_categories": ["face_templates"]}, "EU", dt.date(2024, 1, 1))
    assert one.screening[0].criteria_met == ("vulnerable-data-subjects",) and not one.screening[0].required
    assert two.screening[0].required
    assert set(two.screening[0].criteria_met) == {"vulnerable-data-subjects", "sensitive-or-highly-personal-data",
                                                  "innovative-technology"}


def test_no_statutory_screening_scheme_in_the_us(mini):
    assert evaluate(mini, {"pupil_min_age": 8}, "US", dt.date(2024, 1, 1)).screening == ()


def test_screening_only_under_a_law_in_force(mini):
    before_pipl = evaluate(mini, {"pupil_min_age": 12}, "CN", dt.date(2018, 9, 1))
    after_pipl = evaluate(mini, {"pupil_min_age": 12}, "CN", dt.date(2021, 11, 1))
    assert before_pipl.screening == () and after_pipl.screening[0].required


def test_overridden_core_finding_is_merged_but_still_counts(tmp_path):
    core = """\
id: core-camera
version: 1
title: {en: Core, zh: 核心}
rationale: {en: R., zh: 理。}
recommendation: {en: Do., zh: 做。}
category: proportionality
effect: risk
severity: maximum
likelihood: maximum
jurisdictions: [CN, EU, UK, US]
when: {q: sensors, includes: classroom_cameras}
references: [{source: pipl, pinpoint: Art. 6}]
mitigations: none
no_mitigation: {reason: {en: Remove the cameras., zh: 拆除摄像头。}, references: [{source: pipl, pinpoint: Art. 6}]}
examples:
  fire: [{answers: {sensors: [classroom_cameras]}}]
  silent: [{answers: {sensors: [none]}}]
"""
    eu = (core.replace("id: core-camera", "id: eu-camera")
          .replace("[CN, EU, UK, US]", "[EU]\noverrides: [core-camera]")
          .replace("severity: maximum", "severity: limited")
          .replace("category: proportionality", "category: governance"))
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/core-camera.yaml": core, "eu/eu-camera.yaml": eu}))
    result = evaluate(rs, {"sensors": ["classroom_cameras"]}, "EU", dt.date(2024, 1, 1))
    assert [(f.rule_id, f.merged) for f in result.findings] == [("eu-camera", ("core-camera",))]
    assert result.verdict == "critical"  # the merged core finding's level still decides the verdict
    assert [f.rule_id for f in evaluate(rs, {"sensors": ["classroom_cameras"]}, "CN",
                                        dt.date(2024, 1, 1)).findings] == ["core-camera"]


def test_evidence_under_not_shows_only_what_explains_the_finding(tmp_path):
    # fires when face data is used AND NOT (consent is separate AND guardians consented)
    rule = """\
id: test-rule
version: 1
title: {en: T, zh: T}
rationale: {en: R., zh: 理。}
recommendation: {en: Do., zh: 做。}
category: children-consent
effect: risk
severity: significant
likelihood: significant
jurisdictions: [CN, EU, UK, US]
when:
  all:
    - {q: data_categories, includes: face_templates}
    - not:
        all:
          - {q: consent_form, eq: separate_explicit}
          - {q: guardian_consent, eq: true}
references: [{source: pipl, pinpoint: Art. 29}]
mitigations: none
no_mitigation: {reason: {en: Obtain the consent., zh: 取得同意。}, references: [{source: pipl, pinpoint: Art. 31}]}
examples:
  fire: [{answers: {data_categories: [face_templates]}}]
  silent: [{answers: {data_categories: [grades]}}]
"""
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule}))
    answers = {"data_categories": ["face_templates"], "legal_basis": "consent", "consent_form": "separate_explicit",
               "pupil_min_age": 10, "guardian_consent": False}
    [finding] = [f for f in evaluate(rs, answers, "CN", dt.date(2024, 1, 1)).findings if f.rule_id == "test-rule"]
    # separate consent was given, so it does not explain the finding; the missing guardian consent does
    assert [e.question for e in finding.evidence] == ["data_categories", "guardian_consent"]


@pytest.mark.parametrize("raw", ["--5", "1²", "9" * 5000, "12a", ""])
def test_malformed_whole_numbers_are_answer_errors_not_crashes(mini, raw):
    with pytest.raises(AnswersInvalid) as info:
        mini.questionnaire.validate_answers({"pupils_affected": raw} if raw else {"pupils_affected": "x"})
    assert info.value.errors[0].question_id == "pupils_affected"


def test_a_fired_rule_s_evidence_is_what_the_full_walk_of_its_condition_gives():
    """The engine asks a fired rule's condition for its evidence knowing that it holds, which lets the
    condition skip tests (and, on a tree whose explaining leaves never depend on the answers, return
    them made once): over every rule and every public case, in each jurisdiction, the leaves are those
    of the full walk that tests every leaf, in the same order."""
    from app.rules.conditions import _collect
    from bench.bench_engine import case_runs, effective_runs

    ruleset = load_ruleset()
    fixed = sum(rule.when.fixed_evidence is not None for rule in ruleset.rules)
    assert 0 < fixed < len(ruleset.rules)  # both kinds of tree are exercised
    checked = 0
    for answers, _jurisdiction, _as_of in effective_runs(ruleset, case_runs(ruleset)):
        for rule in ruleset.rules:
            if not rule.when(answers):
                continue
            walked: list = []
            _collect(rule.when.tree, answers, walked, target=True)
            unique = list(dict.fromkeys(walked))  # each comparison once, first seen first
            assert list(rule.when.evidence(answers, holds=True)) == unique, rule.id
            assert rule.when.evidence(answers) == rule.when.evidence(answers, holds=True), rule.id
            checked += 1
    assert checked > 200
