"""The main blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("main", __name__)
