"""Rendered results pages kept per process, so a GET of an unchanged audit does not evaluate the
rules and render the report again.

An entry is keyed by everything the page shows: the audit (id and ``revision``, which changes with
every change of its row: answers, status, version), the rule set's SHA-256, the report's and the
interface's language, the school's name and the review shown in the report. Any of these changing
gives another key; nothing is ever invalidated by hand. Access checks run before the cache is asked.
The store is one per app (``app.extensions``), bounded (least recently used entries go first) and
thread-safe.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from flask import current_app

EXTENSION_KEY = "eduaudit.rendered_results"


class RenderedPages:
    """A bounded least-recently-used map from a key to a rendered page's parts (a ``dict``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
            return page

    def put(self, key: Hashable, page: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = page
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def pages() -> RenderedPages:
    """The current app's store (created on first use; ``RESULTS_CACHE_SIZE`` entries, 0 switches it off)."""
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = current_app.extensions.setdefault(
            EXTENSION_KEY, RenderedPages(int(current_app.config["RESULTS_CACHE_SIZE"])))
    return store


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (dates and other values as their ``str``)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
