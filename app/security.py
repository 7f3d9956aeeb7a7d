"""Response headers that keep every page self-contained (no inline script, no framing, no sniffing),
and the one check for redirect targets taken from a request (``next=``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, session, url_for

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


def safe_next(target: str | None, default_endpoint: str = "audits.home") -> str:
    """``target`` if it is a path on this site (``/...``, not ``//host`` nor ``/\\host``, no scheme or
    host), else the URL of ``default_endpoint``: no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target):
            return target
    return url_for(default_endpoint)
