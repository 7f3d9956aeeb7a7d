"""Verification: anyone holding a PDF report can check that this instance issued exactly those bytes."""

from flask import Blueprint

bp = Blueprint("verify", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
