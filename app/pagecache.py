"""Rendered pages and parts of pages kept per process, each under a key naming everything it shows.

Two stores, one per app (``app.extensions``), bounded (least recently used entries go first) and
thread-safe. :func:`pages` keeps results pages, so a GET of an unchanged audit does not evaluate the rules
and render the report again: the key is the audit (id and ``revision``, which changes with every change of
its row: answers, status, version), the rule set's SHA-256, the report's and the interface's language, the
school's name, the review and the documents shown, and the latest snapshot. :func:`parts` keeps parts of
pages (the results page's content, a step's, a school's start page, the product list, a comparison), each
keyed by the data it shows, which the page reads on every request. Any of these changing gives another key; nothing is
ever invalidated by hand. Access checks run before a store is asked. A kept form holds
:data:`CSRF_PLACEHOLDER` where each response puts the session's own token (:func:`kept_form`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

EXTENSION_KEY = "eduaudit.rendered_results"
PARTS_EXTENSION_KEY = "eduaudit.rendered_parts"

CSRF_PLACEHOLDER = "csrf-" + secrets.token_hex(16)
"""Stands for the CSRF token in kept content (a form is kept for everyone who may see it; the token is
each session's own): random per process, so no answer text can contain it by chance or design."""


def with_csrf_token(html: str, token: str, count: int = 1) -> Markup:
    """Kept ``html`` with its :data:`CSRF_PLACEHOLDER` replaced by ``token`` (a CSRF token is URL-safe
    base64 and dots: nothing to escape). Raises ``ValueError`` if the placeholder is not there exactly
    ``count`` times (once per form the HTML holds)."""
    if html.count(CSRF_PLACEHOLDER) != count:
        times = "once" if count == 1 else f"{count} times"
        raise ValueError(f"kept content must hold the CSRF placeholder exactly {times}")
    return Markup(str(html).replace(CSRF_PLACEHOLDER, token))


class RenderedPages:
    """A bounded least-recently-used map from a key to a rendered page or part (any value; never ``None``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = page
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[Hashable]:
        """The keys kept now, least recently used first."""
        with self._lock:
            return list(self._entries)


def pages() -> RenderedPages:
    """The current app's store of results pages (created on first use; ``RESULTS_CACHE_SIZE`` entries, 0
    switches it off)."""
    return _store(EXTENSION_KEY, "RESULTS_CACHE_SIZE")


def parts() -> RenderedPages:
    """The current app's store of page parts: results and step contents, start pages, product lists, comparisons
    (created on first use; ``PAGE_PARTS_CACHE_SIZE`` entries, 0 switches it off). Each key starts with the
    kind of part."""
    return _store(PARTS_EXTENSION_KEY, "PAGE_PARTS_CACHE_SIZE")


def _store(name: str, size_setting: str) -> RenderedPages:
    store = current_app.extensions.get(name)
    if store is None:
        store = current_app.extensions.setdefault(name, RenderedPages(int(current_app.config[size_setting])))
    return store


def kept(key: Hashable, make: Callable[[], Any]) -> Any:
    """The page part kept under ``key`` in the current app's parts store (:func:`parts`); made by
    ``make()`` and kept when missing. ``key`` must name everything the part shows, its kind first."""
    store = parts()
    value = store.get(key)
    if value is None:
        value = make()
        store.put(key, value)
    return value


def kept_form(key: Hashable, render: Callable[[str], str]) -> Markup:
    """HTML holding a form, kept under ``key`` (see :func:`kept`): ``render(csrf_value)`` renders it with
    :data:`CSRF_PLACEHOLDER` as the form's token, and each response gets this session's own token in its
    place (``ValueError`` if the rendered HTML does not hold the placeholder exactly once)."""
    return with_csrf_token(kept(key, lambda: render(CSRF_PLACEHOLDER)), generate_csrf())


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (dates and other values as their ``str``)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
