"""The JSON API, version 1, under ``/api/v1`` (flask-smorest: marshmallow schemas, OpenAPI 3.1).

The OpenAPI document is generated from the routes and schemas (``GET /api/v1/openapi.json``) and
checked into the repository as ``docs/openapi.json`` (``tests/test_api_spec.py`` holds the two
equal; ``make openapi``, i.e. ``eduaudit api spec -o docs/openapi.json``, writes it). Resources:
:mod:`.audits` (audits, answers, evaluation, assessments and findings, submission, trail, portable
export and import), :mod:`.reports` (report
jobs), :mod:`.review` (the reviewer's queue, ratings, decision; the action plan), :mod:`.evidence`
(documents attached to answers), :mod:`.registry` (products,
published audits, exports). Errors are problem details (:mod:`.problems`); who may call what is
:mod:`.auth` (personal tokens or the session cookie, the same access rules as the pages).
"""

from __future__ import annotations

import http
import json

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..extensions import csrf
from ..routing import ROW_ID_MAX, RowId
from . import auth
from .schemas import ProblemSchema

API_PREFIX = "/api/v1"


class ProblemApi(Api):
    """flask-smorest's ``Api`` whose error responses are documented as RFC 9457 problem details and
    whose errors are answered by the app's handlers (:mod:`app.errors`), not flask-smorest's."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:  # the app's handlers answer API errors (app.errors)
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


SETTINGS = {
    "API_TITLE": "EduAudit API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Privacy-risk audits of smart-education products. See docs/api.md."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {
            "token": {"type": "http", "scheme": "bearer",
                      "description": "A personal API token (created under API tokens in the account)."},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "The browser's session; unsafe methods need the X-CSRFToken header."},
        }},
        "security": [{"token": []}, {"session": []}, {}],
    },
}
"""flask-smorest's settings (set on the app unless the app's config already has them)."""


def register(app: Flask) -> ProblemApi:
    """Mount ``/api/v1`` on ``app`` and return its ``Api``: the spec, every resource blueprint
    (CSRF-exempt: :mod:`.auth` checks the CSRF token of cookie requests itself; each is rate-limited
    per caller, see :func:`.auth.limited`), the authentication."""
    from . import audits, evidence, registry, reports, review

    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    api = ProblemApi(app)
    api.register_converter(RowId, lambda _converter: {"type": "integer", "minimum": 0, "maximum": ROW_ID_MAX})
    for blueprint in (audits.blp, reports.blp, review.blp, evidence.blp, registry.blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    app.before_request(auth.authenticate)
    app.extensions[API_KEY] = api
    return api


API_KEY = "eduaudit.api"


def spec_json(app: Flask) -> str:
    """The OpenAPI document of ``app``'s API as the repository keeps it (``docs/openapi.json``): JSON with
    sorted keys, indented by 2, ending in a newline."""
    return json.dumps(app.extensions[API_KEY].spec.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
