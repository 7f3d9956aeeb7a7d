"""The report jobs of the API, behind the interface the background-job queue will provide.

The API asks only these three functions: :func:`request_report` (start producing an audit's PDF,
return the job), :func:`status` (the job's state) and :func:`pdf` (the finished PDF's bytes). This
implementation renders **synchronously**, inside the request, through the report page's own path
(:func:`app.audits.services.issue_pdf`: the render limits, signing, the issued-report record), and
keeps each job's state and PDF as two files in ``REPORT_JOBS_DIR`` (default
``<instance>/report-jobs/``; written atomically).
A job is therefore ``finished`` or ``failed`` as soon as it is requested.

When the job queue (``app.jobs``) is merged, this module is the one place to change: ``request_report``
calls ``app.jobs.request_report(audit.id, lang, variant)`` and returns its job id, ``status`` maps
``app.jobs.status(job_id)`` to :class:`Job`, ``pdf`` reads the stored PDF; the access check
(the job's audit, asked with ``"pdf"``) stays in the API's views. docs/api.md says the same.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from ..audits import services as audit_services
from ..evaluation import evaluate_audit
from ..extensions import current_ruleset, db
from ..fileio import write_atomically
from ..models import Audit, User
from ..problems import Problem
from ..reports.limits import RenderFailed, RenderLimitExceeded
from ..reports.render import AssetRefused
from ..reports.signing import SigningError
from ..review.report import review_context

JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
STATES = ("queued", "running", "finished", "failed")


@dataclass(frozen=True, slots=True)
class Job:
    """A report job: ``id``, the audit's ``report_id``, ``lang``, ``state`` (one of :data:`STATES`),
    ``progress`` (percent), the PDF's ``sha256`` once finished, and ``problem`` (code and params of
    a :class:`app.problems.Problem`) once failed."""

    id: str
    report_id: str
    lang: str
    state: str
    progress: int
    sha256: str | None = None
    problem: dict[str, Any] | None = None

    def problem_obj(self) -> Problem | None:
        return None if self.problem is None else Problem(self.problem["code"], **self.problem["params"])


def _folder() -> Path:
    folder = Path(current_app.config.get("REPORT_JOBS_DIR") or Path(current_app.instance_path) / "report-jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def request_report(audit: Audit, lang: str, user: User | None) -> Job:
    """Produce ``audit``'s report PDF in ``lang`` (``en`` or ``zh``) as a job and return it.

    The audit is evaluated first (its snapshot is committed even if the render then fails); raises
    :class:`app.evaluation.NotReady` when it cannot be. A render stopped by a limit or failing gives
    a ``failed`` job (nothing recorded as issued); otherwise the PDF is recorded as issued (committed).
    """
    ruleset = current_ruleset()
    evaluation = evaluate_audit(ruleset, audit)
    db.session.commit()
    job_id = secrets.token_urlsafe(16)
    problem = None
    sha256 = None
    try:
        pdf = audit_services.issue_pdf(audit, evaluation, lang, ruleset=ruleset, user=user,
                                       review=review_context(ruleset, audit, lang))
    except RenderLimitExceeded as exc:
        db.session.rollback()
        problem = {"code": "api.render_limit", "params": {"kind": exc.kind, "limit": exc.limit}}
    except (RenderFailed, AssetRefused, SigningError):
        current_app.logger.exception("PDF of %s could not be produced", audit.report_id)
        db.session.rollback()
        problem = {"code": "api.render_failed", "params": {}}
    else:
        db.session.commit()
        write_atomically(_folder() / f"{job_id}.pdf", pdf)
        sha256 = hashlib.sha256(pdf).hexdigest()
    job = Job(job_id, audit.report_id, lang, "failed" if problem else "finished", 100, sha256, problem)
    write_atomically(_folder() / f"{job_id}.json", json.dumps(asdict(job)).encode("utf-8"))
    return job


def status(job_id: str) -> Job | None:
    """The job ``job_id``, or ``None`` if there is none (or the id is malformed)."""
    if not JOB_ID.fullmatch(job_id):
        return None
    path = _folder() / f"{job_id}.json"
    if not path.is_file():
        return None
    return Job(**json.loads(path.read_text(encoding="utf-8")))


def pdf(job_id: str) -> bytes | None:
    """The PDF of the finished job ``job_id``, or ``None``."""
    if not JOB_ID.fullmatch(job_id):
        return None
    path = _folder() / f"{job_id}.pdf"
    return path.read_bytes() if path.is_file() else None
