"""The public product registry: products, their published audits, comparisons and exports (no login)."""

from flask import Blueprint

bp = Blueprint("registry", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
