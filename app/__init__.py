"""EduAudit web app: the factory reads like a table of contents, one ``register_*`` step per concern."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as app_config

if TYPE_CHECKING:
    from flask import Flask

# Flask, the extensions and the features are imported by the factory, not by this package: the
# command line's `evaluate` and the engine (app.rules) start without them.

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "migrations"
TEMPLATES_DIR = ROOT / "templates"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config → request text → extensions → blueprints → error pages → headers → sessions → rule set.

    Raises :class:`app.rules.loader.RuleLoadError` (listing every problem) if the rule files are
    invalid, and :class:`app.config.ConfigError` for an unsafe configuration, so a broken set-up
    stops start-up instead of serving wrong results.
    """
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATES_DIR))
    register_config(app, test_config)
    register_request_text(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_frame(app)
    register_security_headers(app)
    register_sessions(app)
    register_ruleset(app)
    register_proxies(app)
    return app


def register_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(copy.deepcopy(app_config.DEFAULTS))  # no dict shared between app instances
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(app_config.from_environment(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app_config.finalise(app.config, app.instance_path)


def register_request_text(app: Flask) -> None:
    """Requests read strictly: an address, query string or JSON body holding text no database, page or
    PDF can hold is refused before anything else runs; forms refuse it on the field (:mod:`app.requesttext`)."""
    from .requesttext import register

    register(app)


def register_extensions(app: Flask) -> None:
    from . import jobs, models  # noqa: F401  (the tables must be on db.metadata before migrations look)
    from .extensions import babel, csrf, db, limiter, migrate
    from .i18n import install_template_gettext, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    limiter.init_app(app)
    jobs.init_app(app)
    register_login(app)


def register_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from .accounts.sessions import load_session_user
    from .extensions import login_manager
    from .securitylog import configure

    configure(app.config["SECURITY_LOG"])
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)


def register_blueprints(app: Flask) -> None:
    from .accounts import bp as accounts_bp
    from .audits import bp as audits_bp
    from .evidence import bp as evidence_bp
    from .i18n import bp as i18n_bp
    from .registry import bp as registry_bp
    from .review import bp as review_bp
    from .routing import RowId
    from .trail.views import bp as trail_bp
    from .verify import bp as verify_bp

    app.url_map.converters["id"] = RowId
    app.register_blueprint(accounts_bp)
    app.register_blueprint(audits_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(trail_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(verify_bp)
    register_api(app)


def register_api(app: Flask) -> None:
    from .api import register

    register(app)


def register_error_handlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_frame(app: Flask) -> None:
    """The site header and footer of every page, kept per process (:mod:`app.frame`)."""
    from . import frame

    frame.register(app)


def register_security_headers(app: Flask) -> None:
    from .security import add_security_headers

    app.after_request(add_security_headers)


def register_sessions(app: Flask) -> None:
    """Before every request (after the API's token check): keep the cookie across browser restarts,
    check the session on the server (:func:`app.accounts.sessions.load_session_user`, before any view
    writes), and send a user who must enrol a second factor to enrolment. A request with an API token
    neither reads nor makes a session."""
    from flask import g, request, session
    from flask_login import current_user

    from . import kept
    from .accounts.views import require_mfa
    from .security import reuse_signed_csrf_token

    kept.register(app)  # what the browser keeps until a save is confirmed

    @app.before_request
    def keep_session():
        if g.get("api_token") is not None or request.endpoint == "static":
            return None
        # The CSRF token lives in the session: a browser restart must not void a half-filled step.
        # Set once: setting it marks the session changed, and a changed session is signed and sent
        # again with every response (SESSION_REFRESH_EACH_REQUEST is off, see config.py).
        if not session.permanent:
            session.permanent = True
        _ = current_user.is_authenticated  # load (and time out) the session before the view runs
        reuse_signed_csrf_token()
        return require_mfa()


def register_ruleset(app: Flask) -> None:
    from .extensions import RULESET_KEY
    from .rules.loader import get_ruleset

    app.extensions[RULESET_KEY] = get_ruleset(app.config["RULES_DIR"])


def register_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, read the client's address, scheme and host from
    their ``X-Forwarded-*`` headers (so sign-in limits count clients, not the proxy)."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
