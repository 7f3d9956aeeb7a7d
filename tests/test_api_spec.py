"""The OpenAPI document: the one checked into the repository is the one the code generates, and
schemathesis (property-based, in-process through the app's WSGI interface) finds no server error and
no response that breaks the document, on every operation, signed in with a personal token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scenario
import schemathesis
from apihelpers import make_token
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api import spec_json

SPEC = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


def test_the_checked_in_openapi_document_is_the_one_the_code_generates(app):
    generated = spec_json(app)
    assert json.loads(generated)["openapi"] == "3.1.0"
    assert SPEC.read_text(encoding="utf-8") == generated, "docs/openapi.json is stale: run `make openapi`"


def test_every_operation_documents_its_errors_as_problem_details():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (path, method)
            assert operation.get("summary"), (path, method)


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT": "100000 per minute", "PDF_RATE_LIMIT": "100000 per minute"}


@pytest.fixture
def api_schema(app, accounts, monkeypatch):
    """The app's OpenAPI document loaded by schemathesis against the app in-process, an audit in each
    interesting state, and a write token of their school (the PDF renderer stubbed)."""
    monkeypatch.setattr("app.audits.services.render_pdf_limited",
                        lambda context, lim, pdf_variant=None: b"%PDF-1.7 stub")
    with app.app_context():
        ids = {state: scenario.make_audit(state) for state in ("draft", "complete", "submitted", "published")}
        token = make_token("school")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), {"Authorization": f"Bearer {token}"}, ids


EXAMPLES = 5
"""Generated requests per operation and mode (bounded: the suite runs this on every run)."""


@pytest.mark.parametrize(("mode", "audit"), [(GenerationMode.POSITIVE, None), (GenerationMode.POSITIVE, "draft"),
                                             (GenerationMode.NEGATIVE, "draft"), (GenerationMode.POSITIVE, "complete")])
def test_the_api_holds_to_its_document(api_schema, mode, audit):
    """Random report ids mostly meet 404; with ``audit`` the operations on one audit get a real one (the
    rest of the request still generated), so bodies reach the services."""
    schema, headers, ids = api_schema
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        fixed = {"report_id": ids[audit]} if audit and "report_id" in names else None

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:
            # Negative mode only: every value of the operation's inputs is valid (a string in the path,
            # no body), so no invalid request exists to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # noqa: BLE001  (every operation is tried; all failures are reported)
            failures.append(f"{operation.label}: {exc}")
    assert operations == len([m for ops in json.loads(SPEC.read_text())["paths"].values() for m in ops
                              if m != "parameters"])
    assert not failures, "\n\n".join(failures)
