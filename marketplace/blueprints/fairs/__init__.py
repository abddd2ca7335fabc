"""The fairs blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("fairs", __name__)
