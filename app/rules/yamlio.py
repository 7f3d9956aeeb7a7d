"""Strict YAML reading for rule data: YAML 1.2, duplicate keys rejected, line numbers kept.

Rule files are law-adjacent data. YAML 1.1 surprises (``no`` read as false, ``1:30`` read as a
sexagesimal number) and silently repeated keys would change what a rule means, so every file under
``audit_rules/`` is read through :func:`load_yaml`.

Parsing is done by ruamel.yaml in :mod:`app.rules.yamlparse`, imported on the first parse (or line
lookup), not with this module: reading bounded files costs no YAML import.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class YamlError(ValueError):
    """A YAML file could not be read; ``line`` and ``column`` (where in the line) are 1-based or ``None``."""

    def __init__(self, path: Path | str, line: int | None, message: str, column: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class UnreadableFile(ValueError):
    """A file cannot be read safely: missing, not a regular file, too large or not UTF-8 text.
    ``message`` says which, in plain words."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """What one untrusted YAML document may hold.

    ``max_depth``: nesting of mappings and sequences; ``max_aliases``: ``*alias`` references (0
    refuses anchors' use altogether); ``max_nodes``: mappings, sequences and scalars counted as if
    every alias were written out in full, which bounds "billion laughs" expansions;
    ``max_int_digits``: digits of an integer (Python refuses more than 4,300 with its own message).
    """

    max_depth: int = 64
    max_aliases: int = 200
    max_nodes: int = 100_000
    max_int_digits: int = 30


PARSER_FAILURE = "the YAML reader failed on this file"
"""Begins the message of a :class:`YamlError` for a failure of the parser that no check foresaw (no
line is known then). Every failure known has its own message; tests look for this one to find more."""

RULE_FILE_LIMITS = YamlLimits()
"""Rule data: the largest file (``questionnaire.yaml``) has 3,108 nodes and is 13 levels deep; no
file uses aliases today, and a few are allowed so that authors may."""
MAX_RULE_FILE_BYTES = 1024 * 1024
"""A rule file larger than this is refused unread (the largest, ``questionnaire.yaml``, is 70 KB)."""


def read_bounded(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    Only a regular file is read (a symlink is followed, but a device such as ``/dev/zero``, a FIFO
    or a folder is refused, and a FIFO is never waited on). The size is not taken from ``stat``
    (``/proc`` files and devices report 0): at most ``max_bytes + 1`` bytes are read, and one byte
    too many refuses the file. Raises :class:`UnreadableFile`.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb", buffering=0) as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UnreadableFile(path, "not a regular file (a device, a pipe or a folder), so it was not read")
            chunks, left = [], max_bytes + 1
            while left > 0 and (chunk := fh.read(min(left, 1024 * 1024))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise UnreadableFile(path, f"cannot read file: {exc.strerror or exc}") from None
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise UnreadableFile(path, f"the file is larger than {max_bytes:,} bytes, the most accepted")
    return data


def read_text_bounded(path: Path | str, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of ``path`` (see :func:`read_bounded`) and their text, decoded as
    :meth:`Path.read_text` would (UTF-8, universal newlines). Raises :class:`UnreadableFile`."""
    raw = read_bounded(path, max_bytes)
    try:
        return raw, io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, f"cannot read file: {exc}") from None


def load_yaml(path: Path | str, limits: YamlLimits = RULE_FILE_LIMITS, max_bytes: int = MAX_RULE_FILE_BYTES) -> Any:
    """Read ``path`` as strict YAML 1.2 and return the round-trip tree (keeps line numbers).

    At most ``max_bytes`` of a regular file are read (see :func:`read_bounded`); the document must
    stay within ``limits``. Raises :class:`YamlError` (and nothing else, not even a warning) naming
    the file and line for syntax errors, duplicate keys, impossible dates, over-long integers,
    exceeded limits, a mapping or list used as a key, an anchor defined twice, an alias inside the
    value it names, tags other than YAML 1.2's core ones and dates (``!!set``, ``!!binary``,
    ``!!python/...``, ``!local``), values an explicit tag cannot hold (``!!int x``), a ``%YAML``
    line other than 1.2, control characters, and quoted escapes that are not Unicode characters (a
    lone ``\\uD800``). Only the file is named for files that cannot be read, and for a failure of
    the parser that no check foresaw (its message begins with :data:`PARSER_FAILURE`).
    """
    try:
        _raw, text = read_text_bounded(path, max_bytes)
    except UnreadableFile as exc:
        raise YamlError(path, None, exc.message) from None
    return loads_yaml(text, path, limits)


def loads_yaml(text: str, path: Path | str = "<string>", limits: YamlLimits = RULE_FILE_LIMITS) -> Any:
    """Parse ``text`` like :func:`load_yaml`; ``path`` only names the source in errors."""
    from . import yamlparse

    return yamlparse.loads_yaml(text, path, limits)


def key_at_line(text: str, line: int, column: int | None = None) -> str | None:
    """The top-level mapping key whose entry holds 1-based ``line`` of ``text`` (at 1-based
    ``column`` when given, else anywhere in the line), or ``None`` (the document is not a mapping,
    the place comes before its first key, or the key there is not a single value).

    Reads parser events only: nothing is composed or constructed and aliases are not followed, so
    a value that failed to load (an impossible date, an alias) can still be placed under its key,
    in time linear in the text."""
    from . import yamlparse

    return yamlparse.key_at_line(text, line, column)


def to_plain(node: Any) -> Any:
    """Convert a round-trip tree to plain ``dict``/``list``/scalars; dates become ISO strings."""
    if isinstance(node, dict):  # ruamel's CommentedMap is a dict, its CommentedSeq a list
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
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
    from . import yamlparse

    return yamlparse.line_of(root, path)
