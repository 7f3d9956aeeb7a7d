"""gunicorn settings of the production shape (`make serve`); every value can be overridden by the
environment variable named beside it. See README, "Production".

    gunicorn -c gunicorn.conf.py "app:create_app()"
"""

import os

import gunicorn
import gunicorn.http.wsgi

bind = os.environ.get("EDUAUDIT_BIND", "127.0.0.1:8000")
# Sync workers: 2 per core is the usual start; PDFs render in the RQ workers, so a web worker is
# never held for seconds and a few suffice.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# Longer than PDF_RENDER_TIMEOUT (60 s), in case a PDF is rendered in the web process (Redis down).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "90"))
graceful_timeout = 30
keepalive = 5
# The app (and the rule set, about 1.4 s to load and validate) is built once, before forking.
preload_app = True
# Recycle workers now and then, so a slow leak cannot grow without bound (0: never). A recycle costs:
# the leaving worker takes 0.1-0.5 s to exit (a web worker about 0.4 s) before its successor is forked,
# and the successor starts with an empty results-page store. Every 2,000 requests was every second or
# two at the rates the serving benchmark reaches, and a tail for every page (docs/benchmarks.md, issue 15).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
# A tenth of that, so the workers, started together and served in turn, do not leave at the same moment
# (200 on 2,000 put both workers' exits within the same few hundred milliseconds: no worker at all).
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", str(max_requests // 10)))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
# gunicorn trusts X-Forwarded-* only from these addresses; the app's own ProxyFix (TRUSTED_PROXIES)
# decides what the application sees.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No version in the Server header (gunicorn sends "gunicorn/<version>" by default).
gunicorn.SERVER = gunicorn.http.wsgi.SERVER = "EduAudit"
gunicorn.SERVER_SOFTWARE = gunicorn.http.wsgi.SERVER_SOFTWARE = "EduAudit"


def post_fork(server, worker):
    """Each worker gets database connections of its own: none opened before the fork is shared.
    Another WSGI app served with this file (the benchmark's bare Flask page) has no database: skipped
    before anything of this app is imported (importing it costs a fresh worker about 0.4 s, which
    every recycled worker of that other app would pay)."""
    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return
    from app.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
