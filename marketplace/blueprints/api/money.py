"""API area: money (to be filled)."""

from __future__ import annotations

from marketplace.blueprints.api.core import area

bp = area("Money", "money")
