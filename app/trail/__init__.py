"""The audit trail: append-only events of every state change of an audit.

:func:`record` is the only writer. Events are never changed or deleted: the ORM refuses
(:class:`app.models.TrailImmutable`) and so does the database (triggers of migration 0003).

The trail's wording on the audit's page is in :mod:`.wording`, its CSV/JSON export route in
:mod:`.views` (the ``trail`` blueprint lives there, not here: every feature writes to the trail,
and writing an event should not load pages).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import EVENT_KINDS, Audit, AuditEvent, User

SYSTEM_ACTOR = "system"
"""Actor label of events with no signed-in user (command line, migrations)."""

EXPORT_FIELDS = ("id", "at", "actor", "kind", "details")
"""Columns of the trail export (CSV header; JSON object keys), in this order."""


def record(audit: Audit, kind: str, actor: User | None, details: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event to ``audit``'s trail (flushed). ``details`` must be JSON-serialisable.

    Raises ``ValueError`` for a ``kind`` not in :data:`app.models.EVENT_KINDS`.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
    event = AuditEvent(audit_id=audit.id, actor_id=actor.id if actor else None,
                       actor=actor.email if actor else SYSTEM_ACTOR, kind=kind, details=details or {},
                       at=dt.datetime.now(dt.UTC))
    db.session.add(event)
    db.session.flush()
    return event


def events(audit: Audit) -> list[AuditEvent]:
    """Every event of ``audit``, oldest first."""
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.audit_id == audit.id)
                                   .order_by(AuditEvent.id)))


def _at(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def export_rows(audit: Audit) -> list[dict[str, Any]]:
    """The trail as plain rows: ``id``, ``at`` (ISO 8601 UTC, ``Z``), ``actor`` (e-mail or ``system``),
    ``kind``, ``details`` (dict)."""
    return [{"id": e.id, "at": _at(e.at), "actor": e.actor, "kind": e.kind, "details": e.details}
            for e in events(audit)]


def export_json(audit: Audit) -> str:
    """The trail as a JSON document: ``{"report_id", "events": [row, ...]}`` (see :func:`export_rows`)."""
    return json.dumps({"report_id": audit.report_id, "events": export_rows(audit)}, ensure_ascii=False, indent=2)


def export_csv(audit: Audit) -> str:
    """The trail as CSV (header :data:`EXPORT_FIELDS`; ``details`` as compact JSON), starting with a
    UTF-8 byte order mark so spreadsheet programs read Chinese text right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    for row in export_rows(audit):
        writer.writerow([row["id"], row["at"], row["actor"], row["kind"],
                         json.dumps(row["details"], ensure_ascii=False, sort_keys=True)])
    return out.getvalue()
