"""The full export of the registry as a background job (with ``REDIS_URL``): queued, written by a
worker into the store through the same streaming generator, served byte for byte like the streamed
export, reused while nothing changed, written again after a new publication; the store's streamed
write leaves nothing behind when it fails.

Tests that need Redis use a queue of their own (tests/redishelpers.py); without Redis they skip, or
fail when ``CI`` is set.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from redishelpers import on_redis
from registry_helpers import school_id, seed_products, seed_publications

from app import jobs
from app.extensions import db
from app.models import Product, StoredPdf
from app.pdfstore import PdfStore, StoreFull
from app.registry import services as registry

HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control")


def _seed(app, count: int = 30, seed: int = 3) -> list[int]:
    with app.app_context():
        ids = seed_products(3)
        seed_publications(ids, count, organisation_id=school_id(), seed=seed)
        db.session.commit()
    return ids


def _work(app) -> None:
    from rq import SimpleWorker

    with app.app_context():
        SimpleWorker([jobs.queue()], connection=jobs.queue().connection).work(burst=True)


def _queued(app) -> int:
    with app.app_context():
        return jobs.queue().count


def _streamed(app, client, url: str):
    """The export as the request streams it without workers."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    jobs.init_app(app)
    try:
        response = client.get(url)
        assert response.status_code == 200
        return response
    finally:
        app.config["REDIS_URL"] = saved
        jobs.init_app(app)


def _without_generated_at(data: bytes) -> dict:
    document = json.loads(data.decode("utf-8"))
    assert document.pop("generated_at")
    return document


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_on_redis_the_full_export_is_a_job_then_served_from_the_store_like_the_streamed_one(
        app, anon_client, fmt):
    _seed(app)
    url = f"/published/export.{fmt}"
    with on_redis(app):
        response = anon_client.get(url)
        assert response.status_code == 303 and "/published/export-jobs/export-" in response.location
        path = urlsplit(response.location).path
        page = anon_client.get(response.location)
        assert page.status_code == 200 and 'role="progressbar"' in page.text and "js/progress.js" in page.text
        assert "Preparing the export" in page.text and "Download the export" in page.text
        status = anon_client.get(path + ".json").get_json()
        assert status["state"] == "queued" and status["ready"] is False and status["download_url"] is None
        # a second click joins the queued job
        assert anon_client.get(url).location == response.location and _queued(app) == 1
        _work(app)
        status = anon_client.get(path + ".json").get_json()
        assert status["ready"] is True and status["percent"] == 100 and status["download_url"] == url
        assert status["message"] == "The export is ready."
        stored = anon_client.get(url)
        assert stored.status_code == 200
        streamed = _streamed(app, anon_client, url)
        for header in HEADERS:
            assert stored.headers.get(header) == streamed.headers.get(header), header
        if fmt == "json":
            assert _without_generated_at(stored.data) == _without_generated_at(streamed.data)
            assert len(json.loads(stored.data)["audits"]) == 30
        else:
            assert stored.data == streamed.data and stored.data.startswith(registry.CSV_BOM.encode("utf-8"))
        assert stored.headers["Content-Length"] == str(len(stored.data))
        # nothing changed: served from the store at once, nothing queued
        again = anon_client.get(url)
        assert again.status_code == 200 and again.data == stored.data and _queued(app) == 0
        with app.app_context():
            rows = db.session.scalars(sa.select(StoredPdf).where(StoredPdf.kind == "export")).all()
            assert len(rows) == 1 and rows[0].size_bytes == len(stored.data)


def test_a_new_publication_or_a_withdrawal_makes_a_new_export_job(app, anon_client):
    ids = _seed(app)
    with on_redis(app):
        first = anon_client.get("/published/export.json").location
        _work(app)
        assert anon_client.get("/published/export.json").status_code == 200
        with app.app_context():
            seed_publications(ids[:1], 1, organisation_id=school_id(), seed=9)
            db.session.commit()
        second = anon_client.get("/published/export.json")
        assert second.status_code == 303 and second.location != first
        _work(app)
        assert len(anon_client.get("/published/export.json").json["audits"]) == 31
        # the CSV is another file of the same state
        assert anon_client.get("/published/export.csv").location not in (first, second.location)


def test_the_registry_state_changes_with_a_vendor_country_filled_in_later(app):
    """A later audit may give a published product's vendor its country: the export shows it, so the
    stored export of before is not served."""
    ids = _seed(app)
    with app.app_context():
        vendor = db.session.get(Product, ids[0]).vendor
        vendor.country = None
        db.session.commit()
        before = registry.registry_state()
        assert registry.registry_state() == before
        registry.find_or_create_vendor(vendor.name, country="uk")
        db.session.commit()
        assert registry.registry_state() != before


def test_a_full_disk_while_writing_the_export_gets_a_clear_page_and_records_nothing(app, anon_client, monkeypatch):
    _seed(app)

    def full(self, key, chunks, suffix):
        raise StoreFull(28, "the disk holding the PDF store is full; x was not written")

    with on_redis(app):
        location = anon_client.get("/published/export.csv").location
        monkeypatch.setattr(PdfStore, "write_stream", full)
        _work(app)
        page = anon_client.get(location)
        assert page.status_code == 507 and "disk is full" in page.text and "Traceback" not in page.text
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredPdf)) == 0


def test_a_stored_export_that_was_damaged_is_written_again(app, anon_client):
    _seed(app)
    with on_redis(app):
        anon_client.get("/published/export.json")
        _work(app)
        files = [p for p in Path(app.config["PDF_STORE_DIR"]).rglob("*.json")]
        assert len(files) == 1
        files[0].write_bytes(b"{}")
        again = anon_client.get("/published/export.json")
        assert again.status_code == 303
        _work(app)
        assert len(anon_client.get("/published/export.json").json["audits"]) == 30


def test_an_unknown_export_job_is_404(app, anon_client):
    with on_redis(app):
        assert anon_client.get(f"/published/export-jobs/export-{'0' * 64}").status_code == 404
        assert anon_client.get(f"/published/export-jobs/export-{'0' * 64}.json").status_code == 404


def test_without_redis_the_full_export_is_streamed_and_nothing_is_stored(app, anon_client):
    _seed(app)
    response = anon_client.get("/published/export.csv", buffered=False)
    try:
        assert response.status_code == 200 and response.is_streamed and "Content-Length" not in response.headers
    finally:
        response.close()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredPdf)) == 0


def test_a_streamed_write_that_fails_midway_leaves_nothing_in_the_store(tmp_path):
    store = PdfStore(tmp_path)
    key = "b" * 64

    def chunks():
        yield b"first part"
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        store.write_stream(key, chunks(), ".csv")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    expected = (hashlib.sha256(b"a,b\n").hexdigest(), 4)
    assert store.write_stream(key, iter([b"a,", b"b\n"]), ".csv") == expected
    # a second writer keeps the first file and learns what it holds
    assert store.write_stream(key, iter([b"other"]), ".csv") == expected
    assert store.path(key, ".csv").read_bytes() == b"a,b\n"
    with pytest.raises(ValueError, match="ending in"):
        store.path(key, ".exe")


def test_with_redis_down_the_full_export_is_written_in_the_web_process_and_served(app, anon_client, caplog):
    _seed(app)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/5"  # nothing listens on port 1
    jobs.init_app(app)
    response = anon_client.get("/published/export.json")
    assert response.status_code == 200 and len(response.json["audits"]) == 30
    assert "Redis unreachable" in caplog.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredPdf)) == 1
