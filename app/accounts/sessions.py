"""Server-side sessions (OWASP ASVS V3.3): each signed-in browser is a :class:`UserSession` row.

Flask-Login keeps only the session's random id in the (signed) cookie; :func:`load_session_user`
looks its SHA-256 up on every request, so a session ends on the server: at sign-out, after
``SESSION_IDLE_TIMEOUT`` without a request or ``SESSION_ABSOLUTE_TIMEOUT`` after sign-in (shorter
``*_PRIVILEGED`` values for ``PRIVILEGED_ROLES``), with "sign out this one" or "everywhere else", and
for all of a user's sessions at once (:func:`end_all_sessions`) when the password changes or is reset,
the account is disabled, its role changes or its second factor is reset. A captured cookie then opens
nothing. ``last_seen_at`` is written at most once a minute, not on every request.

No remember-me cookie is ever set (sign-in never asks Flask-Login for one); one forged or left from
elsewhere would name a session id too, and the same loader refuses it once that session has ended.

Plain functions that change the database session and flush; the one exception is the loader, which
commits its own small writes (it runs at the start of a request, before any view changes anything).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import SESSION_END_REASONS, User, UserSession
from ..securitylog import log_event

LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session."""


def utcnow() -> dt.datetime:
    """Now, in UTC (one function, so tests can move the clock)."""
    return dt.datetime.now(dt.UTC)


def digest(secret: str) -> str:
    """The stored form of a session id: its SHA-256, lower-case hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def summarise_user_agent(header: str | None) -> str:
    """A short name of the browser and system from a ``User-Agent`` header ("Firefox on Windows"); the
    header's first 60 printable characters when neither is recognised; "" for none."""
    text = header or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next((name for mark, name in _SYSTEMS if mark in text), None)
    if browser or system:
        return " on ".join(part for part in (browser, system) if part)
    return re.sub(r"[^\x20-\x7e]", "", text)[:60]


def timeouts(user: User) -> tuple[dt.timedelta, dt.timedelta]:
    """(idle, absolute) session timeouts of ``user``'s role, from the app's configuration."""
    config = current_app.config
    if user.role in config["PRIVILEGED_ROLES"]:
        return config["SESSION_IDLE_TIMEOUT_PRIVILEGED"], config["SESSION_ABSOLUTE_TIMEOUT_PRIVILEGED"]
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]


def expiry_reason(row: UserSession, now: dt.datetime) -> str | None:
    """``"idle_timeout"`` or ``"absolute_timeout"`` if ``row`` has timed out at ``now``, else ``None``."""
    idle, absolute = timeouts(row.user)
    if now - _aware(row.created_at) >= absolute:
        return "absolute_timeout"
    if now - _aware(row.last_seen_at) >= idle:
        return "idle_timeout"
    return None


def start_session(user: User, *, now: dt.datetime | None = None) -> str:
    """Add a session of ``user`` (flushed) for the current request's browser and return its id (32
    random bytes, URL-safe; only its SHA-256 is stored). The id is also set on ``user`` so that
    Flask-Login's ``login_user(user)`` puts it in the cookie."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    agent = request.headers.get("User-Agent") if has_request_context() else None
    address = (request.remote_addr or "") if has_request_context() else ""
    row = UserSession(id_sha256=digest(secret), user_id=user.id, created_at=now, last_seen_at=now,
                      user_agent=summarise_user_agent(agent)[:100], address=address[:64])
    db.session.add(row)
    db.session.flush()
    user.session_secret = secret
    g.user_session = row
    return secret


def _end(row: UserSession, reason: str, now: dt.datetime) -> None:
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"unknown reason {reason!r}; expected one of {', '.join(SESSION_END_REASONS)}")
    row.ended_at = now
    row.ended_reason = reason


@functools.cache
def _session_statement() -> sa.Select:
    """The session with a given ``id_sha256``, its user and the user's organisation (every page's header
    shows it) in one query; built once per process (it runs on every request of a signed-in user)."""
    return (sa.select(UserSession).where(UserSession.id_sha256 == sa.bindparam("id_sha256"))
            .options(joinedload(UserSession.user).joinedload(User.organisation)))


def load_session_user(secret: str) -> User | None:
    """Flask-Login's user loader: the user of the live session whose id is ``secret``, or ``None``
    when there is no such session, it has ended, it timed out now (it is ended, reason
    ``idle_timeout`` or ``absolute_timeout``, and logged), or its user is disabled. Records
    ``last_seen_at`` (at most every :data:`LAST_SEEN_RESOLUTION`) and commits what it wrote."""
    if not secret or len(secret) > 100:
        return None
    row = db.session.scalar(_session_statement(), {"id_sha256": digest(secret)})
    if row is None or row.ended_at is not None:
        return None
    user = row.user
    if not user.is_active:
        return None
    now = utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        _end(row, reason, now)
        db.session.commit()
        log_event("session_ended", user_id=user.id, session=row.id, reason=reason)
        return None
    if now - _aware(row.last_seen_at) >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()
    user.session_secret = secret
    g.user_session = row
    return user


def current_session() -> UserSession | None:
    """The session row of this request's signed-in user (``None`` for a request with an API token,
    or signed out)."""
    return g.get("user_session")


def end_current(reason: str = "signed_out") -> None:
    """End this request's session (flushed) and log it; nothing when there is none."""
    row = current_session()
    if row is not None and row.ended_at is None:
        _end(row, reason, utcnow())
        db.session.flush()
        log_event("sign_out" if reason == "signed_out" else "session_ended", user_id=row.user_id, session=row.id,
                  reason=reason)


def active_sessions(user: User, now: dt.datetime | None = None) -> list[UserSession]:
    """``user``'s sessions that have not ended nor timed out, most recently seen first."""
    now = now or utcnow()
    rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id,
                                                           UserSession.ended_at.is_(None))
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [row for row in rows if expiry_reason(row, now) is None]


def end_session(user: User, session_id: int, reason: str = "ended_by_user") -> UserSession | None:
    """End ``user``'s session with row id ``session_id`` (flushed, logged); ``None`` if the user has
    no such session (another user's answers alike). Ending an ended session changes nothing."""
    row = db.session.scalar(sa.select(UserSession).where(UserSession.id == session_id,
                                                         UserSession.user_id == user.id))
    if row is not None and row.ended_at is None:
        _end(row, reason, utcnow())
        db.session.flush()
        log_event("session_ended", user_id=user.id, session=row.id, reason=reason)
    return row


def end_all_sessions(user: User, reason: str, *, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` except ``keep`` (flushed), with ``reason`` (one of
    :data:`app.models.SESSION_END_REASONS`); logged as one event. Returns how many ended. Raises
    ``ValueError`` for an unknown reason."""
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"unknown reason {reason!r}; expected one of {', '.join(SESSION_END_REASONS)}")
    now = utcnow()
    rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id,
                                                           UserSession.ended_at.is_(None))).all()
    ended = 0
    for row in rows:
        if keep is not None and row.id == keep.id:
            continue
        _end(row, reason, now)
        ended += 1
    db.session.flush()
    if ended:
        log_event("session_ended", user_id=user.id, reason=reason, sessions=ended)
    return ended
