"""The fairs blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("fairs", __name__)

# The badges and gate pages (imported after ``bp`` exists: they register on it).
from marketplace.blueprints.fairs import gate_routes  # noqa: E402, F401
# Reviewing applications with the co-op in view, one by one or many at once.
from marketplace.blueprints.fairs import review_routes  # noqa: E402, F401
