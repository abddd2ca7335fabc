"""Typed models, one module per business concept. Imported here so Alembic sees them all."""

from marketplace.models.accounts import User
from marketplace.models.audit import AuditEntry
from marketplace.models.organizations import (
    BuyerType,
    Invitation,
    Membership,
    Organization,
    OrgKind,
    Role,
)
from marketplace.models.outbox import OutboxMessage

__all__ = [
    "AuditEntry",
    "BuyerType",
    "Invitation",
    "Membership",
    "OrgKind",
    "Organization",
    "OutboxMessage",
    "Role",
    "User",
]
