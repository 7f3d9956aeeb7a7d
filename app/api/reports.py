"""``/api/v1``: report jobs: request an audit's PDF, poll the job, download the PDF.

A report job is the web's report-PDF job on the job queue (:mod:`.report_jobs`, :mod:`app.jobs`): a
request answers 202 with the job (``Location`` its address, ``Retry-After`` the seconds to wait
before polling while it is not done), the job answers its state, and the finished job's PDF comes
from the PDF store. Who may request and fetch a report is the report page's rule
(:func:`app.access.audit_for` with ``"pdf"``, asked of the job's audit); a job of an audit the
caller may not see answers 404, like an id that does not exist. Requests are limited per user like
PDF downloads (``PDF_RATE_LIMIT``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask_login import current_user

from .. import access
from ..evaluation import NotReady
from ..extensions import limiter
from ..jobs import JobsUnavailable
from . import report_jobs, schemas
from .audits import not_ready_problem
from .auth import limited, rate_key, signed_in
from .parsing import Blueprint
from .problems import ApiProblem, field_error

blp = limited(Blueprint("api_reports", __name__, description="Report PDFs, produced as jobs."))

POLL_AFTER = 2
"""Seconds a client waits before polling a job that is not done (``Retry-After``)."""
UNAVAILABLE_RETRY_AFTER = 60
"""``Retry-After`` (seconds) of a 503 when the job queue cannot be reached."""

JOB_HEADERS = {
    "Location": {"description": "the job's address", "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds to wait before polling; only while the job is not done",
                    "schema": {"type": "integer"}},
}


def _pdf_limit() -> str:
    return current_app.config["PDF_RATE_LIMIT"]


def job_output(job: report_jobs.Job) -> dict[str, Any]:
    """The fields of :class:`.schemas.ReportJob`."""
    problem = job.problem
    return {"id": job.id, "url": url_for("api_reports.get_job", job_id=job.id), "report_id": job.report_id,
            "lang": job.lang, "state": job.state, "progress": job.progress, "sha256": job.sha256,
            "download": url_for("api_reports.download", job_id=job.id) if job.state == "finished" else None,
            "problem": None if problem is None else {
                "type": f"urn:eduaudit:problem:{problem.code}", "title": "Report not produced",
                "status": job.status, "code": problem.code, "detail": field_error("", problem)["detail"]}}


def _headers(job: report_jobs.Job) -> dict[str, str]:
    headers = {"Cache-Control": "no-store"}
    if not job.done:
        headers["Retry-After"] = str(POLL_AFTER)
    return headers


def _job(job_id: str) -> report_jobs.Job:
    try:
        job = report_jobs.status(job_id)
    except JobsUnavailable as exc:
        current_app.logger.error("report job %s cannot be looked up: %s", job_id, exc.reason)
        raise ApiProblem(503, "api.jobs_unreachable", headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}) from None
    if job is None:
        raise ApiProblem(404, "api.not_found")
    access.audit_for(job.report_id, "pdf")  # 404 for an audit the caller may not see
    return job


@blp.post("/audits/<report_id>/reports")
@blp.arguments(schemas.ReportRequest)
@blp.response(202, schemas.ReportJob, headers=JOB_HEADERS)
@limiter.limit(_pdf_limit, key_func=rate_key)
@signed_in()
def request_report(body: dict[str, Any], report_id: str):
    """Start producing the audit's report PDF in ``lang``; poll the job at ``Location`` after
    ``Retry-After`` seconds (without background workers it is done at once). 422 naming the open
    questions when the audit cannot be evaluated yet."""
    audit = access.audit_for(report_id, "pdf")
    try:
        job = report_jobs.request_report(audit, body["lang"], current_user)
    except NotReady as exc:
        raise not_ready_problem(exc) from None
    return job_output(job), 202, {"Location": url_for("api_reports.get_job", job_id=job.id), **_headers(job)}


@blp.get("/report-jobs/<job_id>")
@blp.response(200, schemas.ReportJob, headers={"Retry-After": JOB_HEADERS["Retry-After"]})
@signed_in()
def get_job(job_id: str):
    """The job's state and progress; once ``finished``, ``download`` is the PDF's address; once
    ``failed``, ``problem`` says why. 503 when the job queue cannot be reached."""
    job = _job(job_id)
    return job_output(job), 200, _headers(job)


@blp.get("/report-jobs/<job_id>/pdf")
@blp.doc(responses={"200": {"description": "The report PDF",
                            "content": {"application/pdf": {"schema": {"type": "string",
                                                                       "contentMediaType": "application/pdf"}}}}})
@signed_in()
def download(job_id: str):
    """The finished job's PDF, from the PDF store (404 while it is not finished or when it failed)."""
    job = _job(job_id)
    data = report_jobs.pdf(job)
    if data is None:
        raise ApiProblem(404, "api.not_found")
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=eduaudit-{job.report_id}-{job.lang}.pdf",
        "Cache-Control": "private, no-store"})
