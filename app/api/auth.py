"""Who is calling the API, and what they may do.

- ``Authorization: Bearer <token>``: a personal API token (:mod:`app.accounts.tokens`). The request
  acts as the token's user (the session cookie, if any, is ignored), needs no CSRF token, and a
  ``read`` token may only use GET. A token that is unknown, expired or revoked answers 401.
- Otherwise the browser's session cookie, as for the pages: a request that changes anything
  must send the CSRF token in the ``X-CSRFToken`` header (403 without it).
- Neither: only the public resources (products, published audits) answer; the rest answer 401.

Access rules are the pages' (:mod:`app.access`): an audit the caller may not see answers 404, an
action they may not take on one they can see 403. Every resource is rate-limited per token (per
user for the cookie, per address when signed out): ``API_RATE_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..accounts import tokens
from ..extensions import csrf, db, limiter
from ..securitylog import log_event
from .problems import API_PREFIX, ApiProblem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiProblem(401, "api.bad_token")
    return value.strip()


def authenticate() -> None:
    """Before every API request: resolve the token or check the cookie request's CSRF token (see the
    module). Raises :class:`ApiProblem` (401 bad token, 403 read-only token or CSRF)."""
    if not request.path.startswith(API_PREFIX):
        return
    g.api_token = None
    text = _bearer()
    if text is None:
        if request.method not in SAFE_METHODS and current_user.is_authenticated:
            csrf.protect()  # raises CSRFError, answered as the problem api.csrf
        return
    token = tokens.resolve(text)
    if token is None:
        db.session.rollback()
        log_event("api_token_refused", method=request.method, path=request.path)
        raise ApiProblem(401, "api.bad_token")
    db.session.commit()  # last_used_at
    log_event("api_token_used", user_id=token.user_id, key_prefix=token.prefix, key_id=token.id,
              method=request.method, path=request.path)
    g.api_token = token
    # Flask-Login reads the request's user from g._login_user first: the token's user wins over any
    # session cookie sent along.
    g._login_user = token.user
    if token.scope != "write" and request.method not in SAFE_METHODS:
        raise ApiProblem(403, "api.read_only_token")


def signed_in(*roles: str) -> Callable:
    """Decorator: the view needs a caller (401 otherwise) with one of ``roles`` if any are given
    (403 otherwise)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                raise ApiProblem(401, "api.no_credentials")
            if roles and current_user.role not in roles:
                raise ApiProblem(403, "api.forbidden")
            return view(*args, **kwargs)
        return wrapped
    return decorator


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def rate_key() -> str:
    """The rate-limit bucket: the token (its digest), else the signed-in user, else the address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "api-token:" + tokens.digest(header[7:].strip())[:32]
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-addr:" + (get_remote_address() or "")


def limited(blueprint: Any) -> Any:
    """Rate-limit every route of ``blueprint`` per caller (:func:`rate_key`); once, at import."""
    return limiter.limit_blueprint(blueprint, rate_limit, key_func=rate_key)
