"""Concurrency benchmark: does a PDF download block other requests?

Run: `.venv/bin/python bench/bench_concurrency.py [--requests N]`. Prints figures; asserts nothing.
Record results in docs/benchmarks.md.

Serves the app in this process with werkzeug's threaded server on a free localhost port (a fresh
SQLite database in a temporary folder), creates one audit with every answer given, then times
``GET /`` N times (default 20) with nothing else running, and N times again while another thread
downloads the audit's PDF (rendered in a child process by app.reports.limits). Prints the median and
maximum latency of both series next to the PDF's duration.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.audits import services  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Audit  # noqa: E402


def make_app(folder: Path):
    import flask_migrate

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def finished_audit(app) -> str:
    """A report id whose answers are complete (the realistic EU classroom case of the tests)."""
    from webhelpers import REALISTIC, complete

    qn = app.extensions["eduaudit.ruleset"].questionnaire
    answers = complete(qn, REALISTIC)
    typed = qn.validate_answers(answers)
    with app.app_context():
        audit = services.create_audit(qn, product_name=typed["product_name"], vendor_name=typed["vendor_name"])
        services.save_step(qn, audit, typed)
        db.session.commit()
        return db.session.get(Audit, audit.id).report_id


def timed_get(opener, url: str) -> float:
    started = time.perf_counter()
    with opener.open(url) as response:
        response.read()
    return time.perf_counter() - started


def series(opener, url: str, n: int) -> list[float]:
    return [timed_get(opener, url) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        report_id = finished_audit(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        pdf_url = f"{base}/audits/{urllib.parse.quote(report_id)}/report.pdf?lang=en"
        timed_get(opener, pdf_url)  # warm-up: evaluation snapshot, forkserver start
        idle = series(opener, base + "/", args.requests)
        pdf: dict[str, float] = {}

        def download() -> None:
            pdf["started"] = time.perf_counter()
            timed_get(urllib.request.build_opener(), pdf_url)
            pdf["ended"] = time.perf_counter()

        worker = threading.Thread(target=download)
        worker.start()
        time.sleep(0.3)  # the render is under way
        busy = series(opener, base + "/", args.requests)
        busy_done = time.perf_counter()
        worker.join()
        server.shutdown()
    during = "all during the render" if busy_done < pdf["ended"] else "some after the render ended"
    print(f"PDF download: {pdf['ended'] - pdf['started']:.2f} s")
    for name, values in (("GET / alone", idle), (f"GET / during the PDF ({during})", busy)):
        print(f"{name:<48} n={len(values)}  median {statistics.median(values) * 1000:6.1f} ms  "
              f"max {max(values) * 1000:6.1f} ms")
    print(f"the {args.requests} requests during the render took {busy_done - pdf['started'] - 0.3:.2f} s in all")


if __name__ == "__main__":
    main()
