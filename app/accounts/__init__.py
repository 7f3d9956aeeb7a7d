"""Accounts: sign in, sign out, change password; the session's user (Flask-Login)."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
