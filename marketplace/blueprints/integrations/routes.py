"""API keys of an organisation (owners and managers)."""

from __future__ import annotations

from marketplace.blueprints.integrations import bp  # noqa: F401

# The blueprint's other route module, registered on the same ``bp``.
from marketplace.blueprints.integrations import webhook_routes  # noqa: E402, F401
