"""``eduaudit evaluate`` over many answers files: all cores, one result per line, a bad file named.

Files are evaluated by a pool of processes that inherit the loaded rule set (forked after loading,
so it is read and validated once); results come back in the order of the files. Each NDJSON line is
the JSON contract (``docs/json-contract.md``) with ``"file"`` first, or ``{"file", "error"}`` for a
file that could not be used (its problems joined by "; "). The CSV summary has one row per file:
file, verdict, jurisdiction, as_of, rule-set version, the number of findings, of prohibited ones and
per residual risk level, and the error. Plain Python: no Flask, no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import click

from .answers import AnswersFileError, read_answers_file
from .rules.engine import evaluate
from .rules.model import RuleSet

SUFFIXES = (".yaml", ".yml", ".json")
"""Files a folder contributes (recursively, sorted by path)."""
LEVELS = ("critical", "high", "medium", "low")
CSV_FIELDS = ("file", "verdict", "jurisdiction", "as_of", "rule_set_version", "findings", "prohibited",
              *LEVELS, "error")

_ruleset: RuleSet | None = None  # the pool's processes inherit it


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files given and the answers files (``.yaml``, ``.yml``, ``.json``) inside folders given, in order;
    a path that does not exist is kept (its line reports it)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def evaluate_file(path: str, jurisdiction: str | None, as_of: dt.date | None) -> dict[str, Any]:
    """The result line of one answers file (see the module's docstring); never raises for a bad file."""
    assert _ruleset is not None
    try:
        answers, meta = read_answers_file(Path(path), _ruleset.questionnaire)
    except AnswersFileError as exc:
        return {"file": path, "error": "; ".join(exc.problems)}
    except (OSError, UnicodeDecodeError) as exc:
        return {"file": path, "error": f"cannot read the file: {exc}"}
    jur = jurisdiction or answers.get("jurisdiction")
    day = as_of or meta.get("as_of") or answers.get("planned_date")
    if jur is None or day is None:
        missing = "jurisdiction" if jur is None else "as_of or planned_date"
        return {"file": path, "error": f"{missing}: no value in the file and none given as an option"}
    return {"file": path, **evaluate(_ruleset, answers, jur, day).to_dict()}


def _evaluate_star(args: tuple[str, str | None, dt.date | None]) -> dict[str, Any]:
    return evaluate_file(*args)


def results(ruleset: RuleSet, files: list[Path], *, jurisdiction: str | None, as_of: dt.date | None,
            processes: int) -> Iterator[dict[str, Any]]:
    """One result per file, in order, evaluated by ``processes`` processes (in this one when 1 or
    for a single file)."""
    global _ruleset
    _ruleset = ruleset
    tasks = [(str(f), jurisdiction, as_of) for f in files]
    if processes <= 1 or len(tasks) <= 1:
        yield from map(_evaluate_star, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(64, len(tasks) // (processes * 4)))
    with ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=_init,
                             initargs=(None if "fork" in methods else ruleset,)) as pool:
        yield from pool.map(_evaluate_star, tasks, chunksize=chunk)


def _init(ruleset: RuleSet | None) -> None:
    global _ruleset
    if ruleset is not None:
        _ruleset = ruleset


def summary_row(result: dict[str, Any]) -> dict[str, Any]:
    """A result line as a CSV row (:data:`CSV_FIELDS`)."""
    if "error" in result:
        return {"file": result["file"], "error": result["error"]}
    findings = result.get("findings", [])
    row = {"file": result["file"], "verdict": result["verdict"], "jurisdiction": result["jurisdiction"],
           "as_of": result["as_of"], "rule_set_version": result["rule_set"]["version"],
           "findings": len(findings), "prohibited": sum(f["effect"] == "prohibited" for f in findings), "error": ""}
    for level in LEVELS:
        row[level] = sum(f["residual_risk_level"] == level for f in findings)
    return row


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write result lines as NDJSON (``json``/``ndjson``) or CSV to ``out``; returns how many had an error."""
    bad = 0
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, restval="", lineterminator="\n")
        writer.writeheader()
    for row in rows:
        bad += "error" in row
        if writer is not None:
            writer.writerow(summary_row(row))
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def evaluate_batch(ruleset: RuleSet, paths: Iterable[Path], *, jurisdiction: str | None, as_of: dt.date | None,
                   fmt: str, processes: int) -> int:
    """Evaluate every answers file of ``paths`` and print the results to standard output, with a
    progress bar on standard error when it is a terminal; returns the exit code (0 all fine, 2 when
    any file was bad or no file was found)."""
    files = expand(paths)
    if not files:
        click.echo("error: no answers files (.yaml, .yml, .json) found", err=True)
        return 2
    stream = results(ruleset, files, jurisdiction=jurisdiction, as_of=as_of, processes=processes)
    if sys.stderr.isatty():
        with click.progressbar(stream, length=len(files), label="Evaluating", file=sys.stderr,
                               show_pos=True, show_eta=True) as bar:
            bad = write_rows(bar, fmt, sys.stdout)
    else:
        bad = write_rows(stream, fmt, sys.stdout)
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) could not be evaluated (see their lines)", err=True)
    return 2 if bad else 0
