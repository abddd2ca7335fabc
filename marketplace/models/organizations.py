"""Organisations (co-ops, buyers, fair organisers), their members and invitations."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
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


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
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


class VerificationStatus(enum.StrEnum):
    """Where an organisation (or a certificate) is in its verification."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    #: Only for buyers: what kind of buyer this is.
    buyer_type: Mapped[BuyerType | None] = mapped_column(enum_column(BuyerType, "buyer_type"))
    #: The name the organisation goes by (shown everywhere); legal_name is the registered one.
    name: Mapped[str] = mapped_column(String(ORG_NAME_MAX))
    #: The name lower-cased without tone marks and with đ → d, for accent-blind search.
    name_folded: Mapped[str] = mapped_column(String(ORG_NAME_MAX), index=True)
    #: Readable, unique part of the public URL, e.g. "htx-sam-lai-chau".
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Profile (filled step by step; required fields are checked on submission).
    legal_name: Mapped[str | None] = mapped_column(String(ORG_NAME_MAX))
    short_name: Mapped[str | None] = mapped_column(String(80))
    #: Business/co-operative registration certificate number.
    registration_number: Mapped[str | None] = mapped_column(String(40))
    #: 10 digits, or 13 written 0101234567-001 for a dependent unit.
    tax_code: Mapped[str | None] = mapped_column(String(14), index=True)
    founded_on: Mapped[date | None] = mapped_column(Date)
    #: One of marketplace.vietnam.PROVINCES (34 units since 1 July 2025).
    province_code: Mapped[str | None] = mapped_column(String(20), index=True)
    commune: Mapped[str | None] = mapped_column(String(120))
    street: Mapped[str | None] = mapped_column(String(200))
    representative_name: Mapped[str | None] = mapped_column(String(120))
    representative_position: Mapped[str | None] = mapped_column(String(80))
    representative_phone: Mapped[str | None] = mapped_column(String(20))
    member_count: Mapped[int | None] = mapped_column(Integer)
    #: Cultivated area in hectares, two decimals.
    area_hectares: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    story_vi: Mapped[str | None] = mapped_column(Text)
    story_en: Mapped[str | None] = mapped_column(Text)
    #: Storage key prefix of the logo's variants (public).
    logo_key: Mapped[str | None] = mapped_column(String(255))
    #: Private storage key of the scanned registration certificate, and its content type.
    registration_document_key: Mapped[str | None] = mapped_column(String(255))
    registration_document_type: Mapped[str | None] = mapped_column(String(40))

    #: Where bank transfers (VietQR) to this organisation go: a 6-digit bank BIN from
    #: marketplace.payments.vietqr.BANKS, the account number and the account holder's name.
    bank_bin: Mapped[str | None] = mapped_column(String(6))
    bank_account_number: Mapped[str | None] = mapped_column(String(19))
    bank_account_name: Mapped[str | None] = mapped_column(String(120))
    verification_status: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "verification_status"), default=VerificationStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Bumped on every profile change; a form carries the version it was read at, so a
    #: second submission of the same form (or a colleague's edit) is noticed, not lost.
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def is_verified(self) -> bool:
        return self.verification_status is VerificationStatus.APPROVED

    @property
    def is_payee(self) -> bool:
        """Co-ops and fair organisers are paid by bank transfer (VietQR) into their own
        account, so they need one; buyers pay and are not paid."""
        return self.kind in (OrgKind.COOP, OrgKind.FAIR_ORGANIZER)

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_bin and self.bank_account_number)

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
    role: Mapped[Role] = mapped_column(enum_column(Role, "membership_role"))
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
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()
