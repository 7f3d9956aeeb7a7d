"""Audit work that runs as background jobs: report PDFs and re-evaluating stored audits.

The interface for callers (the web pages, the command line, an API):

- :func:`request_report` ``(audit_id, lang, variant=None, user_id=None) -> JobRef``: the PDF of the
  audit's report as it is now; ``finished`` at once when that PDF is already stored.
- :func:`app.jobs.status` ``(job_id) -> JobRef | None``: poll it. A finished report job's ``result``
  is ``{"key": ...}`` or ``{"problem": {"kind": ..., "limit": ..., "actual": ...}}`` (a render limit,
  or ``"store_full"``); a failed one was retried and gave up (the cause is in the worker's log).
- :func:`stored_report` ``(key) -> StoredReport | None``: the stored PDF's bytes and facts.
- :func:`request_reevaluation` ``(audit_ids=None) -> list[JobRef]``: re-evaluate stored audits after a
  rule-set change, in chunks (every audit when ``audit_ids`` is ``None``).

A report PDF is rendered once per (audit revision, language, variant, rule-set hash, review state,
school, signing certificate) and then served from the store, byte for byte the same, with one
:class:`IssuedReport` row: a job killed half-way is retried, and its retry records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..evaluation import NotReady, evaluate_audit, latest_snapshot
from ..evidence import services as evidence_services
from ..extensions import current_ruleset, db
from ..jobs import JobRef
from ..models import Audit, IssuedReport, StoredPdf, User
from ..pdfstore import StoreFull
from ..reports.limits import RenderLimitExceeded
from ..review import report as review_report
from ..stored_pdfs import current_store, find_stored, forget_stored, pdf_key, signing_fingerprint
from . import services

REEVALUATE_CHUNK = 500
"""Audits per re-evaluation job: big enough that a job's start-up is negligible, small enough that
several workers share the work and a retried job redoes little."""


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report PDF: ``pdf`` bytes, ``sha256``, the audit's ``report_id``, ``lang``, and the
    cover's ``version`` and ``status`` (for the file name)."""

    pdf: bytes
    sha256: str
    report_id: str
    lang: str
    version: int
    status: str


def report_key(audit: Audit, lang: str, variant: str | None) -> str:
    """The store key of the audit's report PDF as it would be rendered now (needs its latest snapshot
    to be the current evaluation: call :func:`app.evaluation.evaluate_audit` first)."""
    ruleset = current_ruleset()
    snapshot = latest_snapshot(audit)
    status, version, school = services.cover_facts(audit)
    return pdf_key("report", {
        # the random report id and the snapshot's time too: a store kept across a database reset
        # never serves another audit's file for the same row ids
        "audit": audit.id, "report_id": audit.report_id, "revision": audit.revision,
        "snapshot": [snapshot.id, snapshot.created_at] if snapshot else None,
        "lang": lang, "variant": variant, "rules": ruleset.sha256, "status": status, "version": version,
        "school": school, "review": review_report.review_context(ruleset, audit, lang),
        "signing": signing_fingerprint(),
        # documents attached to the answers are rows of their own (the revision does not change when
        # one is added or removed) and the report's appendix lists them
        "attachments": evidence_services.appendix_rows(ruleset.questionnaire, audit, lang),
    })


def _variant(variant: str | None) -> str | None:
    return variant or current_app.config.get("REPORT_PDF_VARIANT") or None


def request_report(audit_id: int, lang: str, variant: str | None = None, user_id: int | None = None) -> JobRef:
    """The job producing the PDF of audit ``audit_id``'s report in ``lang`` (``en``/``zh``) as
    ``variant`` (default ``REPORT_PDF_VARIANT``); ``user_id`` is named in the trail as who asked.

    Evaluates the audit first and commits its snapshot (the worker reads it). Returns a finished
    :class:`JobRef` whose ``result`` is ``{"key": ...}`` when the PDF is stored already; else the
    queued job (or, without Redis, the job run to its end in this process). The caller checks who
    may see the audit. Raises :class:`app.evaluation.NotReady` when the audit cannot be evaluated
    yet, :class:`app.jobs.JobsUnavailable` never (a report may render in the web process while
    Redis is down).
    """
    audit = db.session.get(Audit, audit_id)
    if audit is None:
        raise LookupError(f"no audit with id {audit_id}")
    evaluate_audit(current_ruleset(), audit)
    db.session.commit()
    variant = _variant(variant)
    key = report_key(audit, lang, variant)
    meta = {"kind": "report", "audit_id": audit.id, "lang": lang, "key": key}
    if find_stored(key) is not None:
        return JobRef(f"report-{key}", "finished", 1.0, "done", result={"key": key}, meta=meta)
    return jobs.submit("app.audits.jobs.build_report_pdf", audit.id, lang, variant or "", user_id or 0,
                       job_id=f"report-{key}", meta=meta)


def build_report_pdf(audit_id: int, lang: str, variant: str = "", user_id: int = 0) -> dict[str, Any]:
    """Job: render, store and record the audit's report PDF as it is now, unless it is stored already.

    Returns ``{"key": key}``, or ``{"problem": {...}}`` when a render limit stopped it (``kind``
    ``time``, ``answers`` or ``size``, with ``limit`` and ``actual``), when the disk of the store is
    full (``store_full``), the audit is gone (``gone``) or not ready (``not_ready``): answers, not
    retried. Raises for everything else (the renderer died, the database went away), so RQ retries.
    Idempotent: the file is written atomically and never replaced, and the :class:`StoredPdf` row
    (unique key) is committed together with the :class:`IssuedReport`, once.
    """
    audit = db.session.get(Audit, audit_id)
    if audit is None:
        return {"problem": {"kind": "gone"}}
    ruleset = current_ruleset()
    jobs.set_progress(0.05, "evaluating")
    try:
        evaluation = evaluate_audit(ruleset, audit)
    except NotReady:
        return {"problem": {"kind": "not_ready"}}
    db.session.commit()
    variant = _variant(variant)
    key = report_key(audit, lang, variant)
    if find_stored(key) is not None:
        return {"key": key}
    if db.session.scalar(sa.select(StoredPdf.id).where(StoredPdf.key == key)) is not None:
        forget_stored(key)  # recorded, but the file is gone or damaged: render again
    store = current_store()
    existing = store.read(key)
    status, version, school = services.cover_facts(audit)
    if existing is not None:  # written by a job that was killed before it committed: reuse it
        rendered = services.RenderedReport(existing, status, version, school)
    else:
        jobs.set_progress(0.15, "rendering")
        review = review_report.review_context(ruleset, audit, lang)
        try:
            rendered = services.render_report(audit, evaluation, lang, ruleset=ruleset, review=review,
                                              pdf_variant=variant)
        except RenderLimitExceeded as exc:
            return {"problem": {"kind": exc.kind, "limit": exc.limit, "actual": exc.actual}}
        jobs.set_progress(0.85, "storing")
        try:
            pdf = store.write(key, rendered.pdf)
        except StoreFull:
            current_app.logger.error("PDF store %s is full: the report of %s was not stored",
                                     store.root, audit.report_id)
            return {"problem": {"kind": "store_full"}}
        rendered = services.RenderedReport(pdf, status, version, school)
    user = db.session.get(User, user_id) if user_id else None
    issued = services.record_issued(audit, evaluation.snapshot, lang, rendered, user)
    db.session.add(StoredPdf(key=key, kind="report", sha256=issued.sha256, size_bytes=issued.size_bytes,
                             audit_id=audit.id, issued_report_id=issued.id))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another job for the same key committed first: its row stands
        db.session.rollback()
    jobs.set_progress(1.0, "done")
    return {"key": key}


def stored_report(key: str) -> StoredReport | None:
    """The stored report PDF of ``key`` (bytes checked against the recorded SHA-256), or ``None``."""
    found = find_stored(key)
    if found is None or found[0].issued_report_id is None:
        return None
    row, pdf = found
    issued = db.session.get(IssuedReport, row.issued_report_id)
    audit = db.session.get(Audit, issued.audit_id)
    return StoredReport(pdf, row.sha256, audit.report_id, issued.lang, issued.audit_version or audit.version,
                        issued.status or audit.status)


# -- re-evaluation after a rule-set change -------------------------------------------------------------

def request_reevaluation(audit_ids: list[int] | None = None, *, chunk: int = REEVALUATE_CHUNK) -> list[JobRef]:
    """Queue the re-evaluation of ``audit_ids`` (every audit when ``None``) in jobs of ``chunk`` audits.

    Each audit gets a new snapshot only if the worker's rule set (or its answers) changed its result
    (:func:`app.evaluation.evaluate_audit`). Without Redis the jobs run here, one after the other.
    Raises :class:`app.jobs.JobsUnavailable` when Redis is configured but down (thousands of audits
    are not evaluated inside a web request).
    """
    if audit_ids is None:
        audit_ids = list(db.session.scalars(sa.select(Audit.id).order_by(Audit.id)))
    refs = []
    rules = current_ruleset().sha256[:12]
    for start in range(0, len(audit_ids), chunk):
        ids = audit_ids[start:start + chunk]
        text = ",".join(str(i) for i in ids)
        job_id = f"reevaluate-{rules}-{pdf_key('reevaluate', {'ids': text})[:16]}"
        refs.append(jobs.submit("app.audits.jobs.reevaluate_audits", text, job_id=job_id,
                                meta={"kind": "reevaluate", "audits": len(ids)}, inline_ok=False))
    return refs


def reevaluate_audits(audit_ids: str) -> dict[str, int]:
    """Job: evaluate the audits of ``audit_ids`` (comma-separated ids) with this worker's rule set.

    Returns counts: ``evaluated``, ``changed`` (a new snapshot was stored), ``not_ready`` (required
    answers missing: nothing stored), ``gone`` (deleted meanwhile). Commits every 50 audits, so
    a retried job redoes only what it had not committed (an unchanged audit stores nothing).
    """
    ruleset = current_ruleset()
    ids = [int(x) for x in audit_ids.split(",") if x]
    counts = {"evaluated": 0, "changed": 0, "not_ready": 0, "gone": 0}
    audits = {a.id: a for a in db.session.scalars(sa.select(Audit).where(Audit.id.in_(ids)))}  # one query
    for done, audit_id in enumerate(ids, 1):
        audit = audits.get(audit_id)
        if audit is None:
            counts["gone"] += 1
            continue
        before = latest_snapshot(audit)
        try:
            evaluation = evaluate_audit(ruleset, audit)
        except NotReady:
            counts["not_ready"] += 1
            continue
        counts["evaluated"] += 1
        counts["changed"] += before is None or evaluation.snapshot.id != before.id
        if done % 50 == 0:
            db.session.commit()
            jobs.set_progress(done / len(ids), "evaluating")
    db.session.commit()
    return counts
