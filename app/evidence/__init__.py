"""Evidence attached to answers: upload, list, download and remove documents (PDF, PNG, JPEG, text)."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
