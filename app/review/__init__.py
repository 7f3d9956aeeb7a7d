"""The regulator's side: the review queue, the review of one submission, the decision."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
