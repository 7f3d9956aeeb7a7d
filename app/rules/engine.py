"""The rules engine: answers + jurisdiction + date -> findings and an overall verdict.

Pure Python: imports neither Flask nor the models, reads only the immutable :class:`RuleSet`, and is
deterministic (same inputs, same output, same order). The CLI, the web app, the tests and the
benchmarks all call :func:`evaluate`.

Risk model (design brief, "Rules"; the verdict scale in ``docs/decisions.md``): each rule carries a
base severity and likelihood on CNIL's four-level scale; ``audit_rules/risk-matrix.yaml`` maps the
pair to a risk level. Aggravating facts the answers state (``audit_rules/aggravations.yaml``) raise
severity and/or likelihood by whole steps, capped at "maximum", giving the inherent level; the
mitigations the administrator declares then lower them by whole steps (never below "negligible"),
giving the residual level. A finding with effect ``unlawful`` (no lawful basis is available) or
``prohibited`` sits at critical whatever the measures. Each finding carries its ``trace``: every step
from the base level to the final one. The verdict is ``prohibited`` if any finding with effect
``prohibited`` applies in the jurisdiction on the date, otherwise the highest residual level, or
``low`` when no rule fires.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .model import LEVEL_RANK, Aggravation, Example, LoweredExample, Rule, RuleSet
from .questionnaire import Questionnaire
from .schema import JURISDICTIONS, OVERRIDE_LEVEL, SCALE


@dataclass(frozen=True, slots=True)
class Evidence:
    """An answer that triggered a finding: question id and its typed answer (``None``: not answered).

    ``matched`` is, for a multi-choice answer, the options of it that the rule looked for (the
    reason it fired), in option order; ``None`` when the whole answer is the evidence.
    """

    question: str
    answer: Any
    matched: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"question": self.question, "answer": _json(self.answer)}
        if self.matched is not None:
            out["matched"] = list(self.matched)
        return out


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step from a finding's base level to its final level, with the values after the step.

    ``kind``: ``base`` (the rule's own severity and likelihood), ``aggravation`` (a fact that raises
    them; ``id`` and ``references`` name it), ``mitigation`` (a measure that lowers them; ``held`` when
    the finding's effect does not let a measure lower it), ``unlawful`` or ``prohibited`` (the level
    set by the effect). ``change`` is the signed number of steps on each axis, e.g. ``{"severity": 1}``.
    """

    kind: str
    severity: str
    likelihood: str
    level: str
    id: str | None = None
    change: Mapping[str, int] = field(default_factory=dict)
    references: tuple[Any, ...] = ()
    held: bool = False

    def to_dict(self) -> dict[str, Any]:
        return trace_step_dict(self)


def trace_step_dict(step: Any) -> dict[str, Any]:
    """A trace step (this module's :class:`TraceStep` or a stored one: anything with ``kind``, ``id``,
    ``change``, ``held``, ``severity``, ``likelihood``, ``level`` and ``references``) as the JSON contract
    writes it: ``step``, then ``id``, ``change`` and ``held`` when set, the values after it, ``references``."""
    out: dict[str, Any] = {"step": step.kind}
    if step.id is not None:
        out["id"] = step.id
    if step.change:
        out["change"] = dict(step.change)
    if step.held:
        out["held"] = True
    out.update(severity=step.severity, likelihood=step.likelihood, level=step.level)
    if step.references:
        out["references"] = [reference_dict(r) for r in step.references]
    return out


def reference_dict(r: Any) -> dict[str, Any]:
    """A citation (anything with ``source``, ``pinpoint`` and ``verification``) as the JSON contract writes it."""
    return {"source": r.source, "pinpoint": r.pinpoint, "verification": r.verification}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired. Levels are strings from the closed vocabularies in ``schema``.

    ``severity``/``likelihood``/``risk_level`` are inherent (the rule's base values raised by the
    aggravations that apply); ``residual_*`` are after the mitigations. ``trace`` holds every step."""

    rule_id: str
    rule_version: int
    category: str
    effect: str
    severity: str
    likelihood: str
    risk_level: str
    residual_severity: str
    residual_likelihood: str
    residual_risk_level: str
    evidence: tuple[Evidence, ...]
    mitigations_applied: tuple[str, ...]
    references: tuple[Any, ...]
    unverified: bool
    merged: tuple[str, ...] = ()
    aggravations_applied: tuple[str, ...] = ()
    trace: tuple[TraceStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "category": self.category,
            "effect": self.effect,
            "severity": self.severity,
            "likelihood": self.likelihood,
            "risk_level": self.risk_level,
            "residual_severity": self.residual_severity,
            "residual_likelihood": self.residual_likelihood,
            "residual_risk_level": self.residual_risk_level,
            "evidence": [e.to_dict() for e in self.evidence],
            "mitigations_applied": list(self.mitigations_applied),
            "references": [reference_dict(r) for r in self.references],
            "unverified": self.unverified,
            "merged": list(self.merged),
            "aggravations_applied": list(self.aggravations_applied),
            "trace": [step.to_dict() for step in self.trace],
        }


@dataclass(frozen=True, slots=True)
class Screening:
    """Result of one screening scheme: which criteria are met and whether the assessment is required."""

    scheme: str
    required: bool
    threshold: int
    criteria_met: tuple[str, ...]
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "required": self.required, "threshold": self.threshold,
                "criteria_met": list(self.criteria_met)}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result of one evaluation; ``findings`` are ordered worst first, then by rule id."""

    verdict: str
    jurisdiction: str
    as_of: dt.date
    rule_set_version: str
    rule_set_sha256: str
    findings: tuple[Finding, ...]
    answers: Mapping[str, Any] = field(repr=False, default_factory=dict)
    screening: tuple[Screening, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract documented in ``docs/json-contract.md``."""
        return {
            "verdict": self.verdict,
            "jurisdiction": self.jurisdiction,
            "as_of": self.as_of.isoformat(),
            "rule_set": {"version": self.rule_set_version, "sha256": self.rule_set_sha256},
            "screening": [s.to_dict() for s in self.screening],
            "findings": [f.to_dict() for f in self.findings],
        }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _check_inputs(jurisdiction: str, as_of: Any) -> None:
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {jurisdiction!r}: expected one of {', '.join(JURISDICTIONS)}")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValueError(f"as_of must be a datetime.date, got {as_of!r}")


def fire(rule: Rule, answers: Mapping[str, Any], jurisdiction: str, as_of: dt.date) -> bool:
    """Whether ``rule`` applies on the date in the jurisdiction and its condition holds.

    ``answers`` are the effective typed answers (see :meth:`Questionnaire.effective_answers`).
    """
    return rule.applies(jurisdiction, as_of) and rule.holds(answers)


def active_aggravations(ruleset: RuleSet, answers: Mapping[str, Any], jurisdiction: str,
                        as_of: dt.date) -> tuple[Aggravation, ...]:
    """The aggravations in force in ``jurisdiction`` on ``as_of`` whose fact holds for ``answers``
    (effective typed answers), in the rule set's order. Which findings each raises is its ``covers``."""
    return tuple(agg for agg in ruleset.aggravations if agg.in_force(jurisdiction, as_of) and agg.when(answers))


def _assess(ruleset: RuleSet, rule: Rule, answers: Mapping[str, Any], jurisdiction: str, as_of: dt.date,
            trace: list[TraceStep] | None, active: tuple[Aggravation, ...] | None = None,
            ) -> tuple[tuple[int, int], tuple[int, int], str, list[str], list[str]]:
    """A fired rule's levels: (inherent (severity, likelihood) indices, residual ones, residual risk
    level, aggravation ids applied, mitigation ids applied). Appends the trace steps to ``trace``
    unless it is ``None`` (the same arithmetic either way). ``active``: :func:`active_aggravations`
    for these answers, jurisdiction and date when the caller has them (one evaluation reads them
    once for all its findings); ``None`` works them out."""
    top = len(SCALE) - 1
    fixed = OVERRIDE_LEVEL.get(rule.effect)
    sev, lik = rule.severity, rule.likelihood

    def step(kind: str, **kw: Any) -> None:
        if trace is not None:
            trace.append(TraceStep(kind, SCALE[sev], SCALE[lik], ruleset.matrix.level(sev, lik), **kw))

    if trace is not None:
        trace.append(_plain_step("base", sev, lik, ruleset.matrix.level(sev, lik)))
    raised = []
    if fixed is None and active is None:
        active = active_aggravations(ruleset, answers, jurisdiction, as_of)
    for agg in active if fixed is None else ():
        if agg.covers(rule.category, rule.effect):
            raised.append(agg.id)
            up_s, up_l = min(agg.raise_severity, top - sev), min(agg.raise_likelihood, top - lik)
            sev, lik = sev + up_s, lik + up_l
            step("aggravation", id=agg.id, references=agg.references,
                 change={k: v for k, v in (("severity", up_s), ("likelihood", up_l)) if v})
    inherent = (sev, lik)
    applied = []
    for m in rule.mitigations:
        if m.when(answers):
            applied.append(m.id)
            if fixed is not None:
                # A ban or a missing lawful basis is not mitigated away; measures are still listed,
                # and only a different design (one the rule's condition no longer matches) lifts it.
                step("mitigation", id=m.id, held=True, references=m.references)
                continue
            down_s, down_l = min(m.lower_severity, sev), min(m.lower_likelihood, lik)
            sev, lik = sev - down_s, lik - down_l
            step("mitigation", id=m.id, references=m.references,
                 change={k: -v for k, v in (("severity", down_s), ("likelihood", down_l)) if v})
    level = ruleset.matrix.level(sev, lik)
    if fixed is not None:
        if trace is not None:
            trace.append(_plain_step(rule.effect, sev, lik, fixed))
        level = fixed
    return inherent, (sev, lik), level, raised, applied


@functools.lru_cache(maxsize=256)
def _plain_step(kind: str, severity: int, likelihood: int, level: str) -> TraceStep:
    """A trace step with values only (the base step, the level an effect sets): the same immutable step
    for the same values, made once."""
    return TraceStep(kind, SCALE[severity], SCALE[likelihood], level)


def _finding(ruleset: RuleSet, rule: Rule, answers: Mapping[str, Any], jurisdiction: str,
             as_of: dt.date, active: tuple[Aggravation, ...] | None = None,
             made: dict[tuple[str, Any], Evidence] | None = None) -> Finding:
    trace: list[TraceStep] = []
    inherent, (sev, lik), level, raised, applied = _assess(ruleset, rule, answers, jurisdiction, as_of, trace,
                                                           active)
    fixed = OVERRIDE_LEVEL.get(rule.effect)
    evidence = _evidence(rule.when.evidence(answers, holds=True), answers, made)  # a finding's rule fired
    return Finding(
        rule_id=rule.id, rule_version=rule.version, category=rule.category, effect=rule.effect,
        severity=SCALE[inherent[0]], likelihood=SCALE[inherent[1]],
        risk_level=fixed or ruleset.matrix.level(*inherent),
        residual_severity=SCALE[sev], residual_likelihood=SCALE[lik], residual_risk_level=level,
        evidence=evidence, mitigations_applied=tuple(applied), references=rule.references,
        unverified=rule.unverified,
        aggravations_applied=tuple(raised), trace=tuple(trace),
    )


def screen(ruleset: RuleSet, answers: Mapping[str, Any], jurisdiction: str,
           as_of: dt.date | None = None) -> tuple[Screening, ...]:
    """Screening (PIPL Art. 55; GDPR Art. 35 with WP248): is a full impact assessment required?

    ``answers`` are effective typed answers. Returns one :class:`Screening` per scheme in force in
    ``jurisdiction`` on ``as_of`` (none where the rule set has no statutory scheme then and there).
    """
    out = []
    for scheme in ruleset.screening:
        if jurisdiction not in scheme.jurisdictions:
            continue
        if as_of is not None and scheme.effective_from is not None and as_of < scheme.effective_from:
            continue
        met = scheme.criteria_met(answers)
        evidence = _evidence(tuple(leaf for c in met for leaf in c.when.evidence(answers, holds=True)), answers)
        out.append(Screening(scheme.id, len(met) >= scheme.threshold, scheme.threshold,
                             tuple(c.id for c in met), evidence))
    return tuple(out)


_INCLUDES = frozenset({"includes", "includes_any", "includes_all"})
_FIRST: Any = object()


def _evidence(leaves: tuple[Any, ...], answers: Mapping[str, Any],
              made: dict[tuple[str, Any], Evidence] | None = None) -> tuple[Evidence, ...]:
    """One :class:`Evidence` per question, in first-seen order; multi-choice answers narrowed to the
    options the rule's comparisons looked for and found. ``made``: the evidence already made for the
    same ``answers`` (one evaluation's), by (question, options matched), reused and added to."""
    wanted: dict[str, set[str] | None] = {}  # question id -> options looked for and found; None: whole answer
    for leaf in leaves:
        q, op = leaf.question, leaf.op
        found = wanted.get(q, _FIRST)
        if found is None:
            continue
        answer = answers.get(q)
        if op not in _INCLUDES or not isinstance(answer, tuple):
            wanted[q] = None
            continue
        if found is _FIRST:
            found = wanted[q] = set()
        if op == "includes":
            if leaf.value in answer:
                found.add(leaf.value)
        else:
            for x in leaf.value:
                if x in answer:
                    found.add(x)
    out = []
    for q, hits in wanted.items():
        answer = answers.get(q)
        matched = tuple([x for x in answer if x in hits]) if hits and isinstance(answer, tuple) else None
        if made is None:
            out.append(Evidence(q, answer, matched))
            continue
        evidence = made.get((q, matched))
        if evidence is None:
            evidence = made[(q, matched)] = Evidence(q, answer, matched)
        out.append(evidence)
    return tuple(out)


def _absorbed(fired: list[Rule]) -> tuple[dict[str, list[str]], set[str]]:
    """(overriding rule id -> ids of the fired rules it overrides, ids folded into another finding)."""
    ids = {r.id for r in fired}
    absorbed: dict[str, list[str]] = {}
    for rule in fired:
        for other in rule.overrides:
            if other in ids:
                absorbed.setdefault(rule.id, []).append(other)
    return absorbed, {x for xs in absorbed.values() for x in xs} - set(absorbed)


def _merge_overridden(fired: list[Rule], findings: list[Finding]) -> list[Finding]:
    """Fold a finding into the one whose rule ``overrides`` it (a jurisdiction's own rule on the same
    fact as a core rule), so a report states each fact once. The overriding finding lists the rule
    ids it absorbed in ``merged``."""
    absorbed, gone = _absorbed(fired)
    out = []
    for f in findings:
        if f.rule_id in gone:
            continue
        merged = tuple(x for x in absorbed.get(f.rule_id, ()) if x in gone)
        out.append(replace(f, merged=merged) if merged else f)
    return out


def categories_covered(ruleset: RuleSet, findings: tuple[Finding, ...] | list[Finding]) -> set[str]:
    """The risk categories ``findings`` speak to: each finding's primary category, the rule's
    ``also_categories``, and the same for every rule folded into a finding (``merged``), since a
    finding stated once for two rules still covers what both are about. Returns category ids."""
    rule_ids = [f.rule_id for f in findings] + [m for f in findings for m in f.merged]
    out = {f.category for f in findings}
    for rule_id in rule_ids:
        rule = ruleset.rule(rule_id)
        out.add(rule.category)
        out.update(rule.also_categories)
    return out


def headline_level(effect: str, residual_risk_level: str) -> str:
    """The level a finding is reported and counted at: ``prohibited`` for a prohibition, else its
    residual risk level (after the mitigations the answers confirm). The verdict is the worst of them."""
    return "prohibited" if effect == "prohibited" else residual_risk_level


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """The worst :func:`headline_level` of ``findings`` (``prohibited`` above critical), else ``low``."""
    return max((headline_level(f.effect, f.residual_risk_level) for f in findings), key=LEVEL_RANK.__getitem__,
               default="low")


def evaluate(ruleset: RuleSet, answers: Mapping[str, Any], jurisdiction: str, as_of: dt.date) -> Assessment:
    """Evaluate ``answers`` (question id -> value, raw or typed) in ``jurisdiction`` on ``as_of``.

    Raises :class:`app.rules.questionnaire.AnswersInvalid` if any answer is unknown or ill-typed,
    and ``ValueError`` for an unknown jurisdiction or a non-date ``as_of``. Missing answers are
    allowed: rules treat them as "not confirmed" (see :mod:`app.rules.conditions`).
    """
    effective, fired = _fired(ruleset, answers, jurisdiction, as_of)
    active = active_aggravations(ruleset, effective, jurisdiction, as_of)
    made: dict[tuple[str, Any], Evidence] = {}
    findings = [_finding(ruleset, r, effective, jurisdiction, as_of, active, made) for r in fired]
    verdict = verdict_of(findings)  # over every finding, merged ones included: merging never lowers it
    findings = _merge_overridden(fired, findings)
    findings.sort(key=lambda f: (f.effect != "prohibited", -LEVEL_RANK[f.residual_risk_level],
                                 -LEVEL_RANK[f.risk_level], f.rule_id))
    return Assessment(verdict=verdict, jurisdiction=jurisdiction, as_of=as_of,
                      rule_set_version=ruleset.version, rule_set_sha256=ruleset.sha256,
                      findings=tuple(findings), answers=effective,
                      screening=screen(ruleset, effective, jurisdiction, as_of))


def _fired(ruleset: RuleSet, answers: Mapping[str, Any], jurisdiction: str,
           as_of: dt.date) -> tuple[Mapping[str, Any], list[Rule]]:
    _check_inputs(jurisdiction, as_of)
    qn: Questionnaire = ruleset.questionnaire
    typed = qn.validate_answers(answers)
    # The jurisdiction under evaluation is also the answer to the jurisdiction question, so a
    # counterfactual run (a CN deployment evaluated under EU law) asks the EU questions.
    typed["jurisdiction"] = jurisdiction
    effective = qn.effective_answers(typed)
    return effective, [r for r in ruleset.rules_for(jurisdiction) if r.applies(jurisdiction, as_of)
                       and r.holds(effective)]


def outcome(ruleset: RuleSet, answers: Mapping[str, Any], jurisdiction: str,
            as_of: dt.date) -> tuple[str, dict[str, str]]:
    """What :func:`evaluate` concludes, without the report: (verdict, rule id -> residual risk level
    of every finding it lists, i.e. after folding overridden ones). No trace, evidence, references,
    screening or sorting is built. Raises as :func:`evaluate` does."""
    effective, fired = _fired(ruleset, answers, jurisdiction, as_of)
    active = active_aggravations(ruleset, effective, jurisdiction, as_of)
    levels = {r.id: _assess(ruleset, r, effective, jurisdiction, as_of, None, active)[2] for r in fired}
    verdict = max((headline_level(r.effect, levels[r.id]) for r in fired), key=LEVEL_RANK.__getitem__,
                  default="low")
    gone = _absorbed(fired)[1]
    return verdict, {rid: level for rid, level in levels.items() if rid not in gone}


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    rule_id: str
    path: str
    kind: str  # "fire" or "silent" (a rule's); "apply" or "not_apply" (an aggravation's)
    index: int
    message: str
    where: tuple[str | int, ...] = ()  # keys inside the file before ("examples", kind, index), if any

    def __str__(self) -> str:
        owner = "rule" if self.kind in ("fire", "silent") else "aggravation"
        return f"{self.path} [{owner} {self.rule_id}] examples.{self.kind}[{self.index}]: {self.message}"


def example_fires(ruleset: RuleSet, rule: Rule, example: Any) -> bool:
    """Whether ``rule`` fires on one of its examples, read the way :func:`evaluate` reads answers
    (the example's jurisdiction is also the answer to the jurisdiction question)."""
    return fire(rule, _example_answers(ruleset, example), example.jurisdiction, example.as_of)


def _example_answers(ruleset: RuleSet, example: Example) -> Mapping[str, Any]:
    return ruleset.questionnaire.effective_answers({**example.answers, "jurisdiction": example.jurisdiction})


def aggravation_applies(ruleset: RuleSet, aggravation: Aggravation, example: Example) -> bool:
    """Whether ``aggravation`` is in force and its fact holds on one of its examples (read as
    :func:`evaluate` reads answers); which findings it then raises is its ``applies_to``."""
    return aggravation.in_force(example.jurisdiction, example.as_of) and \
        aggravation.when(_example_answers(ruleset, example))


def lowered_example_problem(ruleset: RuleSet, rule: Rule, example: LoweredExample) -> str | None:
    """Why one of ``rule``'s ``lowered`` examples fails, or ``None`` when it holds: without the measure
    the rule fires with no measure applied (residual level = inherent level); with it the rule still
    fires, the example's mitigation is applied, the inherent level is the same and the residual level
    is lower."""
    base = example.without
    where = f"({base.jurisdiction}, {base.as_of.isoformat()})"
    levels = []
    for ex in (base, example.with_measure):
        answers = _example_answers(ruleset, ex)
        if not fire(rule, answers, ex.jurisdiction, ex.as_of):
            return f"did not fire {'with' if levels else 'without'} the measure {where}"
        levels.append(_finding(ruleset, rule, answers, ex.jurisdiction, ex.as_of))
    bare, mitigated = levels
    if bare.mitigations_applied:
        return f"without the measure, measures already apply: {', '.join(bare.mitigations_applied)} {where}"
    if example.mitigation not in mitigated.mitigations_applied:
        return f"the measure '{example.mitigation}' did not apply {where}"
    if mitigated.risk_level != bare.risk_level:
        return f"the measure's answers changed the inherent level ({bare.risk_level} -> {mitigated.risk_level}) {where}"
    if LEVEL_RANK[mitigated.residual_risk_level] >= LEVEL_RANK[bare.residual_risk_level]:
        return (f"the residual level is not lower with the measure ({bare.residual_risk_level} -> "
                f"{mitigated.residual_risk_level}) {where}")
    return None


def run_examples(ruleset: RuleSet) -> list[ExampleFailure]:
    """Run every rule's own examples (``fire`` ones must fire, ``silent`` ones must not, ``lowered``
    ones show a measure lowering the residual level, see :func:`lowered_example_problem`) and every
    aggravation's (``apply`` ones must apply, ``not_apply`` ones must not)."""
    failures: list[ExampleFailure] = []
    for rule in ruleset.rules:
        for i, lowered in enumerate(rule.lowered_examples):
            problem = lowered_example_problem(ruleset, rule, lowered)
            if problem:
                failures.append(ExampleFailure(rule.id, rule.path, "lowered", i, problem))
        for kind, examples in (("fire", rule.fire_examples), ("silent", rule.silent_examples)):
            for i, ex in enumerate(examples):
                fired = example_fires(ruleset, rule, ex)
                if fired != (kind == "fire"):
                    verb = "did not fire" if kind == "fire" else "fired"
                    failures.append(ExampleFailure(rule.id, rule.path, kind, i,
                                                   f"{verb} ({ex.jurisdiction}, {ex.as_of.isoformat()})"))
    path = str(Path(ruleset.root).name) + "/aggravations.yaml"
    for n, agg in enumerate(ruleset.aggravations):
        for kind, examples in (("apply", agg.apply_examples), ("not_apply", agg.not_apply_examples)):
            for i, ex in enumerate(examples):
                if aggravation_applies(ruleset, agg, ex) != (kind == "apply"):
                    verb = "did not apply" if kind == "apply" else "applied"
                    failures.append(ExampleFailure(agg.id, path, kind, i,
                                                   f"{verb} ({ex.jurisdiction}, {ex.as_of.isoformat()})",
                                                   where=("aggravations", n)))
    return failures
