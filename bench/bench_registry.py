"""Registry benchmark: public comparison and product pages, and the streamed exports, at 50,000
published audits.

Run: `.venv/bin/python bench/bench_registry.py [--audits 50000] [--products 1000] [--small 5000]
[--reps 20] [--database-url postgresql://...]`. Prints figures; asserts nothing. Record results in
docs/benchmarks.md.

Data: a fresh SQLite file, migrated with Alembic (no ANALYZE), or with --database-url a new
PostgreSQL schema (dropped at the end; VACUUM ANALYZE after loading, as autovacuum would). Published
audits are bulk-inserted (vendors, products, audits, publications, published findings;
tests/registry_helpers.py) over --products products, with a skewed popularity (product k is picked
with weight 1/k: a few products have thousands of audits, most have a few dozen), and 5 to 25
findings per audit drawn from the real rules of the loaded rule
set (rule id, category, effect, level from the risk matrix).

First --small audits are seeded and the exports measured; then the rest, and everything is measured:
- latency (Flask test client, in process, --reps requests after 2 warm-ups; median and p95) of
  GET /compare with the 2, 5 and 10 most-audited products, GET /products/<id> for the most-audited
  and a median product, GET /products, GET /products?q=...;
- /published/export.json and .csv: wall time and bytes while reading the streamed response; then,
  in a second read, the tracemalloc peak (Python allocations) and the resident-set growth (VmRSS
  sampled every 50 chunks, minus VmRSS before). The same at --small audits shows whether memory
  grows with the number of audits.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.config import normalise_database_url  # noqa: E402
from app.extensions import db  # noqa: E402


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def latency(client, url: str, reps: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, response bytes) of ``reps`` GETs after 2 warm-ups."""
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    size = 0
    for _ in range(reps):
        start = time.perf_counter()
        response = client.get(url)
        size = len(response.data)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95, size


def read_export(client, url: str, *, trace: bool) -> dict[str, float]:
    """Read a streamed export; wall time and bytes, or (``trace``) tracemalloc peak and RSS growth."""
    before = rss_kib()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200 and response.is_streamed, url
    size, chunks, rss_max = 0, 0, before
    try:
        for chunk in response.response:
            size += len(chunk)
            chunks += 1
            if chunks % 50 == 0:
                rss_max = max(rss_max, rss_kib())
    finally:
        response.close()
    seconds = time.perf_counter() - start
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss_max = max(rss_max, rss_kib())
    return {"seconds": seconds, "bytes": size, "chunks": chunks, "peak_mib": peak / 2**20,
            "rss_delta_mib": (rss_max - before) / 1024}


def seed(audits: int, product_ids: list[int], weights: list[float], *, rng_seed: int, org: int) -> float:
    from registry_helpers import seed_publications

    rng = random.Random(rng_seed)
    picks = rng.choices(product_ids, weights=weights, k=audits)
    start = time.perf_counter()
    seed_publications(picks, audits, organisation_id=org, seed=rng_seed, chunk=5000)
    db.session.commit()
    return time.perf_counter() - start


def measure_exports(client, label: str) -> None:
    for fmt in ("json", "csv"):
        url = f"/published/export.{fmt}"
        timed = read_export(client, url, trace=False)
        traced = read_export(client, url, trace=True)
        print(f"  {label:>14} export.{fmt:<4}  {timed['seconds']:6.2f} s  {timed['bytes'] / 2**20:7.1f} MiB  "
              f"{timed['chunks']:6d} chunks  tracemalloc peak {traced['peak_mib']:6.2f} MiB  "
              f"RSS +{traced['rss_delta_mib']:6.1f} MiB")


def run(url: str, args: argparse.Namespace, label: str) -> None:
    print(f"\n== {label} ==")
    url = normalise_database_url(url)
    options = {}
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_registry_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": options, "RATELIMIT_ENABLED": False})
    try:
        with app.app_context():
            flask_migrate.upgrade()
            from registry_helpers import school_id, seed_products

            org = school_id()
            product_ids = seed_products(args.products, category="classroom_analytics")
            db.session.commit()
            weights = [1 / (k + 1) for k in range(len(product_ids))]
            seconds = seed(args.small, product_ids, weights, rng_seed=1, org=org)
            print(f"  seeded {args.small:,} published audits in {seconds:.1f} s")
        client = app.test_client()
        measure_exports(client, f"{args.small:,} audits")
        with app.app_context():
            seconds = seed(args.audits - args.small, product_ids, weights, rng_seed=2, org=org)
            findings = db.session.scalar(sa.text("SELECT count(*) FROM published_findings"))
            by_product = db.session.execute(sa.text(
                "SELECT product_id, count(*) AS n FROM publications GROUP BY product_id ORDER BY n DESC, product_id"
            )).all()
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does soon after a bulk load: statistics, and the visibility map that
                # lets PostgreSQL answer from an index alone (index-only scans).
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
        print(f"  seeded {args.audits - args.small:,} more in {seconds:.1f} s: {args.audits:,} audits, "
              f"{findings:,} published findings, {len(by_product)} products "
              f"(most audited {by_product[0][1]:,}, median {by_product[len(by_product) // 2][1]:,})")
        top = [p for p, _n in by_product]
        pages = [
            ("/compare, 2 products", "/compare?" + "&".join(f"p={i}" for i in top[:2])),
            ("/compare, 5 products", "/compare?" + "&".join(f"p={i}" for i in top[:5])),
            ("/compare, 10 products", "/compare?" + "&".join(f"p={i}" for i in top[:10])),
            ("/compare, 10 median products", "/compare?" + "&".join(
                f"p={i}" for i in top[len(top) // 2:len(top) // 2 + 10])),
            (f"/products/<id> ({by_product[0][1]:,} audits)", f"/products/{top[0]}"),
            (f"/products/<id> ({by_product[len(top) // 2][1]} audits)", f"/products/{top[len(top) // 2]}"),
            ("/products", "/products"),
            ("/products?q=product 12", "/products?q=product+12"),
        ]
        print(f"  latency over {args.reps} requests (ms):        median      p95    bytes")
        for name, page in pages:
            median, p95, size = latency(client, page, args.reps)
            print(f"  {name:<38} {median:8.1f} {p95:8.1f} {size:8d}")
        measure_exports(client, f"{args.audits:,} audits")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audits", type=int, default=50_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--small", type=int, default=5_000, help="audits of the first export measurement")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (in a new schema, dropped after)")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench-registry.sqlite3", args, "SQLite (file)")
    if args.database_url:
        run(args.database_url, args, "PostgreSQL")


if __name__ == "__main__":
    main()
