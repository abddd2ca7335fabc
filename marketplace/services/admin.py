"""What a platform admin sees on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import AuditEntry
from marketplace.services import audit
from marketplace.services.accounts import accounts, organizations
from marketplace.services.context import Actor
from marketplace.services.permissions import require_admin


@dataclass(frozen=True)
class Overview:
    users: int
    organizations_by_kind: dict[str, int]
    recent: list[AuditEntry]


def overview(actor: Actor, limit: int = 100) -> Overview:
    """Counts and the newest audit entries. Raises PermissionDenied for non-admins."""
    require_admin(actor)
    return Overview(
        users=accounts.count_users(),
        organizations_by_kind=organizations.count_by_kind(),
        recent=audit.recent_entries(limit=limit),
    )
