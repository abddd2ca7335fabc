"""The contracts blueprint: requests for quotes, negotiations, contracts, deliveries, invoices
and the trade dashboards. Its routes live in one module per aggregate (rfq_routes,
quote_routes, contract_routes, delivery_routes, invoice_routes, dashboard_routes), which
routes.py imports and the app factory imports through it."""

from flask import Blueprint

bp = Blueprint("contracts", __name__)
