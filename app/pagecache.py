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
import os
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
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


class SharedPages(RenderedPages):
    """A :class:`RenderedPages` whose entries are also written to a folder that every process of the
    instance sees (``RESULTS_SHARED_DIR``), so a page rendered by one web worker is read, not rendered
    again, by the others and by a worker started later (after a restart or gunicorn's recycling).

    An entry is a mapping of JSON values whose ``MARKUP_FIELDS`` are HTML (wrapped in ``Markup`` again
    when read); its file is named by the SHA-256 of the key's canonical JSON, written atomically (a
    temporary file renamed), and at most ``limit`` files are kept (the least recently written go
    first). A file that cannot be read or parsed counts as missing and is written again."""

    MARKUP_FIELDS = ("report_html", "progress_html")

    def __init__(self, size: int, folder: Path, limit: int) -> None:
        super().__init__(size)
        self.folder, self.limit = folder, limit

    def _path(self, key: Hashable) -> Path:
        return self.folder / (digest(key) + ".json")

    def get(self, key: Hashable) -> Any:
        page = super().get(key)
        if page is not None or self.limit <= 0:
            return page
        try:
            stored = json.loads(self._path(key).read_text(encoding="utf-8"))
            page = {k: Markup(v) if k in self.MARKUP_FIELDS else v for k, v in stored.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        super().put(key, page)
        return page

    def put(self, key: Hashable, page: Any) -> None:
        super().put(key, page)
        if self.limit <= 0:
            return
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.folder, suffix=".tmp",
                                             delete=False) as out:
                json.dump({k: str(v) if k in self.MARKUP_FIELDS else v for k, v in page.items()}, out,
                          ensure_ascii=False, default=str)
            os.replace(out.name, path)
            files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for old in files[:max(0, len(files) - self.limit)]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # a full or read-only disk: the page is still kept in this process
            current_app.logger.warning("results page not shared with the other processes: %s", exc)


def pages() -> RenderedPages:
    """The current app's store of results pages (created on first use; ``RESULTS_CACHE_SIZE`` entries per
    process, 0 switches it off), shared with the instance's other processes through ``RESULTS_SHARED_DIR``
    (at most ``RESULTS_SHARED_SIZE`` files, 0: not shared), see :class:`SharedPages`."""
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        config = current_app.config
        store = current_app.extensions.setdefault(EXTENSION_KEY, SharedPages(
            int(config["RESULTS_CACHE_SIZE"]), Path(config["RESULTS_SHARED_DIR"]),
            int(config["RESULTS_SHARED_SIZE"]) if int(config["RESULTS_CACHE_SIZE"]) > 0 else 0))
    return store


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
