"""The contracts blueprint: requests for quotes, negotiations, contracts, deliveries, invoices
and the trade dashboards. Its routes live in routes.py, which the app factory imports."""

from flask import Blueprint

bp = Blueprint("contracts", __name__)
