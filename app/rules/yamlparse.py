"""The ruamel.yaml half of :mod:`app.rules.yamlio`: the strict parser, the parse-event reader and
line numbers in a round-trip tree.

Kept apart so that importing :mod:`app.rules.yamlio` (and so the rule loader) does not import
ruamel.yaml: a load whose every file comes from the disk cache parses no YAML. :mod:`app.rules.yamlio`
imports this module on first use; call its functions, not these.
"""

from __future__ import annotations

import re
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
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from .yamlio import PARSER_FAILURE, RULE_FILE_LIMITS, YamlError, YamlLimits


class _LimitExceeded(MarkedYAMLError):
    pass


class _Refused(MarkedYAMLError):
    """Valid YAML that this reader does not accept (a tag, a key, an anchor), with its mark."""


_CORE = "tag:yaml.org,2002:"
_KINDS = {ScalarNode: "a value", SequenceNode: "a list", MappingNode: "a mapping"}
_TAGS = {
    "a value": {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "merge")},
    "a list": {f"{_CORE}seq"},
    "a mapping": {f"{_CORE}map"},
}
"""The tags a node may carry, by kind: YAML 1.2's core schema, dates and the ``<<`` merge key.
Any other (``!!set``, ``!!omap``, ``!!pairs``, ``!!binary``, ``!!python/...``, local ``!name``) is refused."""


def _shown_tag(tag: Any) -> str:
    text = str(tag)
    return ("!!" + text[len(_CORE):] if text.startswith(_CORE) else text)[:60]


_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _StrictScanner(RoundTripScanner):
    """Only ``%YAML 1.2`` (or no ``%YAML`` line), and quoted escapes that stand for Unicode characters."""

    def scan_directive(self) -> Any:
        token = super().scan_directive()
        if token.name == "YAML" and tuple(token.value) != (1, 2):
            major, minor = token.value
            raise ScannerError(None, None, f"'%YAML {major}.{minor}': only YAML 1.2 is read here; remove the "
                               "%YAML line", token.start_mark)
        return token

    def scan_flow_scalar(self, style: Any) -> Any:
        start_mark = self.reader.get_mark()
        try:
            token = super().scan_flow_scalar(style)
        except ValueError:  # chr() of a \U escape past U+10FFFF
            raise ScannerError("while scanning a quoted scalar", start_mark, "an escape (\\U...) beyond "
                               "U+10FFFF, the last Unicode character", self.reader.get_mark()) from None
        if _SURROGATE.search(token.value):
            try:  # a \uD83D\uDE00 pair (as JSON writes it) is one character
                token.value = token.value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                raise ScannerError(None, None, "an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 "
                                   "pair, not a character", start_mark) from None
        return token


class _CoreResolver(VersionedResolver):
    """A plain ``=`` is the text "=" (YAML 1.2's core schema), not ruamel's YAML 1.1 ``!!value``."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        return self.DEFAULT_SCALAR_TAG if kind is ScalarNode and str(tag) == f"{_CORE}value" else tag


class _BoundedComposer(Composer):
    """Counts aliases and the nodes they stand for while the document is composed (aliases are
    shared, not copied, so counting stays linear in the file's size); refuses an anchor defined
    twice, an alias inside the value it names (a loop), a mapping or list used as a key, and tags
    outside :data:`_TAGS`."""

    limits: YamlLimits = RULE_FILE_LIMITS

    def compose_document(self) -> Any:
        self._aliases = 0
        self._sizes: dict[int, int] = {}
        self._open: set[str] = set()
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _LimitExceeded(None, None, "aliases (*name) are not accepted in this file"
                                     if not self.limits.max_aliases else
                                     f"more than {self.limits.max_aliases} aliases (*name)", event.start_mark)
            if event.anchor in self._open:
                raise _Refused(None, None, f"the alias *{event.anchor} stands inside the value it names "
                               "(a loop)", event.start_mark)
            return self._counted(super().compose_node(parent, index))  # checked where it was anchored
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                raise _Refused(None, None, f"the anchor &{anchor} is defined twice (first on line "
                               f"{self.anchors[anchor].start_mark.line + 1})", event.start_mark)
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        self._open.discard(anchor)
        kind = _KINDS[type(node)]
        if str(node.tag) not in _TAGS[kind]:
            raise _Refused(None, None, f"the tag {_shown_tag(node.tag)} is not accepted on {kind} (only text, "
                           "numbers, true/false, null, dates, lists and mappings are)", node.start_mark)
        if isinstance(node, MappingNode):
            for key, _value in node.value:
                if not isinstance(key, ScalarNode):
                    raise _Refused(None, None, f"{_KINDS[type(key)]} used as a key; a key is a single value "
                                   "such as a name or a number", key.start_mark)
        return self._counted(node)

    def _counted(self, node: Any) -> Any:
        if id(node) not in self._sizes:
            children = node.value if isinstance(node, SequenceNode) else \
                [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else []
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(c), 1) for c in children)
        if self._sizes[id(node)] > self.limits.max_nodes:
            raise _LimitExceeded(None, None, f"more than {self.limits.max_nodes:,} values once aliases are "
                                 "expanded", node.start_mark)
        return node


class _CheckedConstructor(RoundTripConstructor):
    """Refuses integers too long to be an answer or a parameter, impossible dates, and values an
    explicit tag cannot hold (``!!int x``, ``!!bool maybe``), naming the line."""

    limits: YamlLimits = RULE_FILE_LIMITS

    def construct_non_recursive_object(self, node: Any, tag: Any = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except MarkedYAMLError:
            raise
        except (LookupError, ValueError):  # ruamel's IndexError, KeyError, ValueError on e.g. '!!int +'
            what = f"'{str(node.value)[:40]}'" if isinstance(node, ScalarNode) else _KINDS[type(node)]
            raise ConstructorError(None, None, f"{what} is not a valid {_shown_tag(node.tag)}",
                                   node.start_mark) from None

    def construct_yaml_int(self, node: Any) -> Any:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > self.limits.max_int_digits:
            raise ConstructorError(None, None, f"a number of {digits:,} digits; at most "
                                   f"{self.limits.max_int_digits} are accepted", node.start_mark)
        value = super().construct_yaml_int(node)
        if abs(value) >= 10 ** self.limits.max_int_digits:  # 0x, 0o or 0b: fewer decimal digits written
            raise ConstructorError(None, None, f"a number of more than {self.limits.max_int_digits} digits; at "
                                   f"most {self.limits.max_int_digits} are accepted", node.start_mark)
        return value

    def construct_yaml_str(self, node: Any) -> Any:
        """Text: ruamel keeps "!!str 2026" (and a ``<<`` that is not a key) as a TaggedScalar, not a str."""
        return self.construct_scalar(node)

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            raise ConstructorError(None, None, f"'{str(node.value)[:40]}' is not a date that exists: {exc} "
                                   "(dates are YYYY-MM-DD and must exist)", node.start_mark) from None


_CheckedConstructor.add_constructor("tag:yaml.org,2002:str", _CheckedConstructor.construct_yaml_str)
_CheckedConstructor.add_constructor("tag:yaml.org,2002:merge", _CheckedConstructor.construct_yaml_str)
_CheckedConstructor.add_constructor("tag:yaml.org,2002:int", _CheckedConstructor.construct_yaml_int)
_CheckedConstructor.add_constructor("tag:yaml.org,2002:timestamp", _CheckedConstructor.construct_yaml_timestamp)


def _parser(limits: YamlLimits) -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.max_depth = limits.max_depth
    yaml.Scanner = _StrictScanner
    yaml.Resolver = _CoreResolver
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
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if isinstance(exc, MaxDepthExceededError):
            problem = f"nested more than {limits.max_depth} levels deep, the most accepted"
        elif "duplicate key" in str(exc):
            problem = f"duplicate key: {problem}"
        raise YamlError(path, line, problem, column) from exc
    except ReaderError as exc:
        if isinstance(exc.character, int) and 0 <= exc.position <= len(text):
            start = text.rfind("\n", 0, exc.position) + 1
            raise YamlError(path, text.count("\n", 0, exc.position) + 1, f"the character U+{exc.character:04X} is "
                            "not allowed in YAML (a control character, or not a character)",
                            exc.position - start + 1) from exc
        raise YamlError(path, None, str(exc)) from exc
    except YAMLError as exc:
        raise YamlError(path, None, str(exc)) from exc
    except (ArithmeticError, AssertionError, AttributeError, LookupError, RecursionError, TypeError,
            ValueError) as exc:
        # Every failure known is refused above (or by the scanner, composer and constructor) with its
        # line; this keeps one not yet known from escaping as a traceback.
        raise YamlError(path, None, f"{PARSER_FAILURE} ({type(exc).__name__}: {str(exc)[:200]})") from exc


def key_at_line(text: str, line: int, column: int | None = None) -> str | None:
    """:func:`app.rules.yamlio.key_at_line`."""
    key: str | None = None
    depth, expect_key = 0, False
    place = (line - 1, column - 1 if column else float("inf"))
    try:
        for event in _parser(RULE_FILE_LIMITS).parse(text):
            if event.start_mark is not None and (event.start_mark.line, event.start_mark.column) > place:
                break
            if isinstance(event, CollectionStartEvent):
                if depth >= RULE_FILE_LIMITS.max_depth:
                    break  # the scanner's work grows with the square of the nesting: stop early
                if depth == 0:
                    expect_key = isinstance(event, MappingStartEvent)
                    if not expect_key:
                        return None
                elif depth == 1:
                    if expect_key:
                        key = None  # a mapping or a list as a key: there is no name to give
                    expect_key = not expect_key
                depth += 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif depth == 1 and isinstance(event, ScalarEvent | AliasEvent):
                if expect_key:
                    key = str(event.value) if isinstance(event, ScalarEvent) else None
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
