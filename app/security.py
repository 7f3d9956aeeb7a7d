"""Response headers that keep every page self-contained (no inline script, no framing, no sniffing),
and the one check for redirect targets taken from a request (``next=``)."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Response, current_app, g, session, url_for
from itsdangerous import URLSafeTimedSerializer

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Add CSP and friends to every response (kept if a view already set them); HSTS outside development;
    ``Cache-Control: private, no-store`` on every HTML page served to a signed-in user."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html" and session.get("_user_id"):
        # A signed-in user's page shows audits, reviews and names: on a shared school computer the
        # browser must not keep it for the next person (back button, disk cache). ASVS 8.2.1.
        # Read from the session (Flask-Login's user id), not current_user: the user object may not
        # be loaded for this response, and the hook must not load it.
        response.headers["Cache-Control"] = "private, no-store"
    return response


CSRF_SALT = "wtf-csrf-token"
"""The salt Flask-WTF signs its CSRF tokens with (flask_wtf.csrf.generate_csrf and validate_csrf)."""


def reuse_signed_csrf_token() -> None:
    """Before a request: give Flask-WTF the session's CSRF token signed as it would sign it, made once per
    process and session token rather than on every page (signing is about 4 % of a kept page's work).

    Flask-WTF keeps the signed token of a request in ``g`` under the field's name (``generate_csrf``) and
    signs it anew for each request. Its timestamp is only read when tokens expire; here they do not
    (``WTF_CSRF_TIME_LIMIT`` is ``None``, valid for the session's life), so the same signed token serves
    every page of a session. With a time limit set, nothing is reused: each page signs its own, as before.
    A session without a token yet gets one from Flask-WTF as before."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return
    field = _csrf_field()
    raw = session.get(field)
    if isinstance(raw, str) and field not in g:
        setattr(g, field, _signed_csrf_token(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw))


def forget_signed_csrf_token() -> None:
    """After the session's CSRF token was dropped (a new session on sign-in, sign-out): this request's
    signed token goes too, so a page rendered after it gets the new session's own."""
    g.pop(_csrf_field(), None)


def _csrf_field() -> str:
    """Flask-WTF's name for the token, in the session and in ``g`` (``WTF_CSRF_FIELD_NAME``)."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


@functools.lru_cache(maxsize=4096)
def _signed_csrf_token(secret_key: str | bytes, raw: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=CSRF_SALT).dumps(raw)


def safe_next(target: str | None, default_endpoint: str = "audits.home") -> str:
    """``target`` if it is a path on this site (``/...``, not ``//host`` nor ``/\\host``, no scheme or
    host), else the URL of ``default_endpoint``: no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target):
            return target
    return url_for(default_endpoint)
