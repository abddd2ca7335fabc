"""The fairs blueprint. Its routes live in one module per part — routes.py (fairs, booth
types, applications, exports), plan_routes (editing, the floor plan), review_routes
(reviewing applications with the co-op in view), dashboard_routes (fee invoice, "fee
received", the organiser's dashboard), gate_routes (badges, the gate, attendance) — which
routes.py imports and the app factory imports through it."""

from flask import Blueprint

bp = Blueprint("fairs", __name__)
