"""Load and validate the whole rule set under ``audit_rules/``.

Everything is checked before anything is used: every file against its JSON Schema, rule id equal to
file name, unique ids, every question and option a rule reads exists in the questionnaire, every
cited source exists in ``sources.yaml``, example answers are well-typed, no rule rests only on
UNVERIFIED sources. All problems are collected and raised together as :class:`RuleLoadError`, each
naming file, rule and line, so a bad rule file stops start-up with a message that says what to fix.

Reading a file (strict YAML parse, then its JSON Schema) is most of the cost of a load. A file whose
exact bytes were already read as valid, for the same kind, in this process is not parsed and
validated again: its result is reused (see :func:`_checked_file`). Everything that depends on more
than one file (questions, sources, ids, examples) is checked on every load.

Across processes, the validated data of every file is kept in a cache file on disk (JSON, see
:func:`cache_dir`), keyed by the SHA-256 of every rule file and of the loader's own code. A later
process whose files have the same bytes reads each file's validated data from there instead of
parsing and validating it again, then does every cross-file check as usual. The cache is a hint,
never an authority: an entry is used only for a file whose current bytes have the SHA-256 it records,
a corrupt or foreign cache file is ignored and rebuilt, and any problem found while building from it
makes the load start over from the YAML files (with line numbers). ``rules check`` does not use it.

A load whose every file comes from the disk cache parses no YAML and runs no schema, so importing this
module imports neither ruamel.yaml nor jsonschema (most of its import time): the YAML parser is
imported on the first file parsed (:mod:`app.rules.yamlparse`), each validator built on the first file
of its kind (:func:`_validator`), with the same checks and messages.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import schema
from .conditions import ConditionError, compile_condition
from .model import (
    Aggravation,
    Example,
    Framework,
    LoweredExample,
    Mitigation,
    NoMitigation,
    Reference,
    Requirement,
    RiskMatrix,
    Rule,
    RuleSet,
    ScreeningCriterion,
    ScreeningScheme,
    Source,
)
from .questionnaire import AnswersInvalid, Questionnaire, QuestionnaireError, build_questionnaire
from .yamlio import (
    MAX_RULE_FILE_BYTES,
    UnreadableFile,
    YamlError,
    line_of,
    loads_yaml,
    read_bounded,
    read_text_bounded,
    to_plain,
)

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "audit_rules"
VERIFICATION_RANK = {v: i for i, v in enumerate(schema.VERIFICATION)}  # higher = weaker
DEFAULT_EXAMPLE_DATE = dt.date(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the rule data. ``line`` is 1-based or ``None``."""

    file: str
    message: str
    rule: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [rule {self.rule}]" if self.rule else ""
        return f"{where}{who}: {self.message}"


class RuleLoadError(Exception):
    """The rule set is invalid; ``problems`` lists every :class:`Problem` found."""

    def __init__(self, problems: list[Problem], root: str = "audit_rules/") -> None:
        self.problems = problems
        self.root = root
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the rule set under {root} is invalid ({len(problems)} problem(s)):\n{lines}")


_SCHEMAS = {
    "rule": schema.RULE,
    "questionnaire": schema.QUESTIONNAIRE,
    "sources": schema.SOURCES,
    "matrix": schema.RISK_MATRIX,
    "ruleset": schema.RULESET,
    "screening": schema.SCREENING,
    "framework": schema.FRAMEWORK,
    "aggravations": schema.AGGRAVATIONS,
}
"""Kind of file -> its JSON Schema."""


@lru_cache(maxsize=16)
def _validator(kind: str) -> Any:
    """The JSON Schema validator (with format checks) of files of ``kind``, built on its first use.

    jsonschema is imported then, not with this module: a load whose every file comes from the disk
    cache validates nothing. Raises ``KeyError`` for an unknown kind."""
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(_SCHEMAS[kind], format_checker=FormatChecker())


_VALID_FILES: OrderedDict[tuple[str, bytes], tuple[Any, Any]] = OrderedDict()
"""(kind, SHA-256 of the file's bytes) -> (round-trip tree, plain data) of files read as valid."""
_VALID_FILES_MAX = 1024
_VALID_FILES_LOCK = threading.Lock()


def _checked_file(path: Path, kind: str, cached: Mapping[str, Any] | None = None,
                  seen: dict[str, tuple[str, str]] | None = None) -> tuple[Any, Any, list[tuple[str, int | None]]]:
    """Parse ``path`` as strict YAML and validate it against the schema of ``kind``.

    Returns (round-trip tree or ``None``, plain data or ``None``, problems as (message, line)). A valid
    file's result is remembered by its bytes, so the same bytes are not parsed and validated twice in
    one process; the caller gets its own copy of the plain data. Files with problems are never
    remembered: they are checked again on every read.

    ``cached`` is an entry of the disk cache for this file (``{"kind", "sha256", "data"}``): its data is
    returned, with no tree, only when its kind and SHA-256 match the file's current bytes. ``seen``
    gets (kind, SHA-256 hex) of the file under ``str(path)`` when the file is valid.
    """
    try:
        # Only a regular file, never more than the limit; decoded from the bytes that are hashed.
        raw, text = read_text_bounded(path, MAX_RULE_FILE_BYTES)
    except UnreadableFile as exc:
        return None, None, [(exc.message, None)]
    digest = hashlib.sha256(raw)
    if seen is not None:
        seen[str(path)] = (kind, digest.hexdigest())
    if cached is not None and cached.get("kind") == kind and cached.get("sha256") == digest.hexdigest():
        return None, cached["data"], []
    key = (kind, digest.digest())
    with _VALID_FILES_LOCK:
        known = _VALID_FILES.get(key)
        if known is not None:
            _VALID_FILES.move_to_end(key)
    if known is not None:
        return known[0], copy.deepcopy(known[1]), []
    try:
        tree = loads_yaml(text, path)
    except YamlError as exc:
        return None, None, [(exc.message, exc.line)]
    plain = to_plain(tree)
    errors = sorted(_validator(kind).iter_errors(plain), key=lambda e: list(e.absolute_path))
    problems = []
    for err in errors[:20]:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        msg = err.message if len(err.message) < 300 else err.message[:300] + "..."
        problems.append((f"{where}: {msg}", line_of(tree, list(err.absolute_path))))
    if problems:
        return tree, plain, problems
    remembered = (tree, copy.deepcopy(plain))
    with _VALID_FILES_LOCK:
        _VALID_FILES[key] = remembered
        if len(_VALID_FILES) > _VALID_FILES_MAX:
            _VALID_FILES.popitem(last=False)
    return tree, plain, []


class _Loader:
    def __init__(self, root: Path, cached: Mapping[str, Any] | None = None) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.cached = cached or {}
        """Disk cache entries by path relative to ``root`` (``/`` separated)."""
        self.valid: dict[str, tuple[str, str, Any]] = {}
        """Every file read as valid: path relative to ``root`` -> (kind, SHA-256 hex, plain data)."""
        self.digests: dict[str, tuple[str, str]] = {}

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def read(self, path: Path, kind: str, rule: str | None = None) -> tuple[Any, Any] | None:
        """Return (round-trip tree, plain data) or record problems and return ``None``."""
        key = _cache_name(path, self.root)
        tree, plain, problems = _checked_file(path, kind, self.cached.get(key), self.digests)
        for message, line in problems:
            self.problems.append(Problem(self.rel(path), message, rule, line))
        if problems:
            return None
        self.valid[key] = (kind, self.digests[str(path)][1], plain)
        return tree, plain


def _date(value: Any, parameters: Mapping[str, Mapping[str, str]]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dt.date.fromisoformat(parameters[value["param"]]["value"])
    return dt.date.fromisoformat(value)


def _localised(value: str | Mapping[str, str] | None) -> tuple[str | None, str | None]:
    """A pinpoint or note as (English or language-neutral text, Chinese text or ``None``): a plain
    string reads the same in both languages; a mapping has both (the schema checked it)."""
    if isinstance(value, Mapping):
        return value["en"], value["zh"]
    return value, None


def _references(data: list[dict], sources: Mapping[str, Source], bad) -> list[Reference]:
    """Citations with their effective verification (the weaker of the source's and the pinpoint's);
    ``bad(index, message)`` is called for each unknown source."""
    refs = []
    for i, r in enumerate(data):
        src = sources.get(r["source"])
        if src is None:
            bad(i, f"unknown source '{r['source']}' (not in the rule set's sources.yaml)")
            continue
        status = max(src.verification, r.get("verification", src.verification), key=VERIFICATION_RANK.get)
        (pinpoint, pinpoint_zh), (note, note_zh) = _localised(r["pinpoint"]), _localised(r.get("note"))
        refs.append(Reference(r["source"], pinpoint, status, note, pinpoint_zh=pinpoint_zh, note_zh=note_zh))
    return refs


def _content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.yaml") if p.is_file()):
        digest.update(str(path.relative_to(root)).replace(os.sep, "/").encode())
        digest.update(b"\0")
        try:  # bounded like every read of a rule file; an unreadable one is reported by the load itself
            digest.update(read_bounded(path, MAX_RULE_FILE_BYTES))
        except UnreadableFile:
            digest.update(b"\0unreadable")
        digest.update(b"\0")
    return digest.hexdigest()


CACHE_FORMAT = 1
"""Version of the cache file's layout; a file of another format is ignored."""
CACHE_KEEP = 8
"""Cache files kept in the cache folder (the most recently written); older ones are removed."""
_CODE_FILES = ("loader.py", "schema.py", "yamlio.py", "yamlparse.py", "questionnaire.py", "conditions.py", "model.py",
               "operators.py")


def cache_dir() -> Path | None:
    """The folder of the rule set's disk cache, or ``None`` when it is switched off.

    ``EDUAUDIT_RULES_CACHE_DIR`` names it; ``off`` (or an empty value) switches the cache off. Default:
    ``$XDG_CACHE_HOME/eduaudit/rules`` (``~/.cache/eduaudit/rules``). The folder must be writable only
    by the accounts that may change ``audit_rules/``: the cache holds validated data, which is used
    as is for files whose bytes match.
    """
    value = os.environ.get("EDUAUDIT_RULES_CACHE_DIR")
    if value is not None:
        return None if value.strip().lower() in ("", "off") else Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eduaudit" / "rules"


@lru_cache(maxsize=1)
def _code_version() -> str:
    """SHA-256 of the source of the modules that decide what a file's validated data is."""
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_key(sha256: str) -> str:
    return hashlib.sha256(f"{_code_version()}:{sha256}".encode()).hexdigest()


def _cache_name(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)).replace(os.sep, "/")
    except ValueError:
        return str(path)


def _read_cache(path: Path, key: str) -> dict[str, Any] | None:
    """The entries of the cache file at ``path`` when it is one of ours for ``key``, else ``None``."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("key") != key:
        return None
    files = data.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("kind"), str) and isinstance(e.get("sha256"), str)
            and isinstance(e.get("data"), dict) for e in files.values()):
        return None
    return files


def _write_cache(path: Path, key: str, valid: Mapping[str, tuple[str, str, Any]]) -> None:
    """Write the cache file atomically (a temporary file renamed into place); keep the newest
    :data:`CACHE_KEEP` files. A folder that cannot be written leaves the load uncached, not failed."""
    payload = {"format": CACHE_FORMAT, "key": key,
               "files": {name: {"kind": kind, "sha256": sha, "data": data}
                         for name, (kind, sha, data) in sorted(valid.items())}}
    import tempfile  # only a load that (re)writes the cache needs it: not imported with the loader

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ruleset-", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        old = sorted(path.parent.glob("ruleset-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        return


def _check_params(dates: Mapping[str, Any], where: list[str | int], parameters: Mapping[str, Mapping[str, str]],
                  bad) -> None:
    """``bad(path, message)`` for each ``from``/``until`` that names a parameter ruleset.yaml lacks."""
    for key in ("from", "until"):
        value = dates.get(key)
        if isinstance(value, Mapping) and value["param"] not in parameters:
            bad([*where, key], f"unknown parameter '{value['param']}' (define it in ruleset.yaml)")


def _examples(data: list[dict], where: list[str | int], jurisdictions: list[str], start: dt.date | None,
              qn: Questionnaire, bad, owner: str) -> tuple[Example, ...]:
    """Examples with their defaults: the first of ``jurisdictions``, and ``start`` (the effective date)
    or 2026-01-01, whichever is later; ``bad(path, message)`` is called for each ill-typed answer."""
    out = []
    for i, ex in enumerate(data):
        jur = ex.get("jurisdiction", jurisdictions[0])
        if jur not in jurisdictions:
            bad([*where, i, "jurisdiction"], f"example jurisdiction {jur} is not one of the {owner}")
        try:
            answers = qn.validate_answers(ex["answers"])
        except AnswersInvalid as exc:
            for err in exc.errors:
                bad([*where, i, "answers", err.question_id], f"example answer {err}")
            continue
        as_of = dt.date.fromisoformat(ex["as_of"]) if "as_of" in ex else \
            max(start or DEFAULT_EXAMPLE_DATE, DEFAULT_EXAMPLE_DATE)
        out.append(Example(answers, jur, as_of, ex.get("note")))
    return tuple(out)


def _build_rule(ld: _Loader, path: Path, pack: str, tree: Any, data: dict, qn: Questionnaire,
                sources: Mapping[str, Source], parameters: Mapping[str, Mapping[str, str]],
                require_measures: bool = True) -> Rule | None:
    rel = ld.rel(path)
    rid = data["id"]
    before = len(ld.problems)

    def bad(where: list[str | int], message: str) -> None:
        ld.problems.append(Problem(rel, message, rid, line_of(tree, where)))

    if rid != path.stem:
        bad(["id"], f"id '{rid}' must equal the file name '{path.stem}'")
    outside = sorted(set(data["jurisdictions"]) - set(schema.PACKS[pack]))
    if outside:
        bad(["jurisdictions"], f"pack '{pack}' cannot apply in {', '.join(outside)}")
    _check_params(data.get("effective", {}), ["effective"], parameters, bad)

    def compile_at(tree_part: Any, where: list[str | int]):
        try:
            return compile_condition(tree_part, qn, where)
        except ConditionError as exc:
            bad(list(exc.path), exc.message)
            return None

    when = compile_at(data["when"], ["when"])
    unless = compile_at(data["unless"], ["unless"]) if "unless" in data else None
    mitigations = []
    seen_mit: set[str] = set()
    declared = data.get("mitigations", [])
    for i, m in enumerate(declared if isinstance(declared, list) else []):
        if m["id"] in seen_mit:
            bad(["mitigations", i, "id"], f"duplicate mitigation id '{m['id']}'")
        seen_mit.add(m["id"])
        cond = compile_at(m["when"], ["mitigations", i, "when"])
        m_refs = _references(m.get("references", []), sources,
                             lambda j, msg, i=i: bad(["mitigations", i, "references", j, "source"], msg))
        if cond is not None:
            mitigations.append(Mitigation(m["id"], m["label"], cond, m["lowers"].get("severity", 0),
                                          m["lowers"].get("likelihood", 0), tuple(m_refs)))
    no_mitigation = _no_mitigation(data, sources, bad, require_measures)
    refs = _references(data["references"], sources, lambda i, msg: bad(["references", i, "source"], msg))
    if refs and all(r.unverified for r in refs):
        bad(["references"], "every reference is UNVERIFIED: a rule may not rest only on unverified sources")

    start = _date(data.get("effective", {}).get("from"), parameters) if len(ld.problems) == before else None
    examples = {kind: _examples(data["examples"][kind], ["examples", kind], data["jurisdictions"], start, qn, bad,
                                "rule's")
                for kind in ("fire", "silent")}
    lowered = _lowered_examples(data["examples"].get("lowered", []), data["jurisdictions"], start, qn, bad,
                                seen_mit)

    if len(ld.problems) != before or when is None:
        return None
    eff = data.get("effective", {})
    effective_note, effective_note_zh = _localised(eff.get("note"))
    return Rule(
        id=rid, version=data["version"], pack=pack, path=rel, title=data["title"], rationale=data["rationale"],
        recommendation=data["recommendation"], category=data["category"],
        also_categories=tuple(data.get("also_categories", ())), effect=data["effect"],
        severity=schema.SCALE.index(data["severity"]), likelihood=schema.SCALE.index(data["likelihood"]),
        jurisdictions=frozenset(data["jurisdictions"]), effective_from=_date(eff.get("from"), parameters),
        effective_until=_date(eff.get("until"), parameters), effective_note=effective_note,
        legal_review=data.get("legal_review"), when=when, when_raw=data["when"], mitigations=tuple(mitigations),
        references=tuple(refs), fire_examples=examples["fire"], silent_examples=examples["silent"],
        overrides=tuple(data.get("overrides", ())), effective_note_zh=effective_note_zh,
        no_mitigation=no_mitigation, lowered_examples=lowered, unless=unless,
    )


NO_MEASURES_DECLARED = (
    "a risk rule states which measures lower it: list them under 'mitigations' (each citing where the law or "
    "guidance names it), or write 'mitigations: none' with 'no_mitigation: {reason: {en, zh}, references}' "
    "saying why only removing the condition itself helps")


MEASURES_REQUIRED_FROM = (0, 8, 0)
"""The rule set version from which every risk rule must state its measures or why none lowers it. Older
rule sets (read again by ``rules diff --from`` and for stored assessments) still load as they were."""


def _no_mitigation(data: Mapping[str, Any], sources: Mapping[str, Source], bad,
                   required: bool = True) -> NoMitigation | None:
    """The rule's ``no_mitigation`` declaration, checked against ``mitigations``: a risk rule needs
    measures or ``mitigations: none`` with ``no_mitigation`` (when ``required``); ``none`` needs the
    declaration, and the declaration needs ``none``. ``bad(path, message)`` is called for each problem."""
    declared, nm = data.get("mitigations"), data.get("no_mitigation")
    if declared is None and nm is None:
        if data["effect"] == "risk" and required:
            bad(["id"], NO_MEASURES_DECLARED)
        return None
    if declared == "none" and nm is None:
        bad(["mitigations"], "'mitigations: none' needs 'no_mitigation: {reason: {en, zh}, references}' saying "
                             "why no measure lowers the risk")
        return None
    if nm is None:
        return None
    if declared != "none":
        bad(["no_mitigation"], "'no_mitigation' goes with 'mitigations: none', not with a list of measures")
        return None
    refs = _references(nm["references"], sources,
                       lambda j, msg: bad(["no_mitigation", "references", j, "source"], msg))
    if refs and all(r.unverified for r in refs):
        bad(["no_mitigation", "references"], "every reference is UNVERIFIED: say where the law or guidance "
                                             "supports that no measure lowers the risk")
    return NoMitigation(nm["reason"], tuple(refs))


def _lowered_examples(data: list[dict], jurisdictions: list[str], start: dt.date | None, qn: Questionnaire, bad,
                      mitigations: set[str]) -> tuple[LoweredExample, ...]:
    """A rule's ``examples.lowered``: each names one of the rule's ``mitigations`` (ids); its answers
    without and with the measure are checked like any example's. ``bad(path, message)`` per problem."""
    where = ["examples", "lowered"]
    plain = _examples(data, where, jurisdictions, start, qn, bad, "rule's")

    def bad_measure(path: list[str | int], message: str) -> None:
        # path is [*where, i, "answers", question]: name the measure's answer, once (the base answers'
        # own problems were reported above)
        i, question = path[2], path[-1]
        if question in data[i]["measure"]:
            bad([*where, i, "measure", question], message.replace("example answer", "example measure", 1))

    merged = _examples([{**ex, "answers": {**ex["answers"], **ex["measure"]}} for ex in data], where,
                       jurisdictions, start, qn, bad_measure, "rule's")
    out: list[LoweredExample] = []
    for i, ex in enumerate(data):
        if ex["mitigation"] not in mitigations:
            bad([*where, i, "mitigation"], f"example names unknown mitigation '{ex['mitigation']}' (not one of "
                                           "the rule's mitigations)")
    if len(plain) == len(merged) == len(data):
        out = [LoweredExample(ex["mitigation"], base, with_measure)
               for ex, base, with_measure in zip(data, plain, merged, strict=True)]
    return tuple(out)


def load_ruleset(root: Path | str | None = None, *, use_cache: bool = True) -> RuleSet:
    """Load, validate and hash the rule set in ``root`` (default: the repository's ``audit_rules/``).

    Returns an immutable :class:`RuleSet`. Raises :class:`RuleLoadError` listing every problem found,
    naming ``root`` as given (``audit_rules/`` by default).
    With ``use_cache`` (and a cache folder, see :func:`cache_dir`) each file's validated data is read
    from the disk cache when its bytes are unchanged, and a valid rule set is written there; the checks
    and the result are the same either way. ``use_cache=False`` parses and validates every file.
    """
    shown = str(root or os.environ.get("EDUAUDIT_RULES_DIR") or "audit_rules/")
    root = Path(root or os.environ.get("EDUAUDIT_RULES_DIR") or DEFAULT_ROOT).resolve()
    if not root.is_dir():
        raise RuleLoadError([Problem(str(root), "rule directory not found")], shown)
    folder = cache_dir() if use_cache else None
    if folder is None:
        return _load(_Loader(root), shown=shown)
    sha256 = _content_hash(root)
    path = folder / f"ruleset-{_cache_key(sha256)}.json"
    entries = _read_cache(path, _cache_key(sha256))
    if entries is not None:
        try:
            return _load(_Loader(root, entries), sha256, shown)
        except (RuleLoadError, KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # not what a valid set would give: start over from the files themselves, below
    ld = _Loader(root)
    ruleset = _load(ld, sha256, shown)
    if sha256 == _content_hash(root):  # not edited while it was being read
        _write_cache(path, _cache_key(sha256), ld.valid)
    return ruleset


def _load(ld: _Loader, sha256: str | None = None, shown: str = "audit_rules/") -> RuleSet:
    root = ld.root

    meta = ld.read(root / "ruleset.yaml", "ruleset")
    parameters = meta[1].get("parameters", {}) if meta else {}
    matrix_data = ld.read(root / "risk-matrix.yaml", "matrix")
    qn_data = ld.read(root / "questionnaire.yaml", "questionnaire")
    src_data = ld.read(root / "sources.yaml", "sources")
    screening_data = ld.read(root / "screening.yaml", "screening") if (root / "screening.yaml").exists() \
        else (None, {"schemes": []})
    if None in (meta, matrix_data, qn_data, src_data, screening_data):
        raise RuleLoadError(ld.problems, shown)

    try:
        qn = build_questionnaire(qn_data[1])
    except QuestionnaireError as exc:
        raise RuleLoadError([Problem(ld.rel(root / "questionnaire.yaml"), exc.message, None,
                                     line_of(qn_data[0], list(exc.path)))], shown) from None
    sources = {}
    for sid, s in src_data[1]["sources"].items():
        note, note_zh = _localised(s.get("note"))
        sources[sid] = Source(id=sid, **{**s, "note": note}, note_zh=note_zh)
    cells = tuple(tuple(matrix_data[1]["matrix"][sev][lik] for lik in schema.SCALE) for sev in schema.SCALE)

    screening = _build_screening(ld, root / "screening.yaml", screening_data, qn, sources)
    require_measures = tuple(int(n) for n in meta[1]["version"].split(".")) >= MEASURES_REQUIRED_FROM

    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for pack in schema.PACKS:
        pack_dir = root / pack
        if not pack_dir.is_dir():
            continue
        for path in sorted(pack_dir.iterdir()):
            if path.suffix in (".yml", ".json") or (path.is_file() and path.suffix != ".yaml"):
                ld.problems.append(Problem(ld.rel(path), "rule files must end in .yaml"))
                continue
            if path.is_dir():
                ld.problems.append(Problem(ld.rel(path), "rule packs do not nest folders"))
                continue
            read = ld.read(path, "rule", rule=path.stem)
            if read is None:
                continue
            tree, data = read
            if data["id"] in seen:
                ld.problems.append(Problem(ld.rel(path), f"duplicate rule id (also in {seen[data['id']]})",
                                           data["id"], line_of(tree, ["id"])))
                continue
            seen[data["id"]] = ld.rel(path)
            rule = _build_rule(ld, path, pack, tree, data, qn, sources, parameters, require_measures)
            if rule is not None:
                rules.append(rule)
    known = {r.id for r in rules} | set(seen)
    for rule in rules:
        for other in rule.overrides:
            if other not in known or other == rule.id:
                ld.problems.append(Problem(rule.path, f"overrides unknown rule '{other}'" if other != rule.id
                                           else "a rule cannot override itself", rule.id))
    frameworks = _build_frameworks(ld, root / "frameworks", qn, sources, {r.id for r in rules} | set(seen))
    aggravations = _build_aggravations(ld, root / "aggravations.yaml", qn, sources, parameters)
    if ld.problems:
        raise RuleLoadError(ld.problems, shown)
    if not rules:
        raise RuleLoadError([Problem(str(root), "no rules found in any pack folder")], shown)
    return RuleSet(version=meta[1]["version"], sha256=sha256 or _content_hash(root), questionnaire=qn,
                   rules=tuple(rules), sources=sources, matrix=RiskMatrix(cells), parameters=parameters, root=str(root),
                   screening=screening, frameworks=frameworks, aggravations=aggravations)


def _build_aggravations(ld: _Loader, path: Path, qn: Questionnaire, sources: Mapping[str, Source],
                        parameters: Mapping[str, Mapping[str, str]]) -> tuple[Aggravation, ...]:
    """The aggravating facts of ``audit_rules/aggravations.yaml`` (none when the file is absent), checked
    like rules: known questions, options and sources, unique ids, not only UNVERIFIED references."""
    if not path.exists():
        return ()
    read = ld.read(path, "aggravations")
    if read is None:
        return ()
    tree, data = read
    rel = ld.rel(path)
    out = []
    seen: set[str] = set()
    for i, a in enumerate(data["aggravations"]):
        before = len(ld.problems)

        def bad(where: list[str | int], message: str, i: int = i, aid: str = a["id"]) -> None:
            ld.problems.append(Problem(rel, message, aid, line_of(tree, ["aggravations", i, *where])))

        if a["id"] in seen:
            bad(["id"], f"duplicate aggravation id '{a['id']}'")
        seen.add(a["id"])
        try:
            when = compile_condition(a["when"], qn, ["aggravations", i, "when"])
        except ConditionError as exc:
            ld.problems.append(Problem(rel, exc.message, a["id"], line_of(tree, list(exc.path))))
            when = None
        eff = a.get("effective", {})
        _check_params(eff, ["effective"], parameters, bad)
        refs = _references(a["references"], sources, lambda j, msg: bad(["references", j, "source"], msg))
        if refs and all(r.unverified for r in refs):
            bad(["references"], "every reference is UNVERIFIED: an aggravation may not rest only on unverified "
                                "sources")
        scope = a["applies_to"]
        per = scope["jurisdictions"] if isinstance(scope["jurisdictions"], Mapping) else \
            {j: {} for j in scope["jurisdictions"]}
        for j, window in per.items():
            _check_params(window, ["applies_to", "jurisdictions", j], parameters, bad)
        if len(ld.problems) != before:
            continue
        # a jurisdiction's own dates win over the aggravation's `effective`
        windows = {j: (_date(w.get("from", eff.get("from")), parameters), _date(w.get("until", eff.get("until")),
                                                                             parameters))
                   for j, w in per.items()}
        # an example may sit outside the aggravation's jurisdictions (to show it does not apply there);
        # it defaults to the first of them, on its start date or 2026-01-01, whichever is later
        first = next(iter(per))
        anywhere = [first, *(j for j in schema.JURISDICTIONS if j != first)]
        examples = {kind: _examples(a["examples"][kind], ["examples", kind], anywhere, windows[first][0], qn, bad,
                                    "aggravation's")
                    for kind in ("apply", "not_apply")}
        if len(ld.problems) != before or when is None:
            continue
        out.append(Aggravation(
            id=a["id"], label=a["label"], rationale=a["rationale"], when=when,
            categories=frozenset(scope.get("categories", ())), effects=frozenset(scope.get("effects", ())),
            windows=windows, raise_severity=a["raises"].get("severity", 0),
            raise_likelihood=a["raises"].get("likelihood", 0), references=tuple(refs),
            apply_examples=examples["apply"], not_apply_examples=examples["not_apply"]))
    return tuple(out)


def _build_frameworks(ld: _Loader, folder: Path, qn: Questionnaire, sources: Mapping[str, Source],
                      rule_ids: set[str]) -> tuple[Framework, ...]:
    """Framework mappings; every rule id, question id and source they name must exist."""
    out: list[Framework] = []
    if not folder.is_dir():
        return ()
    for path in sorted(folder.glob("*.yaml")):
        read = ld.read(path, "framework")
        if read is None:
            continue
        tree, data = read
        rel = ld.rel(path)
        if data["id"] != path.stem:
            ld.problems.append(Problem(rel, f"id '{data['id']}' must equal the file name '{path.stem}'", None,
                                       line_of(tree, ["id"])))
        if data["source"] not in sources:
            ld.problems.append(Problem(rel, f"unknown source '{data['source']}'", None, line_of(tree, ["source"])))
        reqs = []
        for i, req in enumerate(data["requirements"]):
            for j, qid in enumerate(req["questions"]):
                if qid not in qn.questions:
                    ld.problems.append(Problem(rel, f"requirement '{req['id']}': unknown question '{qid}'", None,
                                               line_of(tree, ["requirements", i, "questions", j])))
            for j, rid in enumerate(req["rules"]):
                if rid not in rule_ids:
                    ld.problems.append(Problem(rel, f"requirement '{req['id']}': unknown rule '{rid}'", None,
                                               line_of(tree, ["requirements", i, "rules", j])))
            pinpoint, pinpoint_zh = _localised(req["pinpoint"])
            reqs.append(Requirement(req["id"], pinpoint, req["text"], tuple(req["questions"]),
                                    tuple(req["rules"]), pinpoint_zh))
        out.append(Framework(data["id"], data["title"], data["source"], frozenset(data["jurisdictions"]),
                             tuple(reqs)))
    return tuple(out)


def _build_screening(ld: _Loader, path: Path, read: tuple[Any, Any], qn: Questionnaire,
                     sources: Mapping[str, Source]) -> tuple[ScreeningScheme, ...]:
    tree, data = read
    schemes = []
    for si, s in enumerate(data["schemes"]):
        refs = _references(s["references"], sources, lambda ri, msg, si=si, sid=s["id"]: ld.problems.append(
            Problem(ld.rel(path), msg, sid, line_of(tree, ["schemes", si, "references", ri]))))
        criteria = []
        for ci, c in enumerate(s["criteria"]):
            try:
                cond = compile_condition(c["when"], qn, ["schemes", si, "criteria", ci, "when"])
            except ConditionError as exc:
                ld.problems.append(Problem(ld.rel(path), exc.message, s["id"], line_of(tree, list(exc.path))))
                continue
            pinpoint, pinpoint_zh = _localised(c["pinpoint"])
            criteria.append(ScreeningCriterion(c["id"], c["label"], pinpoint, cond, pinpoint_zh))
        start = dt.date.fromisoformat(s["effective_from"]) if "effective_from" in s else None
        unless = None
        if "unless" in s:
            try:
                unless = compile_condition(s["unless"], qn, ["schemes", si, "unless"])
            except ConditionError as exc:
                ld.problems.append(Problem(ld.rel(path), exc.message, s["id"], line_of(tree, list(exc.path))))
        schemes.append(ScreeningScheme(s["id"], s["title"], frozenset(s["jurisdictions"]), s["threshold"],
                                       s["required_text"], s["not_required_text"], tuple(refs), tuple(criteria),
                                       start, unless))
    return tuple(schemes)


@lru_cache(maxsize=4)
def _cached(root: str) -> RuleSet:
    ruleset = load_ruleset(root)
    # The rule set lives as long as the process: move it (and everything loaded so far) out of the
    # cyclic collector's way, so a full collection no longer walks its objects during a request.
    gc.collect()
    gc.freeze()
    return ruleset


def get_ruleset(root: Path | str | None = None) -> RuleSet:
    """The rule set for ``root`` (default as in :func:`load_ruleset`), loaded once per process.

    After a load, the objects alive in the process are frozen out of the garbage collector
    (:func:`gc.freeze`): they are never collected, and a full collection no longer visits them.
    """
    return _cached(str(Path(root or os.environ.get("EDUAUDIT_RULES_DIR") or DEFAULT_ROOT).resolve()))
