"""Organisations (co-ops, buyers, fair organisers), their members and invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow
from marketplace.models.accounts import EMAIL_MAX, User

ORG_NAME_MAX = 200


class OrgKind(enum.StrEnum):
    COOP = "coop"
    BUYER = "buyer"
    FAIR_ORGANIZER = "fair_organizer"


class BuyerType(enum.StrEnum):
    SUPERMARKET_CHAIN = "supermarket_chain"
    CANTEEN = "canteen"
    DISTRIBUTOR = "distributor"
    RESTAURANT = "restaurant"


class Role(enum.StrEnum):
    """Membership roles, ordered: an owner can do all a manager can, and so on."""

    STAFF = "staff"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.OWNER: 3}


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as short strings with a CHECK constraint: portable to SQLite, and adding a
    # value later is a plain migration rather than an ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    #: Only for buyers: what kind of buyer this is.
    buyer_type: Mapped[BuyerType | None] = mapped_column(_enum(BuyerType, "buyer_type"))
    name: Mapped[str] = mapped_column(String(ORG_NAME_MAX))
    #: The name lower-cased without tone marks and with đ → d, for accent-blind search.
    name_folded: Mapped[str] = mapped_column(String(ORG_NAME_MAX), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.kind} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "membership_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An invitation for someone, by email, to join an organisation with a role."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_org_email", "organization_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    #: Lower-cased, like User.email.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    role: Mapped[Role] = mapped_column(_enum(Role, "invitation_role"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()
