"""Permission helpers used by services: organisation membership with a minimum role, admin."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Membership, Organization, Role, User
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied


def membership_of(user: User | None, organization_id: int) -> Membership | None:
    if user is None:
        return None
    return db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id
        )
    )


def require_login(actor: Actor) -> User:
    if actor.user is None or not actor.user.is_active:
        raise PermissionDenied("login required")
    return actor.user


def require_admin(actor: Actor) -> User:
    user = require_login(actor)
    if not user.is_admin:
        raise PermissionDenied("platform admin required")
    return user


def require_member(actor: Actor, organization_id: int, min_role: Role = Role.STAFF) -> Membership:
    """The actor's membership of the organisation, if its role is at least ``min_role``.

    A non-member gets ``NotFound`` (an organisation's private pages do not reveal that it
    exists); a member whose role is too low gets ``PermissionDenied``.
    """
    user = require_login(actor)
    membership = membership_of(user, organization_id)
    if membership is None:
        raise NotFound("organization")
    if not membership.role.at_least(min_role):
        raise PermissionDenied(f"role {min_role} required")
    return membership


def can_manage(user: User | None, organization: Organization) -> bool:
    membership = membership_of(user, organization.id)
    return membership is not None and membership.role.at_least(Role.MANAGER)
