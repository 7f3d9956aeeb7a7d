"""Stored assessment results, read back as typed data: the one reader of the JSON contract.

The engine writes a result with :meth:`app.rules.engine.Assessment.to_dict` (the JSON contract,
``docs/json-contract.md``); the web app stores that mapping with every assessment snapshot and the
review loop, the registry and the pages read it back through :meth:`StoredResult.from_json` only.

Keys are only ever added to the contract, so every shape stored so far reads: a key an older
version did not write gets its default (``screening``, ``merged`` and ``matched`` did not exist
in the first stored results); keys this version does not know are ignored. A result that is not
of the contract's shape raises :class:`ResultFormatError` naming the key, never a bare
``KeyError`` somewhere downstream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine import headline_level, reference_dict, trace_step_dict
from .schema import CATEGORIES, EFFECTS, JURISDICTIONS, RISK_LEVELS, SCALE, VERDICTS


class ResultFormatError(ValueError):
    """A stored result does not have the shape of the JSON contract.

    ``path`` locates the offending key (``findings[2].effect``; ``""`` for the whole result),
    ``message`` says what is wrong with it.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"stored assessment result, {path}: {message}" if path else
                         f"stored assessment result: {message}")


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    """An answer that triggered a finding: ``question`` id and ``answer`` as stored (a JSON value:
    dates as ``YYYY-MM-DD``, multi-choice answers as lists; ``None``: not answered). ``matched``:
    the options of a multi-choice answer the rule looked for and found, ``None`` when the whole
    answer is the evidence."""

    question: str
    answer: Any
    matched: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StoredReference:
    """A finding's citation: ``source`` id, ``pinpoint`` (e.g. "Art. 28") and ``verification``."""

    source: str
    pinpoint: str
    verification: str


TRACE_STEPS = ("base", "aggravation", "mitigation", "unlawful", "prohibited")
"""The kinds of step in a finding's trace (:class:`app.rules.engine.TraceStep`)."""


@dataclass(frozen=True, slots=True)
class StoredTraceStep:
    """One step of a finding's trace from its base level to its final level (see
    :class:`app.rules.engine.TraceStep`): ``kind`` (one of :data:`TRACE_STEPS`; ``step`` in the JSON), the ``severity``,
    ``likelihood`` and ``level`` after it, the aggravation's or measure's ``id``, ``change`` (signed
    steps per axis, e.g. ``{"severity": 1}``), ``held`` (a measure the effect does not let lower the
    level) and the aggravation's ``references``."""

    kind: str
    severity: str
    likelihood: str
    level: str
    id: str | None = None
    change: Mapping[str, int] = field(default_factory=dict)
    held: bool = False
    references: tuple[StoredReference, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredScreening:
    """Whether a full impact assessment (``scheme``: pipia, dpia) is ``required``: ``threshold`` or
    more of the criteria were met (``criteria_met``, criterion ids)."""

    scheme: str
    required: bool
    threshold: int
    criteria_met: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """One finding as stored. Levels are words of the closed vocabularies in :mod:`.schema`;
    ``rule_version``, ``residual_severity`` and ``residual_likelihood`` are ``None`` only in a
    result that did not record them."""

    rule_id: str
    category: str
    effect: str
    severity: str
    likelihood: str
    risk_level: str
    residual_risk_level: str
    rule_version: int | None = None
    residual_severity: str | None = None
    residual_likelihood: str | None = None
    evidence: tuple[StoredEvidence, ...] = ()
    mitigations_applied: tuple[str, ...] = ()
    references: tuple[StoredReference, ...] = ()
    unverified: bool = False
    merged: tuple[str, ...] = ()
    aggravations_applied: tuple[str, ...] = ()
    trace: tuple[StoredTraceStep, ...] = ()
    """Empty in a result written before rule set 0.4.0 (not recorded, not "no steps")."""

    @property
    def headline_level(self) -> str:
        """The level the report states and counts (:func:`app.rules.engine.headline_level`)."""
        return headline_level(self.effect, self.residual_risk_level)


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A stored evaluation: verdict, jurisdiction, the date the law was applied on (``as_of``),
    rule-set version and SHA-256, findings (worst first, as the engine ordered them), screening."""

    verdict: str
    jurisdiction: str
    as_of: dt.date
    rule_set_version: str
    rule_set_sha256: str
    findings: tuple[StoredFinding, ...]
    screening: tuple[StoredScreening, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> StoredResult:
        """Read a stored result (the mapping :meth:`app.rules.engine.Assessment.to_dict` returned,
        possibly written by an older version). Raises :class:`ResultFormatError` for anything
        that is not of the contract's shape."""
        top = _Reader(data, "")
        rule_set = top.object("rule_set")
        raw_date = top.text("as_of")
        try:
            as_of = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise ResultFormatError("as_of", f"{raw_date!r} is not a date (YYYY-MM-DD)") from None
        return cls(
            verdict=top.text("verdict", choices=VERDICTS),
            jurisdiction=top.text("jurisdiction", choices=JURISDICTIONS),
            as_of=as_of,
            rule_set_version=rule_set.text("version"),
            rule_set_sha256=rule_set.text("sha256"),
            findings=tuple(_finding(r) for r in top.objects("findings")),
            screening=tuple(StoredScreening(r.text("scheme"), r.value("required", bool), r.value("threshold", int),
                                            r.texts("criteria_met"))
                            for r in top.objects("screening", optional=True)),
        )

    def to_json(self) -> dict[str, Any]:
        """The result as the JSON contract (what :meth:`from_json` reads; a result written by this
        version reads and writes back unchanged; an older one gains the keys it lacked)."""
        return {
            "verdict": self.verdict,
            "jurisdiction": self.jurisdiction,
            "as_of": self.as_of.isoformat(),
            "rule_set": {"version": self.rule_set_version, "sha256": self.rule_set_sha256},
            "screening": [{"scheme": s.scheme, "required": s.required, "threshold": s.threshold,
                           "criteria_met": list(s.criteria_met)} for s in self.screening],
            "findings": [_finding_json(f) for f in self.findings],
        }


def _finding(r: _Reader) -> StoredFinding:
    return StoredFinding(
        rule_id=r.text("rule_id"),
        category=r.text("category", choices=CATEGORIES),
        effect=r.text("effect", choices=EFFECTS),
        severity=r.text("severity", choices=SCALE),
        likelihood=r.text("likelihood", choices=SCALE),
        risk_level=r.text("risk_level", choices=RISK_LEVELS),
        residual_risk_level=r.text("residual_risk_level", choices=RISK_LEVELS),
        rule_version=r.value("rule_version", int, optional=True),
        residual_severity=r.text("residual_severity", choices=SCALE, optional=True),
        residual_likelihood=r.text("residual_likelihood", choices=SCALE, optional=True),
        evidence=tuple(StoredEvidence(e.text("question"), e.value("answer", object),
                                      e.texts("matched", optional=True) if "matched" in e.data else None)
                       for e in r.objects("evidence", optional=True)),
        mitigations_applied=r.texts("mitigations_applied", optional=True),
        references=_references(r),
        unverified=r.value("unverified", bool, optional=True) or False,
        merged=r.texts("merged", optional=True),
        aggravations_applied=r.texts("aggravations_applied", optional=True),
        trace=tuple(_trace_step(t) for t in r.objects("trace", optional=True)),
    )


def _references(r: _Reader) -> tuple[StoredReference, ...]:
    return tuple(StoredReference(ref.text("source"), ref.text("pinpoint"), ref.text("verification"))
                 for ref in r.objects("references", optional=True))


def _trace_step(t: _Reader) -> StoredTraceStep:
    change = t.value("change", Mapping, optional=True) or {}
    for axis, steps in change.items():
        if axis not in ("severity", "likelihood") or isinstance(steps, bool) or not isinstance(steps, int):
            raise ResultFormatError(t._at("change"), f"expected severity/likelihood: whole numbers, got {axis!r}")
    return StoredTraceStep(
        kind=t.text("step", choices=TRACE_STEPS), severity=t.text("severity", choices=SCALE),
        likelihood=t.text("likelihood", choices=SCALE), level=t.text("level", choices=RISK_LEVELS),
        id=t.text("id", optional=True), change=dict(change), held=t.value("held", bool, optional=True) or False,
        references=_references(t))




def _finding_json(f: StoredFinding) -> dict[str, Any]:
    evidence = []
    for e in f.evidence:
        item = {"question": e.question, "answer": e.answer}
        if e.matched is not None:
            item["matched"] = list(e.matched)
        evidence.append(item)
    return {
        "rule_id": f.rule_id, "rule_version": f.rule_version, "category": f.category, "effect": f.effect,
        "severity": f.severity, "likelihood": f.likelihood, "risk_level": f.risk_level,
        "residual_severity": f.residual_severity, "residual_likelihood": f.residual_likelihood,
        "residual_risk_level": f.residual_risk_level, "evidence": evidence,
        "mitigations_applied": list(f.mitigations_applied),
        "references": [reference_dict(r) for r in f.references],
        "unverified": f.unverified, "merged": list(f.merged),
        "aggravations_applied": list(f.aggravations_applied),
        "trace": [trace_step_dict(t) for t in f.trace],
    }


_KIND_NAMES = {str: "text", bool: "true or false", int: "a whole number", list: "a list", Mapping: "an object"}


class _Reader:
    """Typed access to one JSON object of a stored result; errors name the key's ``path``."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ResultFormatError(path, f"expected an object, got {_type_name(data)}")
        self.data = data
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def value(self, key: str, kind: type, *, optional: bool = False) -> Any:
        """The value of ``key``, which must be a ``kind`` (``object``: any JSON value); ``None`` for
        a missing ``optional`` key."""
        if key not in self.data:
            if optional:
                return None
            raise ResultFormatError(self._at(key), "missing")
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ResultFormatError(self._at(key), f"expected {_KIND_NAMES[kind]}, got {_type_name(value)}")
        return value

    def text(self, key: str, *, choices: tuple[str, ...] | None = None, optional: bool = False) -> Any:
        value = self.value(key, str, optional=optional)
        if value is not None and choices is not None and value not in choices:
            raise ResultFormatError(self._at(key), f"{value!r} is not one of {', '.join(choices)}")
        return value

    def texts(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        items = self.value(key, list, optional=optional) or []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ResultFormatError(f"{self._at(key)}[{i}]", f"expected text, got {_type_name(item)}")
        return tuple(items)

    def object(self, key: str) -> _Reader:
        return _Reader(self.value(key, Mapping), self._at(key))

    def objects(self, key: str, *, optional: bool = False) -> list[_Reader]:
        return [_Reader(item, f"{self._at(key)}[{i}]")
                for i, item in enumerate(self.value(key, list, optional=optional) or [])]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in _KIND_NAMES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    return type(value).__name__
