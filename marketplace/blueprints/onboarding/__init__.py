"""The onboarding blueprint. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("onboarding", __name__)
