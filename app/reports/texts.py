"""The report's own words, in English and Chinese: headings, fixed vocabularies and phrase templates.

Rule, question and source texts come from the rule set; everything the report itself says is here,
keyed by language, so the template holds no fixed text of its own (``report.t`` in the template).
Phrase templates use ``str.format`` fields; Chinese texts use full-width punctuation.
"""

from __future__ import annotations

LANGS = ("en", "zh")

HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        # cover and running elements
        "report_title": "Privacy risk audit",
        "subtitle": "Privacy impact assessment of a smart-education deployment",
        "kicker": "EduAudit · Privacy impact assessment of a smart-education deployment",
        "report_id": "Report id",
        "status": "Status",
        "product": "Product",
        "vendor": "Vendor",
        "school": "School",
        "school_not_stated": "not stated",
        "jurisdiction": "Jurisdiction",
        "as_of": "Law applied as of",
        "generated_at": "Generated",
        "rule_set": "Rule set",
        "verdict": "Overall verdict",
        "contents": "Contents",
        "draft_notice": "Draft: generated from answers that have not been submitted for review.",
        "page_before": "page ",
        "page_after": "",
        "pdf_title": "{title} {report_id}: {product}",
        "pdf_subject": "Privacy impact assessment of {product}: {jurisdiction}, law as of {as_of}",
        # executive summary
        "summary": "Executive summary",
        "counts": "Findings by residual risk level",
        "total": "Total",
        "key_findings": "Prohibited and critical findings",
        "no_key_findings": "No prohibited or critical finding.",
        "top_actions": "The five actions that would lower the verdict most",
        "top_actions_intro": "Taken from the findings with the highest residual level, prohibited first; "
                             "one action may settle several findings.",
        "no_actions": "No action is needed on these answers.",
        "summary_screening": "Impact assessment",
        "summary_obligations": "Obligations checklist",
        "summary_obligations_line": "{not_met} of {total} required contents not met, {unknown} unknown, {met} met.",
        "addresses": "Finding",
        "addresses_plural": "Findings",
        "obligations_pending": "The law is not yet in force on {date}.",
        # screening
        "screening": "Screening: is an impact assessment mandatory?",
        "screening_intro": "Whether the law of the jurisdiction requires a full impact assessment before the "
                           "deployment starts, from the criteria the answers meet.",
        "screening_count": "{met} of {total} criteria met; threshold {threshold}.",
        "screening_required": "Mandatory",
        "screening_not_required": "Not presumed mandatory",
        "screening_not_in_force": "Not yet in force on {date} (applies from {start})",
        "screening_not_in_force_text": "The law that makes this assessment mandatory applies from {start}; on "
                                       "{date} no statutory impact assessment was required. One is still "
                                       "advisable. Once the law applies, {outcome}",
        "screening_would_be_required": "these answers meet the threshold, so the assessment will be "
                                       "mandatory.",
        "screening_would_not_be_required": "these answers do not meet the threshold.",
        "criterion": "Criterion",
        "criterion_met": "met",
        "criterion_not_met": "not met",
        "answers_behind": "Answers",
        "no_scheme_title": "No statutory impact assessment in this rule set",
        "summary_no_scheme": "None required by a law in this rule set; still advisable.",
        "no_scheme": "The rule set has no statutory impact-assessment scheme for {jurisdiction}: no law it "
                     "holds makes a privacy impact assessment mandatory before this deployment. One is still "
                     "advisable: an assessment along the lines of this report, kept with the school's records, "
                     "shows that the risks to pupils were weighed before the product came in.",
        "scheme_sources": "Basis",
        # deployment
        "deployment": "The deployment",
        "in_their_words": "In the administrator's words",
        # risk map
        "risk_map": "Risk map",
        "risk_map_intro": "Each cell counts the findings at that severity (rows) and likelihood (columns) on "
                          "the CNIL scale, before (inherent) and after (residual) the measures the school "
                          "declared. The cell's pattern and letter give its risk level.",
        "inherent_map": "Inherent risk",
        "residual_map": "Residual risk",
        "by_category": "Findings by risk category and residual level",
        "legend": "Legend",
        "chart_map_summary": "{title}: {total} findings; by the risk level of their cell: {levels}.",
        "chart_bars_summary": "{title}: {total} findings in {categories} categories; by residual level: {levels}.",
        "chart_total": "Total",
        "chart_none": "none",
        "inherent": "inherent",
        "residual": "residual",
        # findings
        "findings": "Findings",
        "findings_intro": "Most serious first. Each finding traces from the rule to the answers that "
                          "triggered it, to its legal basis with pinpoint, to what to do.",
        "no_findings": "No rule of the rule set fired for these answers.",
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
        "risk_pair": "{severity} severity × {likelihood} likelihood",
        "why": "Why this matters",
        "evidence": "Because",
        "question": "Question",
        "answer": "Answer",
        "mitigations": "Measures counted",
        "no_mitigations": "None of the measures that would lower this risk were declared.",
        "not_lowered": "no declared measure lowers it",
        "cannot_be_lowered": "no measure can lower it",
        "no_mitigation": "Why no measure lowers it",
        "steps": "From base to final level",
        "step_base": "Rule's base level",
        "step_unlawful": "No lawful basis is available (critical whatever the measures)",
        "step_prohibited": "Prohibited by law (no measure lowers it)",
        "step_severity": "severity {n}",
        "step_likelihood": "likelihood {n}",
        "step_held": "listed, but it does not lower a finding of this kind",
        "step_cites": " · ",
        "legal_basis": "Legal basis",
        "merged": "Also covers",
        "elsewhere": "Comparable decisions elsewhere",
        "recommendation": "Recommendation",
        "legal_review": "Needs legal review",
        "effective": "In force",
        "not_in_force": "not yet in force on {date}",
        "published_after": "published after {date}",
        "unverified": "UNVERIFIED",
        "unverified_note": "Marked UNVERIFIED: the citation could not be confirmed against the text of the "
                           "source. Check it before relying on it.",
        "trace": "Trace",
        # obligations
        "obligations": "Obligations checklist",
        "obligations_intro": "What the law requires an impact assessment to contain, and whether this audit "
                             "shows it: not met when a rule mapped to the requirement fired; unknown when a "
                             "question it depends on is unanswered or answered \"not known\"; met otherwise.",
        "requirement": "Requirement",
        "obligation_status": "Status",
        "status_met": "Met",
        "status_not_met": "Not met",
        "status_unknown": "Unknown",
        "grounds": "Grounds",
        "fired": "Findings",
        "open_questions": "Not known",
        "later_rules": "Will apply once in force",
        "met_grounds": "No mapped rule fired; the questions are answered.",
        "no_framework": "The rule set maps no statutory assessment contents for {jurisdiction}.",
        "framework_not_in_force": "Not yet in force on {date}: shown as the standard the deployment will "
                                  "have to meet, with the rules that will apply then.",
        "obligation_findings": "Legal obligations found",
        "obligation_findings_intro": "Findings whose effect is a legal obligation of the school or vendor.",
        "no_obligation_findings": "No finding is a legal obligation on these answers.",
        # action plan
        "action_plan": "Action plan",
        "action_plan_intro": "One row for each finding whose residual risk is medium or above, most serious "
                             "first. The action is the first step of the finding's recommendation (full text in "
                             "the finding). Owner and due date are those of the action the reviewer or the school set "
                             "on the finding; where none was set, fill them in and keep the plan with this report.",
        "action": "Action",
        "owner": "Owner",
        "due": "Due date",
        "no_action_rows": "No finding has a residual risk of medium or above.",
        # parents' summary
        "parents": "Summary for pupils and parents",
        "parents_kicker": "In plain words",
        "parents_planned": "What is planned",
        "parents_data": "What information about you it uses",
        "parents_risks": "What could go wrong",
        "parents_do": "What you can do and ask",
        "parents_contact": "Who to ask at the school",
        "parents_contact_blank": "Name, e-mail or phone (to be filled in by the school)",
        # methodology, sources, appendix
        "methodology": "Methodology",
        "methodology_intro": "Each rule of the rule set reads the answers and, if its condition holds in the "
                             "jurisdiction on the date applied, produces a finding with a severity and a "
                             "likelihood on the four-level scale of the French data protection authority "
                             "(CNIL) PIA method. The risk matrix turns the pair into a risk level. Aggravating "
                             "facts stated in the answers (for example sensitive data exposed by a known "
                             "weakness) raise severity or likelihood by whole steps as the rule set declares, "
                             "with their legal source, giving the inherent risk; declared measures lower them "
                             "by whole steps, giving the residual risk. A finding that no lawful basis is "
                             "available is critical whatever the measures. Each finding lists these steps. "
                             "The overall verdict is \"prohibited\" if any prohibited finding applies, "
                             "otherwise the highest residual risk level (\"low\" when no rule fires).",
        "answers_not_confirmed": "An unanswered question, or \"not known\", counts as \"not confirmed\": "
                                 "a safeguard that is not confirmed is treated as absent.",
        "references_method": "References are listed under each finding: first those of the audit's "
                              "jurisdiction and international ones, then comparable decisions elsewhere. A "
                              "source that took effect after the date applied is marked \"not yet in force\".",
        "severity_scale": "Severity scale",
        "likelihood_scale": "Likelihood scale",
        "matrix": "Risk matrix (severity × likelihood)",
        "matrix_corner": "Severity \\ likelihood",
        "rule_set_version": "Rule-set version",
        "rule_set_sha256": "Rule-set SHA-256",
        "rules_count": "Rules in the rule set",
        "bibliography": "Sources",
        "bibliography_intro": "Every source cited in this report. Verification: V-TEXT = clause read in a "
                              "full-text copy; V-PAGE = read on a public page; V-PAGE-secondary = read in a "
                              "secondary summary; UNVERIFIED = not confirmed.",
        "appendix": "Appendix: all answers",
        "appendix_intro": "Every question that was asked, with the answer given. Questions that did not apply "
                          "to this deployment are not listed.",
        "attachments": "Documents attached to the answers",
        "attachments_intro": "Documents the school attached as evidence for its answers, kept by EduAudit. The "
                             "report names them; it does not reproduce them. The SHA-256 fingerprint identifies "
                             "each file exactly: a copy with another fingerprint is not the document attached.",
        "no_attachments": "No document was attached to the answers.",
        "attachment_file": "Document",
        "attachment_answer": "Answer it supports",
        "attachment_size": "Size",
        "attachment_bytes": "{size} bytes",
        "notes": "Note",
        # punctuation
        "colon": ": ",
        "comma": ", ",
        "enum": ", ",
        "lparen": " (",
        "rparen": ")",
        "stop": ". ",
        "arrow": " → ",
        "quote_open": "“",
        "quote_close": "”",
    },
    "zh": {
        "report_title": "隐私风险评估报告",
        "subtitle": "智慧教育部署的个人信息保护影响评估",
        "kicker": "EduAudit · 智慧教育部署的个人信息保护影响评估",
        "report_id": "报告编号",
        "status": "状态",
        "product": "产品",
        "vendor": "供应商",
        "school": "学校",
        "school_not_stated": "未填写",
        "jurisdiction": "适用法域",
        "as_of": "法律适用日期",
        "generated_at": "生成时间",
        "rule_set": "规则集",
        "verdict": "总体结论",
        "contents": "目录",
        "draft_notice": "草稿：根据尚未提交审核的回答生成。",
        "page_before": "第 ",
        "page_after": " 页",
        "pdf_title": "{title} {report_id}：{product}",
        "pdf_subject": "{product}的个人信息保护影响评估（{jurisdiction}，法律适用日期 {as_of}）",
        "summary": "执行摘要",
        "counts": "按剩余风险等级统计的发现",
        "total": "合计",
        "key_findings": "禁止性和严重级别的发现",
        "no_key_findings": "没有禁止性或严重级别的发现。",
        "top_actions": "最能降低总体结论的五项行动",
        "top_actions_intro": "取自剩余风险等级最高的发现，禁止性发现优先；一项行动可能同时解决多项发现。",
        "no_actions": "根据这些回答，无需采取行动。",
        "summary_screening": "影响评估",
        "summary_obligations": "义务核对清单",
        "summary_obligations_line": "法定内容共 {total} 项：未满足 {not_met} 项，情况不明 {unknown} 项，"
                                    "已满足 {met} 项。",
        "addresses": "发现",
        "addresses_plural": "发现",
        "obligations_pending": "该法律在 {date} 尚未生效。",
        "screening": "筛查：是否必须开展影响评估？",
        "screening_intro": "根据回答所满足的标准，判断所在法域的法律是否要求在部署前开展完整的影响评估。",
        "screening_count": "满足 {met} 项标准（共 {total} 项）；门槛为 {threshold} 项。",
        "screening_required": "必须开展",
        "screening_not_required": "不推定必须开展",
        "screening_not_in_force": "在 {date} 尚未生效（自 {start} 起适用）",
        "screening_not_in_force_text": "规定必须开展该评估的法律自 {start} 起适用；在 {date} 并无法定的影响评估要求。"
                                       "尽管如此，仍建议开展评估。该法律适用后，{outcome}",
        "screening_would_be_required": "根据这些回答已达到门槛，届时必须开展评估。",
        "screening_would_not_be_required": "根据这些回答未达到门槛。",
        "criterion": "标准",
        "criterion_met": "满足",
        "criterion_not_met": "不满足",
        "answers_behind": "依据的回答",
        "no_scheme_title": "本规则集中无法定影响评估要求",
        "summary_no_scheme": "本规则集收录的法律均未作要求；仍建议开展。",
        "no_scheme": "规则集中没有适用于{jurisdiction}的法定影响评估制度：其收录的法律均未要求在本部署前强制开展"
                     "个人信息保护影响评估。尽管如此，仍建议开展评估：按本报告的思路完成评估并与学校档案一并保存，"
                     "可以证明在产品进校前已权衡对学生的风险。",
        "scheme_sources": "依据",
        "deployment": "部署情况",
        "in_their_words": "管理员的描述",
        "risk_map": "风险分布图",
        "risk_map_intro": "每个单元格统计处于该严重程度（行）和可能性（列）的发现数量（CNIL 量表），"
                          "分别为采取学校所申报措施之前（固有风险）和之后（剩余风险）。单元格的图案和文字标明其风险等级。",
        "inherent_map": "固有风险",
        "residual_map": "剩余风险",
        "by_category": "按风险类别和剩余风险等级统计的发现",
        "legend": "图例",
        "chart_map_summary": "{title}：共 {total} 项发现；按所在单元格的风险等级：{levels}。",
        "chart_bars_summary": "{title}：{categories} 个类别共 {total} 项发现；按剩余风险等级：{levels}。",
        "chart_total": "合计",
        "chart_none": "无",
        "inherent": "固有",
        "residual": "剩余",
        "findings": "评估发现",
        "findings_intro": "按严重程度排序。每项发现均可追溯：规则 ← 触发它的回答 ← 法律依据及条款 ← 建议措施。",
        "no_findings": "根据这些回答，规则集中没有规则被触发。",
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
        "risk_pair": "严重程度{severity} × 可能性{likelihood}",
        "why": "为何重要",
        "evidence": "触发回答",
        "question": "问题",
        "answer": "回答",
        "mitigations": "已计入的措施",
        "no_mitigations": "未申报可降低该风险的措施。",
        "not_lowered": "未申报可降低该风险的措施",
        "cannot_be_lowered": "没有措施能降低该风险",
        "no_mitigation": "为何没有措施能降低该风险",
        "steps": "从基准等级到最终等级",
        "step_base": "规则基准等级",
        "step_unlawful": "不存在可用的合法性基础（无论采取何种措施均为严重）",
        "step_prohibited": "法律禁止（任何措施都不能降低）",
        "step_severity": "严重程度 {n}",
        "step_likelihood": "可能性 {n}",
        "step_held": "已列出，但不能降低此类发现的等级",
        "step_cites": " · ",
        "legal_basis": "法律依据",
        "merged": "同时涵盖",
        "elsewhere": "其他法域的类似决定",
        "recommendation": "建议",
        "legal_review": "需法律审核",
        "effective": "生效",
        "not_in_force": "{date} 尚未生效",
        "published_after": "发布于 {date} 之后",
        "unverified": "未核实",
        "unverified_note": "标注“未核实”：该引文未能与来源文本核对确认，使用前请核实。",
        "trace": "追溯",
        "obligations": "义务核对清单",
        "obligations_intro": "法律要求影响评估包含的内容，以及本评估是否表明已满足：如有对应规则被触发，为“未满足”；"
                             "如所依据的问题未回答或回答“不清楚”，为“情况不明”；否则为“已满足”。",
        "requirement": "要求",
        "obligation_status": "状态",
        "status_met": "已满足",
        "status_not_met": "未满足",
        "status_unknown": "情况不明",
        "grounds": "依据",
        "fired": "触发的发现",
        "open_questions": "情况不明的问题",
        "later_rules": "生效后将适用的规则",
        "met_grounds": "对应规则均未触发，相关问题均已回答。",
        "no_framework": "规则集中没有{jurisdiction}的法定评估内容对照。",
        "framework_not_in_force": "在 {date} 尚未生效：作为该部署今后须达到的标准列出，并列出届时将适用的规则。",
        "obligation_findings": "发现的法定义务",
        "obligation_findings_intro": "性质为学校或供应商法定义务的发现。",
        "no_obligation_findings": "根据这些回答，没有属于法定义务的发现。",
        "action_plan": "行动计划",
        "action_plan_intro": "剩余风险为中等及以上的每项发现各占一行，按严重程度排序。行动为该发现建议的第一步"
                             "（全文见该发现）。负责人和完成日期取自审核人员或学校就该发现设定的行动；未设定的，请填写并与本报告一并保存。",
        "action": "行动",
        "owner": "负责人",
        "due": "完成日期",
        "no_action_rows": "没有剩余风险为中等及以上的发现。",
        "parents": "致学生和家长的摘要",
        "parents_kicker": "通俗说明",
        "parents_planned": "学校打算做什么",
        "parents_data": "会用到你的哪些信息",
        "parents_risks": "可能出现什么问题",
        "parents_do": "你可以做什么、问什么",
        "parents_contact": "在学校可以问谁",
        "parents_contact_blank": "姓名、电子邮箱或电话（由学校填写）",
        "methodology": "评估方法",
        "methodology_intro": "规则集中的每条规则读取回答；如其条件在适用日期、所选法域内成立，"
                             "即产生一项发现，并按法国数据保护机构（CNIL）PIA 方法的四级量表给出严重程度和可能性。"
                             "风险矩阵将二者换算为风险等级。回答中陈述的加重事实（例如已知漏洞使敏感数据暴露）按规则集声明并注明法律依据，"
                             "按整级提高严重程度或可能性，得到固有风险；学校申报的措施按整级降低二者，得到剩余风险。"
                             "认定不存在可用合法性基础的发现，无论采取何种措施均为“严重”。每项发现均列出上述各步。"
                             "如有任何禁止性发现适用，总体结论为“禁止”；否则为最高的剩余风险等级"
                             "（无规则触发时为“低”）。",
        "answers_not_confirmed": "未回答或回答“不清楚”的问题视为“未确认”：未经确认的保障措施按不存在处理。",
        "references_method": "每项发现下先列出本评估所在法域及国际性的来源，再列出其他法域的类似决定。"
                             "在适用日期之后才生效的来源标注“尚未生效”。",
        "severity_scale": "严重程度量表",
        "likelihood_scale": "可能性量表",
        "matrix": "风险矩阵（严重程度 × 可能性）",
        "matrix_corner": "严重程度 \\ 可能性",
        "rule_set_version": "规则集版本",
        "rule_set_sha256": "规则集 SHA-256",
        "rules_count": "规则集中的规则数",
        "bibliography": "参考来源",
        "bibliography_intro": "本报告引用的全部来源。核实状态：V-TEXT = 已在全文文本中核对条款；"
                              "V-PAGE = 已在公开网页核对；V-PAGE-secondary = 已在二手摘要中核对；"
                              "未核实 = 尚未确认。",
        "appendix": "附录：全部回答",
        "appendix_intro": "所有已提问的问题及其回答。不适用于本部署的问题未列出。",
        "attachments": "回答所附文件",
        "attachments_intro": "学校为支持其回答而附上的证明文件，由 EduAudit 保存。本报告仅列出文件，不转载其内容。"
                             "SHA-256 指纹唯一标识每个文件：指纹不同的副本即不是所附文件。",
        "no_attachments": "回答未附任何文件。",
        "attachment_file": "文件",
        "attachment_answer": "所支持的回答",
        "attachment_size": "大小",
        "attachment_bytes": "{size} 字节",
        "notes": "说明",
        "colon": "：",
        "comma": "，",
        "enum": "、",
        "lparen": "（",
        "rparen": "）",
        "stop": "。",
        "arrow": " → ",
        "quote_open": "“",
        "quote_close": "”",
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
LEVEL_LETTERS: dict[str, dict[str, str]] = {
    "low": {"en": "L", "zh": "低"},
    "medium": {"en": "M", "zh": "中"},
    "high": {"en": "H", "zh": "高"},
    "critical": {"en": "C", "zh": "严"},
    "prohibited": {"en": "P", "zh": "禁"},
}
"""One-character level marks for the cells of the SVG charts (the legend spells them out)."""
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
    "unlawful": {"en": "Unlawful as designed", "zh": "设计本身违法"},
    "prohibited": {"en": "Prohibited", "zh": "禁止"},
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "draft": {"en": "Draft", "zh": "草稿"},
    "submitted": {"en": "Submitted, awaiting review", "zh": "已提交，等待审核"},
    "changes_requested": {"en": "Changes requested", "zh": "要求修改"},
    "approved": {"en": "Approved", "zh": "已批准"},
    "rejected": {"en": "Rejected", "zh": "已驳回"},
}
"""The one wording of each audit status (:data:`app.models.AUDIT_STATUSES`): the report's cover, the
pages (:data:`app.labels.STATUS_NAMES`), the reviewer's decisions and the error messages all use it."""
RATING_LABELS = {
    "acceptable": {"en": "Acceptable", "zh": "可接受"},
    "needs_improvement": {"en": "Needs improvement", "zh": "需要改进"},
    "must_be_corrected": {"en": "Must be corrected", "zh": "必须纠正"},
}
"""The one wording of each rating (:data:`app.models.RATINGS`): the review form, the pages and the report."""
REVIEW_TARGET_LABELS: dict[str, dict[str, str]] = {
    "finding": {"en": "Finding", "zh": "发现"},
    "section": {"en": "Section", "zh": "部分"},
}
"""What a reviewer rates (:data:`app.models.REVIEW_TARGETS`), in the one wording of the report and the pages."""
OBLIGATION_MARKS = {"met": "✓", "not_met": "✗", "unknown": "?"}
"""Marks beside each obligation status, so it reads without colour."""
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

# --- the deployment in prose --------------------------------------------------------------------
# Phrases for single-choice answers, so the description reads as sentences; an option missing here
# falls back to its questionnaire label.
PRODUCT_KIND_PHRASES: dict[str, dict[str, str]] = {
    "face_gate": {"en": "a face-recognition gate or terminal", "zh": "人脸识别闸机或终端"},
    "classroom_analytics": {"en": "a classroom camera analytics system", "zh": "课堂摄像头分析系统"},
    "wearable": {"en": "a wearable device for pupils", "zh": "学生可穿戴设备"},
    "learning_platform": {"en": "a learning platform or app", "zh": "学习平台或应用"},
    "homework_tutoring": {"en": "a homework-help or tutoring app", "zh": "作业辅导或培训类应用"},
    "proctoring": {"en": "an exam-proctoring system", "zh": "考试监考系统"},
    "monitoring": {"en": "a device or online-activity monitoring tool", "zh": "设备或网络活动监控工具"},
    "school_management": {"en": "a school-management or home–school communication tool",
                          "zh": "学校管理或家校沟通工具"},
    "other": {"en": "a product", "zh": "产品"},
}
JURISDICTION_PHRASES: dict[str, dict[str, str]] = {
    "CN": {"en": "mainland China", "zh": "中国大陆"},
    "EU": {"en": "the European Union", "zh": "欧盟"},
    "UK": {"en": "the United Kingdom", "zh": "英国"},
    "US": {"en": "the United States", "zh": "美国"},
}
"""The jurisdiction as it reads inside a sentence."""
VENDOR_COUNTRY_PHRASES: dict[str, dict[str, str]] = {
    "cn": {"en": "mainland China", "zh": "中国大陆"},
    "eu": {"en": "the European Union", "zh": "欧盟"},
    "uk": {"en": "the United Kingdom", "zh": "英国"},
    "us": {"en": "the United States", "zh": "美国"},
}
SCHOOL_TYPE_PHRASES: dict[str, dict[str, str]] = {
    "kindergarten": {"en": "kindergarten", "zh": "幼儿园"},
    "primary": {"en": "primary school", "zh": "小学"},
    "lower_secondary": {"en": "lower secondary (middle) school", "zh": "初中"},
    "upper_secondary": {"en": "upper secondary (senior high) school", "zh": "高中"},
    "vocational": {"en": "vocational school", "zh": "职业学校"},
    "university": {"en": "university or college", "zh": "高等院校"},
}
SECTOR_PHRASES: dict[str, dict[str, str]] = {
    "public": {"en": "public", "zh": "公办"},
    "private": {"en": "private", "zh": "民办"},
}
HOSTING_PHRASES: dict[str, dict[str, str]] = {
    "on_premises": {"en": "on the school's premises", "zh": "学校本地"},
    "authority_cloud": {"en": "on the education authority's platform", "zh": "教育主管部门平台"},
    "vendor_cloud_domestic": {"en": "in the vendor's cloud within the jurisdiction", "zh": "供应商在本法域内的云"},
    "vendor_cloud_abroad": {"en": "in the vendor's cloud abroad", "zh": "供应商在境外的云"},
}
LEAVES_PHRASES: dict[str, dict[str, str]] = {
    "no": {"en": "No data leaves the jurisdiction and no one abroad can access it.",
           "zh": "数据不出境，境外人员也无法访问。"},
    "yes": {"en": "Data leaves the jurisdiction, or can be accessed from abroad.",
            "zh": "数据会出境，或可从境外访问。"},
    "unknown": {"en": "Whether data leaves the jurisdiction, or can be accessed from abroad, is not known.",
                "zh": "数据是否出境、能否从境外访问，情况不明。"},
}
RETENTION_PHRASES: dict[str, dict[str, str]] = {
    "immediately": {"en": "Data is deleted straight after use", "zh": "数据使用后立即删除"},
    "days_or_weeks": {"en": "Data is kept for a fixed number of days or weeks, then deleted",
                      "zh": "数据保存固定的若干天或若干周，到期删除"},
    "school_year": {"en": "Data is kept until the end of the school year", "zh": "数据保存至学年结束"},
    "enrolment": {"en": "Data is kept while the pupil is enrolled", "zh": "数据在学生在学期间保存"},
    "fixed_years": {"en": "Data is kept for a fixed number of years after the pupil leaves",
                    "zh": "数据在学生离校后保存固定年限"},
    "indefinite": {"en": "Data is kept with no time limit", "zh": "数据无期限保存"},
    "unknown": {"en": "How long data is kept is not known", "zh": "数据保存多久，情况不明"},
}
PROSE: dict[str, dict[str, str]] = {
    "en": {
        "supplied": "{product} is {kind} supplied by {vendor}{country}.",
        "country": ", headquartered in {country}",
        "used": "It is to be used in {school} from {date}",
        "used_no_school": "It is to be used by pupils at home from {date}",
        "ages": ", with pupils aged {lo} to {hi}",
        "ages_same": ", with pupils aged {lo}",
        "pupils": " (about {n} pupils)",
        "mandatory": "; pupils must use it",
        "voluntary": "; pupils may choose not to use it",
        "purposes": "The school plans to use it for {items}.",
        "data": "It collects or works out {items}",
        "sensors": ", captured by {items}",
        "no_sensors": ", without cameras, wearables or other capture devices",
        "monitoring": "Pupils are monitored {items}.",
        "no_monitoring": "There is no ongoing monitoring of pupils.",
        "hosting": "Pupils' data is stored {where}.",
        "hosting_unknown": "Where pupils' data is stored is not known.",
        "retention": "{what}.",
        "retention_days": "Data is kept for {n} days, then deleted.",
        "and": " and ",
        "list_sep": ", ",
        "unknown_value": "not known",
    },
    "zh": {
        "supplied": "{product}是由{vendor}{country}提供的{kind}。",
        "country": "（总部位于{country}）",
        "used": "计划自 {date} 起在一所{school}使用",
        "used_no_school": "计划自 {date} 起由学生在家使用",
        "ages": "，涉及 {lo} 至 {hi} 岁的学生",
        "ages_same": "，涉及 {lo} 岁的学生",
        "pupils": "（约 {n} 名）",
        "mandatory": "；学生必须使用",
        "voluntary": "；学生可以选择不使用",
        "purposes": "学校计划将其用于{items}。",
        "data": "它收集或推算{items}",
        "sensors": "，采集设备为{items}",
        "no_sensors": "，不使用摄像头、可穿戴设备等采集设备",
        "monitoring": "监测时间和地点：{items}。",
        "no_monitoring": "不对学生进行持续监测。",
        "hosting": "学生数据存储于{where}。",
        "hosting_unknown": "学生数据的存储位置不明。",
        "retention": "{what}。",
        "retention_days": "数据保存 {n} 天，到期删除。",
        "and": "和",
        "list_sep": "、",
        "unknown_value": "不清楚",
    },
}

# --- the one-page summary for pupils and parents ------------------------------------------------
PARENTS: dict[str, dict[str, str]] = {
    "en": {
        "planned": "Your school plans to use {product}, from {vendor}, for {purposes}.",
        "planned_no_purpose": "Your school plans to use {product}, from {vendor}.",
        "mandatory": "As planned, every pupil would have to use it.",
        "voluntary": "As planned, pupils can choose not to use it.",
        "data_intro": "It would use or work out:",
        "verdict_intro": "What this audit found:",
        "risks_intro": "The main worries, in simple words:",
        "no_risks": "The audit found nothing that needs action on the answers given.",
        "ask_notice": "Ask the school for a clear explanation of what is collected, why, who sees it and how "
                      "long it is kept, in words pupils understand.",
        "ask_alternative_none": "Ask what happens if you say no. As planned, there is no equally easy "
                                "alternative for pupils who do not want to take part.",
        "ask_alternative_equal": "You can say no: the school offers another way that is just as easy, and "
                                 "choosing it must not count against you.",
        "ask_rights": "You can ask to see the information kept about you or your child, to have mistakes "
                      "corrected, and to have it deleted when it is no longer needed.",
        "ask_assessment": "Ask to see the school's impact assessment (this report, or the school's own).",
        "ask_views": "Tell the school what you think before it decides: pupils and parents should be asked.",
        "complain": "If you are not satisfied with the answer, you can complain to {where}.",
    },
    "zh": {
        "planned": "你的学校计划使用{vendor}的{product}，用于{purposes}。",
        "planned_no_purpose": "你的学校计划使用{vendor}的{product}。",
        "mandatory": "按照计划，每名学生都必须使用。",
        "voluntary": "按照计划，学生可以选择不使用。",
        "data_intro": "它会用到或推算出：",
        "verdict_intro": "本次评估的结论：",
        "risks_intro": "主要的担忧，用简单的话说：",
        "no_risks": "根据所填写的回答，本次评估没有发现需要处理的问题。",
        "ask_notice": "请学校用学生能听懂的话说明：收集哪些信息、为什么收集、谁能看到、保存多久。",
        "ask_alternative_none": "问一问如果不同意会怎样。按照计划，不愿参加的学生没有同样方便的替代方式。",
        "ask_alternative_equal": "你可以拒绝：学校提供同样方便的其他方式，选择它不应对你产生任何不利影响。",
        "ask_rights": "你可以要求查看学校保存的关于你或你孩子的信息，要求更正错误，并在不再需要时要求删除。",
        "ask_assessment": "可以要求查看学校的影响评估（本报告或学校自己的评估）。",
        "ask_views": "在学校作出决定之前说出你的想法：学校应当听取学生和家长的意见。",
        "complain": "如对答复不满意，可以向{where}投诉。",
    },
}
PARENTS_VERDICT: dict[str, dict[str, str]] = {
    "prohibited": {"en": "As described, this plan is not allowed by law. It should not go ahead in this form.",
                   "zh": "按照目前的描述，这一计划不被法律允许，不应以这种方式实施。"},
    "critical": {"en": "The plan has very serious risks. The school should not start until they are fixed.",
                 "zh": "这一计划存在非常严重的风险。在问题解决之前，学校不应开始使用。"},
    "high": {"en": "The plan has serious risks. The school should fix them before starting.",
             "zh": "这一计划存在较大风险。学校应在开始使用前解决这些问题。"},
    "medium": {"en": "The plan has some risks the school should reduce.",
               "zh": "这一计划存在一些风险，学校应当加以降低。"},
    "low": {"en": "The plan has only small risks.", "zh": "这一计划的风险较小。"},
}
PARENTS_RISKS: dict[str, dict[str, str]] = {
    "facial-recognition": {
        "en": "Cameras would recognise pupils by their faces. A face cannot be changed like a password if "
              "the data leaks, and pupils may feel they cannot say no.",
        "zh": "摄像头会通过人脸认出学生。人脸信息一旦泄露，不能像密码那样更换；学生也可能觉得自己无法拒绝。"},
    "emotion-attention": {
        "en": "The system would guess pupils' feelings or attention from their faces, voices or bodies. Such "
              "guesses are often wrong, and being watched all the time is stressful.",
        "zh": "系统会根据面部、声音或身体去猜测学生的情绪或注意力。这种猜测常常出错，而时刻被盯着会让人紧张。"},
    "black-box-algorithms": {
        "en": "A computer would score, rank or sort pupils, and it may be hard to find out how it decided or "
              "to get a mistake put right.",
        "zh": "由计算机给学生打分、排名或分类，很难弄清它是怎么得出结论的，出了错也难以纠正。"},
    "commercial-capture": {
        "en": "The company may use pupils' information for its own business, such as advertising or building "
              "its products, not only to help the school.",
        "zh": "公司可能把学生的信息用于自己的生意，例如广告或开发产品，而不只是为学校服务。"},
    "data-security": {
        "en": "Pupils' information may not be protected well enough against leaks or misuse.",
        "zh": "学生的信息可能没有得到足够保护，存在泄露或被滥用的风险。"},
    "children-consent": {
        "en": "Parents, and pupils old enough to decide, may not have been asked properly, or may have no "
              "real choice.",
        "zh": "家长以及有能力自己决定的学生可能没有被正式征求意见，或者并没有真正的选择。"},
    "proportionality": {
        "en": "The school has not shown that it needs this much information, or that a gentler way would not "
              "work.",
        "zh": "学校没有说明为什么需要这么多信息，也没有说明为什么不能用更温和的方式。"},
    "transparency": {
        "en": "Families may not have been told clearly what is collected, why, and for how long.",
        "zh": "家庭可能没有被清楚告知收集什么、为什么收集、保存多久。"},
    "retention": {
        "en": "Information may be kept longer than needed, or with no clear end date.",
        "zh": "信息可能保存得比需要的更久，或者没有明确的删除时间。"},
    "cross-border": {
        "en": "Information may be sent to, or seen from, another country.",
        "zh": "信息可能被传到境外，或者被境外的人看到。"},
    "health-wellbeing": {
        "en": "Using it may harm pupils' wellbeing, for example through pressure, labels or too much screen "
              "time.",
        "zh": "使用它可能损害学生的身心健康，例如带来压力、被贴标签或屏幕时间过长。"},
    "equity-access": {
        "en": "Some pupils may be left out or treated unfairly, for example those without a device or "
              "internet at home.",
        "zh": "部分学生可能被落下或受到不公平对待，例如家里没有设备或网络的学生。"},
    "governance": {
        "en": "Checks and approvals that should happen before the product comes into school are missing.",
        "zh": "产品进校前应完成的检查和审批还没有做。"},
}
COMPLAINT_ROUTES: dict[str, dict[str, str]] = {
    "CN": {"en": "the school, the local education bureau, or the cyberspace administration (网信部门)",
           "zh": "学校、当地教育行政部门或网信部门"},
    "EU": {"en": "the school's data protection officer, or your country's data protection authority",
           "zh": "学校的数据保护官，或所在国的数据保护监管机构"},
    "UK": {"en": "the school's data protection officer, or the Information Commissioner's Office (ICO)",
           "zh": "学校的数据保护官，或英国信息专员办公室（ICO）"},
    "US": {"en": "the school district; for education records, the US Department of Education's Student Privacy "
                 "Policy Office; for children's online privacy, the Federal Trade Commission (FTC)",
           "zh": "学区；涉及教育记录的，可向美国教育部学生隐私政策办公室投诉；"
                 "涉及儿童网络隐私的，可向联邦贸易委员会（FTC）投诉"},
}
