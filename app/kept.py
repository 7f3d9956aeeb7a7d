"""Typed input kept in the browser until the server confirms it.

A questionnaire step's script (``static/js/steps.js``) copies what the user changed into the browser's
``localStorage`` when the form is sent, under :func:`step_key`; the review page's script does the same
per rating (``static/js/review.js``). When a save is refused before the view runs (the session ended,
the page's CSRF token is out of date, the form is too large) or loses a race, the copy stays and is put
back into the form the next time the page is opened. Only a save the server made removes it: the view
calls :func:`confirm`, and the next page rendered names the key in a ``<meta name="eduaudit-saved">``
tag that ``static/js/kept.js`` acts on (whatever page the save led to).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session, url_for

SESSION_KEY = "kept_saved"
"""Session key: the list of browser keys whose saves the server confirmed, until a page names them."""

SIGNED_OUT = "signed_out"
"""Session key set by signing out: a form sent afterwards from a page still open says the session ended."""

PAGES = {"audits.step": "audits.step", "review.review": "review.review", "review.decide": "review.review"}
"""Endpoint whose form keeps typed input in the browser -> endpoint of the page that puts it back
(called with the refused request's view arguments)."""


def step_key(report_id: str, section_id: str, version: int) -> str:
    """The ``localStorage`` key of one step of one version of an audit, e.g. ``eduaudit:step:EA-…:context:v2``."""
    return f"eduaudit:step:{report_id}:{section_id}:v{version}"


def confirm(key: str) -> None:
    """Record that the save of ``key``'s input was made: the next page rendered tells the browser to drop its copy."""
    saved = [k for k in session.get(SESSION_KEY, []) if k != key]
    session[SESSION_KEY] = [*saved, key][-20:]


def page_again() -> str | None:
    """For a refused request from a form that keeps its input in the browser, the address of the page
    that fills it in again (a path of this site); ``None`` for every other request."""
    endpoint = request.endpoint or ""
    if request.method != "POST" or endpoint not in PAGES:
        return None
    return url_for(PAGES[endpoint], **(request.view_args or {}))


def _context() -> dict[str, Any]:
    # Once per request: a page may render other templates first (the results page renders the report).
    if "kept_saved" not in g:
        g.kept_saved = session.pop(SESSION_KEY, []) if SESSION_KEY in session else []
    return {"kept_saved": g.kept_saved}


def register(app: Flask) -> None:
    """Give every template ``kept_saved``: the keys confirmed since the last page (and forget them)."""
    app.context_processor(_context)
