"""Strict YAML reading for rule data: YAML 1.2, duplicate keys rejected, line numbers kept.

Rule files are law-adjacent data. YAML 1.1 surprises (``no`` read as false, ``1:30`` read as a
sexagesimal number) and silently repeated keys would change what a rule means, so every file under
``audit_rules/`` is read through :func:`load_yaml`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError


class YamlError(ValueError):
    """A YAML file could not be read; ``line`` is 1-based or ``None``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def _parser() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml(path: Path | str) -> Any:
    """Read ``path`` as strict YAML 1.2 and return the round-trip tree (keeps line numbers).

    Raises :class:`YamlError` naming the file and line for syntax errors and duplicate keys.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(path, None, f"cannot read file: {exc}") from exc
    return loads_yaml(text, path)


def loads_yaml(text: str, path: Path | str = "<string>") -> Any:
    """Parse ``text`` like :func:`load_yaml`; ``path`` only names the source in errors."""
    try:
        return _parser().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if "duplicate key" in str(exc):
            problem = f"duplicate key: {problem}"
        raise YamlError(path, line, problem) from exc
    except YAMLError as exc:
        raise YamlError(path, None, str(exc)) from exc
    except ValueError as exc:
        # ruamel builds dates while parsing: an impossible one such as 2018-02-30 surfaces here.
        raise YamlError(path, None, f"invalid value: {exc} (dates are YYYY-MM-DD and must exist)") from exc


def to_plain(node: Any) -> Any:
    """Convert a round-trip tree to plain ``dict``/``list``/scalars; dates become ISO strings."""
    if isinstance(node, CommentedMap | dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [to_plain(v) for v in node]
    if isinstance(node, dt.datetime):
        return node.isoformat()
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day).isoformat()
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def line_of(root: Any, path: Sequence[str | int]) -> int | None:
    """Best 1-based line for the element at ``path`` inside a round-trip tree, or ``None``."""
    node = root
    best: int | None = getattr(getattr(root, "lc", None), "line", None)
    best = best + 1 if best is not None else None
    for key in path:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, CommentedMap) and key in node:
                if lc is not None:
                    best = lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                if lc is not None:
                    best = lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return best
