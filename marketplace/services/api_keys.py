"""An organisation's API keys: made by an owner or manager, shown once, stored as a hash,
limited to scopes that fit the organisation's kind, revoked at any time.

A key acts as the person who made it, only within its organisation
(``Actor.api_key``: ``permissions`` refuses every other organisation and admin powers), so
the API is authorised exactly as the pages are; scopes narrow what the key may call on top.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.models import ApiKey, OrgKind, Role
from marketplace.models._types import utcnow
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.permissions import member_of

#: Every scope, with what it lets a key do (shown on the key form and in the API guide).
SCOPES: dict[str, object] = {
    "catalogue:read": _l("Read the public catalogue"),
    "catalogue:write": _l("Manage the co-op's products, photos and lots"),
    "procurement": _l("Requests for quotes, negotiations, contracts and receiving (buyers)"),
    "sales": _l("Quotes, contracts and dispatching (co-ops)"),
    "fairs": _l("Trade fairs and exhibitor applications"),
    "payments:read": _l("Invoices, amounts due and payments"),
}

#: The scopes that make sense for each kind of organisation.
SCOPES_BY_KIND: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.COOP: ("catalogue:read", "catalogue:write", "sales", "fairs", "payments:read"),
    OrgKind.BUYER: ("catalogue:read", "procurement", "payments:read"),
    OrgKind.FAIR_ORGANIZER: ("catalogue:read", "fairs", "payments:read"),
}

#: A key is ``chx_`` + a 12-character look-up prefix + ``_`` + a 43-character secret.
KEY_START = "chx_"
#: Last use is written at most this often (after the response, never inside a GET's work).
LAST_USE_EVERY = timedelta(minutes=1)
MAX_KEYS = 20


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    #: The whole key, to show once.
    token: str


def scopes_for(kind: OrgKind) -> tuple[str, ...]:
    return SCOPES_BY_KIND[kind]


def create_key(actor: Actor, organization_id: int, name: str, scopes: list[str]) -> NewKey:
    """Make a key for the organisation (owner or manager). Raises ValidationFailed for a
    missing name, no scope, a scope the organisation's kind cannot have, or too many keys."""
    membership = member_of(actor, organization_id, Role.MANAGER)
    allowed = scopes_for(membership.organization.kind)
    errors: dict[str, object] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _l("Give the key a name, for example the system that will use it.")
    elif len(name) > 80:
        errors["name"] = _l("At most 80 characters.")
    chosen = list(dict.fromkeys(scopes or []))
    if not chosen:
        errors["scopes"] = _l("Choose at least one permission.")
    elif any(s not in allowed for s in chosen):
        errors["scopes"] = _l("One of these permissions is not for this kind of organisation.")
    active = db.session.scalar(
        select(db.func.count(ApiKey.id)).where(
            ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None)
        )
    )
    if (active or 0) >= MAX_KEYS:
        errors["name"] = _l("At most %(count)s keys at a time: revoke one first.", count=MAX_KEYS)
    if errors:
        raise ValidationFailed(errors)
    prefix = secrets.token_hex(6)
    token = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organization_id=organization_id,
        created_by_id=actor.user_id,
        name=name,
        prefix=prefix,
        key_hash=_hash(token),
        scopes=[s for s in allowed if s in chosen],
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        actor,
        "api_key.create",
        "api_key",
        key.id,
        organization_id=organization_id,
        details={"name": name, "scopes": key.scopes},
    )
    return NewKey(key, token)


def keys_of(actor: Actor, organization_id: int) -> list[ApiKey]:
    """The organisation's keys, newest first (owner or manager)."""
    member_of(actor, organization_id, Role.MANAGER)
    return list(
        db.session.scalars(
            select(ApiKey)
            .where(ApiKey.organization_id == organization_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        )
    )


def revoke_key(actor: Actor, organization_id: int, key_id: int) -> ApiKey:
    """Revoke a key at once (owner or manager). Revoking twice changes nothing."""
    member_of(actor, organization_id, Role.MANAGER)
    key = db.session.get(ApiKey, key_id)
    if key is None or key.organization_id != organization_id:
        raise NotFound("api key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            actor,
            "api_key.revoke",
            "api_key",
            key.id,
            organization_id=organization_id,
            details={"name": key.name},
        )
    return key


def _well_formed(token: str) -> bool:
    """Whether the token could be a key at all: ``chx_`` and printable ASCII (a NUL or other
    control character in a header is never looked up)."""
    return token.startswith(KEY_START) and token.isascii() and token.isprintable()


def authenticate(token: str) -> ApiKey | None:
    """The active key this token is, or None (unknown, malformed or revoked)."""
    token = (token or "").strip()
    if not _well_formed(token) or len(token) > 120:
        return None
    prefix, _, secret = token[len(KEY_START) :].partition("_")
    if not prefix or not secret:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        return None
    if key.revoked_at is not None:
        return None
    return key


def revoked(token: str) -> bool:
    """Whether the token is a real key that was revoked (to say so rather than "unknown")."""
    token = (token or "").strip()
    prefix = token[len(KEY_START) :].partition("_")[0] if _well_formed(token) else ""
    if not prefix:
        return False
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    return (
        key is not None
        and key.revoked_at is not None
        and hmac.compare_digest(key.key_hash, _hash(token))
    )


def needs_last_use(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at >= LAST_USE_EVERY


def note_last_use(key_id: int) -> None:
    """Record that the key was used (bookkeeping in its own short transaction, after the
    response; the caller commits)."""
    db.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))
