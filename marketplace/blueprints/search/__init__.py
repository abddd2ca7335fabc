"""The search blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("search", __name__)
