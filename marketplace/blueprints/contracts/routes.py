"""Supply deals over HTTP: parse the form, call one service, render or redirect.

The routes live in one module per aggregate, all on the blueprint ``bp``; importing this
module imports each of them, which registers its routes. Every page belongs to the two parties
of a deal; the services answer NotFound to anyone else (so a request, negotiation, contract,
delivery or invoice of others is a 404).
"""

from __future__ import annotations

# Each module registers its routes on bp when imported; nothing else finds them.
from marketplace.blueprints.contracts import (  # noqa: F401
    bp,
    contract_routes,
    dashboard_routes,
    delivery_routes,
    invoice_routes,
    quote_routes,
    rfq_routes,
    shared,
)

__all__ = ["bp"]
