"""Render a PDF within limits: bounded input, bounded time, bounded output.

WeasyPrint has no time limit of its own, and a pathological document (a huge table, an answer of a
million characters) can keep a web worker busy for minutes. :func:`render_pdf_limited` therefore

1. refuses, before any rendering, a report whose answer text (the appendix) is too long;
2. renders in a child process and kills it when the time limit passes;
3. discards a PDF larger than the size limit.

The child-process mechanism, :func:`run_limited`, also serves other work on untrusted input (the
signature check of an uploaded PDF, with a memory cap as well). Children come from a "forkserver" (a
small server process, started on first use, that has already imported WeasyPrint and forks a fresh
child for each report) so a render costs no interpreter start-up, and a child never inherits the web
worker's database connections or threads. Where the platform has no forkserver, "spawn" is used.
This module imports neither Flask nor the models: the web view and the CLI both call it.
"""

from __future__ import annotations

import importlib
import multiprocessing
import pickle
import resource
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import DEFAULTS

DEFAULT_RENDERER = "app.reports.render:render_pdf"
"""``module:function`` that turns a report context into PDF bytes, imported in the child."""
PRELOAD = ["app.reports.render", "weasyprint", "pyhanko.pdf_utils.reader", "pyhanko.sign.validation"]
"""Imported once by the forkserver, so each child starts with them loaded (the renderer, and the
signature check of :mod:`app.verify`)."""
EXIT_GRACE_S = 5.0
"""How long a child that has sent its PDF may take to exit before it is killed."""


class RenderLimitExceeded(RuntimeError):
    """A limit stopped the render. ``kind``: ``"time"`` (the child was killed), ``"answers"`` (refused
    before rendering) or ``"size"`` (the PDF was discarded); ``limit`` and ``actual`` in seconds,
    characters or bytes. The message says which limit, in plain words."""

    def __init__(self, kind: str, message: str, *, limit: float, actual: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.limit = limit
        self.actual = actual


class RenderFailed(RuntimeError):
    """The rendering process ended without a PDF (it crashed, or its error could not be sent back)."""


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Limits of one render: ``timeout_s`` seconds of wall-clock time in the child, at most
    ``max_answer_chars`` characters of answer text, at most ``max_pdf_bytes`` bytes of PDF."""

    timeout_s: float = DEFAULTS["PDF_RENDER_TIMEOUT"]
    max_answer_chars: int = DEFAULTS["PDF_MAX_ANSWER_CHARS"]
    max_pdf_bytes: int = DEFAULTS["PDF_MAX_BYTES"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RenderLimits:
        """The limits set in an app's config (``PDF_RENDER_TIMEOUT``, ``PDF_MAX_ANSWER_CHARS``,
        ``PDF_MAX_BYTES``); a missing key keeps its default."""
        def get(key: str) -> Any:
            return config.get(key, DEFAULTS[key])

        return cls(timeout_s=float(get("PDF_RENDER_TIMEOUT")), max_answer_chars=int(get("PDF_MAX_ANSWER_CHARS")),
                   max_pdf_bytes=int(get("PDF_MAX_BYTES")))


def text_chars(value: Any) -> int:
    """Characters in every string inside ``value`` (nested dicts, lists and tuples; keys not counted)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(text_chars(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(text_chars(v) for v in value)
    return 0


def answer_chars(context: Mapping[str, Any]) -> int:
    """Characters of answer text in a report context: its ``appendix`` (every answer as printed).

    A context without an appendix is counted whole, so the limit never silently stops applying.
    """
    return text_chars(context["appendix"] if "appendix" in context else context)


def render_pdf_limited(context: Mapping[str, Any], limits: RenderLimits | None = None, *,
                       renderer: str = DEFAULT_RENDERER, pdf_variant: str | None = None) -> bytes:
    """The report ``context`` as PDF bytes, rendered by ``renderer`` in a child process within ``limits``.

    ``renderer`` is a ``module:function`` path (the child imports it; tests point it at a slow
    stand-in). ``pdf_variant`` (e.g. ``"pdf/a-3b"``, see :data:`app.reports.render.PDF_VARIANTS`) is
    passed to it as a keyword when set; an unknown one raises ``ValueError`` from the renderer.
    Raises :class:`RenderLimitExceeded` when a limit is hit (the child is killed on
    timeout), :class:`RenderFailed` when the child dies without an answer, and re-raises the
    renderer's own exception (e.g. ``AssetRefused``) when it fails.
    """
    limits = limits or RenderLimits()
    chars = answer_chars(context)
    if chars > limits.max_answer_chars:
        raise RenderLimitExceeded(
            "answers", f"the answers hold {chars:,} characters of text; a report may print at most "
            f"{limits.max_answer_chars:,}, so it was not rendered", limit=limits.max_answer_chars, actual=chars)
    return _render_within(renderer, dict(context), limits, pdf_variant)


def _render_within(renderer: str, context: dict[str, Any], limits: RenderLimits, pdf_variant: str | None) -> bytes:
    try:
        status, payload = run_limited(f"{__name__}:_render_checked",
                                      (renderer, context, limits.max_pdf_bytes, pdf_variant),
                                      timeout_s=limits.timeout_s, name="eduaudit-pdf")
    except ChildTimedOut:
        raise RenderLimitExceeded(
            "time", f"rendering the PDF took longer than {limits.timeout_s:g} seconds and was stopped",
            limit=limits.timeout_s) from None
    if status == "too_large":
        raise RenderLimitExceeded(
            "size", f"the PDF would be {payload:,} bytes; at most {limits.max_pdf_bytes:,} are allowed",
            limit=limits.max_pdf_bytes, actual=payload)
    return payload


class ChildTimedOut(RuntimeError):
    """:func:`run_limited`: the child took longer than its time limit and was killed."""


def run_limited(target: str, args: tuple[Any, ...], *, timeout_s: float, max_memory_bytes: int | None = None,
                name: str = "eduaudit-child") -> Any:
    """``target(*args)`` called in a child process, within ``timeout_s`` seconds of wall-clock time and,
    when ``max_memory_bytes`` is set, that many bytes of address space beyond what the child starts
    with (``RLIMIT_AS``: an allocation past it fails with ``MemoryError`` inside the child).

    ``target`` is a ``module:function`` path the child imports; ``args`` and the result travel
    pickled. Returns the result. Raises :class:`ChildTimedOut` (the child is killed), :class:`RenderFailed`
    when the child dies without an answer (a crash, or memory so short that no answer could be sent),
    and re-raises the target's own exception (``MemoryError`` included) when it fails.
    """
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_call_in_child, args=(sender, target, args, max_memory_bytes), name=name, daemon=True)
    try:
        child.start()
        sender.close()  # the child holds the only writer now: its death reads as end-of-file here
        if not receiver.poll(timeout_s):
            child.kill()
            raise ChildTimedOut(f"{target} took longer than {timeout_s:g} seconds and was stopped")
        try:
            status, payload = receiver.recv()
        except EOFError:
            child.join(EXIT_GRACE_S)
            raise RenderFailed(f"the child process ended without a result (exit code {child.exitcode})") from None
    finally:
        receiver.close()
        _reap(child)
    if status == "error":
        raise payload
    return payload


def _context() -> Any:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)  # takes effect when the server starts (first render)
    return ctx


def _reap(child: Any) -> None:
    if child.pid is None:  # never started
        return
    child.join(EXIT_GRACE_S)
    if child.is_alive():
        child.kill()
        child.join()
    child.close()


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _limit_memory(extra_bytes: int) -> None:
    """Cap this process's address space at its current size plus ``extra_bytes`` (Linux; elsewhere
    without ``/proc`` only the absolute cap ``extra_bytes`` is set)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _call_in_child(sender: Any, target: str, args: tuple[Any, ...], max_memory_bytes: int | None) -> None:
    """Child process: call ``target(*args)``, then send one message: ``("ok", result)`` or
    ``("error", exception)``."""
    try:
        if max_memory_bytes is not None:
            _limit_memory(max_memory_bytes)
        message: tuple[str, Any] = ("ok", _resolve(target)(*args))
    except MemoryError:
        message = ("error", MemoryError())  # its traceback would need memory that is not there
    except Exception as exc:  # not swallowed: the parent raises it
        message = ("error", _portable(exc))
    try:
        sender.send(message)
    finally:
        sender.close()


def _render_checked(renderer: str, context: dict[str, Any], max_pdf_bytes: int,
                    pdf_variant: str | None = None) -> tuple[str, Any]:
    """In the child: render, then ``("ok", pdf)``, or ``("too_large", size)`` without sending the PDF."""
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    pdf = _resolve(renderer)(context, **options)
    return ("too_large", len(pdf)) if len(pdf) > max_pdf_bytes else ("ok", pdf)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives the trip to the parent, else a :class:`RenderFailed` with its words."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # any pickling failure: the words are what matters
        return RenderFailed(f"{type(exc).__name__}: {exc}")
    return exc
