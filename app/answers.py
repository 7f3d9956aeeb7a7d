"""Answers files: a YAML or JSON mapping from question id to answer, plus optional ``as_of`` and ``school``.

``jurisdiction`` is an ordinary question id; ``as_of`` (YYYY-MM-DD, the date the law is applied on)
and ``school`` (the name of the school, shown on the report's cover) are the reserved keys.
Everything is checked before anything is used.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .rules.questionnaire import AnswerError, AnswersInvalid, Questionnaire
from .rules.yamlio import YamlError, load_yaml, to_plain

RESERVED = ("as_of", "school")
MAX_FILE_BYTES = 2 * 1024 * 1024


class AnswersFileError(ValueError):
    """The answers file cannot be used; ``problems`` lists each one, naming the question id."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + ("\n  ".join(["invalid answers file:", *problems])))


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def read_answers_file(path: Path, questionnaire: Questionnaire, *,
                      require_complete: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and check ``path`` (``.yaml``/``.yml``/``.json``).

    Returns ``(typed answers, meta)`` where ``meta`` holds ``as_of`` (a ``datetime.date``) and
    ``school`` (a non-empty ``str``, stripped) if given.
    Raises :class:`AnswersFileError` for unreadable files, unknown question ids, wrong types, unknown
    options and (if ``require_complete``) required questions left unanswered.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AnswersFileError(path, [f"cannot read file: {exc.strerror}"]) from None
    if size > MAX_FILE_BYTES:
        raise AnswersFileError(path, [f"file is {size} bytes; the limit is {MAX_FILE_BYTES}"])
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AnswersFileError(path, [f"not valid JSON: {exc}"]) from None
        except _DuplicateKey as exc:
            raise AnswersFileError(path, [f"duplicate key '{exc.key}': each question may be answered once"]) from None
    else:
        try:
            data = to_plain(load_yaml(path))
        except YamlError as exc:
            where = f"line {exc.line}: " if exc.line else ""
            raise AnswersFileError(path, [f"{where}{exc.message}"]) from None
    return parse_answers(data, questionnaire, source=path, require_complete=require_complete)


def parse_answers(data: Any, questionnaire: Questionnaire, *, source: Path | str = "<answers>",
                  require_complete: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check an already-parsed mapping; same contract as :func:`read_answers_file`."""
    if not isinstance(data, Mapping):
        raise AnswersFileError(source, ["the file must be a mapping of question id to answer"])
    raw = {str(k): v for k, v in data.items() if str(k) not in RESERVED}
    meta: dict[str, Any] = {}
    problems: list[str] = []
    if "as_of" in data:
        try:
            meta["as_of"] = dt.date.fromisoformat(str(data["as_of"]))
        except ValueError:
            problems.append(f"as_of: expected a date as YYYY-MM-DD, got {data['as_of']!r}")
    if "school" in data:
        school = data["school"]
        if isinstance(school, str) and school.strip():
            meta["school"] = school.strip()
        else:
            problems.append(f"school: expected the school's name as text, got {school!r}")
    try:
        answers = questionnaire.validate_answers(raw)
    except AnswersInvalid as exc:
        problems.extend(str(e) for e in exc.errors)
        answers = {}
    if require_complete and not problems:
        problems.extend(str(AnswerError(q.id, "answer.required"))
                        for q in questionnaire.missing_required(answers))
    if problems:
        raise AnswersFileError(source, problems)
    return answers, meta
