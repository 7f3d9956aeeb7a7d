"""Accounts: sign in, sign out, change password; the session's user (Flask-Login); the instance
administrator's account pages (:mod:`.admin`)."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import admin, views  # noqa: E402,F401  (routes register themselves on bp)
