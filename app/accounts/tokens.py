"""Personal API tokens: created and revoked by their user, shown once, stored as a SHA-256.

A token is ``eat_`` + 43 URL-safe characters (32 random bytes), so its SHA-256 is a safe stored
form (no salt or slow hash is needed for a high-entropy secret, unlike a password). A request to
``/api/v1`` that carries ``Authorization: Bearer <token>`` acts as the token's user, with the same
access rules as the pages, within the token's scope: ``read`` tokens may only read (GET), ``write``
tokens may do whatever the user may. Plain functions that change the session and flush; views commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from ..extensions import db
from ..models import TOKEN_SCOPES, ApiToken, User
from ..problems import Problem

TOKEN_PREFIX = "eat_"
PREFIX_SHOWN = 12
"""Characters of the token kept in clear (``eat_`` and 8 more) so the user can tell tokens apart."""
LIFETIMES_DAYS = (30, 90, 365)
"""The lifetimes a user may choose, in days; a token never lives longer than a year."""
NAME_MAX = 100
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
"""``last_used_at`` is written at most this often per token (not one write per request)."""


class TokenError(Problem, ValueError):
    """A token cannot be created or used as asked; the code says why (``token.*``)."""


def digest(token: str) -> str:
    """The stored form of ``token``: its SHA-256, lower-case hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, *, name: str, scope: str, lifetime_days: int,
                 now: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Add a token of ``user`` (flushed) and return it with the token text, which is never stored.

    Raises :class:`TokenError` for an empty or over-long ``name`` (at most 100 characters), a
    ``scope`` not in :data:`app.models.TOKEN_SCOPES` or a lifetime not in :data:`LIFETIMES_DAYS`.
    """
    name = (name or "").strip()
    if not name:
        raise TokenError("token.name_empty")
    if len(name) > NAME_MAX:
        raise TokenError("token.name_too_long", length=len(name), limit=NAME_MAX)
    if scope not in TOKEN_SCOPES:
        raise TokenError("token.unknown_scope", scope=scope, scopes=TOKEN_SCOPES)
    if lifetime_days not in LIFETIMES_DAYS:
        raise TokenError("token.bad_lifetime", days=lifetime_days, choices=LIFETIMES_DAYS)
    now = now or dt.datetime.now(dt.UTC)
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=text[:PREFIX_SHOWN], token_sha256=digest(text),
                     scope=scope, created_at=now, expires_at=now + dt.timedelta(days=lifetime_days))
    db.session.add(token)
    db.session.flush()
    return token, text


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of ``user`` (revoked and expired ones too), newest first."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def revoke(user: User, token_id: int, *, now: dt.datetime | None = None) -> ApiToken | None:
    """Revoke ``user``'s token ``token_id`` (flushed); ``None`` if the user has no such token. Revoking
    twice keeps the first time."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or dt.datetime.now(dt.UTC)
        db.session.flush()
    return token


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def is_live(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Whether ``token`` may be used now: not revoked, not expired, its user active."""
    now = now or dt.datetime.now(dt.UTC)
    return token.revoked_at is None and _aware(token.expires_at) > now and token.user.is_active


def resolve(text: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token whose text is ``text`` (see :func:`is_live`), or ``None``. Records when it was
    last used (flushed; at most every :data:`LAST_USED_RESOLUTION`)."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    now = now or dt.datetime.now(dt.UTC)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_sha256 == digest(text)))
    if token is None or not is_live(token, now):
        return None
    if token.last_used_at is None or now - _aware(token.last_used_at) > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return token
