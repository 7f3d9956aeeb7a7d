"""Audits: create a draft, fill in the questionnaire step by step, see and download the report."""

from flask import Blueprint

bp = Blueprint("audits", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
