"""Compare two rule sets on the same audits, like a migration plan: whose verdict or findings change.

Pure: takes loaded rule sets and answer sets, returns plain results. The CLI feeds it the public
cases, answers files and stored audits.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from .engine import outcome
from .model import RuleSet
from .questionnaire import AnswersInvalid


@dataclass(frozen=True, slots=True)
class AuditInput:
    """One audit to re-evaluate: a label, raw answers, jurisdiction and date."""

    label: str
    answers: Mapping[str, Any]
    jurisdiction: str
    as_of: dt.date


@dataclass(frozen=True, slots=True)
class AuditChange:
    label: str
    jurisdiction: str
    as_of: dt.date
    old_verdict: str | None
    new_verdict: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    relevelled: tuple[tuple[str, str, str], ...]  # (rule id, old residual level, new residual level)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.error or self.old_verdict != self.new_verdict or self.added or self.removed
                    or self.relevelled)


def _levels(ruleset: RuleSet, item: AuditInput) -> tuple[str, dict[str, str]]:
    # Answers to questions one rule set does not have (added or removed between versions) are
    # left out for that side: they cannot have influenced it.
    known = {k: v for k, v in item.answers.items() if k in ruleset.questionnaire.questions}
    return outcome(ruleset, known, item.jurisdiction, item.as_of)


PARALLEL_MIN = 2000
"""Audits from which :func:`diff_rulesets` splits the work over processes (below, one process is quicker)."""
_WORK: tuple[RuleSet, RuleSet, list[AuditInput]] | None = None  # what forked workers read


def diff_rulesets(old: RuleSet, new: RuleSet, audits: Iterable[AuditInput], *, workers: int = 1,
                  parallel_min: int = PARALLEL_MIN) -> list[AuditChange]:
    """Evaluate every audit under ``old`` and ``new``; return one :class:`AuditChange` per audit, in order.

    Answers to questions a side does not know are ignored for that side. An audit whose answers a
    side rejects (an option removed, a question retyped) is reported with ``error`` set, never dropped.
    With ``workers`` > 1 and at least ``parallel_min`` audits, contiguous slices are compared in that many
    forked processes (where the platform forks; else in this one); the result is the same.
    """
    global _WORK
    items = list(audits)
    if workers <= 1 or len(items) < parallel_min or "fork" not in multiprocessing.get_all_start_methods():
        return [_change(old, new, item) for item in items]
    size = -(-len(items) // workers)
    _WORK = (old, new, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_slice, [(start, start + size) for start in range(0, len(items), size)])
    finally:
        _WORK = None
    return [change for part in parts for change in part]


def _slice(bounds: tuple[int, int]) -> list[AuditChange]:
    old, new, items = _WORK
    return [_change(old, new, item) for item in items[bounds[0]:bounds[1]]]


def _change(old: RuleSet, new: RuleSet, item: AuditInput) -> AuditChange:
    try:
        old_v, old_f = _levels(old, item)
    except AnswersInvalid as exc:
        return AuditChange(item.label, item.jurisdiction, item.as_of, None, None, (), (), (),
                           f"old rule set rejects the answers: {exc}")
    try:
        new_v, new_f = _levels(new, item)
    except AnswersInvalid as exc:
        return AuditChange(item.label, item.jurisdiction, item.as_of, old_v, None, (), (), (),
                           f"new rule set rejects the answers: {exc}")
    relevelled = tuple((r, old_f[r], new_f[r]) for r in sorted(old_f.keys() & new_f.keys()) if old_f[r] != new_f[r])
    return AuditChange(item.label, item.jurisdiction, item.as_of, old_v, new_v,
                       tuple(sorted(new_f.keys() - old_f.keys())), tuple(sorted(old_f.keys() - new_f.keys())),
                       relevelled)


def checkout_rules(ref: str, workdir: Path, repo: Path) -> Path:
    """A rule directory for ``ref``: an existing directory as is, else a git revision of ``repo``
    whose ``audit_rules/`` is extracted under ``workdir``. Raises ``ValueError`` if neither."""
    path = Path(ref)
    if path.is_dir():
        return path
    try:
        blob = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", "--end-of-options", ref,
                               "audit_rules"],
                              check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(exc, subprocess.CalledProcessError) \
            else str(exc)
        raise ValueError(f"'{ref}' is neither a directory nor a git revision with audit_rules/: {detail}") from None
    target = Path(tempfile.mkdtemp(prefix="rules-", dir=workdir))
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(target, filter="data")
    return target / "audit_rules"
