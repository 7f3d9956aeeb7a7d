"""Text a request carries that no database, log line, page or PDF can hold, refused where the request is read.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``: half of a pair, not a character; UTF-8 cannot
encode it, so SQLite, PostgreSQL and the PDF writer fail on it) or NUL (``"\\u0000"``, which PostgreSQL
cannot store); an address, a query string or a form may spell NUL (``%00``) or bytes that are not
UTF-8 (``%ED%A0%80``, which werkzeug would keep as those nine characters; sent raw, such bytes made it
drop a whole urlencoded form, or raise for a query string). JSON nested deeper than Python's reader
follows is refused too (it raised ``RecursionError``).
Headers and uploaded file names bring neither into storage: werkzeug reads headers as Latin-1 (no
surrogate; HTTP servers refuse NUL in them, and ``User-Agent`` is kept only as printable ASCII), file
names with U+FFFD for encoded bytes that are not UTF-8 (raw ones make werkzeug drop the whole
multipart form: the "page has expired" 400), and an attached document's name loses its control
characters (:func:`app.evidence.services.clean_file_name`).

Where each is refused (every refusal is a :class:`RefusedText`, its ``refusals`` naming each place):

* JSON bodies, wherever read: :func:`loads` reads them for ``request.get_json`` (:class:`CheckedRequest`)
  and for the API's schemas (:mod:`app.api.parsing`); the API answers 422 naming ``json.<path>``;
* the address and the query string: before any other part of the app runs (:func:`register`): the
  API answers 422 naming ``query.<name>`` (400 for ``path``), pages the 400 page naming it;
* form fields: the form's own "not valid" message on the field (:class:`CheckedForm`, the base of
  every form of the app).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from flask import Flask, Request, current_app, request
from flask_wtf import FlaskForm
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property

from .i18n import describe
from .problems import Problem

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and the surrogate code points: text no database (or, for surrogates, UTF-8) can hold."""
_JSON_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
"""The only way valid JSON spells an unstorable character (raw NUL is refused by the JSON reader)."""
MAX_REFUSALS = 20
"""At most this many places are named in one refusal (the first ones, in the order of the request)."""


class RefusedText(Problem):
    """Text of the request that cannot be kept: ``refusals`` lists each place as ``(field, problem)``,
    field ``json`` or ``json.<key or index>...``, ``query.<name>``, ``form.<name>`` or ``path``, problem
    one of ``request.half_surrogate``, ``request.nul``, ``request.not_utf8`` (``bytes``: the first
    bytes that are not UTF-8, percent-encoded), ``request.too_deep``. The problem itself names the
    first (``request.refused``)."""

    def __init__(self, refusals: list[tuple[str, Problem]]) -> None:
        field, problem = refusals[0]
        super().__init__("request.refused", field=field, problem=problem)
        self.refusals = refusals[:MAX_REFUSALS]


def text_problem(text: str) -> Problem | None:
    """Why ``text`` cannot be kept (``request.nul`` or ``request.half_surrogate``); ``None`` when it can."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return Problem("request.nul") if found.group() == "\x00" else Problem("request.half_surrogate")


def shown(name: str) -> str:
    """``name`` (a key or parameter name of the request) as it can be shown, logged and stored: each
    character that is not printable (surrogates, NUL, other controls) as its Python escape."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name)


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> Problem:
    end = exc.end
    while end < min(len(data), exc.start + 4) and 0x80 <= data[end] <= 0xBF:  # the rest of the sequence
        end += 1
    return Problem("request.not_utf8", bytes=quote_from_bytes(data[exc.start:end], safe=""))


def decode(data: bytes) -> tuple[str, Problem | None]:
    """``data`` as text and why it cannot be kept (``None`` when it can): not UTF-8 (then the text has
    U+FFFD in place of those bytes, as browsers do), or :func:`text_problem`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), _not_utf8(data, exc)
    return text, text_problem(text)


def json_refusals(value: Any, where: str = "json") -> list[tuple[str, Problem]]:
    """Each key and string of parsed JSON ``value`` that cannot be kept, as ``(path, problem)``, in
    document order, at most :data:`MAX_REFUSALS` (path ``where`` then ``.<key>`` or ``.<index>`` per
    level, keys as :func:`shown`; a refused key is named by its own path)."""
    out: list[tuple[str, Problem]] = []
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack and len(out) < MAX_REFUSALS:
        path, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                out.append((path, problem))
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                problem = text_problem(key)
                if problem is not None:
                    out.append((f"{path}.{shown(key)}", problem))
                else:
                    children.append((f"{path}.{shown(key)}", child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}.{i}", child) for i, child in enumerate(item)]))
    return out[:MAX_REFUSALS]


def loads(data: bytes | str) -> Any:
    """A JSON request body, parsed by the app's JSON provider, but strictly UTF-8 and refusing what
    cannot be kept.

    Raises :class:`json.JSONDecodeError` for what is not JSON (an empty body too, as webargs expects)
    and :class:`RefusedText` (not a ``ValueError``: ``get_json(silent=True)`` does not hide it) for
    bytes that are not UTF-8, a lone surrogate or NUL in a key or a string, or nesting too deep to read.
    """
    if isinstance(data, bytes):
        text, problem = decode(data)
        if problem is not None and problem.code == "request.not_utf8":
            raise RefusedText([("json", problem)])
    else:
        text = data
    try:
        value = current_app.json.loads(text)
    except RecursionError:
        raise RefusedText([("json", Problem("request.too_deep"))]) from None
    if _JSON_ESCAPE.search(text):
        refusals = json_refusals(value)
        if refusals:
            raise RefusedText(refusals)
    return value


class _CheckedJson:
    """What :meth:`CheckedRequest.get_json` reads with: :func:`loads` (and the app's ``dumps``)."""

    loads = staticmethod(loads)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return current_app.json.dumps(obj, **kwargs)


def parse_pairs(data: bytes, where: str) -> tuple[list[tuple[str, str]], list[tuple[str, Problem]]]:
    """A query string or ``application/x-www-form-urlencoded`` body: its ``(name, value)`` pairs (as
    :func:`urllib.parse.parse_qsl` with blank values kept reads them) and the refused ones as
    ``(where.<name>, problem)`` (bytes that are not UTF-8, NUL; their text keeps U+FFFD for such bytes)."""
    items: list[tuple[str, str]] = []
    refused: list[tuple[str, Problem]] = []
    for chunk in data.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        name, name_problem = decode(unquote_to_bytes(raw_name.replace(b"+", b" ")))
        value, value_problem = decode(unquote_to_bytes(raw_value.replace(b"+", b" ")))
        items.append((name, value))
        problem = name_problem or value_problem
        if problem is not None:
            refused.append((f"{where}.{shown(name)}", problem))
    return items, refused


class _CheckedFormParser(FormDataParser):
    """Reads an urlencoded form with :func:`parse_pairs` (werkzeug drops the whole form for one byte
    that is not UTF-8, and keeps ``%ED%A0%80`` as text); the refused fields are left in ``refused``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: list[tuple[str, Problem]] = []

    def _parse_urlencoded(self, stream, mimetype, content_length, options):  # noqa: ANN001, ANN202
        items, refused = parse_pairs(stream.read(), "form")
        self.refused.extend(refused)
        return stream, self.cls(items), self.cls()


class CheckedRequest(Request):
    """The app's request: JSON read by :func:`loads`, the query string and urlencoded forms by
    :func:`parse_pairs` (never an exception for bytes that are not UTF-8), and what they refused kept
    (:attr:`refused_query`, :attr:`refused_form`)."""

    form_data_parser_class = _CheckedFormParser

    @property
    def json_module(self) -> Any:
        """What ``get_json`` parses the body with: :class:`_CheckedJson`, whatever is set (Flask sets
        the app's JSON provider on each request; :func:`loads` parses with it)."""
        return _CheckedJson

    @json_module.setter
    def json_module(self, _provider: Any) -> None:
        pass

    @cached_property
    def _query(self) -> tuple[list[tuple[str, str]], list[tuple[str, Problem]]]:
        return parse_pairs(self.query_string, "query")

    @cached_property
    def args(self):  # noqa: ANN201  (werkzeug's type)
        return self.parameter_storage_class(self._query[0])

    @cached_property
    def full_path(self) -> str:
        """Path and query string, as werkzeug's (which raises for a query string that is not UTF-8)."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    @property
    def refused_query(self) -> list[tuple[str, Problem]]:
        """``(query.<name>, problem)`` of each refused parameter of the query string."""
        return self._query[1]

    @cached_property
    def refused_path(self) -> list[tuple[str, Problem]]:
        """``[("path", problem)]`` when the address (percent-decoded) is not UTF-8 or holds NUL; else ``[]``."""
        _text, problem = decode(self.environ.get("PATH_INFO", "").encode("latin-1", "replace"))
        return [("path", problem)] if problem is not None else []

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        self._form_refused = parser.refused
        return parser

    @property
    def refused_form(self) -> dict[str, Problem]:
        """Field name -> why its urlencoded bytes were refused (reads the form if it was not read yet)."""
        _ = self.form
        return {field.removeprefix("form."): problem for field, problem in reversed(getattr(self, "_form_refused", []))}


class CheckedForm(FlaskForm):
    """The base of the app's forms: a field whose posted text cannot be kept (NUL, bytes that are not
    UTF-8; see :mod:`app.requesttext`) is not valid, with a message naming why (unless the field's own
    checks already refused it)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        recorded = request.refused_form if isinstance(request, CheckedRequest) else {}
        for field in self:
            if field.errors:
                continue
            problem = recorded.get(field.name) or _first(text_problem(v) for v in field.raw_data or ()
                                                         if isinstance(v, str))
            if problem is not None:
                field.errors = [*field.errors, describe(problem)]
                valid = False
        return valid


def _first(problems: Iterable[Problem | None]) -> Problem | None:
    return next((p for p in problems if p is not None), None)


def refuse_unreadable_address() -> None:
    """Before anything else of a request: raise :class:`RefusedText` for an address or a query string
    that cannot be kept."""
    refusals = [*request.refused_path, *request.refused_query]
    if refusals:
        raise RefusedText(refusals)


def register(app: Flask) -> None:
    """Read ``app``'s requests as :class:`CheckedRequest`, and check the address and query string of
    each before any other hook (the first of ``before_request``)."""
    app.request_class = CheckedRequest
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_address)

