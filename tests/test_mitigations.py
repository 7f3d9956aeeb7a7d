"""Measures named by the law or guidance lower a rule's residual level: evaluated on the real rule set
with and without the measure, the rule still fires, its residual level drops by the matrix and the
finding's trace shows the mitigation step."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.rules.engine import evaluate, lowered_example_problem
from app.rules.loader import RuleLoadError, load_ruleset
from app.rules.model import LEVEL_RANK
from tests.rulesdir import NO_MITIGATION, make_rules_dir, rule_text

DAY = dt.date(2026, 1, 1)

# rule id, jurisdiction, answers that fire the rule without the measure, the measure's answers,
# mitigation ids expected in the trace, residual level without and with the measure.
CASES = [
    ("vendor-may-reuse-pupil-data-for-products-research-or-ai", "UK",
     {"vendor_data_uses": ["research", "product_development"]},
     {"vendor_reuse_anonymised_only": True},
     ["anonymised-or-aggregated-only"], "medium", "low"),
    ("us-tx-pupil-biometrics-captured-without-notice-and-consent", "US",
     {"us_state": "tx", "data_categories": ["other_biometrics"], "hosting": "vendor_cloud_domestic",
      "guardian_consent": False},
     {"biometrics_deleted_on_leaving": True},
     ["biometrics-destroyed-when-pupil-leaves"], "high", "medium"),
    ("known-security-weaknesses-unfixed", "EU",
     {"known_vulnerabilities": True, "encryption": ["in_transit"], "access_logged": False},
     {"encryption": ["in_transit", "at_rest"], "access_logged": True},
     ["encrypted-at-rest-and-in-transit", "access-limited-and-logged"], "high", "medium"),
    ("eu-solely-automated-decisions-about-pupils", "EU",
     {"automated_outputs": ["grading"], "human_review": "never", "explanation_available": False,
      "appeal_route": False},
     {"explanation_available": True, "appeal_route": True},
     ["explanation-and-contest"], "high", "medium"),
    ("brain-or-body-signals-recorded-from-pupils", "CN",
     {"data_categories": ["eeg"], "sensors": ["wearables"], "encryption": ["none"]},
     {"encryption": ["in_transit", "at_rest"]},
     ["encrypted-at-rest-and-in-transit"], "high", "medium"),
    ("eu-attention-engagement-inference-in-education", "EU",
     {"data_categories": ["attention_signals"], "sensors": ["classroom_cameras"], "inferred_states": ["attention"],
      "inference_inputs": ["face"], "inference_purpose": "teaching_feedback", "automated_outputs": ["behaviour_scores"],
      "human_review": "never"},
     {"human_review": "always"},
     ["human-oversight"], "critical", "high"),
    # Unconfirmed safeguards over a first name and a class code: a fixable gap, but what is at stake is
    # negligible (the scale's "low": little identifiable data), so the measure of minimal data lowers it.
    ("security-baseline-missing", "US",
     {"data_categories": ["names_contact", "grades"], "monitoring_scope": ["none"], "mfa_privileged": "unknown"},
     {"data_categories": ["names_contact"]},
     ["minimal-ordinary-data"], "medium", "low"),
    ("pupil-and-guardian-rights-not-operable", "EU",
     {"data_categories": ["names_contact", "face_images", "voice"], "monitoring_scope": ["none"],
      "rights_process": "unknown"},
     {"av_recorded": False},
     ["minimal-ordinary-data"], "medium", "low"),
    ("us-ferpa-vendor-not-under-school-direct-control", "US",
     {"school_sector": "public", "school_type": "primary", "data_categories": ["names_contact", "grades"],
      "hosting": "unknown", "vendor_contract": "partial"},
     {"data_categories": ["names_contact"]},
     ["directory-information-only"], "medium", "low"),
]


def _finding(ruleset, rule_id, answers, jurisdiction):
    found = [f for f in evaluate(ruleset, answers, jurisdiction, DAY).findings if f.rule_id == rule_id]
    assert found, f"{rule_id} did not fire"
    return found[0]


@pytest.mark.parametrize(("rule_id", "jurisdiction", "answers", "measure", "mitigations", "without", "with_"),
                         CASES, ids=[c[0] for c in CASES])
def test_measure_lowers_the_residual_level_and_the_trace_shows_it(ruleset, rule_id, jurisdiction, answers,
                                                                  measure, mitigations, without, with_):
    bare = _finding(ruleset, rule_id, answers, jurisdiction)
    assert bare.mitigations_applied == ()
    assert bare.residual_risk_level == without
    assert "mitigation" not in [s.kind for s in bare.trace]

    mitigated = _finding(ruleset, rule_id, {**answers, **measure}, jurisdiction)
    assert mitigated.risk_level == bare.risk_level, "a measure changes the residual level, not the inherent one"
    assert mitigated.residual_risk_level == with_
    assert LEVEL_RANK[mitigated.residual_risk_level] < LEVEL_RANK[bare.residual_risk_level]
    assert list(mitigated.mitigations_applied) == mitigations
    steps = [(s.kind, s.id) for s in mitigated.trace if s.kind == "mitigation"]
    assert steps == [("mitigation", m) for m in mitigations]
    # each measure's step cites where the law or guidance names it
    assert all(s.references for s in mitigated.trace if s.kind == "mitigation")
    assert mitigated.trace[-1].level == with_


# -- every risk rule states which measures lower it, or why none can ------------------------------------

MEASURE = """\
mitigations:
  - id: on-device
    label: {en: Templates stay on the device, zh: 模板仅保存在设备中}
    when: {q: face_storage, eq: on_device}
    lowers: {likelihood: 1}
    references: [{source: gdpr, pinpoint: "Art. 25(1)"}]
"""
LOWERED = """\
  lowered:
    - mitigation: on-device
      answers: {data_categories: [face_templates]}
      measure: {face_storage: on_device}
"""


def _problems(tmp_path, text):
    with pytest.raises(RuleLoadError) as info:
        load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": text}))
    return info.value.problems


def test_a_risk_rule_with_neither_measures_nor_a_reason_is_refused_naming_rule_and_file(tmp_path):
    [p] = _problems(tmp_path, rule_text(mitigations=""))
    assert p.rule == "test-rule" and p.file.endswith("core/test-rule.yaml") and p.line == 1  # the rule's id
    assert "a risk rule states which measures lower it" in p.message and "mitigations: none" in p.message


def test_rules_check_refuses_it_too(tmp_path):
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(mitigations="")})
    result = CliRunner().invoke(main, ["rules", "check", "--rules-dir", str(root)])
    assert result.exit_code == 3  # an invalid rule set (exit codes in app/cli.py)
    assert "core/test-rule.yaml:1 [rule test-rule]: a risk rule states which measures lower it" in result.output


def test_a_rule_set_older_than_0_8_0_still_loads_without_declarations(tmp_path):
    # `rules diff --from` an older revision reads that revision's rule files with today's loader
    root = make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(mitigations="")})
    meta = root / "ruleset.yaml"
    text, changed = re.subn(r'^version: "[0-9.]+"$', 'version: "0.7.0"', meta.read_text(encoding="utf-8"),
                            flags=re.M)
    assert changed == 1  # whatever today's version is
    meta.write_text(text, encoding="utf-8")
    rule = load_ruleset(root).rule("test-rule")
    assert rule.mitigations == () and rule.no_mitigation is None


def test_an_obligation_needs_no_declaration(tmp_path):
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text(mitigations="").replace(
        "effect: risk", "effect: obligation")}))
    assert rs.rule("test-rule").no_mitigation is None and rs.rule("test-rule").mitigations == ()


def test_mitigations_none_is_read_with_its_reason_and_references(tmp_path):
    rs = load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": rule_text()}))
    rule = rs.rule("test-rule")
    assert rule.mitigations == ()
    assert rule.no_mitigation.reason["en"] == "Only removing the condition helps."
    assert [r.source for r in rule.no_mitigation.references] == ["gdpr"]


@pytest.mark.parametrize(("mitigations", "message"), [
    ("mitigations: none\n", "'mitigations: none' needs 'no_mitigation"),
    (MEASURE + NO_MITIGATION.replace("mitigations: none\n", ""), "'no_mitigation' goes with 'mitigations: none'"),
    ("mitigations: []\n", "mitigations: [] should be non-empty"),
    ("mitigations: nothing\n", "'nothing' does not match '^none$'"),
    (NO_MITIGATION.replace("source: gdpr", "source: hearsay"), "unknown source 'hearsay'"),
    (NO_MITIGATION.replace('pinpoint: "Art. 5(1)(c)"', 'pinpoint: "Art. 5(1)(c)", verification: UNVERIFIED'),
     "every reference is UNVERIFIED"),
    ("\n".join(line for line in NO_MITIGATION.split("\n") if "reason:" not in line),
     "'reason' is a required property"),
])
def test_a_half_declaration_is_refused_saying_what_is_missing(tmp_path, mitigations, message):
    problems = _problems(tmp_path, rule_text(mitigations=mitigations))
    assert any(message in p.message and p.rule == "test-rule" for p in problems), [str(p) for p in problems]


def test_every_risk_rule_of_the_rule_set_declares_measures_or_why_none(ruleset):
    bare = [r.id for r in ruleset.rules if r.effect == "risk" and not r.mitigations and not r.no_mitigation]
    assert bare == []
    # a declaration of no measure is never a rule that lists measures, and always cites its reason
    assert all(not (r.mitigations and r.no_mitigation) for r in ruleset.rules)
    assert all(r.no_mitigation.references for r in ruleset.rules if r.no_mitigation)


# -- a rule's `lowered` examples: with the measure the residual level is lower, without it unchanged ------

def _lowered(tmp_path, lowered=LOWERED, mitigations=MEASURE):
    text = rule_text(mitigations=lowered + mitigations)
    return load_ruleset(make_rules_dir(tmp_path, {"core/test-rule.yaml": text}))


def test_a_lowered_example_that_holds_passes(tmp_path):
    rs = _lowered(tmp_path)
    [ex] = rs.rule("test-rule").lowered_examples
    assert ex.mitigation == "on-device" and ex.with_measure.answers["face_storage"] == "on_device"
    assert "face_storage" not in ex.without.answers
    assert lowered_example_problem(rs, rs.rule("test-rule"), ex) is None


@pytest.mark.parametrize(("lowered", "mitigations", "message"), [
    # the measure lowers likelihood by one step: significant/significant (high) -> significant/limited (medium);
    # (or severity: significant/significant -> limited/significant, medium)
    (LOWERED, MEASURE.replace("lowers: {likelihood: 1}", "lowers: {severity: 1}"), None),
    (LOWERED.replace("measure: {face_storage: on_device}", "measure: {face_storage: vendor_cloud}"), MEASURE,
     "the measure 'on-device' did not apply"),
    (LOWERED.replace("answers: {data_categories: [face_templates]}",
                     "answers: {data_categories: [face_templates], face_storage: on_device}"), MEASURE,
     "without the measure, measures already apply: on-device"),
    (LOWERED.replace("measure: {face_storage: on_device}",
                     "measure: {face_storage: on_device, data_categories: [grades]}"), MEASURE,
     "did not fire with the measure"),
])
def test_a_lowered_example_that_does_not_hold_fails_rules_check(tmp_path, lowered, mitigations, message):
    rs = _lowered(tmp_path, lowered, mitigations)
    rule = rs.rule("test-rule")
    problem = lowered_example_problem(rs, rule, rule.lowered_examples[0])
    if message is None:
        assert problem is None
        return
    assert message in problem
    result = CliRunner().invoke(main, ["rules", "check", "--rules-dir", str(Path(rs.root))])
    assert result.exit_code == 1
    assert "core/test-rule.yaml:" in result.output and "[rule test-rule] examples.lowered[0]" in result.output


def test_a_measure_too_small_to_move_the_level_fails(tmp_path):
    # significant/significant is high; one step less severity (limited/significant) is medium, but one step
    # less likelihood from maximum (significant/maximum -> significant/significant) stays high
    text = rule_text(mitigations=LOWERED + MEASURE).replace("likelihood: significant", "likelihood: maximum")
    rs = load_ruleset(make_rules_dir(tmp_path / "b", {"core/test-rule.yaml": text}))
    rule = rs.rule("test-rule")
    assert lowered_example_problem(rs, rule, rule.lowered_examples[0]) == \
        "the residual level is not lower with the measure (high -> high) (CN, 2026-01-01)"


@pytest.mark.parametrize(("lowered", "message"), [
    (LOWERED.replace("mitigation: on-device", "mitigation: on-paper"), "unknown mitigation 'on-paper'"),
    (LOWERED.replace("measure: {face_storage: on_device}", "measure: {face_storage: in_the_cloud}"),
     "example measure"),
    (LOWERED.replace("      measure: {face_storage: on_device}\n", ""), "'measure' is a required property"),
])
def test_a_malformed_lowered_example_is_a_load_error(tmp_path, lowered, message):
    problems = _problems(tmp_path, rule_text(mitigations=lowered + MEASURE))
    assert any(message in p.message for p in problems), [str(p) for p in problems]
