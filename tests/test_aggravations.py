"""The risk model's steps: aggravating facts raise a finding, measures lower it, an ``unlawful`` or
``prohibited`` effect fixes it, and the finding's trace records every step."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.engine import evaluate, run_examples
from app.rules.loader import RuleLoadError, load_ruleset
from tests.rulesdir import make_rules_dir, rule_text

DAY = dt.date(2026, 1, 1)

MITIGATION = """\
mitigations:
  - id: logged
    label: {en: Access is logged, zh: 访问有日志}
    when: {q: access_logged, eq: true}
    lowers: {likelihood: 1}
"""

AGGRAVATIONS = """\
aggravations:
  - id: health-data
    label: {en: Health data, zh: 健康数据}
    rationale: {en: Worse harm., zh: 损害更重。}
    when: {q: data_categories, includes: health}
    applies_to: {jurisdictions: [EU], categories: [data-security]}
    raises: {severity: 1}
    references: [{source: gdpr, pinpoint: "Art. 9(1)"}]
    examples:
      apply: [{answers: {data_categories: [health]}}]
      not_apply: [{answers: {data_categories: [grades]}}]
  - id: many-pupils
    label: {en: Many pupils, zh: 学生众多}
    rationale: {en: More people., zh: 人数更多。}
    when: {q: pupils_affected, gte: 100000}
    applies_to: {jurisdictions: [EU], categories: [data-security], effects: [risk]}
    effective: {from: 2020-01-01}
    raises: {likelihood: 2}
    references: [{source: wp248, pinpoint: "criterion 5"}]
    examples:
      apply: [{answers: {pupils_affected: 200000}}]
      not_apply: [{answers: {pupils_affected: 2000}}]
"""


def _ruleset(tmp_path, effect="risk", severity="significant", likelihood="limited", category="data-security",
             aggravations=AGGRAVATIONS):
    rule = (rule_text(id="weak-spot", category=category, when="{q: known_vulnerabilities, eq: true}",
                      fire="{known_vulnerabilities: true}", mitigations=MITIGATION)
            .replace("effect: risk", f"effect: {effect}").replace("severity: significant", f"severity: {severity}")
            .replace("likelihood: significant", f"likelihood: {likelihood}"))
    files = {"core/weak-spot.yaml": rule}
    if aggravations is not None:
        files["aggravations.yaml"] = aggravations
    return load_ruleset(make_rules_dir(tmp_path, files))


def _finding(rs, answers, jurisdiction="EU", as_of=DAY):
    result = evaluate(rs, {"known_vulnerabilities": True, **answers}, jurisdiction, as_of)
    return result, next(f for f in result.findings if f.rule_id == "weak-spot")


def _steps(finding):
    return [(s.kind, s.id, s.severity, s.likelihood, s.level) for s in finding.trace]


def test_aggravations_raise_the_inherent_level_and_the_trace_shows_each_step(tmp_path):
    rs = _ruleset(tmp_path, likelihood="significant")
    result, f = _finding(rs, {"data_categories": ["health"], "pupils_affected": 500000, "access_logged": True})
    assert _steps(f) == [
        ("base", None, "significant", "significant", "high"),
        ("aggravation", "health-data", "maximum", "significant", "critical"),
        ("aggravation", "many-pupils", "maximum", "maximum", "critical"),  # +2 capped at maximum
        ("mitigation", "logged", "maximum", "significant", "critical"),
    ]
    assert f.aggravations_applied == ("health-data", "many-pupils")
    assert (f.severity, f.likelihood, f.risk_level) == ("maximum", "maximum", "critical")  # inherent
    assert (f.residual_severity, f.residual_likelihood, f.residual_risk_level) == \
        ("maximum", "significant", "critical")
    assert result.verdict == "critical"
    assert [s.change for s in f.trace] == [{}, {"severity": 1}, {"likelihood": 1}, {"likelihood": -1}]
    assert [r.source for r in f.trace[1].references] == ["gdpr"]


def test_without_aggravating_facts_the_finding_keeps_its_base_level(tmp_path):
    _result, f = _finding(_ruleset(tmp_path), {"data_categories": ["grades"], "pupils_affected": 500})
    assert _steps(f) == [("base", None, "significant", "limited", "medium")]
    assert (f.risk_level, f.residual_risk_level, f.aggravations_applied) == ("medium", "medium", ())


@pytest.mark.parametrize(("jurisdiction", "as_of", "category", "effect", "applied"), [
    ("EU", DAY, "data-security", "risk", ("health-data", "many-pupils")),
    ("CN", DAY, "data-security", "risk", ()),                    # not declared for China
    ("EU", dt.date(2019, 12, 31), "data-security", "risk", ("health-data",)),   # before many-pupils' date
    ("EU", DAY, "governance", "risk", ()),                       # not a category they raise
    ("EU", DAY, "data-security", "obligation", ("health-data",)),  # many-pupils raises risks only
])
def test_an_aggravation_applies_only_where_when_and_to_what_it_is_declared(tmp_path, jurisdiction, as_of,
                                                                           category, effect, applied):
    rs = _ruleset(tmp_path, category=category, effect=effect)
    _result, f = _finding(rs, {"data_categories": ["health"], "pupils_affected": 500000}, jurisdiction, as_of)
    assert f.aggravations_applied == applied


def test_unlawful_is_critical_whatever_the_measures_and_is_never_raised(tmp_path):
    rs = _ruleset(tmp_path, effect="unlawful", severity="limited", likelihood="limited")
    result, f = _finding(rs, {"data_categories": ["health"], "access_logged": True})
    assert _steps(f) == [
        ("base", None, "limited", "limited", "medium"),
        ("mitigation", "logged", "limited", "limited", "medium"),
        ("unlawful", None, "limited", "limited", "critical"),
    ]
    assert f.trace[1].held and f.mitigations_applied == ("logged",) and f.aggravations_applied == ()
    assert (f.risk_level, f.residual_risk_level, result.verdict) == ("critical", "critical", "critical")


def test_prohibited_trace_ends_with_the_ban(tmp_path):
    rs = _ruleset(tmp_path, effect="prohibited", severity="maximum", likelihood="maximum")
    result, f = _finding(rs, {"access_logged": True})
    assert [s.kind for s in f.trace] == ["base", "mitigation", "prohibited"]
    assert (f.residual_likelihood, result.verdict) == ("maximum", "prohibited")


def test_trace_in_the_json_contract_is_additive(tmp_path):
    rs = _ruleset(tmp_path)
    _result, f = _finding(rs, {"data_categories": ["health"]})
    out = f.to_dict()
    assert out["aggravations_applied"] == ["health-data"]
    assert out["trace"] == [
        {"step": "base", "severity": "significant", "likelihood": "limited", "level": "medium"},
        {"step": "aggravation", "id": "health-data", "change": {"severity": 1}, "severity": "maximum",
         "likelihood": "limited", "level": "high",
         "references": [{"source": "gdpr", "pinpoint": "Art. 9(1)", "verification": "V-PAGE"}]},
    ]
    # every key of the earlier contract is still there, with the same meaning for a finding no fact raises
    plain = _finding(rs, {"data_categories": ["grades"]})[1].to_dict()
    assert {"rule_id", "severity", "likelihood", "risk_level", "residual_risk_level", "mitigations_applied",
            "merged"} <= set(plain)


def test_a_rule_set_without_aggravations_still_loads(tmp_path):
    rs = _ruleset(tmp_path, aggravations=None)
    assert rs.aggravations == ()
    assert _finding(rs, {"data_categories": ["health"]})[1].risk_level == "medium"


def test_aggravation_examples_are_run_and_named(tmp_path):
    broken = AGGRAVATIONS.replace("not_apply: [{answers: {data_categories: [grades]}}]",
                                  "not_apply: [{answers: {data_categories: [health]}}]")
    failures = run_examples(_ruleset(tmp_path, aggravations=broken))
    assert [(f.rule_id, f.kind, f.index, f.where) for f in failures] == \
        [("health-data", "not_apply", 0, ("aggravations", 0))]
    assert "[aggravation health-data] examples.not_apply[0]: applied" in str(failures[0])


@pytest.mark.parametrize(("change", "message"), [
    (("includes: health}", "includes: plutonium}"), "plutonium"),
    (("source: gdpr,", "source: nowhere,"), "unknown source 'nowhere'"),
    (("categories: [data-security]}", "categories: [data-security], effects: [prohibited]}"), "prohibited"),
    (("id: many-pupils", "id: health-data"), "duplicate aggravation id 'health-data'"),
])
def test_bad_aggravations_stop_the_load_naming_the_problem(tmp_path, change, message):
    with pytest.raises(RuleLoadError) as info:
        _ruleset(tmp_path, aggravations=AGGRAVATIONS.replace(*change, 1))
    assert message in str(info.value) and "aggravations.yaml" in str(info.value)


def test_real_rule_set_a_known_weakness_exposing_health_data_at_scale_is_critical():
    rs = load_ruleset()
    answers = {"data_categories": ["names_contact", "health"], "known_vulnerabilities": True,
               "pupils_affected": 500000}
    f = next(x for x in evaluate(rs, answers, "EU", DAY).findings if x.rule_id == "known-security-weaknesses-unfixed")
    assert f.residual_risk_level == "critical"
    assert [s.id for s in f.trace if s.kind == "aggravation"] == ["sensitive-data-where-security-fails",
                                                                 "many-pupils-affected"]
    # the same weakness in a service holding ordinary data of a few hundred pupils stays high
    small = {"data_categories": ["names_contact"], "known_vulnerabilities": True, "pupils_affected": 300}
    g = next(x for x in evaluate(rs, small, "EU", DAY).findings if x.rule_id == "known-security-weaknesses-unfixed")
    assert (g.residual_risk_level, g.aggravations_applied) == ("high", ())


def test_real_rule_set_biometric_consent_under_school_authority_is_unlawful():
    rs = load_ruleset()
    answers = {"school_type": "upper_secondary", "data_categories": ["face_templates"], "face_uses": ["attendance"],
               "legal_basis": "consent", "consent_form": "separate_explicit", "alternative_offered": "equal"}
    f = next(x for x in evaluate(rs, answers, "EU", DAY).findings
             if x.rule_id == "eu-biometric-consent-under-school-authority")
    assert (f.effect, f.residual_risk_level, f.trace[-1].kind) == ("unlawful", "critical", "unlawful")


def test_every_rule_that_can_reach_high_stays_silent_on_an_ordinary_well_run_deployment():
    """Issue 12, class 2: a rule must not fire merely because pupils are minors and a statutory school
    record is compulsory; each rule that can reach high carries such a must-stay-silent example."""
    rs = load_ruleset()
    can_reach_high = [r for r in rs.rules
                      if rs.matrix.level(r.severity, r.likelihood) in ("high", "critical")
                      or r.effect in ("unlawful", "prohibited")
                      or any(a.covers(r.category, r.effect) for a in rs.aggravations)]
    missing = [r.id for r in can_reach_high
               if not any((ex.note or "").startswith("an ordinary, well-run") for ex in r.silent_examples)]
    assert missing == []


def test_an_aggravation_applies_in_each_jurisdiction_from_its_own_date(tmp_path):
    dated = AGGRAVATIONS.replace("applies_to: {jurisdictions: [EU], categories: [data-security]}",
                                 "applies_to: {jurisdictions: {EU: {from: 2018-05-25}, CN: {from: 2021-11-01}}, "
                                 "categories: [data-security]}")
    rs = _ruleset(tmp_path, aggravations=dated)
    applied = {(j, day): _finding(rs, {"data_categories": ["health"]}, j, dt.date.fromisoformat(day))[1]
               .aggravations_applied
               for j in ("EU", "CN", "US") for day in ("2019-01-01", "2022-01-01")}
    assert applied == {("EU", "2019-01-01"): ("health-data",), ("EU", "2022-01-01"): ("health-data",),
                       ("CN", "2019-01-01"): (), ("CN", "2022-01-01"): ("health-data",),
                       ("US", "2019-01-01"): (), ("US", "2022-01-01"): ()}


def test_report_prints_the_steps_with_the_local_references_of_each_aggravation():
    from app.reports.context import build_report_context
    from app.reports.render import render_html

    rs = load_ruleset()
    answers = {"data_categories": ["names_contact", "health"], "known_vulnerabilities": True,
               "pupils_affected": 500000}
    assessment = evaluate(rs, answers, "EU", DAY)
    for lang, heading, step in (("en", "From base to final level", "base level"),
                                ("zh", "从基准等级到最终等级", "规则基准等级")):
        context = build_report_context(rs, assessment, report_id="EA-TEST", lang=lang,
                                       generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        finding = next(f for f in context["findings"] if f["rule_id"] == "known-security-weaknesses-unfixed")
        assert finding["steps_shown"] and [s["kind"] for s in finding["steps"]] == ["base", "aggravation",
                                                                                    "aggravation"]
        sources = {r["source_id"] for s in finding["steps"] for r in s["references"]}
        assert "gdpr" in sources and "pipl" not in sources  # the audit's law only; the JSON keeps all
        html = str(render_html(context))
        assert heading in html and step in html


def test_pipia_missing_for_the_pupils_age_alone_is_a_fixable_gap_not_high():
    """Verdict scale: ordinary pupil data with fixable gaps is medium; the PIPIA PIPL Art. 55 requires for
    under-14s' data is still a finding, lowered one step when no sensitive data, automated decision or
    transfer is involved."""
    rs = load_ruleset()
    ordinary = {"pupil_min_age": 6, "data_categories": ["names_contact"], "automated_outputs": ["none"],
                "hosting": "vendor_cloud_domestic", "leaves_country": "no", "impact_assessment": "not_done"}
    rule = "cn-no-pipia-before-sensitive-or-automated-processing"
    f = next(x for x in evaluate(rs, ordinary, "CN", DAY).findings if x.rule_id == rule)
    assert (f.risk_level, f.residual_risk_level, f.mitigations_applied) == ("high", "medium", ("ordinary-data-only",))
    g = next(x for x in evaluate(rs, {**ordinary, "data_categories": ["names_contact", "health"]}, "CN",
                                 DAY).findings if x.rule_id == rule)
    assert g.residual_risk_level == "high"
