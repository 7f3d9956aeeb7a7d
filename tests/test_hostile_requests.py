"""Requests carrying text no database, page or PDF can hold: a lone UTF-16 surrogate spelled in JSON
(``"\\ud800"``), NUL (``\\u0000``, ``%00``), bytes that are not UTF-8 (``%ED%A0%80``), JSON nested past
what the reader can follow. Each is refused where the request is read, with an error naming the place
(the API's problem details, the page's field message or its 400 page), and nothing is written.
Run against PostgreSQL too (TEST_DATABASE_URL): there NUL itself cannot be stored."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
import scenario
import sqlalchemy as sa
from apihelpers import bearer, make_token
from test_review_loop import findings_of, save_json
from webhelpers import csrf_token, form_of

from app.extensions import db
from app.models import ApiToken
from app.requesttext import MAX_REFUSALS, json_refusals, parse_pairs, shown

API = "/api/v1"
HALF = "holds an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 pair, not a character"


def _refused(response, status: int = 422) -> dict[str, str]:
    """The API's refusal: problem details ``api.invalid``; returns field -> code of its ``errors``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["code"] == "api.invalid" and body["status"] == status
    assert body["detail"] == f"{len(body['errors'])} value(s) of the request are not valid; see errors."
    return {e["field"]: e["code"] for e in body["errors"]}


def _raw_json(api, method: str, url: str, body: str | bytes):
    """``body`` sent as it is (the test client's ``json=`` would refuse to encode a lone surrogate)."""
    return api.open(url, method=method, data=body, content_type="application/json")


# -- the API: JSON bodies ---------------------------------------------------------------------------

def test_a_lone_surrogate_in_an_answer_is_refused_by_name_and_nothing_is_saved(app, school_api):
    created = school_api.post(f"{API}/audits", json={"product_name": "Smart Classroom", "vendor_name": "Vision Co"})
    audit = created.json
    body = json.dumps({"base_revision": audit["revision"],
                       "answers": {"jurisdiction": "EU", "product_description": "a\ud800b"}})
    assert '"a\\ud800b"' in body  # JSON spells the lone surrogate as an escape
    response = _raw_json(school_api, "PATCH", f"{API}/audits/{audit['report_id']}/answers", body)
    assert _refused(response) == {"json.answers.product_description": "request.half_surrogate"}
    assert response.json["errors"][0]["detail"] == HALF[0].upper() + HALF[1:] + "."
    with app.app_context():
        stored = scenario.audit(audit["report_id"])
        assert stored.revision == audit["revision"]
        assert dict(stored.answers) == audit["answers"]  # the valid answer beside it was not written either
    assert school_api.get(f"{API}/audits/{audit['report_id']}").json["answers"] == audit["answers"]


def test_every_refused_place_is_named_keys_too(school_api):
    body = ('{"product_name": "P\\udfff", "vendor_name": "V\\u0000", "\\ud83d": 1, '
            '"\\ud83d\\ude00 a whole pair is a character": "\\ud83d\\ude00"}')
    fields = _refused(_raw_json(school_api, "POST", f"{API}/audits", body))
    assert fields == {"json.product_name": "request.half_surrogate", "json.vendor_name": "request.nul",
                      "json.\\ud83d": "request.half_surrogate"}


def test_bytes_that_are_not_utf8_in_a_json_body_are_named(school_api):
    fields = _refused(_raw_json(school_api, "POST", f"{API}/audits",
                                b'{"product_name": "a\xed\xa0\x80", "vendor_name": "V"}'))
    assert fields == {"json": "request.not_utf8"}
    assert "(%ED%A0%80)" in _raw_json(school_api, "POST", f"{API}/audits",
                                      b'{"product_name": "a\xed\xa0\x80"}').json["errors"][0]["detail"]


@pytest.mark.parametrize("path", ["/audits", "/audits/import"])
def test_json_nested_past_what_the_reader_follows_is_refused_not_a_crash(school_api, path):
    deep = "[" * 100_000 + "]" * 100_000
    assert _refused(_raw_json(school_api, "POST", f"{API}{path}", deep)) == {"json": "request.too_deep"}


def test_a_review_rating_with_nul_is_refused_and_not_stored(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        reviewer_token = make_token("reviewer")
    rule_id = findings_of(app, report_id)[0]
    body = json.dumps({"items": [{"target_kind": "finding", "target_id": rule_id, "rating": "acceptable",
                                  "comment": "fine\x00"}]})
    api = app.test_client()
    response = api.put(f"{API}/audits/{report_id}/review/ratings", data=body, content_type="application/json",
                       headers=bearer(reviewer_token))
    assert _refused(response) == {"json.items.0.comment": "request.nul"}
    with app.app_context():
        assert scenario.ratings_of(report_id) == []


def test_a_portable_file_with_a_lone_surrogate_is_refused_and_nothing_is_imported(app, school_api):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    exported = school_api.get(f"{API}/audits/{report_id}/portable")
    assert exported.status_code == 200
    text = exported.get_data(as_text=True).replace('"Example Vision Technology Co."', '"Example \\udc00 Co."', 1)
    assert "\\udc00" in text
    with app.app_context():
        before = scenario.counts()
    fields = _refused(_raw_json(school_api, "POST", f"{API}/audits/import", text))
    assert len(fields) == 1 and set(fields.values()) == {"request.half_surrogate"}
    assert next(iter(fields)).startswith("json.content.")
    with app.app_context():
        assert scenario.counts() == before


# -- the address and the query string ---------------------------------------------------------------

def test_the_api_names_a_query_parameter_or_the_path_it_cannot_read(school_api):
    assert _refused(school_api.get(f"{API}/products?q=%00")) == {"query.q": "request.nul"}
    assert _refused(school_api.get(f"{API}/products?q=a%ED%A0%80")) == {"query.q": "request.not_utf8"}
    assert _refused(school_api.get(f"{API}/audits/EA-%00"), 400) == {"path": "request.nul"}


@pytest.mark.parametrize(("url", "named"), [
    ("/products?q=%ED%A0%80", "“query.q” holds bytes that are not UTF-8 text (%ED%A0%80); nothing was changed."),
    ("/products?category=%00", "“query.category” holds the character U+0000 (NUL), which cannot be stored; "
                               "nothing was changed."),
    ("/audits/EA-%00", "“path” holds the character U+0000 (NUL)"),
])
def test_a_page_names_what_it_cannot_read_in_the_address(client, url, named):
    response = client.get(url)
    assert response.status_code == 400
    assert named in response.text.replace("&#34;", '"')


@pytest.mark.parametrize(("environ", "named"), [
    ({"PATH_INFO": "/audits/EA-\xed\xa0\x80"}, "“path” holds bytes that are not UTF-8 text (%ED%A0%80)"),
    ({"PATH_INFO": "/products", "QUERY_STRING": "q=\xed\xa0\x80"},  # werkzeug raised UnicodeDecodeError
     "“query.q” holds bytes that are not UTF-8 text (%ED%A0%80)"),
])
def test_raw_bytes_that_are_not_utf8_in_the_address_are_named(client, environ, named):
    response = client.get("/", environ_overrides=environ)  # the bytes as a WSGI server passes them (Latin-1)
    assert response.status_code == 400 and named in response.text


# -- forms --------------------------------------------------------------------------------------------

def _post_raw(client, url: str, fields: list[tuple[str, str]], raw: str):
    """Post ``fields`` urlencoded, then ``raw`` as it is (bytes a browser would never send)."""
    return client.post(url, data=f"{urlencode(fields)}&{raw}", content_type="application/x-www-form-urlencoded")


def test_a_step_posted_with_bytes_that_are_not_utf8_shows_the_field_message_and_keeps_the_answers(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        before = scenario.audit(report_id)
        answers, revision = dict(before.answers), before.revision
    url = f"/audits/{report_id}/steps/product"
    fields = [(name, value) for name, values in form_of(client.get(url).text).items()
              for value in values if name != "product_description"]
    response = _post_raw(client, url, [*fields, ("action", "continue")], "product_description=a%ED%A0%80b")
    assert response.status_code in (200, 422)
    assert '<p class="field-error"' in response.text
    assert "Holds bytes that are not UTF-8 text (%ED%A0%80)." in response.text
    with app.app_context():
        after = scenario.audit(report_id)
        assert "product_description" not in after.answers
        assert dict(after.answers) == answers and after.revision == revision


def test_the_sign_in_e_mail_with_nul_is_not_valid_on_the_field(app, accounts, anon_client):
    page = anon_client.get("/login")
    response = anon_client.post("/login", data={"csrf_token": csrf_token(page.text),
                                                "email": "head@school.test\x00", "password": "x" * 12})
    assert response.status_code == 200
    assert "Holds the character U+0000 (NUL), which cannot be stored." in response.text
    assert "/account/password" not in response.text  # not signed in


@pytest.mark.parametrize(("raw", "message"), [
    ("name=School%00MIS", "Holds the character U+0000 (NUL), which cannot be stored."),
    ("name=School%ED%A0%80", "Holds bytes that are not UTF-8 text (%ED%A0%80)."),
    ("name=School\xff", "Holds bytes that are not UTF-8 text (%FF)."),  # werkzeug dropped the whole form
])
def test_a_token_name_that_cannot_be_kept_is_refused_on_the_field(app, client, raw, message):
    page = client.get("/account/tokens")
    fields = [("csrf_token", csrf_token(page.text)), ("scope", "read"), ("lifetime", "30")]
    response = client.post("/account/tokens", data=f"{urlencode(fields)}&{raw}".encode("latin-1"),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 422)
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_form_sent_as_multipart_refuses_nul_on_the_field_too(app, client):
    page = client.get("/account/tokens")
    response = client.post("/account/tokens", data={
        "csrf_token": csrf_token(page.text), "name": "School\x00MIS", "scope": "read", "lifetime": "30",
        "extra": (io.BytesIO(b"a file makes the form multipart"), "extra.txt")})
    assert response.status_code in (200, 422)
    assert "Holds the character U+0000 (NUL), which cannot be stored." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_review_page_script_gets_the_refusal_as_its_json(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
    reviewer = scenario.signed_in(app, "reviewer")
    rule_id = findings_of(app, report_id)[0]
    page = reviewer.get(f"/audits/{report_id}/review")
    body = json.dumps({"kind": "finding", "id": rule_id, "rating": "acceptable", "comment": "broken \ud83d"})
    response = reviewer.post(f"/audits/{report_id}/review/rating", data=body, content_type="application/json",
                             headers={"X-CSRFToken": csrf_token(page.text)})
    assert response.status_code == 422 and response.json["saved"] is False
    assert response.json["error"] == f"“json.comment” {HALF}; nothing was changed."
    assert save_json(reviewer, report_id, {"kind": "finding", "id": rule_id, "rating": "acceptable"}).json["saved"]
    with app.app_context():
        assert [r.comment for r in scenario.ratings_of(report_id)] == [""]


# -- the readers themselves -----------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "", "a=1&b=2", "a=1&a=2", "a", "a=", "=x", "a+b=c+d", "q=%2B%26%3D", "q=%E4%B8%AD%E6%96%87", "&&a=1&",
    "q=%F0%9F%98%80", "a=b=c",
])
def test_the_strict_reader_reads_what_werkzeug_reads(query):
    from urllib.parse import parse_qsl

    items, refused = parse_pairs(query.encode(), "query")
    assert items == parse_qsl(query, keep_blank_values=True) and refused == []


def test_refusals_are_in_document_order_and_bounded():
    value = {"a": ["ok", "\x00", {"\ud800": 1}], "b": "\udc00", "c": ["\x00"] * (MAX_REFUSALS * 2)}
    refusals = json_refusals(value)
    assert [(field, p.code) for field, p in refusals[:3]] == [
        ("json.a.1", "request.nul"), ("json.a.2.\\ud800", "request.half_surrogate"),
        ("json.b", "request.half_surrogate")]
    assert len(refusals) == MAX_REFUSALS and refusals[3][0] == "json.c.0"
    assert shown("x\x00\ud800\u3000y") == "x\\x00\\ud800\\u3000y"
