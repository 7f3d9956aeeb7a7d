"""Build small, self-contained rule directories for loader and engine tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_RULES = Path(__file__).resolve().parents[1] / "audit_rules"
SHARED_FILES = ("questionnaire.yaml", "sources.yaml", "risk-matrix.yaml", "ruleset.yaml", "screening.yaml")
SAMPLE_RULES = ("core/classroom-emotion-attention-recognition.yaml", "eu/eu-emotion-recognition-education-ban.yaml")


def make_rules_dir(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """A rule directory with the real questionnaire/sources/matrix, the two sample rules and
    ``extra`` files (relative path -> YAML text)."""
    root = tmp_path / "audit_rules"
    for name in SHARED_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_RULES / name, root / name)
    for rel in SAMPLE_RULES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_RULES / rel, root / rel)
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


RULE_TEMPLATE = """\
id: {id}
version: 1
title: {{en: A test rule, zh: 测试规则}}
rationale: {{en: Why it matters., zh: 为何重要。}}
recommendation: {{en: What to do., zh: 应当如何。}}
category: {category}
effect: risk
severity: significant
likelihood: significant
jurisdictions: [CN, EU, UK, US]
when: {when}
references:
  - {{source: {source}, pinpoint: "Art. 28"}}
examples:
  fire:
    - answers: {fire}
  silent:
    - answers: {{data_categories: [grades]}}
{mitigations}"""


NO_MITIGATION = """\
mitigations: none
no_mitigation:
  reason: {en: Only removing the condition helps., zh: 只有消除该情形本身才有帮助。}
  references: [{source: gdpr, pinpoint: "Art. 5(1)(c)"}]
"""
"""A risk rule states which measures lower it, or why none does: the template's default declaration."""


def rule_text(id: str = "test-rule", category: str = "facial-recognition",
              when: str = "{q: data_categories, includes: face_templates}", source: str = "pipl",
              fire: str = "{data_categories: [face_templates]}", mitigations: str = NO_MITIGATION) -> str:
    """A risk rule; ``mitigations`` is its YAML block of measures (default: none, with the reason)."""
    return RULE_TEMPLATE.format(id=id, category=category, when=when, source=source, fire=fire,
                                mitigations=mitigations)
