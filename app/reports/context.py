"""Build the report's plain-data context from an evaluation (no ORM objects, no Flask).

The same dict feeds the web page and the PDF (``templates/reports/report.html``). Every text is in
``lang`` ("en" or "zh"): rule, question and source texts come from the rule set; the report's own
words are in :mod:`app.reports.texts`; sentences built from the answers in :mod:`app.reports.prose`;
the charts are SVG drawn by :mod:`app.reports.charts` from numbers (the one kind of value here that
is markup, typed as ``Markup``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ..rules.engine import Assessment, Evidence, Finding, headline_level
from ..rules.model import Reference, RuleSet, ScreeningCriterion
from ..rules.questionnaire import UNKNOWN, Questionnaire
from ..rules.schema import RISK_LEVELS, SCALE
from ..timefmt import format_utc
from . import charts, prose
from .texts import (
    CATEGORY_LABELS,
    EFFECT_LABELS,
    HEADINGS,
    JURISDICTION_PHRASES,
    LANGS,
    LEVEL_LABELS,
    LEVEL_LETTERS,
    LEVEL_METER,
    LIKELIHOOD_SCALE,
    OBLIGATION_MARKS,
    SCALE_LABELS,
    SEVERITY_SCALE,
    STATUS_LABELS,
    VERDICT_EXPLANATION,
)

__all__ = ["LANGS", "LEVEL_LABELS", "LEVEL_METER", "build_report_context", "level_badge", "short_action"]

LEVELS_DESC = ("prohibited", *reversed(RISK_LEVELS))
"""Headline levels from most to least serious."""
ACTION_LEVELS = frozenset(("prohibited", "critical", "high", "medium"))
"""Findings at these headline levels get a row in the action plan."""
TOP_ACTIONS = 5
CITED_BY_TITLE = frozenset(("law", "regulation"))
"""Source kinds cited by title inside a finding; others (decisions, guidance, reports) by issuer."""
TOC_LIMIT = {"en": 92, "zh": 40}
"""Characters of a finding title shown in the table of contents (one line with its page number)."""
ACTION_LIMIT = {"en": 190, "zh": 80}
"""Characters after which an action is cut to its first clause (the finding keeps the full text)."""
_ABBREVIATIONS = frozenset(("e.g", "i.e", "art", "arts", "no", "cf", "para", "p", "pp", "vs", "etc", "sec"))


def level_badge(level: str, lang: str) -> dict[str, str]:
    """A level or verdict as pages and the report show it: ``id``, ``label`` in ``lang``, ``meter`` (■■□□)."""
    return {"id": level, "label": LEVEL_LABELS[level][lang], "meter": LEVEL_METER[level]}


def _scale(value: str, lang: str) -> dict[str, str]:
    return {"id": value, "label": SCALE_LABELS[value][lang]}


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:  # a partial date ("2019-09") cannot be compared day by day; show it, do not judge it
        return None


def _option_label(questionnaire: Questionnaire, question_id: str, option_id: str | None, lang: str) -> str:
    question = questionnaire.questions.get(question_id)
    option = question.option(option_id) if question is not None and option_id is not None else None
    return option.label[lang] if option is not None else (option_id or "")


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:，；") + "…"


def short_action(text: str, lang: str) -> str:
    """The first step of a recommendation, for tables: its first sentence, and if that is still long,
    its first clause (up to a semicolon); a hard cut with "…" only as a last resort."""
    limit = ACTION_LIMIT[lang]
    if lang == "zh":
        head = text.split("。", 1)[0]
        if len(head) > limit and "；" in head:
            head = head.split("；", 1)[0]
        if len(head) > limit * 1.3:
            return head[:limit] + "…"
        return head + "。"
    head = text
    for match in re.finditer(r"([.!?])\s+(?=[A-Z\"“(])", text):
        word = text[:match.start()].rsplit(" ", 1)[-1].lower()
        if word.rstrip(".") not in _ABBREVIATIONS:
            head = text[:match.start() + 1]
            break
    if len(head) > limit and "; " in head:
        first = head.split("; ", 1)[0]
        if len(first) >= limit // 4:
            head = first + "."
    if len(head) > limit * 1.3:
        head = head[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return head


class _Bibliography:
    """Numbers sources in order of first citation and judges each against the audit's jurisdiction
    and date."""

    def __init__(self, ruleset: RuleSet, lang: str, jurisdiction: str, as_of: dt.date) -> None:
        self.ruleset, self.lang, self.jurisdiction, self.as_of = ruleset, lang, jurisdiction, as_of
        self.numbers: dict[str, int] = {}

    def not_in_force(self, source_id: str) -> str | None:
        """A mark for a source that postdates the audit date: "not yet in force on <date>" when it takes
        effect later, "published after <date>" when it has no effective date but was issued later
        (a statement, decision or report the school could not have known of then); else None."""
        source = self.ruleset.sources[source_id]
        effective, published = _parse_date(source.effective), _parse_date(source.date)
        if effective is not None and effective > self.as_of:
            return HEADINGS[self.lang]["not_in_force"].format(date=self.as_of.isoformat())
        if effective is None and published is not None and published > self.as_of:
            return HEADINGS[self.lang]["published_after"].format(date=self.as_of.isoformat())
        return None

    def local(self, source_id: str) -> bool:
        """Whether a source belongs to the audit's jurisdiction (or is international)."""
        return self.ruleset.sources[source_id].jurisdiction in (self.jurisdiction, "INT", None)

    def cite(self, ref: Reference) -> dict[str, Any]:
        source = self.ruleset.sources[ref.source]
        number = self.numbers.setdefault(ref.source, len(self.numbers) + 1)
        return {
            "number": number,
            "source_id": ref.source,
            "title": source.title[self.lang],
            "issuer": source.issuer[self.lang],
            # in a finding, a law is named by its title, anything else by who issued it (full entry
            # in the bibliography)
            "label": source.title[self.lang] if source.kind in CITED_BY_TITLE else source.issuer[self.lang],
            "jurisdiction": source.jurisdiction,
            "pinpoint": ref.pinpoint_in(self.lang),
            "url": source.url,
            "verification": ref.verification,
            "unverified": ref.unverified,
            "note": ref.note_in(self.lang),
            "not_in_force": self.not_in_force(ref.source),
        }

    def entries(self) -> list[dict[str, Any]]:
        out = []
        for source_id, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
            s = self.ruleset.sources[source_id]
            out.append({
                "number": number, "source_id": source_id, "title": s.title[self.lang],
                "issuer": s.issuer[self.lang], "kind": s.kind, "jurisdiction": s.jurisdiction, "date": s.date,
                "effective": s.effective, "not_in_force": self.not_in_force(source_id),
                "document_number": s.number, "url": s.url,
                "verification": s.verification, "unverified": s.unverified, "note": s.note_in(self.lang),
            })
        return out


def _shown(ev: Evidence) -> Any:
    return ev.matched if ev.matched is not None else ev.answer


def _finding(ruleset: RuleSet, finding: Finding, number: int, lang: str, bib: _Bibliography) -> dict[str, Any]:
    rule = ruleset.rule(finding.rule_id)
    qn = ruleset.questionnaire
    labels = {m.id: m.label[lang] for m in rule.mitigations}
    measure_refs = {m.id: [bib.cite(r) for r in m.references if bib.local(r.source)] for m in rule.mitigations
                    if m.id in finding.mitigations_applied}
    evidence = []
    for ev in finding.evidence:
        question = qn.questions.get(ev.question)
        if question is None:
            continue
        evidence.append({"question_id": question.id, "question": question.label[lang],
                         "answer": qn.display(question, _shown(ev), lang), "answered": ev.answer is not None,
                         "unknown": ev.answer is None or ev.answer == UNKNOWN})
    local = [r for r in finding.references if bib.local(r.source)]
    elsewhere = [r for r in finding.references if not bib.local(r.source)]
    references = [bib.cite(r) for r in local]
    comparable = [bib.cite(r) for r in elsewhere]
    inherent = {"severity": _scale(finding.severity, lang), "likelihood": _scale(finding.likelihood, lang),
                "level": level_badge(finding.risk_level, lang)}
    residual = {"severity": _scale(finding.residual_severity, lang),
                "likelihood": _scale(finding.residual_likelihood, lang),
                "level": level_badge(finding.residual_risk_level, lang)}
    inherent["text"] = _pair_text(finding.severity, finding.likelihood, lang)
    residual["text"] = _pair_text(finding.residual_severity, finding.residual_likelihood, lang)
    return {
        "steps": _steps(ruleset, finding, lang, bib, labels),
        # printed when a step goes beyond what the header line says (inherent → residual after the
        # measures listed): an aggravation, or a level fixed by the effect
        "steps_shown": any(s.kind != "mitigation" and s.kind != "base" for s in finding.trace),
        "number": number,
        "anchor": f"finding-{finding.rule_id}",
        "rule_id": finding.rule_id,
        "rule_version": finding.rule_version,
        "title": rule.title[lang],
        "toc_title": _clip(rule.title[lang], TOC_LIMIT[lang]),
        "rationale": rule.rationale[lang],
        "recommendation": rule.recommendation[lang],
        "action": short_action(rule.recommendation[lang], lang),
        "category": {"id": rule.category, "label": CATEGORY_LABELS[rule.category][lang]},
        "also_categories": [{"id": c, "label": CATEGORY_LABELS[c][lang]} for c in rule.also_categories],
        "effect": {"id": finding.effect, "label": EFFECT_LABELS[finding.effect][lang]},
        "inherent": inherent,
        "residual": residual,
        "headline_level": level_badge(headline_level(finding.effect, finding.residual_risk_level),
                                 lang),
        # each measure with where the audit's own law names it (numbered in the bibliography)
        "mitigations": [{"label": labels.get(m, m), "references": measure_refs.get(m, [])}
                        for m in finding.mitigations_applied],
        # a risk no measure can lower (``mitigations: none``): why, and where the audit's law says so
        "no_mitigation": None if rule.no_mitigation is None else {
            "reason": rule.no_mitigation.reason[lang],
            "references": [bib.cite(r) for r in rule.no_mitigation.references if bib.local(r.source)]},
        # core rules on the same fact that this jurisdiction's rule overrides: stated once, here
        "merged": [{"rule_id": rid, "title": ruleset.rule(rid).title[lang]} for rid in finding.merged],
        "evidence": evidence,
        "references": references,
        "elsewhere": comparable,
        "legal_review": rule.legal_review[lang] if rule.legal_review else None,
        "effective_note": rule.effective_note_in(lang),
        "unverified": finding.unverified,
    }


def _pair_text(severity: str, likelihood: str, lang: str) -> str:
    """"significant severity × maximum likelihood" (lower-case scale words in English)."""
    sev, lik = _scale(severity, lang)["label"], _scale(likelihood, lang)["label"]
    if lang == "en":
        sev, lik = sev.lower(), lik.lower()
    return HEADINGS[lang]["risk_pair"].format(severity=sev, likelihood=lik)


def _citations(finding: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every citation a printed finding carries: its legal basis, comparable decisions elsewhere, its
    steps' and its measures' references."""
    return [*finding["references"], *finding["elsewhere"], *(c for s in finding["steps"] for c in s["references"]),
            *(c for m in finding["mitigations"] for c in m["references"])]


def _steps(ruleset: RuleSet, finding: Finding, lang: str, bib: _Bibliography,
           mitigation_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The finding's trace as printable steps: what each step is, its change, and severity,
    likelihood and level after it; an aggravation's references of the audit's jurisdiction are numbered in
    the bibliography (the JSON trace keeps all of them).
    Empty for a finding with no trace (a stored result from before traces were kept)."""
    t = HEADINGS[lang]
    aggravations = {a.id: a for a in ruleset.aggravations}
    out = []
    for step in finding.trace:
        if step.kind == "aggravation":
            agg = aggravations.get(step.id)
            what = agg.label[lang] if agg else step.id
        elif step.kind == "mitigation":
            what = mitigation_labels.get(step.id, step.id)
        else:
            what = t[f"step_{step.kind}"]
        change = t["enum"].join(t[f"step_{axis}"].format(n=f"{n:+d}") for axis, n in step.change.items())
        if step.held:
            change = t["step_held"]
        out.append({"kind": step.kind, "id": step.id, "what": what, "change": change,
                    "pair": _pair_text(step.severity, step.likelihood, lang),
                    "level": level_badge(step.level, lang),
                    # an aggravation cites the law of the audit's jurisdiction (and international texts)
                    "references": [bib.cite(r) for r in step.references if bib.local(r.source)]})
    return out


def _criterion_answers(qn: Questionnaire, criterion: ScreeningCriterion, answers: Mapping[str, Any],
                       evidence: Mapping[str, Evidence], lang: str) -> list[dict[str, str]]:
    """The answers behind one screening criterion: the scheme's evidence (multi-choice answers
    already narrowed by the engine) narrowed again to the options this criterion looked for."""
    looked: dict[str, set[str] | None] = {}
    for leaf in criterion.when.evidence(answers):
        wanted = {leaf.value} if leaf.op == "includes" else (
            set(leaf.value) if leaf.op in ("includes_any", "includes_all") else None)
        if leaf.question not in looked:
            looked[leaf.question] = wanted
        elif looked[leaf.question] is not None and wanted is not None:
            looked[leaf.question] |= wanted
        else:
            looked[leaf.question] = None
    out = []
    for qid, wanted in looked.items():
        question = qn.questions.get(qid)
        if question is None:
            continue
        ev = evidence.get(qid)
        value = _shown(ev) if ev is not None else answers.get(qid)
        if wanted is not None and isinstance(value, tuple):
            value = tuple(v for v in value if v in wanted) or value
        out.append({"question": question.label[lang], "answer": qn.display(question, value, lang)})
    return out


def _group_by_source(refs: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Citations of the same source merged into one, pinpoints joined ("Art. 55; Art. 56")."""
    out: dict[str, dict[str, Any]] = {}
    for r in refs:
        if r["source_id"] in out:
            merged = out[r["source_id"]]
            merged["pinpoint"] += "；" if lang == "zh" else "; "
            merged["pinpoint"] += r["pinpoint"]
            merged["unverified"] = merged["unverified"] or r["unverified"]
        else:
            out[r["source_id"]] = dict(r)
    return list(out.values())


def _screening(ruleset: RuleSet, assessment: Assessment, lang: str, bib: _Bibliography) -> dict[str, Any]:
    """Screening per scheme of the jurisdiction: the engine's result for each scheme in force on the
    audit date; for a scheme that takes effect later, what it would find (marked not yet in force);
    for a jurisdiction without a scheme in the rule set, a note that one is still advisable."""
    t = HEADINGS[lang]
    qn = ruleset.questionnaire
    answers = assessment.answers
    as_of = assessment.as_of.isoformat()
    results = {r.scheme: r for r in assessment.screening}
    out = []
    for scheme in ruleset.screening:
        if assessment.jurisdiction not in scheme.jurisdictions:
            continue
        result = results.get(scheme.id)
        if result is not None:
            met_ids, evidence = set(result.criteria_met), {e.question: e for e in result.evidence}
        elif scheme.effective_from is not None and assessment.as_of < scheme.effective_from:
            met_ids, evidence = {c.id for c in scheme.criteria_met(answers)}, {}
        else:  # pragma: no cover - the engine screens every scheme in force
            continue
        required = len(met_ids) >= scheme.threshold
        criteria = [{"id": c.id, "label": c.label[lang], "pinpoint": c.pinpoint_in(lang), "met": c.id in met_ids,
                     "answers": _criterion_answers(qn, c, answers, evidence, lang) if c.id in met_ids else []}
                    for c in scheme.criteria]
        references = _group_by_source([bib.cite(r) for r in scheme.references], lang)
        if result is None:
            status = "not_in_force"
            label = t["screening_not_in_force"].format(date=as_of, start=scheme.effective_from.isoformat())
            text = t["screening_not_in_force_text"].format(
                date=as_of, start=scheme.effective_from.isoformat(),
                outcome=t["screening_would_be_required" if required else "screening_would_not_be_required"])
        elif required:
            status, label, text = "required", t["screening_required"], scheme.required_text[lang]
        else:
            status, label, text = "not_required", t["screening_not_required"], scheme.not_required_text[lang]
        out.append({
            "id": scheme.id, "title": scheme.title[lang], "required": result is not None and required,
            "status": status, "status_label": label, "text": text,
            "count": t["screening_count"].format(met=len(met_ids), total=len(scheme.criteria),
                                                 threshold=scheme.threshold),
            "criteria": criteria, "references": references,
        })
    where = JURISDICTION_PHRASES[assessment.jurisdiction][lang]
    return {"schemes": out, "none": None if out else t["no_scheme"].format(jurisdiction=where)}


def _unknown(value: Any) -> bool:
    return value is None or value == UNKNOWN or (isinstance(value, tuple) and UNKNOWN in value)


def _obligations(ruleset: RuleSet, assessment: Assessment, findings: list[dict[str, Any]], lang: str,
                 bib: _Bibliography) -> dict[str, Any]:
    """The frameworks' required contents for the jurisdiction, each met / not met / unknown.

    Not met: a rule mapped to the requirement fired. Unknown: a mapped question that is asked is
    unanswered or "not known". Met: otherwise. For a framework whose law is not yet in force on the
    audit date its rules cannot fire, so they are tested as they will apply once it is (the
    requirement lists them as rules that will apply). Findings with effect ``obligation`` are listed
    apart.
    """
    t = HEADINGS[lang]
    qn = ruleset.questionnaire
    answers = assessment.answers
    by_rule = {f["rule_id"]: f for f in findings}
    statuses = {"met": t["status_met"], "not_met": t["status_not_met"], "unknown": t["status_unknown"]}
    frameworks = []
    for fw in ruleset.frameworks:
        if assessment.jurisdiction not in fw.jurisdictions:
            continue
        pending = bib.not_in_force(fw.source) is not None
        rows = []
        for req in fw.requirements:
            fired = sorted((by_rule[r] for r in req.rules if r in by_rule), key=lambda f: f["number"])
            later = []
            if pending:
                later = [ruleset.rule(r) for r in req.rules if r not in by_rule]
                later = [r for r in later if assessment.jurisdiction in r.jurisdictions and r.holds(answers)]
            open_questions = [qn.questions[q].label[lang] for q in req.questions
                              if q in qn.questions and qn.is_visible(qn.questions[q], answers)
                              and _unknown(answers.get(q))]
            status = "not_met" if fired or later else "unknown" if open_questions else "met"
            rows.append({
                "id": req.id, "pinpoint": req.pinpoint_in(lang), "text": req.text[lang],
                "status": {"id": status, "label": statuses[status], "mark": OBLIGATION_MARKS[status]},
                "findings": [{"number": f["number"], "anchor": f["anchor"], "title": f["title"]} for f in fired],
                "later_rules": [{"rule_id": r.id, "title": r.title[lang]} for r in later],
                "open_questions": open_questions,
            })
        frameworks.append({
            "id": fw.id, "title": fw.title[lang], "requirements": rows,
            "not_in_force": t["framework_not_in_force"].format(date=assessment.as_of.isoformat()) if pending else None,
            "counts": Counter(r["status"]["id"] for r in rows),
        })
    obligation_findings = [{
        "number": f["number"], "anchor": f["anchor"], "title": f["title"], "level": f["headline_level"],
        "pinpoints": [f"[{r['number']}] {r['pinpoint']}" for r in f["references"]],
    } for f in findings if f["effect"]["id"] == "obligation"]
    total = sum(len(fw["requirements"]) for fw in frameworks)
    not_met = sum(fw["counts"]["not_met"] for fw in frameworks)
    unknown = sum(fw["counts"]["unknown"] for fw in frameworks)
    for fw in frameworks:
        fw["counts"] = dict(fw["counts"])
    summary = None
    if frameworks:
        summary = t["summary_obligations_line"].format(total=total, not_met=not_met, unknown=unknown,
                                                     met=total - not_met - unknown)
        pending = [fw["not_in_force"] for fw in frameworks if fw["not_in_force"]]
        if pending:
            summary += " " + t["obligations_pending"].format(date=assessment.as_of.isoformat())
    return {
        "frameworks": frameworks,
        "none": None if frameworks else t["no_framework"].format(
            jurisdiction=JURISDICTION_PHRASES[assessment.jurisdiction][lang]),
        "findings": obligation_findings,
        "summary": summary,
    }


def _top_actions(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recommendations that would lower the verdict most: those of the most serious findings
    (findings are already ordered prohibited first, then by residual and inherent level), one entry
    per distinct recommendation, at most :data:`TOP_ACTIONS`; low findings never lower a verdict."""
    actions: list[dict[str, Any]] = []
    by_text: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f["headline_level"]["id"] == "low":
            continue
        ref = {"number": f["number"], "anchor": f["anchor"], "title": f["title"]}
        if f["recommendation"] in by_text:
            by_text[f["recommendation"]]["findings"].append(ref)
            continue
        if len(actions) == TOP_ACTIONS:
            continue
        entry = {"number": len(actions) + 1, "text": f["recommendation"], "action": f["action"],
                 "level": f["headline_level"], "findings": [ref]}
        by_text[f["recommendation"]] = entry
        actions.append(entry)
    return actions


def _risk_map(ruleset: RuleSet, findings: tuple[Finding, ...], lang: str,
              findings_ctx: list[dict[str, Any]]) -> dict[str, Any]:
    t = HEADINGS[lang]
    index = {v: i for i, v in enumerate(SCALE)}
    inherent = Counter((index[f.severity], index[f.likelihood]) for f in findings)
    residual = Counter((index[f.residual_severity], index[f.residual_likelihood]) for f in findings)
    levels = [[ruleset.matrix.level(s, li) for li in range(len(SCALE))] for s in range(len(SCALE))]
    letters = {level: marks[lang] for level, marks in LEVEL_LETTERS.items()}
    common = {"levels": levels, "scale_labels": [SCALE_LABELS[v][lang] for v in SCALE], "letters": letters,
              "severity_label": t["severity"], "likelihood_label": t["likelihood"]}
    cells = [{"severity": SCALE[s], "likelihood": SCALE[li], "level": levels[s][li],
              "inherent": inherent[(s, li)], "residual": residual[(s, li)]}
             for s in range(len(SCALE)) for li in range(len(SCALE))]

    per_category: dict[str, Counter[str]] = {}
    for f in findings_ctx:
        per_category.setdefault(f["category"]["id"], Counter())[f["headline_level"]["id"]] += 1
    rank = {level: i for i, level in enumerate(LEVELS_DESC)}
    order = sorted(per_category, key=lambda c: (min(rank[lv] for lv in per_category[c]),
                                                -sum(per_category[c].values()), c))
    bars = [(CATEGORY_LABELS[c][lang], dict(per_category[c])) for c in order]
    present = [lv for lv in LEVELS_DESC if lv != "prohibited" or any("prohibited" in c for _l, c in bars)]
    level_names = {lv: LEVEL_LABELS[lv][lang] for lv in LEVELS_DESC}
    total = len(findings)
    return {
        "cells": cells,
        "inherent_svg": charts.heat_map(prefix="rm-inherent", title=t["inherent_map"], counts=inherent, **common),
        "inherent_text": _map_text("rm-inherent", t["inherent_map"], inherent, levels, total, level_names, lang),
        "residual_svg": charts.heat_map(prefix="rm-residual", title=t["residual_map"], counts=residual, **common),
        "residual_text": _map_text("rm-residual", t["residual_map"], residual, levels, total, level_names, lang),
        "categories": [{"id": c, "label": CATEGORY_LABELS[c][lang], "counts": dict(per_category[c])} for c in order],
        "bars_svg": charts.category_bars(prefix="rm-bars", title=t["by_category"], rows=bars, order=LEVELS_DESC,
                                         letters=letters) if bars else Markup(""),
        "bars_text": _bars_text(bars, level_names, lang) if bars else Markup(""),
        "legend_svg": charts.legend(prefix="rm-legend", letters=letters,
                                    items=[(lv, LEVEL_LABELS[lv][lang]) for lv in reversed(present)]),
    }


def _by_level(counts: Mapping[str, int], level_names: Mapping[str, str], lang: str) -> str:
    """"Critical 3, High 2" (most serious first, levels with none left out); "none" when all are 0."""
    t = HEADINGS[lang]
    parts = [f"{name} {counts[lv]}" for lv, name in level_names.items() if counts.get(lv)]
    return t["enum"].join(parts) or t["chart_none"]


def _map_text(prefix: str, title: str, counts: Mapping[tuple[int, int], int], levels: list[list[str]], total: int,
              level_names: Mapping[str, str], lang: str) -> Markup:
    """A heat map's summary (findings by the level of their cell) and its 4 × 4 counts as a table."""
    t = HEADINGS[lang]
    by_level: Counter[str] = Counter()
    for (s, li), n in counts.items():
        by_level[levels[s][li]] += n
    n = len(SCALE)
    rows = [(SCALE_LABELS[SCALE[s]][lang], [counts.get((s, li), 0) for li in range(n)]) for s in reversed(range(n))]
    summary = t["chart_map_summary"].format(title=title, total=total, levels=_by_level(by_level, level_names, lang))
    return charts.chart_text(prefix=prefix, summary=summary, caption=title, rows=rows,
                             columns=[f"{t['severity']} / {t['likelihood']}"]
                             + [SCALE_LABELS[v][lang] for v in SCALE])


def _bars_text(bars: list[tuple[str, dict[str, int]]], level_names: Mapping[str, str], lang: str) -> Markup:
    """The category chart's summary (findings, categories, by level) and its counts as a table."""
    t = HEADINGS[lang]
    by_level: Counter[str] = Counter()
    for _label, counts in bars:
        by_level.update(counts)
    summary = t["chart_bars_summary"].format(title=t["by_category"], total=sum(by_level.values()),
                                             categories=len(bars), levels=_by_level(by_level, level_names, lang))
    rows = [(label, [counts.get(lv, 0) for lv in LEVELS_DESC] + [sum(counts.values())]) for label, counts in bars]
    return charts.chart_text(prefix="rm-bars", summary=summary, caption=t["by_category"], rows=rows,
                             columns=[t["category"], *level_names.values(), t["chart_total"]])


def _matrix(ruleset: RuleSet, lang: str) -> dict[str, Any]:
    rows = []
    for s_index in reversed(range(len(SCALE))):
        rows.append({"severity": _scale(SCALE[s_index], lang),
                     "cells": [level_badge(ruleset.matrix.level(s_index, li), lang) for li in range(len(SCALE))]})
    return {"columns": [_scale(lik, lang) for lik in SCALE], "rows": rows}


def _appendix(questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    out = []
    for section in questionnaire.visible_sections(answers):
        rows = []
        for q in section.questions:
            if not questionnaire.is_visible(q, answers):
                continue
            value = answers.get(q.id)
            rows.append({"question_id": q.id, "question": q.label[lang], "required": q.required,
                         "answer": questionnaire.display(q, value, lang), "answered": value is not None,
                         "unknown": _unknown(value)})
        out.append({"id": section.id, "title": section.title[lang], "questions": rows})
    return out


def build_report_context(ruleset: RuleSet, assessment: Assessment, *, report_id: str, generated_at: dt.datetime,
                         lang: str = "en", status: str = "draft",
                         review: dict[str, Any] | None = None, school: str | None = None,
                         attachments: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The report as plain data (str, int, bool, list, dict, None; charts as ``Markup``) in ``lang``.

    ``assessment`` is the engine's result for the audit's answers (its ``answers`` are the effective
    typed answers); ``generated_at`` the time of the stored snapshot. Keys: ``lang``, ``t`` (headings),
    ``report_id``, ``status``, ``cover``, ``summary``, ``screening``, ``deployment``, ``risk_map``,
    ``findings``, ``obligations``, ``action_plan``, ``parents``, ``bibliography``, ``appendix``,
    ``methodology``, ``has_unverified``, ``review`` (the regulator's review as given, or ``None``
    before any submission: see :func:`app.review.report.review_context`). ``school`` is the name of the
    school the audit belongs to (its organisation; ``--school`` on the command line); the cover says
    "not stated" when it is ``None`` or blank, rather than leaving the line out. ``attachments`` are the
    documents attached to the answers (``question``, ``file_name``, ``size_bytes``, ``sha256``: see
    :func:`app.evidence.services.appendix_rows`), listed by name, size and fingerprint under the key
    ``attachments``; the report never receives a document's content.
    Raises ``ValueError`` for an unknown ``lang``, ``KeyError`` if a finding names a rule or source
    the rule set does not have (the assessment came from another rule set).
    """
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: expected one of {', '.join(LANGS)}")
    t = HEADINGS[lang]
    qn = ruleset.questionnaire
    answers = assessment.answers
    bib = _Bibliography(ruleset, lang, assessment.jurisdiction, assessment.as_of)
    screening = _screening(ruleset, assessment, lang, bib)  # cited first: it comes first in the report
    findings = [_finding(ruleset, f, i, lang, bib) for i, f in enumerate(assessment.findings, start=1)]
    obligations = _obligations(ruleset, assessment, findings, lang, bib)
    counts = Counter(f["headline_level"]["id"] for f in findings)
    by_level = [{**level_badge(level, lang), "count": counts[level]} for level in LEVELS_DESC]
    key = [f for f in findings if f["headline_level"]["id"] in ("prohibited", "critical")]
    tracked = {a["target_id"]: a for a in ((review or {}).get("actions") or {}).get("rows", [])
               if a["target_kind"] == "finding"}  # the latest item on each finding wins
    action_plan = [{"number": f["number"], "anchor": f["anchor"], "title": f["title"], "level": f["headline_level"],
                    "action": f["action"], "owner": tracked[f["rule_id"]]["owner"] if f["rule_id"] in tracked else "",
                    "due": tracked[f["rule_id"]]["due"] if f["rule_id"] in tracked else "",
                    "state": tracked[f["rule_id"]]["state"] if f["rule_id"] in tracked else None}
                   for f in findings if f["headline_level"]["id"] in ACTION_LEVELS]
    status_label = STATUS_LABELS.get(status, {"en": status, "zh": status})[lang]
    verdict = level_badge(assessment.verdict, lang)
    jurisdiction = {"id": assessment.jurisdiction,
                    "label": _option_label(qn, "jurisdiction", assessment.jurisdiction, lang)}
    product = answers.get("product_name") or ""
    cover = {
        "product": product,
        "vendor": answers.get("vendor_name") or "",
        "school": (school or "").strip() or t["school_not_stated"],
        "jurisdiction": jurisdiction,
        "as_of": assessment.as_of.isoformat(),
        "verdict": verdict,
        "verdict_explanation": VERDICT_EXPLANATION[assessment.verdict][lang],
        "report_id": report_id,
        "status": {"id": status, "label": status_label},
        "generated_at": format_utc(generated_at),
        "rule_set_version": assessment.rule_set_version,
    }
    needs_assessment = answers.get("impact_assessment") != "done" or any(s["required"] for s in screening["schemes"])
    return {
        "lang": lang,
        "t": t,
        "report_id": report_id,
        "status": {"id": status, "label": status_label},
        "cover": cover,
        "meta": {
            "title": t["pdf_title"].format(title=t["report_title"], report_id=report_id, product=product),
            "author": "EduAudit",
            "subject": t["pdf_subject"].format(product=product,
                                               jurisdiction=JURISDICTION_PHRASES[assessment.jurisdiction][lang],
                                               as_of=assessment.as_of.isoformat()),
            "keywords": ", ".join(("EduAudit", report_id, assessment.jurisdiction, "PIA")),
        },
        "summary": {"total": len(findings), "by_level": by_level, "key_findings": key,
                    "top_actions": _top_actions(findings)},
        "screening": screening,
        "deployment": prose.deployment(qn, answers, lang),
        "risk_map": _risk_map(ruleset, assessment.findings, lang, findings),
        "findings": findings,
        "obligations": obligations,
        "action_plan": action_plan,
        "parents": prose.parents_summary(qn, answers, verdict=assessment.verdict,
                                         jurisdiction=assessment.jurisdiction, findings=findings,
                                         assessment_needed=needs_assessment, lang=lang),
        "bibliography": bib.entries(),
        "appendix": _appendix(qn, answers, lang),
        "attachments": [{"file_name": str(a["file_name"]), "question": str(a["question"]),
                         "size": t["attachment_bytes"].format(size=f"{int(a['size_bytes']):,}"),
                         "sha256": str(a["sha256"])} for a in attachments],
        "methodology": {
            "severity_scale": [{**_scale(v, lang), "text": SEVERITY_SCALE[v][lang]} for v in SCALE],
            "likelihood_scale": [{**_scale(v, lang), "text": LIKELIHOOD_SCALE[v][lang]} for v in SCALE],
            "matrix": _matrix(ruleset, lang),
            "rule_set_version": assessment.rule_set_version,
            "rule_set_sha256": assessment.rule_set_sha256,
            "rules_count": len(ruleset.rules),
        },
        "has_unverified": any(r["unverified"] for f in findings for r in _citations(f)),
        "review": review,
    }
