"""Concurrency benchmark: does a PDF download block other requests?

Run: `.venv/bin/python bench/bench_concurrency.py [--requests N]`. Prints figures; asserts nothing.
Record results in docs/benchmarks.md.

Serves the app in this process with werkzeug's threaded server on a free localhost port (a fresh
SQLite database in a temporary folder), creates a school with one school administrator and one audit
with every answer given, signs in through the sign-in form, then times ``GET /`` (the school's
overview) N times (default 20) with nothing else running, and N times again while another thread
downloads the audit's PDF (rendered in a child process by app.reports.limits). Prints the median and
maximum latency of both series next to the PDF's duration. Raises ``RuntimeError`` if a response is not
what a signed-in user gets (a redirect to the sign-in page, an error, a PDF that is not a PDF), so it
never times the wrong thing.
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
from bench.web_prepare import EMAIL, PASSWORD, finished_audit  # noqa: E402


def make_app(folder: Path):
    import flask_migrate

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def sign_in(opener, base: str) -> None:
    """Sign in through the form (CSRF token included); the opener's cookie jar keeps the session."""
    from webhelpers import csrf_token

    with opener.open(base + "/login") as response:
        token = csrf_token(response.read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD}).encode()
    with opener.open(base + "/login", data=form) as response:
        response.read()
        if urllib.parse.urlsplit(response.geturl()).path == "/login":
            raise RuntimeError("signing in failed: the sign-in page came back")


def timed_get(opener, url: str) -> tuple[float, int]:
    """Seconds to fetch ``url`` and the bytes received. ``RuntimeError`` if it ended on the sign-in page
    or, for a ``.pdf`` URL, did not return a PDF (urllib raises for an HTTP error status)."""
    started = time.perf_counter()
    with opener.open(url) as response:
        body = response.read()
        final = urllib.parse.urlsplit(response.geturl()).path
        kind = response.headers.get("Content-Type", "")
    elapsed = time.perf_counter() - started
    if final == "/login":
        raise RuntimeError(f"{url} sent the benchmark to the sign-in page")
    if url.split("?")[0].endswith(".pdf") and not (kind.startswith("application/pdf") and body.startswith(b"%PDF")):
        raise RuntimeError(f"{url} returned {kind!r}, not a PDF")
    return elapsed, len(body)


def series(opener, url: str, n: int) -> list[float]:
    return [timed_get(opener, url)[0] for _ in range(n)]


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
        cookies = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        sign_in(opener, base)
        pdf_url = f"{base}/audits/{urllib.parse.quote(report_id)}/report.pdf?lang=en"
        timed_get(opener, pdf_url)  # warm-up: evaluation snapshot, forkserver start
        idle = series(opener, base + "/", args.requests)
        pdf: dict[str, float] = {}

        def download() -> None:
            pdf["started"] = time.perf_counter()
            _seconds, pdf["bytes"] = timed_get(urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies)),
                                               pdf_url)
            pdf["ended"] = time.perf_counter()

        worker = threading.Thread(target=download)
        worker.start()
        time.sleep(0.3)  # the render is under way
        busy = series(opener, base + "/", args.requests)
        busy_done = time.perf_counter()
        worker.join()
        server.shutdown()
    during = "all during the render" if busy_done < pdf["ended"] else "some after the render ended"
    print(f"PDF download: {pdf['ended'] - pdf['started']:.2f} s, {pdf['bytes'] / 1024:.0f} KiB")
    for name, values in (("GET / alone", idle), (f"GET / during the PDF ({during})", busy)):
        print(f"{name:<48} n={len(values)}  median {statistics.median(values) * 1000:6.1f} ms  "
              f"max {max(values) * 1000:6.1f} ms")
    print(f"the {args.requests} requests during the render took {busy_done - pdf['started'] - 0.3:.2f} s in all")


if __name__ == "__main__":
    main()
