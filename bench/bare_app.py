"""The framework's floor for `bench/bench_web.py`: a bare Flask app whose one route returns an HTML
page of the size asked for (``/page/<bytes>``, GET or POST), with no session, database or template.

Served by the same server and workers as the app (``gunicorn 'bench.bare_app:app'``).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response

app = Flask(__name__)


@lru_cache(maxsize=64)
def _body(size: int) -> bytes:
    head = b"<!doctype html><html><body><p>"
    return head + b"x" * max(0, size - len(head))


@app.route("/page/<int:size>", methods=["GET", "POST"])
def page(size: int) -> Response:
    return Response(_body(min(size, 10_000_000)), mimetype="text/html")
