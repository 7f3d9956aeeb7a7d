"""Immutable values the loader builds and the engine reads: sources, rules, the rule set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import Condition
from .questionnaire import Questionnaire
from .schema import AGGRAVATED_EFFECTS, RISK_LEVELS


def in_lang(en: str | None, zh: str | None, lang: str) -> str | None:
    """A pinpoint or note in ``lang``: the Chinese text for "zh" when one is given, otherwise the
    English one (a plain string in the rule data reads the same in every language)."""
    return zh if lang == "zh" and zh else en


def _in_force(jurisdictions: frozenset[str], start: dt.date | None, until: dt.date | None, jurisdiction: str,
              as_of: dt.date) -> bool:
    """Whether something declared for ``jurisdictions`` from ``start`` (inclusive) until ``until``
    (exclusive; ``None``: open) holds in ``jurisdiction`` on ``as_of``."""
    if jurisdiction not in jurisdictions:
        return False
    if start is not None and as_of < start:
        return False
    return not (until is not None and as_of >= until)


@dataclass(frozen=True, slots=True)
class Source:
    """One legal instrument, guidance or report, held once in ``audit_rules/sources.yaml``."""

    id: str
    title: Mapping[str, str]
    issuer: Mapping[str, str]
    kind: str
    verification: str
    jurisdiction: str | None = None
    date: str | None = None
    effective: str | None = None
    number: str | None = None
    url: str | None = None
    note: str | None = None
    note_zh: str | None = None  # the note in Chinese; None when it reads the same in both languages

    @property
    def unverified(self) -> bool:
        return self.verification == "UNVERIFIED"

    def note_in(self, lang: str) -> str | None:
        return in_lang(self.note, self.note_zh, lang)


@dataclass(frozen=True, slots=True)
class Reference:
    """A rule's citation: source id + pinpoint. ``verification`` is the weaker of the source's own
    status and any per-pinpoint override (an article number can be unverified in a verified text).

    ``pinpoint`` and ``note`` are the English (or language-neutral) texts, as stored and compared
    everywhere (JSON output, rules diff, published findings); ``pinpoint_zh``/``note_zh`` are the
    Chinese versions the report prints, ``None`` when the text reads the same in both languages."""

    source: str
    pinpoint: str
    verification: str
    note: str | None = None
    pinpoint_zh: str | None = None
    note_zh: str | None = None

    @property
    def unverified(self) -> bool:
        return self.verification == "UNVERIFIED"

    def pinpoint_in(self, lang: str) -> str:
        return in_lang(self.pinpoint, self.pinpoint_zh, lang)

    def note_in(self, lang: str) -> str | None:
        return in_lang(self.note, self.note_zh, lang)


@dataclass(frozen=True, slots=True)
class Mitigation:
    """A declared measure that lowers a finding's severity and/or likelihood by whole steps;
    ``references`` cite where the law or guidance names the measure."""

    id: str
    label: Mapping[str, str]
    when: Condition
    lower_severity: int = 0
    lower_likelihood: int = 0
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class Aggravation:
    """A fact stated in the answers that raises the severity and/or likelihood of the findings it
    applies to by whole steps (capped at maximum), declared once in ``audit_rules/aggravations.yaml``
    with its legal source.

    It applies to a finding when the evaluation's jurisdiction is one of ``windows`` and the date within
    that jurisdiction's window, the finding's primary category is in ``categories`` (empty: any) and its
    effect in ``effects`` (empty: risk and obligation), and ``when`` holds."""

    id: str
    label: Mapping[str, str]
    rationale: Mapping[str, str]
    when: Condition
    categories: frozenset[str]
    effects: frozenset[str]
    windows: Mapping[str, tuple[dt.date | None, dt.date | None]]
    raise_severity: int
    raise_likelihood: int
    references: tuple[Reference, ...]
    apply_examples: tuple[Example, ...]
    not_apply_examples: tuple[Example, ...]

    @property
    def jurisdictions(self) -> frozenset[str]:
        return frozenset(self.windows)

    def in_force(self, jurisdiction: str, as_of: dt.date) -> bool:
        """Whether the aggravation is declared for ``jurisdiction`` on ``as_of``: ``windows`` maps each
        jurisdiction to its (from, until) dates, from inclusive, until exclusive, ``None`` open."""
        start, until = self.windows.get(jurisdiction, (None, None))
        return _in_force(self.jurisdictions, start, until, jurisdiction, as_of)

    def covers(self, category: str, effect: str) -> bool:
        """Whether a finding of ``category`` and ``effect`` is one this aggravation can raise."""
        return ((not self.categories or category in self.categories)
                and effect in (self.effects or AGGRAVATED_EFFECTS))



@dataclass(frozen=True, slots=True)
class Example:
    answers: Mapping[str, Any]
    jurisdiction: str
    as_of: dt.date
    note: str | None = None


@dataclass(frozen=True, slots=True)
class LoweredExample:
    """A rule's example of one of its measures at work (``examples.lowered``): ``without`` fires the rule
    with none of its measures in place, so the residual level equals the inherent one; ``with_measure``
    (the same answers plus the measure's, same jurisdiction and date) still fires it, applies
    ``mitigation`` and gives a lower residual level."""

    mitigation: str
    without: Example
    with_measure: Example


@dataclass(frozen=True, slots=True)
class NoMitigation:
    """A risk rule's declaration that no measure lowers it (``mitigations: none``): ``reason`` ({en, zh})
    says why the only remedy is to remove the condition itself (after which the rule no longer fires);
    ``references`` cite where the law or guidance says so."""

    reason: Mapping[str, str]
    references: tuple[Reference, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, loaded from ``audit_rules/<pack>/<id>.yaml``. ``severity``/``likelihood`` are
    indexes into :data:`app.rules.schema.SCALE` (0 = negligible .. 3 = maximum)."""

    id: str
    version: int
    pack: str
    path: str
    title: Mapping[str, str]
    rationale: Mapping[str, str]
    recommendation: Mapping[str, str]
    category: str
    also_categories: tuple[str, ...]
    effect: str
    severity: int
    likelihood: int
    jurisdictions: frozenset[str]
    effective_from: dt.date | None
    effective_until: dt.date | None
    effective_note: str | None
    legal_review: Mapping[str, str] | None
    when: Condition
    when_raw: Any
    mitigations: tuple[Mitigation, ...]
    references: tuple[Reference, ...]
    fire_examples: tuple[Example, ...]
    silent_examples: tuple[Example, ...]
    overrides: tuple[str, ...] = ()
    effective_note_zh: str | None = None
    no_mitigation: NoMitigation | None = None
    """Set when the rule declares ``mitigations: none``; a risk rule has mitigations or this."""
    lowered_examples: tuple[LoweredExample, ...] = ()
    unless: Condition | None = None
    """Set when the rule declares ``unless``: where it holds, the rule stays silent (the law it applies
    does not reach the case, e.g. anonymous data); it is never part of a finding's evidence."""
    unverified: bool = field(init=False, compare=False)
    """True when any of the rule's references is marked UNVERIFIED (worked out once, from ``references``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unverified", any(r.unverified for r in self.references))

    def effective_note_in(self, lang: str) -> str | None:
        return in_lang(self.effective_note, self.effective_note_zh, lang)

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the rule's condition holds for ``answers`` and its ``unless`` does not."""
        if not self.when.test(answers):
            return False
        return self.unless is None or not self.unless.test(answers)

    def applies(self, jurisdiction: str, as_of: dt.date) -> bool:
        """Whether the rule is in force for ``jurisdiction`` on ``as_of``."""
        return _in_force(self.jurisdictions, self.effective_from, self.effective_until, jurisdiction, as_of)


@dataclass(frozen=True, slots=True)
class RiskMatrix:
    """Severity x likelihood -> risk level, CNIL's four-level scale on both axes."""

    cells: tuple[tuple[str, ...], ...]  # cells[severity][likelihood]

    def level(self, severity: int, likelihood: int) -> str:
        return self.cells[severity][likelihood]


@dataclass(frozen=True, slots=True)
class ScreeningCriterion:
    id: str
    label: Mapping[str, str]
    pinpoint: str
    when: Condition
    pinpoint_zh: str | None = None

    def pinpoint_in(self, lang: str) -> str:
        return in_lang(self.pinpoint, self.pinpoint_zh, lang)


@dataclass(frozen=True, slots=True)
class ScreeningScheme:
    """Whether a full impact assessment is required: ``threshold`` or more criteria met."""

    id: str
    title: Mapping[str, str]
    jurisdictions: frozenset[str]
    threshold: int
    required_text: Mapping[str, str]
    not_required_text: Mapping[str, str]
    references: tuple[Reference, ...]
    criteria: tuple[ScreeningCriterion, ...]
    effective_from: dt.date | None = None
    unless: Condition | None = None
    """Where it holds, no criterion counts (the assessment is not owed, e.g. for anonymous data)."""

    def criteria_met(self, answers: Mapping[str, Any]) -> tuple[ScreeningCriterion, ...]:
        """The criteria whose condition holds for ``answers``; none where ``unless`` holds."""
        if self.unless is not None and self.unless(answers):
            return ()
        return tuple(c for c in self.criteria if c.when(answers))


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    pinpoint: str
    text: Mapping[str, str]
    questions: tuple[str, ...]
    rules: tuple[str, ...]
    pinpoint_zh: str | None = None

    def pinpoint_in(self, lang: str) -> str:
        return in_lang(self.pinpoint, self.pinpoint_zh, lang)


@dataclass(frozen=True, slots=True)
class Framework:
    """A legal framework's required contents mapped to the questions and rules that cover them."""

    id: str
    title: Mapping[str, str]
    source: str
    jurisdictions: frozenset[str]
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything the engine needs, loaded and validated once; immutable, versioned and hashed."""

    version: str
    sha256: str
    questionnaire: Questionnaire
    rules: tuple[Rule, ...]
    sources: Mapping[str, Source]
    matrix: RiskMatrix
    parameters: Mapping[str, Mapping[str, str]]
    root: str
    screening: tuple[ScreeningScheme, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    aggravations: tuple[Aggravation, ...] = ()
    _by_id: Mapping[str, Rule] = field(init=False, repr=False, compare=False)
    _by_jurisdiction: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {r.id: r for r in self.rules})
        named = {j for r in self.rules for j in r.jurisdictions}
        object.__setattr__(self, "_by_jurisdiction",
                           {j: tuple(r for r in self.rules if j in r.jurisdictions) for j in named})

    def rule(self, rule_id: str) -> Rule:
        """The rule whose id is ``rule_id``. Raises ``KeyError`` when there is none."""
        return self._by_id[rule_id]

    def rules_for(self, jurisdiction: str) -> tuple[Rule, ...]:
        """The rules declared for ``jurisdiction`` (whatever their dates), in the rule set's order."""
        return self._by_jurisdiction.get(jurisdiction, ())


LEVEL_RANK = {level: i for i, level in enumerate((*RISK_LEVELS, "prohibited"))}
