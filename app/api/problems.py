"""Errors of the JSON API as RFC 9457 problem details (``application/problem+json``).

Every error of ``/api/v1`` is one object::

    {"type": "urn:eduaudit:problem:<code>", "title": "<HTTP reason>", "status": 422,
     "code": "<code>", "detail": "<the message, in the request's language>",
     "errors": [{"field": "answers.pupil_min_age", "code": "answer.too_small", "detail": "..."}]}

``code`` is a key of :data:`app.messages.MESSAGES` (the same codes and messages the pages use);
``errors`` (only when values of the request were refused) names each field: ``json.<name>`` or
``query.<name>`` for a request value the API's schema refused, ``answers.<question id>`` for an
answer, ``items.<n>`` for a review item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from ..i18n import describe
from ..problems import Problem

API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"

STATUS_CODES = {400: "api.bad_request", 401: "api.no_credentials", 403: "api.forbidden", 404: "api.not_found",
                405: "api.method_not_allowed", 413: "api.too_large", 429: "api.rate_limited",
                500: "api.server_error"}
"""The problem code of an HTTP error the API raised without one of its own."""


class ApiProblem(Problem):
    """A :class:`Problem` with the HTTP ``status`` the API answers it with, optionally the refused
    fields (``errors``: a list of ``(field, problem)`` pairs) and ``headers`` for the response
    (``Retry-After``...)."""

    def __init__(self, status: int, code: str, /, *, errors: Iterable[tuple[str, Problem]] = (),
                 headers: Mapping[str, str] | None = None, **params: Any) -> None:
        super().__init__(code, **params)
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})


def is_api_request() -> bool:
    """Whether the current request is to the JSON API (its errors are problem details, not pages)."""
    return request.path.startswith(API_PREFIX)


def field_error(field: str, problem: Problem) -> dict[str, str]:
    """One entry of a problem's ``errors``: the field, the problem's code and its message."""
    return {"field": field, "code": problem.code, "detail": describe(problem)}


def problem_response(status: int, problem: Problem, *, errors: list[dict[str, str]] | None = None,
                     headers: Mapping[str, str] | None = None) -> Response:
    """The problem-details response of ``problem`` with HTTP ``status``."""
    body: dict[str, Any] = {"type": f"urn:eduaudit:problem:{problem.code}", "title": HTTPStatus(status).phrase,
                            "status": status, "code": problem.code, "detail": describe(problem)}
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    return response


def from_api_problem(exc: ApiProblem) -> Response:
    return problem_response(exc.status, exc, errors=[field_error(f, p) for f, p in exc.errors],
                            headers=exc.headers)


def from_http_exception(exc: HTTPException) -> Response:
    """An HTTP error raised in the API (``abort(404)``, a refused request body, the rate limit...)."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status == 422 and messages:
        errors = [field_error(field, Problem("api.invalid_field", detail=detail))
                  for field, detail in _flatten(messages)]
        return problem_response(422, Problem("api.invalid", count=len(errors)), errors=errors)
    code = STATUS_CODES.get(status, "api.bad_request")
    params: dict[str, Any] = {}
    if status == 405:
        params["method"] = request.method
    elif status == 413:
        params["limit"] = request.max_content_length  # the route's own limit where it raised the app's
    elif status == 429:
        params["limit"] = getattr(exc, "description", "")
    headers = {"Retry-After": "60"} if status == 429 else {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem_response(status, Problem(code, **params), headers=headers)


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """webargs' nested ``{"json": {"answers": {"x": ["msg"]}}}`` as ``[("json.answers.x", "msg")]``."""
    if isinstance(messages, Mapping):
        out = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [(prefix, " ".join(messages))]
    if isinstance(messages, list | tuple):
        out = []
        for i, value in enumerate(messages):
            out += _flatten(value, f"{prefix}.{i}")
        return out
    return [(prefix, str(messages))]
