"""The notifications blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
