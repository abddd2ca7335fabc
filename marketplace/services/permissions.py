"""The one way services authorise: a logged-in user, a platform admin, or a member of this
organisation with at least a role.

Every service function that reads or changes organisation-scoped data takes the actor and
calls one of these before it touches the data; routes do not repeat the check. A user who is
not a member gets ``NotFound`` (an organisation's private pages do not reveal that it exists);
a member whose role is too low gets ``PermissionDenied``.
"""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Membership, Organization, OrgKind, Role, User
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied


def membership_of(user: User | None, organization_id: int) -> Membership | None:
    """The user's membership row, or None: a plain look-up, not a permission check."""
    if user is None:
        return None
    return db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id
        )
    )


def memberships(actor: Actor) -> list[Membership]:
    """The actor's memberships it may act through (an API key: its organisation's only)."""
    if actor.user is None:
        return []
    return [m for m in actor.user.memberships if actor.may_act_for(m.organization_id)]


def require_login(actor: Actor) -> User:
    if actor.user is None or not actor.user.is_active:
        raise PermissionDenied("login required")
    return actor.user


def require_admin(actor: Actor) -> User:
    user = require_login(actor)
    if not actor.is_admin:
        raise PermissionDenied("platform admin required")
    return user


def member_of(
    actor: Actor,
    organization_id: int,
    min_role: Role = Role.STAFF,
    kind: OrgKind | None = None,
) -> Membership:
    """The actor's membership of this organisation, as a member with at least ``min_role``.

    Not logged in: ``PermissionDenied``. Not a member, or the organisation is not of
    ``kind``: ``NotFound``. A member whose role is below ``min_role``: ``PermissionDenied``.
    """
    user = require_login(actor)
    membership = None
    if actor.may_act_for(organization_id):
        membership = membership_of(user, organization_id)
    if membership is None or (kind is not None and membership.organization.kind is not kind):
        raise NotFound("organization")
    if not membership.role.at_least(min_role):
        raise PermissionDenied(f"role {min_role} required")
    return membership


def member_or_admin(
    actor: Actor,
    organization_id: int,
    min_role: Role = Role.STAFF,
    kind: OrgKind | None = None,
) -> Organization:
    """The organisation, for a platform admin or for a member with at least ``min_role``.

    An admin sees any organisation that exists and is of ``kind``; everyone else is
    answered as by ``member_of``.
    """
    require_login(actor)
    if actor.is_admin:
        organization = db.session.get(Organization, organization_id)
        if organization is None or (kind is not None and organization.kind is not kind):
            raise NotFound("organization")
        return organization
    return member_of(actor, organization_id, min_role, kind).organization


def has_role(actor: Actor, organization_id: int, min_role: Role = Role.STAFF) -> bool:
    """Whether the actor is a member of the organisation with at least ``min_role`` — for
    deciding what a page offers, never instead of the check in the use case itself."""
    if not actor.may_act_for(organization_id):
        return False
    membership = membership_of(actor.user, organization_id)
    return membership is not None and membership.role.at_least(min_role)
