"""The report jobs of the API: the web's report-PDF jobs (:mod:`app.audits.jobs`) seen as the API's jobs.

The API asks only these three functions: :func:`request_report` (start producing an audit's PDF,
return the job), :func:`status` (the job's state) and :func:`pdf` (the finished PDF's bytes). A job
is the job queue's own (:mod:`app.jobs`): RQ on Redis when ``REDIS_URL`` is set, run at once in the
web process when it is not (then it is ``finished`` or ``failed`` when the request answers). Its id
is the queue's job id, ``report-<key>``, where ``key`` is the PDF's key in the PDF store; two
requests for the same PDF share one job, and a PDF already stored is served without rendering. The
PDF is read from the store (:func:`app.audits.jobs.stored_report`), byte for byte the one recorded
as issued. Who may see a job is decided by the API's views on the job's audit (``"pdf"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..audits import jobs as audit_jobs
from ..extensions import db
from ..models import Audit, User
from ..problems import Problem

JOB_ID = re.compile(r"report-([0-9a-f]{64})")
"""A report job's id: ``report-`` and the PDF's store key."""
STATES = ("queued", "running", "finished", "failed")

RENDER_LIMITS = ("time", "answers", "size")
"""Kinds of :class:`app.reports.limits.RenderLimitExceeded` a job reports as ``api.render_limit``."""


@dataclass(frozen=True, slots=True)
class Job:
    """A report job: ``id``, the ``audit_id`` and ``report_id`` of its audit, ``lang``, ``state`` (one
    of :data:`STATES`), ``progress`` (percent, 0-100), the PDF's store ``key``, its ``sha256`` once
    finished, and, once failed, ``problem`` (a :class:`app.problems.Problem`) with the HTTP ``status``
    it stands for (422 the audit's content, 503 try again later, 507 the store's disk is full)."""

    id: str
    audit_id: int
    report_id: str
    lang: str
    state: str
    progress: int
    key: str
    sha256: str | None = None
    problem: Problem | None = None
    status: int | None = None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed")


def request_report(audit: Audit, lang: str, user: User | None) -> Job:
    """Produce ``audit``'s report PDF in ``lang`` (``en`` or ``zh``) as a job and return it.

    The audit is evaluated first (its snapshot is committed even if the render then fails); raises
    :class:`app.evaluation.NotReady` when it cannot be. With a queue the job is ``queued`` (or
    ``running``, joined); without one it has run to its end here. A PDF stored already gives a
    ``finished`` job at once. Never raises :class:`app.jobs.JobsUnavailable`: with Redis down the
    job runs in this process.
    """
    ref = audit_jobs.request_report(audit.id, lang, user_id=user.id if user is not None else None)
    return _from_ref(ref, audit)


def status(job_id: str) -> Job | None:
    """The job ``job_id`` as it is now, or ``None`` if there is none (a malformed id, a job the queue
    no longer knows whose PDF is not stored, or whose audit is gone). A job the queue has forgotten
    (expired, or run by another web process without Redis) whose PDF is stored is ``finished``.

    Raises :class:`app.jobs.JobsUnavailable` when Redis is configured but cannot be reached.
    """
    match = JOB_ID.fullmatch(job_id)
    if match is None:
        return None
    ref = jobs.status(job_id)
    if ref is None or ref.meta.get("kind") != "report":
        stored = audit_jobs.stored_report(match.group(1))
        if stored is None:
            return None
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == stored.report_id))
        if audit is None:
            return None
        return Job(job_id, audit.id, stored.report_id, stored.lang, "finished", 100, match.group(1), stored.sha256)
    audit = db.session.get(Audit, ref.meta.get("audit_id"))
    return None if audit is None else _from_ref(ref, audit)


def pdf(job: Job) -> bytes | None:
    """The PDF of ``job`` from the store once it is ``finished`` (checked against its SHA-256), else ``None``."""
    if job.state != "finished":
        return None
    stored = audit_jobs.stored_report(job.key)
    return None if stored is None else stored.pdf


def _from_ref(ref: jobs.JobRef, audit: Audit) -> Job:
    key = ref.meta["key"]
    lang = ref.meta["lang"]
    fields: dict[str, Any] = {"id": ref.id, "audit_id": audit.id, "report_id": audit.report_id, "lang": lang,
                              "key": key}
    if ref.state in ("queued", "started"):
        return Job(**fields, state="running" if ref.state == "started" else "queued",
                   progress=min(99, int(round(100 * ref.progress))))
    result = ref.result or {}
    if ref.state == "finished" and "key" in result:
        stored = audit_jobs.stored_report(result["key"])
        if stored is not None:
            return Job(**fields, state="finished", progress=100, sha256=stored.sha256)
    problem, http_status = _problem(ref, result)
    return Job(**fields, state="failed", progress=100, problem=problem, status=http_status)


def _problem(ref: jobs.JobRef, result: dict[str, Any]) -> tuple[Problem, int]:
    """Why the job ``ref`` ended without a stored PDF, and the HTTP status that stands for it."""
    found = result.get("problem") or {}
    kind = found.get("kind")
    if kind in RENDER_LIMITS:
        return Problem("api.render_limit", kind=kind, limit=found.get("limit"), actual=found.get("actual")), (
            503 if kind == "time" else 422)
    if kind == "store_full":
        return Problem("api.store_full"), 507
    if kind == "not_ready":
        return Problem("api.report_not_ready"), 422
    # the worker gave up after its retries, the audit went away, or the PDF is no longer in the store
    current_app.logger.error("report job %s ended without a PDF: %s", ref.id, ref.error or result)
    return Problem("api.render_failed"), 503
