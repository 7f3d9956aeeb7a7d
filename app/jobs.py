"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, in the same process when it is not.

A job is a plain function named by its dotted path (``"app.audits.jobs.build_report_pdf"``) and
called with ids and short strings only, never pickled objects: whatever it needs it reads from the
database. :func:`submit` queues it on RQ (hard time limit ``JOB_TIMEOUT``, retries with the back-off
of ``JOB_RETRY_INTERVALS``) or, without Redis, runs it at once in this process and keeps its outcome
in memory (``make run`` stays zero-setup). When Redis is configured but cannot be reached, a job
that may run inline (``inline_ok``) runs inline and the fallback is logged; others raise
:class:`JobsUnavailable`. Every job runs in an application context of its own and reports its
progress through :func:`set_progress`; its return value is plain JSON.

Job ids are chosen by the caller from what the job produces (``report-<key>``), so two requests for
the same PDF share one job instead of rendering it twice.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from .problems import Problem

log = logging.getLogger(__name__)

QUEUE_NAME = "eduaudit"
JOBS_KEY = "eduaudit.jobs"
ACTIVE_STATES = ("queued", "started", "scheduled", "deferred")
"""RQ states of a job that will still run (a second request for it joins it)."""
INLINE_KEEP = 200
"""Outcomes of in-process jobs kept in memory (the most recent), for :func:`status`."""


class JobsUnavailable(Problem):
    """Redis is configured but cannot be reached, and the job may not run in this process; ``reason``
    is the connection error's text (for logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__("jobs.unavailable")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JobRef:
    """A job as its caller sees it.

    ``id``: the job id. ``state``: ``queued`` (waiting; also RQ's ``scheduled`` retry and ``deferred``),
    ``started``, ``finished`` or ``failed``. ``progress``: 0.0-1.0. ``stage``: a short id of what it is
    doing (``rendering``...). ``result``: the job's JSON return value once finished, else ``None``.
    ``error``: for ``failed``, a line for the log (never shown to users). ``meta``: what the caller
    attached when submitting (ids). ``inline``: it ran in this process.
    """

    id: str
    state: str
    progress: float = 0.0
    stage: str = ""
    result: Any = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    inline: bool = False

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed")


@dataclass
class _Jobs:
    """Per-app state: the Redis connection (or ``None``) and the outcomes of in-process jobs."""

    redis: Any
    inline: OrderedDict[str, JobRef] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_app(app: Flask) -> None:
    """Connect the app to Redis when ``REDIS_URL`` is set (lazily: nothing is sent until a job is)."""
    url = app.config.get("REDIS_URL")
    redis = None
    if url:
        from redis import Redis

        redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)
    app.extensions[JOBS_KEY] = _Jobs(redis)
    # A PDF link may carry the `download` attribute only when the PDF comes back in the same response;
    # with workers it may lead to a progress page, which a browser would otherwise save as the file.
    app.jinja_env.globals["pdfs_in_process"] = redis is None


def _state() -> _Jobs:
    return current_app.extensions[JOBS_KEY]


def queue():
    """The app's RQ queue, or ``None`` without ``REDIS_URL``."""
    from rq import Queue

    redis = _state().redis
    if redis is None:
        return None
    return Queue(current_app.config.get("JOB_QUEUE", QUEUE_NAME), connection=redis)


def submit(func: str, *args: Any, job_id: str, meta: dict[str, Any] | None = None,
           timeout: float | None = None, inline_ok: bool = True) -> JobRef:
    """Run ``func(*args)`` as job ``job_id``: queued on RQ, or at once in this process without Redis.

    ``func`` is a dotted path (``module.function``); ``args`` are ids and short strings. A job of
    this id that is still queued or running is joined, not queued twice. ``timeout`` (seconds,
    default ``JOB_TIMEOUT``) is a hard limit: RQ kills the job when it passes. A job that raises is
    retried after each of ``JOB_RETRY_INTERVALS`` seconds, then failed. Raises :class:`JobsUnavailable`
    when Redis cannot be reached and ``inline_ok`` is false; with ``inline_ok`` the job runs here.
    """
    from redis.exceptions import RedisError
    from rq import Retry
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    meta = dict(meta or {})
    q = queue()
    if q is None:
        return _run_inline(func, args, job_id, meta)
    config = current_app.config
    try:
        try:
            existing = Job.fetch(job_id, connection=q.connection)
            if existing.get_status(refresh=False) in ACTIVE_STATES:
                return _ref(existing)
        except NoSuchJobError:
            pass
        intervals = [int(x) for x in config["JOB_RETRY_INTERVALS"]]
        job = q.enqueue("app.worker.execute", func, *args, job_id=job_id, meta=meta,
                        job_timeout=int(timeout or config["JOB_TIMEOUT"]),
                        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
                        result_ttl=config["JOB_RESULT_TTL"], failure_ttl=config["JOB_RESULT_TTL"])
        return _ref(job)
    except RedisError as exc:
        if not inline_ok:
            raise JobsUnavailable(str(exc)) from exc
        log.warning("Redis unreachable (%s); running job %s in this process", exc, job_id)
        return _run_inline(func, args, job_id, meta)


def status(job_id: str) -> JobRef | None:
    """The job ``job_id`` as it is now, or ``None`` if no such job is known (expired, never submitted).

    Raises :class:`JobsUnavailable` when Redis is configured but cannot be reached.
    """
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    state = _state()
    with state.lock:
        inline = state.inline.get(job_id)
    if inline is not None or state.redis is None:
        return inline
    try:
        return _ref(Job.fetch(job_id, connection=state.redis))
    except NoSuchJobError:
        return None
    except RedisError as exc:
        raise JobsUnavailable(str(exc)) from exc


def set_progress(fraction: float, stage: str) -> None:
    """Record the running job's progress (0.0-1.0) and stage id; outside a job, nothing."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    # the process running it too: an operator (or a fault test) can tell which one to look at
    job.meta.update(progress=round(float(fraction), 3), stage=stage, pid=os.getpid())
    job.save_meta()


def _ref(job: Any) -> JobRef:
    raw = job.get_status(refresh=False)
    state = {"scheduled": "queued", "deferred": "queued", "stopped": "failed", "canceled": "failed"}.get(raw, raw)
    meta = dict(job.meta or {})
    finished = state == "finished"
    error = None
    if state == "failed":
        latest = job.latest_result()
        error = (latest.exc_string or "").strip().splitlines()[-1:] if latest is not None else None
        error = error[0] if error else "failed"
    return JobRef(id=job.id, state=state or "queued", progress=1.0 if finished else float(meta.get("progress", 0.0)),
                  stage=str(meta.get("stage", "")), result=job.return_value() if finished else None,
                  error=error, meta={k: v for k, v in meta.items() if k not in ("progress", "stage")})


def _run_inline(func: str, args: tuple[Any, ...], job_id: str, meta: dict[str, Any]) -> JobRef:
    try:
        result = run_job(func, *args)
        ref = JobRef(job_id, "finished", 1.0, "done", result=result, meta=meta, inline=True)
    except Exception as exc:  # not swallowed: logged with its traceback, the caller sees "failed"
        log.exception("job %s (%s) failed", job_id, func)
        ref = JobRef(job_id, "failed", 0.0, "", error=f"{type(exc).__name__}: {exc}", meta=meta, inline=True)
    state = _state()
    with state.lock:
        state.inline[job_id] = ref
        state.inline.move_to_end(job_id)
        while len(state.inline) > INLINE_KEEP:
            state.inline.popitem(last=False)
    return ref


# -- what a progress page shows -----------------------------------------------------------------------

STAGE_LABELS = {"queued": _l("Waiting for a free worker…"), "evaluating": _l("Evaluating the answers…"),
                "rendering": _l("Laying out the pages…"), "storing": _l("Storing the PDF…"),
                "done": _l("The PDF is ready.")}
"""What a progress page says for each stage of a PDF job."""


EXPORT_STAGE_LABELS = {"queued": STAGE_LABELS["queued"], "writing": _l("Writing the export…"),
                       "done": _l("The export is ready.")}
"""What a progress page says for each stage of a full export job."""


def progress_view(ref: JobRef, download_url: str | None,
                  labels: dict[str, Any] = STAGE_LABELS) -> dict[str, Any]:
    """A job producing a stored file (a PDF, an export) for its progress page and the page's script:
    ``state``, ``ready`` (the file is stored), ``percent`` (0-100), ``message`` (the stage from
    ``labels``, which has ``queued`` and ``done``, in the interface language), ``download_url`` (the
    given one once ready, else ``None``)."""
    ready = ref.state == "finished" and "key" in (ref.result or {})
    stage = "done" if ready else (ref.stage if ref.state == "started" and ref.stage in labels else "queued")
    return {"state": ref.state, "ready": ready, "percent": int(round(100 * (1.0 if ready else ref.progress))),
            "message": str(labels[stage]), "download_url": download_url if ready else None}


# -- running a job ------------------------------------------------------------------------------------

def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    if not module.startswith("app."):
        raise ValueError(f"refused to run {path!r}: jobs are functions of this application")
    return getattr(importlib.import_module(module), name)


def run_job(func: str, *args: Any) -> Any:
    """Run the job function ``func`` (dotted path under ``app.``) with ``args`` in a new application
    context of the current app (a database session of its own), and return its JSON result.

    :func:`app.worker.execute` calls this in a worker; :func:`submit` calls it without Redis.
    """
    from .extensions import db

    target = _resolve(func)
    with current_app._get_current_object().app_context():
        try:
            return target(*args)
        finally:
            db.session.remove()
