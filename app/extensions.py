"""Flask extensions, created unbound here and bound to an app in :func:`app.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flask_limiter
from flask import Blueprint, current_app, request
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:
    from .rules.model import RuleSet

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names are predictable, so migrations can drop and alter them on every database."""


class Base(DeclarativeBase):
    """Declarative base of every model; carries the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
class Limiter(flask_limiter.Limiter):
    """Flask-Limiter's limiter, whose before-request check runs only for the requests it can limit there.

    That check (about 8 % of a cached page's work) applies the default and application limits and a
    blueprint's limits; a route's own ``@limiter.limit`` is checked when its view is called, whatever the
    hook does. This app sets no default or application limit, and limits one blueprint
    (:meth:`limit_blueprint`, the API's), so every other request has nothing the hook could apply and
    skips it. Configure a default or application limit and every request is checked again, exactly as
    by Flask-Limiter itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limited_blueprints: set[str] = set()
        """Names of the blueprints limited as a whole."""

    def limit_blueprint(self, blueprint: Blueprint, limit_value: Any, **kwargs: Any) -> Blueprint:
        """Limit every route of ``blueprint`` (``limit_value`` and ``kwargs`` as for :meth:`limit`)."""
        self.limit(limit_value, **kwargs)(blueprint)
        self.limited_blueprints.add(blueprint.name)
        return blueprint

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if (in_middleware and self.limited_blueprints.isdisjoint(request.blueprints)
                and not self.limit_manager.default_limits and not self.limit_manager.application_limits):
            return
        super()._check_request_limit(callable_name, in_middleware)


limiter = Limiter(key_func=get_remote_address)
"""Per-client request limits (login attempts, PDF renders, the API); storage ``RATELIMIT_STORAGE_URI``."""

RULESET_KEY = "eduaudit.ruleset"


def current_ruleset() -> RuleSet:
    """The rule set loaded once when the app started (see ``register_ruleset`` in :mod:`app`)."""
    return current_app.extensions[RULESET_KEY]


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached for now (server restarting or down, the
    connection dropped or refused, the transaction aborted by the server), so the request's work was
    not written and the same request can succeed a moment later. ``False`` for errors in what was
    asked (a constraint, a bad statement)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
