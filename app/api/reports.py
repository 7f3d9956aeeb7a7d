"""``/api/v1``: report jobs: request an audit's PDF, poll the job, download the PDF.

The job machinery is behind :mod:`.report_jobs` (synchronous for now). Who may request and fetch a
report is the report page's rule (:func:`app.access.audit_for` with ``"pdf"``); a job of an audit the
caller may not see answers 404, like an id that does not exist. Requests are limited per user like
PDF downloads (``PDF_RATE_LIMIT``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from .. import access
from ..evaluation import NotReady
from ..extensions import limiter
from . import report_jobs, schemas
from .audits import not_ready_problem
from .auth import limited, rate_key, signed_in
from .problems import ApiProblem, field_error

blp = limited(Blueprint("api_reports", __name__, description="Report PDFs, produced as jobs."))


def _pdf_limit() -> str:
    return current_app.config["PDF_RATE_LIMIT"]


def job_output(job: report_jobs.Job) -> dict[str, Any]:
    """The fields of :class:`.schemas.ReportJob`."""
    problem = job.problem_obj()
    return {"id": job.id, "report_id": job.report_id, "lang": job.lang, "state": job.state,
            "progress": job.progress, "sha256": job.sha256,
            "download": url_for("api_reports.download", job_id=job.id) if job.state == "finished" else None,
            "problem": None if problem is None else {
                "type": f"urn:eduaudit:problem:{problem.code}", "title": "Report not produced", "status": 422,
                "code": problem.code, "detail": field_error("", problem)["detail"]}}


def _job(job_id: str) -> report_jobs.Job:
    job = report_jobs.status(job_id)
    if job is None:
        raise ApiProblem(404, "api.not_found")
    access.audit_for(job.report_id, "pdf")  # 404 for an audit the caller may not see
    return job


@blp.post("/audits/<report_id>/reports")
@blp.arguments(schemas.ReportRequest)
@blp.response(202, schemas.ReportJob)
@limiter.limit(_pdf_limit, key_func=rate_key)
@signed_in()
def request_report(body: dict[str, Any], report_id: str):
    """Start producing the audit's report PDF in ``lang``; poll the job at ``Location``. 422 naming
    the open questions when the audit cannot be evaluated yet."""
    audit = access.audit_for(report_id, "pdf")
    try:
        job = report_jobs.request_report(audit, body["lang"], current_user)
    except NotReady as exc:
        raise not_ready_problem(exc) from None
    return job_output(job), 202, {"Location": url_for("api_reports.get_job", job_id=job.id)}


@blp.get("/report-jobs/<job_id>")
@blp.response(200, schemas.ReportJob)
@signed_in()
def get_job(job_id: str):
    """The job's state and progress; once ``finished``, ``download`` is the PDF's address."""
    return job_output(_job(job_id))


@blp.get("/report-jobs/<job_id>/pdf")
@blp.doc(responses={"200": {"description": "The report PDF",
                            "content": {"application/pdf": {"schema": {"type": "string",
                                                                       "contentMediaType": "application/pdf"}}}}})
@signed_in()
def download(job_id: str):
    """The finished job's PDF (404 while it is not finished or when it failed)."""
    job = _job(job_id)
    data = report_jobs.pdf(job.id)
    if data is None:
        raise ApiProblem(404, "api.not_found")
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=eduaudit-{job.report_id}-{job.lang}.pdf",
        "Cache-Control": "private, no-store"})
