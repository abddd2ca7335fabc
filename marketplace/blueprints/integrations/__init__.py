"""An organisation's integrations: its API keys (routes.py) and webhook endpoints
(webhook_routes.py), both on this blueprint."""

from flask import Blueprint

bp = Blueprint("integrations", __name__)
