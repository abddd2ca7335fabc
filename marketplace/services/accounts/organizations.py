"""Use cases for organisations: members, invitations, look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.models import (
    AuditEntry,
    Invitation,
    Membership,
    Organization,
    OrgKind,
    Role,
    User,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.search.folding import fold
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import InvalidToken, NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.notifications import queue_email
from marketplace.services.permissions import (
    member_of,
    member_or_admin,
    membership_of,
    require_login,
)
from marketplace.tokens import make_token, read_token
from marketplace.urls import external_url
from marketplace.validation import InvalidValue, normalise_email


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id)
            # One query (each membership has one organisation): it runs on every page a
            # logged-in person opens, for the navigation.
            .options(joinedload(Membership.organization))
            .order_by(Membership.id)
        )
    )


def get_for_member(actor: Actor, organization_id: int) -> tuple[Organization, Membership]:
    """An organisation's private view for one of its members; NotFound for anyone else."""
    membership = member_of(actor, organization_id)
    return membership.organization, membership


@dataclass(frozen=True)
class Dashboard:
    """An organisation's members page, as one member sees it."""

    organization: Organization
    membership: Membership
    members: list[Membership]
    #: Open invitations; shown to owners and managers only (empty for staff).
    invitations: list[Invitation]
    can_manage: bool
    is_owner: bool


def dashboard(actor: Actor, organization_id: int) -> Dashboard:
    membership = member_of(actor, organization_id)
    can_manage = membership.role.at_least(Role.MANAGER)
    return Dashboard(
        organization=membership.organization,
        membership=membership,
        members=members(actor, organization_id),
        invitations=open_invitations(actor, organization_id) if can_manage else [],
        can_manage=can_manage,
        is_owner=membership.role is Role.OWNER,
    )


def members(actor: Actor, organization_id: int) -> list[Membership]:
    """An organisation's members, for its members and platform admins."""
    member_or_admin(actor, organization_id)
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.organization_id == organization_id)
            .options(selectinload(Membership.user))
            .order_by(Membership.id)
        )
    )


def open_invitations(actor: Actor, organization_id: int) -> list[Invitation]:
    """Invitations not yet accepted, revoked or expired (owners and managers)."""
    member_of(actor, organization_id, Role.MANAGER)
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id)
        )
    )


#: Invitations an organisation may send in a day: a verified one runs a team; one not yet
#: verified (anyone can sign up) invites a few colleagues, not a mailing list.
INVITATIONS_PER_DAY = {True: 20, False: 3}
#: Invitations one address may receive in a day, from all organisations together.
INVITATIONS_PER_ADDRESS_PER_DAY = 3


def _invitations_since(since, **where) -> int:
    conditions = [getattr(Invitation, name) == value for name, value in where.items()]
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.created_at >= since, *conditions)
        )
        or 0
    )


def invite_member(actor: Actor, organization_id: int, email: str, role: Role) -> Invitation:
    """Invite someone by email to join the organisation with ``role``.

    Owners and managers may invite; only an owner may invite another owner. Invitations
    are limited per organisation and day (fewer before it is verified) and per address and
    day, so the platform's email cannot be used to send unwanted mail; the subject names no
    organisation (its name is chosen by whoever signed up) and the email offers a link to
    report it. Raises NotFound for non-members, PermissionDenied for staff, ValidationFailed
    for a bad or already-member email or a limit reached.
    """
    membership = member_of(actor, organization_id, Role.MANAGER)
    if role is Role.OWNER and membership.role is not Role.OWNER:
        raise ValidationFailed({"role": _l("Only an owner can invite another owner.")})
    try:
        clean_email = normalise_email(email)
    except InvalidValue as exc:
        raise ValidationFailed({"email": exc.message}) from exc
    organization = membership.organization
    already = db.session.scalar(
        select(Membership)
        .join(User)
        .where(Membership.organization_id == organization.id, User.email == clean_email)
    )
    if already is not None:
        raise ValidationFailed({"email": _l("This person is already a member.")})
    # Counted under the organisation's row lock, so simultaneous invitations cannot all
    # slip under the limit.
    lock(Organization, organization.id)
    now = utcnow()
    day_ago = now - timedelta(days=1)
    verified = organization.verification_status is VerificationStatus.APPROVED
    allowed = INVITATIONS_PER_DAY[verified]
    if _invitations_since(day_ago, organization_id=organization.id) >= allowed:
        message = (
            _l(
                "Your organisation has sent %(n)d invitations today, the most a day. "
                "Try again tomorrow.",
                n=allowed,
            )
            if verified
            else _l(
                "Your organisation has sent %(n)d invitations today, the most a day until it "
                "is verified. Try again tomorrow.",
                n=allowed,
            )
        )
        raise ValidationFailed({"email": message})
    if _invitations_since(day_ago, email=clean_email) >= INVITATIONS_PER_ADDRESS_PER_DAY:
        raise ValidationFailed(
            {"email": _l("This address has had enough invitations today. Try again tomorrow.")}
        )
    # A new invitation replaces any open one for the same address.
    for previous in db.session.scalars(
        select(Invitation).where(
            Invitation.organization_id == organization.id,
            Invitation.email == clean_email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        previous.revoked_at = now
    invitation = Invitation(
        organization_id=organization.id,
        email=clean_email,
        role=role,
        invited_by_id=actor.user_id,
        expires_at=now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"]),
    )
    db.session.add(invitation)
    db.session.flush()
    invitee = db.session.scalar(select(User).where(User.email == clean_email))
    token = make_token("invitation", {"i": invitation.id})
    queue_email(
        clean_email,
        "invitation",
        invitee.locale if invitee else (actor.user.locale if actor.user else "vi"),
        _l("You are invited to join an organisation on Chợ HTX"),
        organization=organization,
        inviter=actor.user,
        role=role,
        link=external_url("orgs.invitation", token=token),
        report_link=external_url(
            "orgs.report_invitation", token=make_token("invitation-report", {"i": invitation.id})
        ),
        days=current_app.config["INVITATION_MAX_AGE"] // 86400,
    )
    audit.record(
        actor,
        "organization.invite",
        "invitation",
        invitation.id,
        organization_id=organization.id,
        details={"email": clean_email, "role": role.value},
    )
    db.session.flush()
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link points to; raises InvalidToken(expired|invalid|used)."""
    payload = read_token("invitation", token, max_age=current_app.config["INVITATION_MAX_AGE"])
    invitation_id = payload.get("i")
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvalidToken("invalid")
    if invitation.accepted_at is not None:
        raise InvalidToken("used")
    if invitation.expires_at <= utcnow():
        raise InvalidToken("expired")
    return invitation


def invitation_to_report(token: str) -> Invitation:
    """The invitation a "report this email" link points to, open or not; raises
    InvalidToken(expired|invalid)."""
    payload = read_token(
        "invitation-report", token, max_age=current_app.config["INVITATION_MAX_AGE"]
    )
    invitation_id = payload.get("i")
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None:
        raise InvalidToken("invalid")
    return invitation


def report_invitation(actor: Actor, token: str, note: str) -> Invitation:
    """The person an invitation was sent to says it is unwanted: the invitation is withdrawn
    (it can no longer be accepted), the report is audited and every platform admin is told,
    with the organisation, who sent it and the note. Reporting twice changes nothing more."""
    invitation = invitation_to_report(token)
    if invitation.revoked_at is not None and invitation.accepted_at is None:
        reported_before = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "invitation.report",
                AuditEntry.object_id == str(invitation.id),
            )
        )
        if reported_before:
            return invitation
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
    note = " ".join((note or "").split())[:1000]
    audit.record(
        actor,
        "invitation.report",
        "invitation",
        invitation.id,
        organization_id=invitation.organization_id,
        details={"email": invitation.email, "note": note},
    )
    for admin in db.session.scalars(
        select(User).where(User.is_admin.is_(True), User.is_enabled.is_(True))
    ):
        queue_email(
            admin.email,
            "invitation_reported",
            admin.locale,
            _l("An invitation was reported as unwanted"),
            invitation=invitation,
            organization=invitation.organization,
            inviter=invitation.invited_by,
            note=note,
            link=external_url("admin.review", org_id=invitation.organization_id),
        )
    db.session.flush()
    return invitation


def accept_invitation(actor: Actor, token: str) -> Membership:
    """Join the organisation an invitation is for. The logged-in email must match it."""
    user = require_login(actor)
    invitation = invitation_for_token(token)
    # Lock the invitation so two clicks on the link create one membership.
    invitation = lock(Invitation, invitation.id)
    assert invitation is not None
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvalidToken("used")
    if invitation.email != user.email:
        raise PermissionDenied("invitation is for another email")
    existing = membership_of(user, invitation.organization_id)
    invitation.accepted_at = utcnow()
    if existing is not None:
        db.session.flush()
        return existing
    membership = Membership(
        user_id=user.id, organization_id=invitation.organization_id, role=invitation.role
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError:  # the same person accepted in another tab a moment ago
        existing = membership_of(user, invitation.organization_id)
        if existing is None:
            raise
        return existing
    audit.record(
        actor,
        "invitation.accept",
        "invitation",
        invitation.id,
        organization_id=invitation.organization_id,
        details={"role": invitation.role.value},
    )
    db.session.flush()
    return membership


def revoke_invitation(actor: Actor, organization_id: int, invitation_id: int) -> Invitation:
    """Withdraw an open invitation (owners and managers)."""
    member_of(actor, organization_id, Role.MANAGER)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organization_id != organization_id:
        raise NotFound("invitation")
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(
            actor,
            "invitation.revoke",
            "invitation",
            invitation.id,
            organization_id=organization_id,
        )
        db.session.flush()
    return invitation


def search_organizations(query: str, kind: OrgKind | None = None, limit: int = 50) -> list:
    """Organisations whose name contains every word of the query, ignoring tone marks."""
    words = fold(query).split()[:10]
    # Only verified organisations are public: a draft's existence is private.
    stmt = (
        select(Organization)
        .where(Organization.verification_status == VerificationStatus.APPROVED)
        .order_by(Organization.name)
        .limit(limit)
    )
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Organization.name_folded.like(f"%{escaped}%", escape="\\"))
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    return list(db.session.scalars(stmt))


def count_by_kind() -> dict[str, int]:
    rows = db.session.execute(
        select(Organization.kind, func.count()).group_by(Organization.kind)
    ).all()
    return {kind.value: n for kind, n in rows}


def _owner_count(organization_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Membership.organization_id == organization_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


def _locked_membership(organization_id: int, membership_id: int) -> Membership:
    # Lock every membership row of the organisation: two owners demoting each other at the
    # same moment must not leave the organisation without an owner.
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for membership in rows:
        if membership.id == membership_id:
            return membership
    raise NotFound("membership")


def change_role(actor: Actor, organization_id: int, membership_id: int, role: Role) -> Membership:
    """Owners change a member's role. The last owner cannot step down."""
    member_of(actor, organization_id, Role.OWNER)
    membership = _locked_membership(organization_id, membership_id)
    if (
        membership.role is Role.OWNER
        and role is not Role.OWNER
        and _owner_count(organization_id) <= 1
    ):
        raise ValidationFailed(
            {"role": _l("An organisation needs an owner. Make someone else owner first.")}
        )
    if membership.role is not role:
        audit.record(
            actor,
            "membership.role_change",
            "membership",
            membership.id,
            organization_id=organization_id,
            details={"from": membership.role.value, "to": role.value},
        )
        membership.role = role
    db.session.flush()
    return membership


def remove_member(actor: Actor, organization_id: int, membership_id: int) -> None:
    """Owners remove a member; anyone may leave. The last owner cannot leave."""
    own = member_of(actor, organization_id)
    if own.id != membership_id and own.role is not Role.OWNER:
        raise PermissionDenied("only owners remove members")
    membership = _locked_membership(organization_id, membership_id)
    if membership.role is Role.OWNER and _owner_count(organization_id) <= 1:
        raise ValidationFailed(
            {"role": _l("An organisation needs an owner. Make someone else owner first.")}
        )
    audit.record(
        actor,
        "membership.remove",
        "membership",
        membership.id,
        organization_id=organization_id,
        details={"user_id": membership.user_id},
    )
    db.session.delete(membership)
    db.session.flush()


def public_coop(slug: str) -> Organization:
    """A verified co-op's public face; NotFound for anything else (drafts stay private)."""
    organization = db.session.scalar(select(Organization).where(Organization.slug == slug[:80]))
    if (
        organization is None
        or organization.kind is not OrgKind.COOP
        or organization.verification_status is not VerificationStatus.APPROVED
    ):
        raise NotFound("organization")
    return organization


def public_coop_by_id(organization_id: int) -> Organization:
    """``public_coop`` by id: a verified co-op, else NotFound."""
    organization = db.session.get(Organization, organization_id)
    if (
        organization is None
        or organization.kind is not OrgKind.COOP
        or organization.verification_status is not VerificationStatus.APPROVED
    ):
        raise NotFound("organization")
    return organization


def verified_coops(province_code: str | None = None):
    """The statement of the verified co-ops (optionally of one province), unordered, for a
    caller that pages it."""
    stmt = select(Organization).where(
        Organization.kind == OrgKind.COOP,
        Organization.verification_status == VerificationStatus.APPROVED,
    )
    if province_code is not None:
        stmt = stmt.where(Organization.province_code == province_code)
    return stmt


def newest_verified_coops(limit: int = 6) -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.kind == OrgKind.COOP,
                Organization.verification_status == VerificationStatus.APPROVED,
            )
            .order_by(Organization.verified_at.desc(), Organization.id.desc())
            .limit(limit)
        )
    )
