"""gunicorn.conf.py's hooks: the post-fork hook gives each worker database connections of its own, and
leaves alone an app without a database (the serving benchmark's bare Flask page is served with the
same file; the hook used to stop its workers from booting)."""

from __future__ import annotations

import runpy
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
