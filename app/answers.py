"""Answers files: a YAML or JSON mapping from question id to answer, plus optional ``as_of`` and ``school``.

``jurisdiction`` is an ordinary question id; ``as_of`` (YYYY-MM-DD, the date the law is applied on)
and ``school`` (the name of the school, shown on the report's cover) are the reserved keys.
Everything is checked before anything is used.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .rules.questionnaire import AnswerError, AnswersInvalid, Questionnaire
from .rules.yamlio import (
    UnreadableFile,
    YamlError,
    YamlLimits,
    key_at_line,
    line_of,
    loads_yaml,
    read_text_bounded,
    to_plain,
)

RESERVED = ("as_of", "school")
MAX_FILE_BYTES = 2 * 1024 * 1024
LIMITS = YamlLimits(max_depth=32, max_aliases=0, max_nodes=100_000, max_int_digits=30)
"""An answers file is a flat mapping: anchors and aliases are refused, nesting and integers bounded
(the same depth and digit limits apply to JSON)."""
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{]|[\]}]')
"""A JSON string (to the end of the text when it is not closed, so the scan stays linear) or a bracket."""
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')
"""Every string of valid JSON (so a scan never starts inside one); group 2 is set for object keys."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class AnswersFileError(ValueError):
    """The answers file cannot be used; ``problems`` lists each one, naming the question id (and
    the line, where the file has lines)."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + ("\n  ".join(["invalid answers file:", *problems])))


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


class _LongNumber(ValueError):
    def __init__(self, digits: str) -> None:
        self.digits = digits
        super().__init__(digits)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _bounded_int(digits: str) -> int:
    if sum(c.isdigit() for c in digits) > LIMITS.max_int_digits:
        raise _LongNumber(digits)
    return int(digits)


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings skipped)."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _json_key_lines(text: str) -> dict[str, int]:
    """The line of each key's first ``"key":`` in valid JSON ``text``, in one pass (an answers file
    is a flat mapping and duplicate keys are refused, so that is the key's entry)."""
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _JSON_STRING.finditer(text):
        if match.group(2):
            line += text.count("\n", counted, match.start())
            counted = match.start()
            lines.setdefault(json.loads(f'"{match.group(1)}"'), line)
    return lines


def _read_json(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    if _json_depth(text) > LIMITS.max_depth:
        raise AnswersFileError(path, [f"not valid answers: nested more than {LIMITS.max_depth} levels deep"])
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise AnswersFileError(path, [f"not valid JSON: {exc}"]) from None
    except _DuplicateKey as exc:
        raise AnswersFileError(path, [f"duplicate key '{exc.key}': each question may be answered once"]) from None
    except _LongNumber as exc:
        offset = text.find(exc.digits)
        keys = [m for m in _JSON_STRING.finditer(text, 0, offset) if m.group(2)]
        where = f"line {_line_at(text, offset)}: " + (f"{keys[-1].group(1)}: " if keys else "")
        raise AnswersFileError(path, [f"{where}a number of {len(exc.digits):,} digits; at most "
                                      f"{LIMITS.max_int_digits} are accepted"]) from None
    except (ValueError, RecursionError) as exc:  # e.g. a number Python itself cannot convert
        raise AnswersFileError(path, [f"not valid JSON: {exc}"]) from None
    lines = _json_key_lines(text)
    if _has_surrogate(data):
        # json reads a lone "\\ud800" as a character no file, page or PDF can hold: refused, as in YAML
        key = next((str(k) for k, v in data.items() if _has_surrogate(k) or _has_surrogate(v)), None) \
            if isinstance(data, dict) else None
        where = (f"line {lines[key]}: " if key in lines else "") + \
            (f"{key.encode('utf-8', 'backslashreplace').decode('utf-8')}: " if key is not None else "")
        raise AnswersFileError(path, [f"{where}an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 pair, "
                                      "not a character"])
    return data, lines


def _has_surrogate(value: Any) -> bool:
    """Whether a string in ``value`` (parsed JSON, nested at most :data:`LIMITS` deep) holds a
    surrogate code point, U+D800 to U+DFFF."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _read_yaml(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    try:
        tree = loads_yaml(text, path, LIMITS)
    except YamlError as exc:
        key = key_at_line(text, exc.line, exc.column) if exc.line else None
        where = (f"line {exc.line}: " if exc.line else "") + (f"{key}: " if key else "")
        raise AnswersFileError(path, [f"{where}{exc.message}"]) from None
    data = to_plain(tree)
    lines = {str(k): line for k in tree if (line := line_of(tree, [k]))} if isinstance(tree, Mapping) else {}
    return data, lines


def read_answers_file(path: Path, questionnaire: Questionnaire, *,
                      require_complete: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and check ``path`` (``.yaml``/``.yml``/``.json``).

    Returns ``(typed answers, meta)`` where ``meta`` holds ``as_of`` (a ``datetime.date``) and
    ``school`` (a non-empty ``str``, stripped) if given.
    Raises :class:`AnswersFileError` (and nothing else) for files that are not regular files, larger
    than :data:`MAX_FILE_BYTES` or not UTF-8; for syntax errors, duplicate keys, aliases, nesting
    deeper than :data:`LIMITS` allows, integers of more than 30 digits, impossible dates, escapes
    that are not characters (a lone ``\\ud800``, YAML or JSON) and what else
    :func:`app.rules.yamlio.load_yaml` refuses (tags, mappings or lists as keys, ...); for
    unknown question ids, wrong types, unknown options and (if ``require_complete``) required
    questions left unanswered. Each problem names the question and, where known, the line.
    """
    path = Path(path)
    try:
        _raw, text = read_text_bounded(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise AnswersFileError(path, [exc.message]) from None
    data, lines = _read_json(path, text) if path.suffix.lower() == ".json" else _read_yaml(path, text)
    return parse_answers(data, questionnaire, source=path, require_complete=require_complete, lines=lines)


def parse_answers(data: Any, questionnaire: Questionnaire, *, source: Path | str = "<answers>",
                  require_complete: bool = True,
                  lines: Mapping[str, int] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check an already-parsed mapping; same contract as :func:`read_answers_file`. ``lines`` (key ->
    1-based line) puts the line before each problem about that key."""
    lines = lines or {}

    def at(key: str, problem: str) -> str:
        return f"line {lines[key]}: {problem}" if key in lines else problem

    if not isinstance(data, Mapping):
        raise AnswersFileError(source, ["the file must be a mapping of question id to answer"])
    raw = {str(k): v for k, v in data.items() if str(k) not in RESERVED}
    meta: dict[str, Any] = {}
    problems: list[str] = []
    if "as_of" in data:
        try:
            meta["as_of"] = dt.date.fromisoformat(str(data["as_of"]))
        except ValueError:
            problems.append(at("as_of", f"as_of: expected a date as YYYY-MM-DD, got {data['as_of']!r}"))
    if "school" in data:
        school = data["school"]
        if isinstance(school, str) and school.strip():
            meta["school"] = school.strip()
        else:
            problems.append(at("school", f"school: expected the school's name as text, got {school!r}"))
    try:
        answers = questionnaire.validate_answers(raw)
    except AnswersInvalid as exc:
        problems.extend(at(e.question_id, str(e)) for e in exc.errors)
        answers = {}
    if require_complete and not problems:
        problems.extend(str(AnswerError(q.id, "answer.required"))
                        for q in questionnaire.missing_required(answers))
    if problems:
        raise AnswersFileError(source, problems)
    return answers, meta
