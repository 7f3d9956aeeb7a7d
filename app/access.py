"""Who may see and do what with an audit. Every audit route asks :func:`audit_for` first.

Visibility (a school's audits are seen only by that school and by the regulator it submitted to):

- school administrator: audits of their own school;
- reviewer: audits submitted at least once to their regulator;
- NGO analyst and instance administrator: no audit through these routes (NGOs read published
  audits only, on the public pages; instance administrators manage accounts, not audit content);
- anyone signed out: nothing.

An audit a user may not see answers 404, exactly as a report id that does not exist, so report ids
cannot be probed. An action the user may not take on an audit they can see answers 403.

Documents attached to an audit's answers (:mod:`app.evidence`) follow the audit: ``view`` to list and
download them, ``edit`` to attach and remove them. The instance administrator's account pages need
the ``instance_admin`` role (:func:`roles_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import Audit, Publication, Submission

ACTIONS = ("view", "edit", "submit", "new_version", "publish", "unpublish", "review", "decide", "pdf", "trail",
           "plan")
"""What a route may ask to do with an audit."""


def _role(user: Any) -> str | None:
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def visible_filter(user: Any) -> tuple[str, dict[str, Any]]:
    """Which audits ``user`` may see, as ``(kind, parameters)``: ``kind`` names the WHERE clause over the
    audits table (:func:`visible_clause`: ``"school_admin"``, ``"reviewer"`` or ``"none"`` for roles that
    see none), ``parameters`` the values of its bound parameters (the user's organisation)."""
    role = _role(user)
    if role in ("school_admin", "reviewer"):
        return role, {"organisation_id": user.organisation_id}
    return "none", {}


@cache
def visible_clause(kind: str) -> sa.ColumnElement[bool]:
    """The WHERE clause of :func:`visible_filter`'s ``kind`` over the audits table alone, its organisation
    the bound parameter ``organisation_id``; built once per process, so a statement built on it once can
    be run again and again without being built (and its cache key worked out) anew."""
    organisation = sa.bindparam("organisation_id", type_=sa.Integer)
    if kind == "school_admin":
        return Audit.organisation_id == organisation
    if kind == "reviewer":
        return Audit.id.in_(sa.select(Submission.audit_id).where(Submission.regulator_id == organisation))
    return sa.false()


def can_view(user: Any, audit: Audit) -> bool:
    """Whether ``user`` may see ``audit`` at all (see the module's rules)."""
    role = _role(user)
    if role == "school_admin":
        return audit.organisation_id is not None and audit.organisation_id == user.organisation_id
    if role == "reviewer":
        return db.session.scalar(sa.select(Submission.id).where(
            Submission.audit_id == audit.id, Submission.regulator_id == user.organisation_id).limit(1)) is not None
    return False


def allowed(user: Any, action: str, audit: Audit) -> bool:
    """Whether ``user`` may take ``action`` (one of :data:`ACTIONS`) on ``audit``, given its status.

    Raises ``ValueError`` for an unknown action.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if not can_view(user, audit):
        return False
    role = _role(user)
    if action in ("view", "pdf", "trail"):
        return True
    if role == "school_admin":
        if action == "edit":
            return audit.editable
        if action == "submit":
            return audit.editable
        if action == "new_version":
            return audit.status in ("approved", "rejected")
        if action == "publish":
            return audit.status == "approved"
        if action == "plan":  # the school's own action plan: its work goes on whatever the audit's status
            return True
        if action == "unpublish":
            return db.session.scalar(sa.select(Publication.id).where(Publication.audit_id == audit.id)) is not None
        return False
    if role == "reviewer":
        if action in ("review", "decide"):
            return audit.status == "submitted" and audit.regulator_id == user.organisation_id
        return False
    return False


def audit_for(report_id: str, action: str = "view") -> Audit:
    """The audit with ``report_id`` if the signed-in user may take ``action`` on it.

    Aborts 404 if it does not exist or the user may not see it, 403 if they may see it but not take
    ``action`` now (e.g. editing answers that were submitted).
    """
    audit = db.session.scalar(_audit_statement(), {"report_id": report_id})
    if audit is None or not can_view(current_user, audit):
        abort(404)
    if not allowed(current_user, action, audit):
        abort(403)
    return audit


@cache
def _audit_statement() -> sa.Select:
    """The audit with a given ``report_id``; built once per process (most pages of an audit run it)."""
    return sa.select(Audit).where(Audit.report_id == sa.bindparam("report_id"))


def roles_required(*roles: str) -> Callable:
    """Decorator: the view needs a signed-in user (else the sign-in page) with one of ``roles``
    (else 403)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def is_role(user: Any, *roles: str) -> bool:
    """Whether ``user`` is signed in with one of ``roles``."""
    return _role(user) in roles


__all__ = ["ACTIONS", "allowed", "audit_for", "can_view", "is_role", "roles_required", "visible_clause",
           "visible_filter"]
