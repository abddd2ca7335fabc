"""Webhook endpoints of an organisation and their delivery log (owners and managers)."""

from __future__ import annotations

from marketplace.blueprints.integrations import bp  # noqa: F401
