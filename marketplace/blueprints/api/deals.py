"""API area: deals (to be filled)."""

from __future__ import annotations

from marketplace.blueprints.api.core import area

bp = area("Deals", "deals")
