"""Writing audit entries. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEntry
from marketplace.services.context import Actor


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | str | None,
    *,
    organization_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    if actor.api_key is not None:
        # A change made through the API names the key that made it.
        details = {**(details or {}), "api_key": actor.api_key.name, "api_key_id": actor.api_key.id}
    entry = AuditEntry(
        actor_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        organization_id=organization_id,
        ip=(actor.ip or None) and actor.ip[:45],
        details=details or {},
    )
    db.session.add(entry)
    return entry


def recent_entries(limit: int = 100, organization_id: int | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if organization_id is not None:
        stmt = stmt.where(AuditEntry.organization_id == organization_id)
    return list(db.session.scalars(stmt))
