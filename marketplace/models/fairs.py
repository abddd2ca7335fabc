"""Trade fairs: booth types and a booth map, exhibitor applications, fees, badges."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow
from marketplace.models.organizations import Organization, enum_column


class FairStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Fair(db.Model):
    __tablename__ = "fairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organiser (a fair-organiser organisation).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    applications_open_on: Mapped[date] = mapped_column(Date)
    applications_close_on: Mapped[date] = mapped_column(Date)
    #: Days after acceptance within which the booth fee must be paid.
    payment_days: Mapped[int] = mapped_column(Integer, default=7)
    #: A cancelled booth is refunded in full up to and including this date, not after.
    full_refund_until: Mapped[date | None] = mapped_column(Date)
    only_ocop: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Comma-separated province codes; empty means co-ops from anywhere.
    eligible_provinces: Mapped[str | None] = mapped_column(String(800))
    cover_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[FairStatus] = mapped_column(
        enum_column(FairStatus, "fair_status"), default=FairStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Raised by every edit, so a form opened before someone else's change is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organization: Mapped[Organization] = relationship()
    booth_types: Mapped[list[BoothType]] = relationship(
        order_by="BoothType.id", cascade="all, delete-orphan"
    )
    booths: Mapped[list[Booth]] = relationship(order_by="Booth.code", cascade="all, delete-orphan")

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


class BoothType(db.Model):
    __tablename__ = "booth_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[str] = mapped_column(String(40))
    #: Whole đồng.
    fee: Mapped[int] = mapped_column(BigInteger)
    #: What the fee includes: "1 bàn, 2 ghế, điện 500 W".
    includes: Mapped[str | None] = mapped_column(String(300))
    #: Staff badges included with a booth of this type (besides the contact person's).
    staff_badges: Mapped[int] = mapped_column(Integer, default=2, server_default="2")


class Booth(db.Model):
    """One place on the map, such as A01, of one booth type."""

    __tablename__ = "booths"
    __table_args__ = (UniqueConstraint("fair_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    booth_type_id: Mapped[int] = mapped_column(ForeignKey("booth_types.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    #: Grid position on the map, from 0 (its top-left cell).
    row: Mapped[int] = mapped_column(Integer)
    col: Mapped[int] = mapped_column(Integer)
    #: "standard", "corner" or "double" (drawn two cells wide).
    size_kind: Mapped[str] = mapped_column(
        String(10), default="standard", server_default="standard"
    )
    #: Cells it covers on the grid.
    width: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    height: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    booth_type: Mapped[BoothType] = relationship()


class MapFeature(db.Model):
    """What else is on a fair's floor plan: an aisle, the entrance, an exit, the stage, and
    the hall itself (one per fair, from row 0 and column 0: its size is the plan's grid)."""

    __tablename__ = "fair_map_features"

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    #: "aisle", "entrance", "exit", "stage" or "hall" (services.fair_plan).
    kind: Mapped[str] = mapped_column(String(20))
    row: Mapped[int] = mapped_column(Integer)
    col: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer, default=1)
    height: Mapped[int] = mapped_column(Integer, default=1)
    label: Mapped[str | None] = mapped_column(String(60))


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    WAITLISTED = "waitlisted"
    #: Accepted: a booth is held until the fee's due date.
    ACCEPTED = "accepted"
    #: The fee is paid: the booth is the co-op's.
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    #: The fee was not paid by its due date; the booth went back.
    EXPIRED = "expired"
    CANCELLED = "cancelled"


#: Statuses in which an application occupies (holds or owns) a booth.
BOOTH_HOLDING = (ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED)
#: Statuses in which an application still counts as the co-op's one application.
ACTIVE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.CONFIRMED,
)

application_listings = Table(
    "fair_application_listings",
    db.metadata,
    Column(
        "application_id", ForeignKey("fair_applications.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
)


class FairApplication(db.Model):
    __tablename__ = "fair_applications"
    __table_args__ = (Index("ix_fair_applications_fair_status", "fair_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    #: The exhibiting co-op.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    booth_type_id: Mapped[int] = mapped_column(ForeignKey("booth_types.id", ondelete="CASCADE"))
    preferred_booth_id: Mapped[int | None] = mapped_column(
        ForeignKey("booths.id", ondelete="SET NULL")
    )
    #: The booth held or owned; set on acceptance, cleared when released.
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booths.id", ondelete="SET NULL"))
    needs: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.SUBMITTED
    )
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The booth fee invoiced on acceptance, in đồng, and when it is due.
    fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    fee_due_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Owed back to the co-op after a cancellation (recorded for the payments ledger).
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    #: Random code printed on the exhibitor badge as a QR code.
    badge_code: Mapped[str] = mapped_column(String(24), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the application entered its current status (waitlist order, expiry).
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fair: Mapped[Fair] = relationship()
    organization: Mapped[Organization] = relationship()
    booth_type: Mapped[BoothType] = relationship()
    booth: Mapped[Booth | None] = relationship(foreign_keys=[booth_id])
    preferred_booth: Mapped[Booth | None] = relationship(foreign_keys=[preferred_booth_id])
    listings = relationship("Listing", secondary=application_listings)


class Badge(db.Model):
    """A person's pass to a fair: the contact person's and each named staff member's, with a
    short code a gate volunteer can type (no look-alike letters) and its QR."""

    __tablename__ = "fair_badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("fair_applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 6–8 characters from an alphabet without look-alikes; unique across all fairs.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    application: Mapped[FairApplication] = relationship()


class Scan(db.Model):
    """One scan at a gate, as it arrived (also a queued one sent later by a phone that was
    offline): what was read, what the server decided, and when it was scanned."""

    __tablename__ = "fair_scans"
    __table_args__ = (
        UniqueConstraint("fair_id", "client_scan_id", name="uq_fair_scans_client_scan"),
        Index("ix_fair_scans_fair_scanned", "fair_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    badge_id: Mapped[int | None] = mapped_column(ForeignKey("fair_badges.id", ondelete="SET NULL"))
    #: What the camera read or the volunteer typed (cut to 60 characters).
    read: Mapped[str] = mapped_column(String(60))
    #: The gate phone's own id for this scan, so a replayed queue is settled once.
    client_scan_id: Mapped[str | None] = mapped_column(String(64))
    #: A name for the gate phone ("Cổng 1").
    device: Mapped[str | None] = mapped_column(String(60))
    #: "checked_in", "duplicate", "unknown", "other_fair", "revoked", "outside_dates".
    result: Mapped[str] = mapped_column(String(20))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
