"""The ruamel.yaml half of :mod:`app.rules.yamlio`: the strict parser, the parse-event reader and
line numbers in a round-trip tree.

Kept apart so that importing :mod:`app.rules.yamlio` (and so the rule loader) does not import
ruamel.yaml: a load whose every file comes from the disk cache parses no YAML. :mod:`app.rules.yamlio`
imports this module on first use; call its functions, not these.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, SequenceNode

from .yamlio import RULE_FILE_LIMITS, YamlError, YamlLimits


class _LimitExceeded(MarkedYAMLError):
    pass


class _BoundedComposer(Composer):
    """Counts aliases and the nodes they stand for while the document is composed (aliases are
    shared, not copied, so counting stays linear in the file's size)."""

    limits: YamlLimits = RULE_FILE_LIMITS

    def compose_document(self) -> Any:
        self._aliases = 0
        self._sizes: dict[int, int] = {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            mark = self.parser.peek_event().start_mark
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _LimitExceeded(None, None, "aliases (*name) are not accepted in this file"
                                     if not self.limits.max_aliases else
                                     f"more than {self.limits.max_aliases} aliases (*name)", mark)
        node = super().compose_node(parent, index)
        if id(node) not in self._sizes:
            children = node.value if isinstance(node, SequenceNode) else \
                [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else []
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(c), 1) for c in children)
        if self._sizes[id(node)] > self.limits.max_nodes:
            raise _LimitExceeded(None, None, f"more than {self.limits.max_nodes:,} values once aliases are "
                                 "expanded", node.start_mark)
        return node


class _CheckedConstructor(RoundTripConstructor):
    """Refuses integers too long to be an answer or a parameter, and impossible dates, naming the line."""

    limits: YamlLimits = RULE_FILE_LIMITS

    def construct_yaml_int(self, node: Any) -> Any:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > self.limits.max_int_digits:
            raise ConstructorError(None, None, f"a number of {digits:,} digits; at most "
                                   f"{self.limits.max_int_digits} are accepted", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            raise ConstructorError(None, None, f"'{str(node.value)[:40]}' is not a date that exists: {exc} "
                                   "(dates are YYYY-MM-DD and must exist)", node.start_mark) from None


_CheckedConstructor.add_constructor("tag:yaml.org,2002:int", _CheckedConstructor.construct_yaml_int)
_CheckedConstructor.add_constructor("tag:yaml.org,2002:timestamp", _CheckedConstructor.construct_yaml_timestamp)


def _parser(limits: YamlLimits) -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.max_depth = limits.max_depth
    yaml.Composer = type("Composer", (_BoundedComposer,), {"limits": limits})
    yaml.Constructor = type("Constructor", (_CheckedConstructor,), {"limits": limits})
    return yaml


def loads_yaml(text: str, path: Path | str, limits: YamlLimits) -> Any:
    """:func:`app.rules.yamlio.loads_yaml`."""
    try:
        return _parser(limits).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if isinstance(exc, MaxDepthExceededError):
            problem = f"nested more than {limits.max_depth} levels deep, the most accepted"
        elif "duplicate key" in str(exc):
            problem = f"duplicate key: {problem}"
        raise YamlError(path, line, problem) from exc
    except YAMLError as exc:
        raise YamlError(path, None, str(exc)) from exc
    except ValueError as exc:
        # Any other value ruamel cannot build while parsing (dates and integers are checked above).
        raise YamlError(path, None, f"invalid value: {exc}") from exc


def key_at_line(text: str, line: int) -> str | None:
    """:func:`app.rules.yamlio.key_at_line`."""
    key: str | None = None
    depth, expect_key = 0, False
    try:
        for event in _parser(RULE_FILE_LIMITS).parse(text):
            if event.start_mark is not None and event.start_mark.line > line - 1:
                break
            if isinstance(event, CollectionStartEvent):
                if depth >= RULE_FILE_LIMITS.max_depth:
                    break  # the scanner's work grows with the square of the nesting: stop early
                if depth == 0:
                    expect_key = isinstance(event, MappingStartEvent)
                    if not expect_key:
                        return None
                elif depth == 1:
                    expect_key = not expect_key
                depth += 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif depth == 1 and isinstance(event, ScalarEvent | AliasEvent):
                if expect_key and isinstance(event, ScalarEvent):
                    key = str(event.value)
                expect_key = not expect_key
    except (YAMLError, ValueError):
        pass  # the key reached before the error is the one wanted
    return key


def line_of(root: Any, path: Sequence[str | int]) -> int | None:
    """:func:`app.rules.yamlio.line_of`."""
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
