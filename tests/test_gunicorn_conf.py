"""gunicorn.conf.py's hooks: the post-fork hook gives each worker database connections of its own, and
leaves alone an app without a database (the serving benchmark's bare Flask page is served with the
same file; the hook used to stop its workers from booting)."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def _server(app):
    return SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))


def test_the_post_fork_hook_leaves_an_app_without_a_database_alone():
    hooks = runpy.run_path(str(CONF))
    hooks["post_fork"](_server(Flask("bare")), worker=None)


def test_the_post_fork_hook_disposes_of_the_app_s_inherited_connections(app, monkeypatch):
    from app.extensions import db

    disposed = []
    with app.app_context():
        monkeypatch.setattr(type(db.engine), "dispose", lambda self, close=True: disposed.append(close))
    runpy.run_path(str(CONF))["post_fork"](_server(app), worker=None)
    assert disposed == [False]


def test_the_post_fork_hook_imports_nothing_of_the_app_for_an_app_without_a_database():
    # A fresh process: this one has imported the app already. Importing app.extensions in every new
    # worker of the bare page cost it about 0.4 s per recycled worker (its p99 in the serving benchmark).
    code = ("import runpy, sys, types; from flask import Flask; "
            f"hooks = runpy.run_path({str(CONF)!r}); "
            "server = types.SimpleNamespace(app=types.SimpleNamespace(wsgi=lambda: Flask('bare'))); "
            "hooks['post_fork'](server, worker=None); "
            "print(sorted(m for m in sys.modules if m == 'app' or m.startswith('app.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=CONF.parent).stdout
    assert out.strip() == "[]"


def test_worker_recycling_is_rare_and_spread_by_a_tenth_of_its_period(monkeypatch):
    # Every 2,000 requests (+0..200) recycled a worker every second or two under load, and the two workers
    # left within the same few hundred milliseconds (a leaving worker takes 0.1-0.5 s to exit).
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS_JITTER", raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["max_requests"] >= 20000 and conf["max_requests_jitter"] == conf["max_requests"] // 10
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "50000")
    conf = runpy.run_path(str(CONF))
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (50000, 5000)
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "0")
    assert runpy.run_path(str(CONF))["max_requests"] == 0  # never (gunicorn's own meaning of 0)
