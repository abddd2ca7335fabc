"""The API's reference page (to be filled)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")
