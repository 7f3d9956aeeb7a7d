"""The audit trail's export: CSV or JSON of every event of one audit (``trail`` blueprint).

Registered by the app factory from here, so that writing to the trail (:func:`app.trail.record`),
which every feature does, does not load this page's module.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import login_required

from .. import access, trail

bp = Blueprint("trail", __name__)


@bp.get("/audits/<report_id>/trail.<fmt>")
@login_required
def export(report_id: str, fmt: str):
    """The audit trail as CSV or JSON (see :mod:`app.trail` for the columns)."""
    audit = access.audit_for(report_id, "trail")
    if fmt == "json":
        body, mimetype = trail.export_json(audit), "application/json"
    elif fmt == "csv":
        body, mimetype = trail.export_csv(audit), "text/csv"
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=eduaudit-{audit.report_id}-trail.{fmt}",
        "Cache-Control": "private, no-store"})
