"""Build the report's plain-data context from an evaluation (no ORM objects, no Flask).

The same dict feeds the web page and the PDF (``templates/reports/report.html``). Every text is in
``lang`` ("en" or "zh"): rule, question and source texts come from the rule set; the report's own
headings and the fixed vocabularies (categories, levels, the CNIL scale) are in this module.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..rules.engine import Assessment, Finding
from ..rules.model import Reference, RuleSet
from ..rules.questionnaire import Questionnaire
from ..rules.schema import RISK_LEVELS, SCALE

LANGS = ("en", "zh")

HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "Privacy risk audit",
        "subtitle": "Privacy impact assessment of a smart-education deployment",
        "report_id": "Report id",
        "status": "Status",
        "product": "Product",
        "vendor": "Vendor",
        "jurisdiction": "Jurisdiction",
        "as_of": "Law applied as of",
        "generated_at": "Generated",
        "rule_set": "Rule set",
        "verdict": "Overall verdict",
        "contents": "Contents",
        "summary": "Executive summary",
        "deployment": "The deployment",
        "risk_map": "Risk map",
        "risk_map_intro": "Number of findings in each cell, before (inherent) and after (residual) the measures "
                          "the school declared. Rows: severity; columns: likelihood.",
        "inherent": "inherent",
        "residual": "residual",
        "findings": "Findings",
        "no_findings": "No rule of the rule set fired for these answers.",
        "key_findings": "Findings that need action first",
        "no_key_findings": "No prohibited or critical finding.",
        "counts": "Findings by residual risk level",
        "total": "Total",
        "finding": "Finding",
        "rule": "Rule",
        "version": "version",
        "category": "Risk category",
        "also": "also",
        "effect": "Effect",
        "severity": "Severity",
        "likelihood": "Likelihood",
        "risk_level": "Risk level",
        "inherent_risk": "Inherent risk",
        "residual_risk": "Residual risk",
        "why": "Why this matters",
        "evidence": "Answers that triggered this finding",
        "question": "Question",
        "answer": "Answer",
        "mitigations": "Measures taken into account",
        "no_mitigations": "None of the measures that would lower this risk were declared.",
        "legal_basis": "Legal basis and sources",
        "recommendation": "Recommendation",
        "legal_review": "Needs legal review",
        "effective": "In force",
        "unverified": "UNVERIFIED",
        "unverified_note": "Marked UNVERIFIED: the citation could not be confirmed against the text of the "
                           "source. Check it before relying on it.",
        "recommendations": "Action plan",
        "recommendations_intro": "What to do, most serious first. Each item traces to the finding it resolves.",
        "bibliography": "Sources",
        "bibliography_intro": "Every source cited in this report. Verification: V-TEXT = clause read in a "
                              "full-text copy; V-PAGE = read on a public page; V-PAGE-secondary = read in a "
                              "secondary summary; UNVERIFIED = not confirmed.",
        "appendix": "Appendix: all answers",
        "appendix_intro": "Every question that was asked, with the answer given. Questions that did not apply "
                          "to this deployment are not listed.",
        "methodology": "Methodology",
        "methodology_intro": "Each rule of the rule set reads the answers and, if its condition holds in the "
                             "jurisdiction on the date applied, produces a finding with a severity and a "
                             "likelihood on the four-level scale of the French data protection authority "
                             "(CNIL) PIA method. The risk matrix turns the pair into a risk level. Declared "
                             "measures lower severity or likelihood by whole steps, giving the residual risk. "
                             "The overall verdict is \"prohibited\" if any prohibited finding applies, "
                             "otherwise the highest residual risk level (\"low\" when no rule fires).",
        "severity_scale": "Severity scale",
        "likelihood_scale": "Likelihood scale",
        "matrix": "Risk matrix (severity × likelihood)",
        "rule_set_version": "Rule-set version",
        "rule_set_sha256": "Rule-set SHA-256",
        "rules_count": "Rules in the rule set",
        "answers_not_confirmed": "An unanswered question, or \"not known\", counts as \"not confirmed\": "
                                 "a safeguard that is not confirmed is treated as absent.",
        "colon": ": ",
        "page_before": "page ",
        "page_after": "",
        "notes": "Note",
        "draft_notice": "Draft: generated from answers that have not been submitted for review.",
        "trace": "Trace",
    },
    "zh": {
        "report_title": "隐私风险评估报告",
        "subtitle": "智慧教育部署的个人信息保护影响评估",
        "report_id": "报告编号",
        "status": "状态",
        "product": "产品",
        "vendor": "供应商",
        "jurisdiction": "适用法域",
        "as_of": "法律适用日期",
        "generated_at": "生成时间",
        "rule_set": "规则集",
        "verdict": "总体结论",
        "contents": "目录",
        "summary": "执行摘要",
        "deployment": "部署情况",
        "risk_map": "风险分布图",
        "risk_map_intro": "各单元格中的发现数量：采取学校所申报措施之前（固有风险）"
                          "与之后（剩余风险）。行：严重程度；列：可能性。",
        "inherent": "固有",
        "residual": "剩余",
        "findings": "评估发现",
        "no_findings": "根据这些回答，规则集中没有规则被触发。",
        "key_findings": "需优先处理的发现",
        "no_key_findings": "没有禁止性或严重级别的发现。",
        "counts": "按剩余风险等级统计的发现",
        "total": "合计",
        "finding": "发现",
        "rule": "规则",
        "version": "版本",
        "category": "风险类别",
        "also": "另涉及",
        "effect": "性质",
        "severity": "严重程度",
        "likelihood": "可能性",
        "risk_level": "风险等级",
        "inherent_risk": "固有风险",
        "residual_risk": "剩余风险",
        "why": "为何重要",
        "evidence": "触发该发现的回答",
        "question": "问题",
        "answer": "回答",
        "mitigations": "已考虑的措施",
        "no_mitigations": "未申报可降低该风险的措施。",
        "legal_basis": "法律依据与来源",
        "recommendation": "建议",
        "legal_review": "需法律审核",
        "effective": "生效",
        "unverified": "未核实",
        "unverified_note": "标注“未核实”：该引文未能与来源文本核对确认，使用前请核实。",
        "recommendations": "行动计划",
        "recommendations_intro": "需要采取的行动，按严重程度排序。每一项均可追溯到其所解决的发现。",
        "bibliography": "参考来源",
        "bibliography_intro": "本报告引用的全部来源。核实状态：V-TEXT = 已在全文文本中核对条款；"
                              "V-PAGE = 已在公开网页核对；V-PAGE-secondary = 已在二手摘要中核对；"
                              "未核实 = 尚未确认。",
        "appendix": "附录：全部回答",
        "appendix_intro": "所有已提问的问题及其回答。不适用于本部署的问题未列出。",
        "methodology": "评估方法",
        "methodology_intro": "规则集中的每条规则读取回答；如其条件在适用日期、所选法域内成立，"
                             "即产生一项发现，并按法国数据保护机构（CNIL）PIA 方法的四级量表给出严重程度和可能性。"
                             "风险矩阵将二者换算为风险等级。学校申报的措施按整级降低严重程度或可能性，得到剩余风险。"
                             "如有任何禁止性发现适用，总体结论为“禁止”；否则为最高的剩余风险等级"
                             "（无规则触发时为“低”）。",
        "severity_scale": "严重程度量表",
        "likelihood_scale": "可能性量表",
        "matrix": "风险矩阵（严重程度 × 可能性）",
        "rule_set_version": "规则集版本",
        "rule_set_sha256": "规则集 SHA-256",
        "rules_count": "规则集中的规则数",
        "answers_not_confirmed": "未回答或回答“不清楚”的问题视为“未确认”：未经确认的保障措施按不存在处理。",
        "colon": "：",
        "page_before": "第 ",
        "page_after": " 页",
        "notes": "说明",
        "draft_notice": "草稿：根据尚未提交审核的回答生成。",
        "trace": "追溯",
    },
}

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "facial-recognition": {"en": "Facial recognition", "zh": "人脸识别"},
    "emotion-attention": {"en": "Emotion and attention inference", "zh": "情绪与注意力推断"},
    "black-box-algorithms": {"en": "Black-box algorithms", "zh": "算法黑箱"},
    "commercial-capture": {"en": "Commercial capture", "zh": "商业挟持"},
    "data-security": {"en": "Data security", "zh": "数据安全"},
    "children-consent": {"en": "Children and consent", "zh": "儿童与同意"},
    "proportionality": {"en": "Necessity and proportionality", "zh": "必要性与相称性"},
    "transparency": {"en": "Transparency", "zh": "透明度"},
    "retention": {"en": "Retention", "zh": "保存期限"},
    "cross-border": {"en": "Cross-border transfer", "zh": "跨境传输"},
    "health-wellbeing": {"en": "Health and wellbeing", "zh": "身心健康"},
    "equity-access": {"en": "Equity and access", "zh": "公平与可及"},
    "governance": {"en": "Governance", "zh": "治理"},
}
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "low": {"en": "Low", "zh": "低"},
    "medium": {"en": "Medium", "zh": "中"},
    "high": {"en": "High", "zh": "高"},
    "critical": {"en": "Critical", "zh": "严重"},
    "prohibited": {"en": "Prohibited", "zh": "禁止"},
}
LEVEL_METER = {"low": "■□□□", "medium": "■■□□", "high": "■■■□", "critical": "■■■■", "prohibited": "⊘"}
"""A text meter beside each level, so the level reads in greyscale and without colour."""
SCALE_LABELS: dict[str, dict[str, str]] = {
    "negligible": {"en": "Negligible", "zh": "可忽略"},
    "limited": {"en": "Limited", "zh": "有限"},
    "significant": {"en": "Significant", "zh": "重大"},
    "maximum": {"en": "Maximum", "zh": "最高"},
}
SEVERITY_SCALE: dict[str, dict[str, str]] = {
    # CNIL, PIA Methodology (2018), severity levels, paraphrased for pupils.
    "negligible": {"en": "Pupils are not affected, or meet small inconveniences they overcome without problem.",
                   "zh": "学生不受影响，或仅遇到可以毫无困难地克服的轻微不便。"},
    "limited": {"en": "Pupils meet significant inconveniences they can overcome despite some difficulties.",
                "zh": "学生遇到较大不便，但经过一些努力可以克服。"},
    "significant": {"en": "Pupils face significant consequences they can overcome only with real, serious "
                          "difficulties.",
                    "zh": "学生面临重大后果，只有经历真正严重的困难才能克服。"},
    "maximum": {"en": "Pupils face significant or even irreversible consequences they may not overcome.",
                "zh": "学生面临重大甚至不可逆转的后果，可能无法克服。"},
}
LIKELIHOOD_SCALE: dict[str, dict[str, str]] = {
    # CNIL, PIA Methodology (2018), likelihood levels.
    "negligible": {"en": "It does not seem possible for the risk to materialise.", "zh": "风险看来不可能发生。"},
    "limited": {"en": "It seems difficult for the risk to materialise.", "zh": "风险看来难以发生。"},
    "significant": {"en": "It seems possible for the risk to materialise.", "zh": "风险看来有可能发生。"},
    "maximum": {"en": "It seems extremely easy for the risk to materialise.", "zh": "风险看来极易发生。"},
}
EFFECT_LABELS: dict[str, dict[str, str]] = {
    "risk": {"en": "Risk", "zh": "风险"},
    "obligation": {"en": "Legal obligation", "zh": "法定义务"},
    "prohibited": {"en": "Prohibited", "zh": "禁止"},
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "draft": {"en": "Draft", "zh": "草稿"},
    "submitted": {"en": "Submitted for review", "zh": "已提交审核"},
    "reviewed": {"en": "Reviewed", "zh": "已审核"},
}
VERDICT_EXPLANATION: dict[str, dict[str, str]] = {
    "prohibited": {"en": "At least one finding describes a use the law of this jurisdiction prohibits on the date "
                         "applied. The deployment cannot go ahead in this form.",
                   "zh": "至少有一项发现所描述的用途在所适用日期被该法域法律禁止。该部署不能以当前形式进行。"},
    "critical": {"en": "At least one risk remains critical after the declared measures. Do not deploy until "
                       "it is resolved.",
                 "zh": "在采取所申报措施后，至少仍有一项风险为严重级别。在解决之前不应部署。"},
    "high": {"en": "At least one risk remains high after the declared measures. Deploy only after the action "
                   "plan has been carried out and reviewed.",
             "zh": "在采取所申报措施后，至少仍有一项风险为高级别。应在执行并复核行动计划后再部署。"},
    "medium": {"en": "The remaining risks are medium. Carry out the action plan and keep the audit under review.",
               "zh": "剩余风险为中等。请执行行动计划，并持续复核本评估。"},
    "low": {"en": "No risk above low was found for these answers. Keep the audit up to date if the deployment "
                  "changes.",
            "zh": "根据这些回答，未发现高于“低”级别的风险。如部署发生变化，请及时更新本评估。"},
}
EVIDENCE_SEP = {"en": "; ", "zh": "；"}


def _level(level: str, lang: str) -> dict[str, str]:
    return {"id": level, "label": LEVEL_LABELS[level][lang], "meter": LEVEL_METER[level]}


def _scale(value: str, lang: str) -> dict[str, str]:
    return {"id": value, "label": SCALE_LABELS[value][lang]}


def _fmt_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite returns naive values; they were stored in UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _option_label(questionnaire: Questionnaire, question_id: str, option_id: str | None, lang: str) -> str:
    question = questionnaire.questions.get(question_id)
    option = question.option(option_id) if question is not None and option_id is not None else None
    return option.label[lang] if option is not None else (option_id or "")


class _Bibliography:
    """Numbers sources in order of first citation."""

    def __init__(self, ruleset: RuleSet, lang: str) -> None:
        self.ruleset, self.lang = ruleset, lang
        self.numbers: dict[str, int] = {}

    def cite(self, ref: Reference) -> dict[str, Any]:
        source = self.ruleset.sources[ref.source]
        number = self.numbers.setdefault(ref.source, len(self.numbers) + 1)
        return {
            "number": number,
            "source_id": ref.source,
            "title": source.title[self.lang],
            "issuer": source.issuer[self.lang],
            "pinpoint": ref.pinpoint,
            "url": source.url,
            "verification": ref.verification,
            "unverified": ref.unverified,
            "note": ref.note,
        }

    def entries(self) -> list[dict[str, Any]]:
        out = []
        for source_id, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
            s = self.ruleset.sources[source_id]
            out.append({
                "number": number, "source_id": source_id, "title": s.title[self.lang],
                "issuer": s.issuer[self.lang], "kind": s.kind, "jurisdiction": s.jurisdiction, "date": s.date,
                "effective": s.effective, "document_number": s.number, "url": s.url,
                "verification": s.verification, "unverified": s.unverified, "note": s.note,
            })
        return out


def _finding(ruleset: RuleSet, finding: Finding, number: int, lang: str, bib: _Bibliography) -> dict[str, Any]:
    rule = ruleset.rule(finding.rule_id)
    qn = ruleset.questionnaire
    labels = {m.id: m.label[lang] for m in rule.mitigations}
    evidence = []
    for ev in finding.evidence:
        question = qn.questions.get(ev.question)
        if question is None:
            continue
        shown = ev.matched if ev.matched is not None else ev.answer
        evidence.append({"question_id": question.id, "question": question.label[lang],
                         "answer": qn.display(question, shown, lang), "answered": ev.answer is not None})
    return {
        "number": number,
        "anchor": f"finding-{finding.rule_id}",
        "rule_id": finding.rule_id,
        "rule_version": finding.rule_version,
        "title": rule.title[lang],
        "rationale": rule.rationale[lang],
        "recommendation": rule.recommendation[lang],
        "category": {"id": rule.category, "label": CATEGORY_LABELS[rule.category][lang]},
        "also_categories": [{"id": c, "label": CATEGORY_LABELS[c][lang]} for c in rule.also_categories],
        "effect": {"id": finding.effect, "label": EFFECT_LABELS[finding.effect][lang]},
        "inherent": {"severity": _scale(finding.severity, lang), "likelihood": _scale(finding.likelihood, lang),
                     "level": _level(finding.risk_level, lang)},
        "residual": {"severity": _scale(finding.residual_severity, lang),
                     "likelihood": _scale(finding.residual_likelihood, lang),
                     "level": _level(finding.residual_risk_level, lang)},
        "headline_level": _level("prohibited" if finding.effect == "prohibited" else finding.residual_risk_level,
                                 lang),
        "mitigations": [labels.get(m, m) for m in finding.mitigations_applied],
        "evidence": evidence,
        "references": [bib.cite(r) for r in finding.references],
        "legal_review": rule.legal_review[lang] if rule.legal_review else None,
        "effective_note": rule.effective_note,
        "unverified": finding.unverified,
    }


def _risk_map(ruleset: RuleSet, findings: tuple[Finding, ...], lang: str) -> dict[str, Any]:
    inherent = Counter((f.severity, f.likelihood) for f in findings)
    residual = Counter((f.residual_severity, f.residual_likelihood) for f in findings)
    rows = []
    for s_index in reversed(range(len(SCALE))):  # most severe row on top, as on CNIL's map
        sev = SCALE[s_index]
        cells = []
        for l_index, lik in enumerate(SCALE):
            level = ruleset.matrix.level(s_index, l_index)
            cells.append({"level": _level(level, lang), "inherent": inherent[(sev, lik)],
                          "residual": residual[(sev, lik)]})
        rows.append({"severity": _scale(sev, lang), "cells": cells})
    return {"columns": [_scale(lik, lang) for lik in SCALE], "rows": rows}


def _matrix(ruleset: RuleSet, lang: str) -> dict[str, Any]:
    rows = []
    for s_index in reversed(range(len(SCALE))):
        rows.append({"severity": _scale(SCALE[s_index], lang),
                     "cells": [_level(ruleset.matrix.level(s_index, li), lang) for li in range(len(SCALE))]})
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
                         "answer": questionnaire.display(q, value, lang), "answered": value is not None})
        out.append({"id": section.id, "title": section.title[lang], "questions": rows})
    return out


def _deployment(questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    """The first two sections (product, context) in short: what, where, for whom, why."""
    rows = []
    for section in questionnaire.sections[:2]:
        for q in section.questions:
            if q.id in ("product_name", "vendor_name", "jurisdiction", "planned_date"):
                continue  # already on the cover
            if q.id in answers and questionnaire.is_visible(q, answers):
                rows.append({"label": q.label[lang], "value": questionnaire.display(q, answers[q.id], lang)})
    return rows


def build_report_context(ruleset: RuleSet, assessment: Assessment, *, report_id: str, generated_at: dt.datetime,
                         lang: str = "en", status: str = "draft") -> dict[str, Any]:
    """The report as plain data (str, int, bool, list, dict, None) in ``lang``.

    ``assessment`` is the engine's result for the audit's answers (its ``answers`` are the effective
    typed answers); ``generated_at`` the time of the stored snapshot. Keys: ``lang``, ``t`` (headings),
    ``report_id``, ``status``, ``cover``, ``summary``, ``deployment``, ``risk_map``, ``findings``,
    ``recommendations``, ``bibliography``, ``appendix``, ``methodology``, ``has_unverified``.
    Raises ``ValueError`` for an unknown ``lang``, ``KeyError`` if a finding names a rule or source
    the rule set does not have (the assessment came from another rule set).
    """
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: expected one of {', '.join(LANGS)}")
    qn = ruleset.questionnaire
    answers = assessment.answers
    bib = _Bibliography(ruleset, lang)
    findings = [_finding(ruleset, f, i, lang, bib) for i, f in enumerate(assessment.findings, start=1)]
    counts = Counter("prohibited" if f.effect == "prohibited" else f.residual_risk_level
                     for f in assessment.findings)
    by_level = [{**_level(level, lang), "count": counts[level]}
                for level in ("prohibited", *reversed(RISK_LEVELS))]
    key = [f for f in findings if f["headline_level"]["id"] in ("prohibited", "critical")]
    recommendations, seen = [], set()
    for f in findings:
        if f["recommendation"] in seen:
            continue
        seen.add(f["recommendation"])
        recommendations.append({"number": len(recommendations) + 1, "finding_number": f["number"],
                                "anchor": f["anchor"], "title": f["title"], "text": f["recommendation"],
                                "level": f["headline_level"], "effect": f["effect"]})
    status_label = STATUS_LABELS.get(status, {"en": status, "zh": status})[lang]
    verdict = _level(assessment.verdict, lang)
    cover = {
        "product": answers.get("product_name") or "",
        "vendor": answers.get("vendor_name") or "",
        "jurisdiction": {"id": assessment.jurisdiction,
                         "label": _option_label(qn, "jurisdiction", assessment.jurisdiction, lang)},
        "as_of": assessment.as_of.isoformat(),
        "verdict": verdict,
        "verdict_explanation": VERDICT_EXPLANATION[assessment.verdict][lang],
        "report_id": report_id,
        "status": {"id": status, "label": status_label},
        "generated_at": _fmt_datetime(generated_at),
        "rule_set_version": assessment.rule_set_version,
    }
    return {
        "lang": lang,
        "t": HEADINGS[lang],
        "report_id": report_id,
        "status": {"id": status, "label": status_label},
        "cover": cover,
        "summary": {"total": len(findings), "by_level": by_level, "key_findings": key},
        "deployment": _deployment(qn, answers, lang),
        "risk_map": _risk_map(ruleset, assessment.findings, lang),
        "findings": findings,
        "recommendations": recommendations,
        "bibliography": bib.entries(),
        "appendix": _appendix(qn, answers, lang),
        "methodology": {
            "severity_scale": [{**_scale(v, lang), "text": SEVERITY_SCALE[v][lang]} for v in SCALE],
            "likelihood_scale": [{**_scale(v, lang), "text": LIKELIHOOD_SCALE[v][lang]} for v in SCALE],
            "matrix": _matrix(ruleset, lang),
            "rule_set_version": assessment.rule_set_version,
            "rule_set_sha256": assessment.rule_set_sha256,
            "rules_count": len(ruleset.rules),
        },
        "has_unverified": any(r["unverified"] for f in findings for r in f["references"]),
    }
