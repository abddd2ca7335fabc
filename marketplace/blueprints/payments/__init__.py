"""The payments blueprint: paying invoices and fair fees, the Stripe webhook, bank accounts,
statements, bank statement imports, payouts and the ledger. Routes in routes.py."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
