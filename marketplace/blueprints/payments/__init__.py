"""The payments blueprint: paying invoices and fair fees, the Stripe webhook, bank accounts,
statements, bank statement imports, payouts and the ledger. Routes in routes.py."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

# Each module registers its routes on bp when imported (after bp exists).
from marketplace.blueprints.payments import (  # noqa: E402, F401
    claims,
    commission,
    receipts,
    routes,
)
