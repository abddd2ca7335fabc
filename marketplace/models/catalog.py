"""The catalogue: categories, listings with wholesale price tiers and photos, and lots."""

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
from marketplace.models.verification import Certificate

MAX_LISTING_PHOTOS = 10
MAX_PRICE_TIERS = 5


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: VAT rate that quotes for this category start from: "kct" (not subject), "0", "5",
    #: "8" or "10" per cent. The co-op can change it per quote line.
    vat_rate: Mapped[str] = mapped_column(String(4), default="5", server_default="5")
    #: The platform's commission on sales in this category, in basis points (1/100 %);
    #: None: the platform's default (PLATFORM_COMMISSION_BPS).
    commission_bps: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    ARCHIVED = "archived"
    #: Removed by an admin, with a reason; only an admin can put it back.
    TAKEN_DOWN = "taken_down"


listing_certificates = Table(
    "listing_certificates",
    db.metadata,
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("certificate_id", ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
)


class Listing(db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        # A category page reads the newest 48 of a category straight from this index and
        # counts them from it alone (organization_id included for the verified-co-op join).
        Index(
            "ix_listings_category_recent",
            "status",
            "category_id",
            "published_at",
            "id",
            postgresql_include=["organization_id"],
        ),
        Index("ix_listings_org_status", "organization_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    #: Readable and unique: "ruou-sam-lai-chau-3f9a1c".
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title_vi: Mapped[str] = mapped_column(String(160))
    title_en: Mapped[str | None] = mapped_column(String(160))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    origin_province_code: Mapped[str] = mapped_column(String(20))
    #: One of marketplace.i18n.UNITS ("kg", "chai", "hop", ...).
    unit: Mapped[str] = mapped_column(String(20))
    #: Free text: "500 ml", "hộp 10 gói x 20 g".
    pack_size: Mapped[str | None] = mapped_column(String(80))
    #: Whole đồng per unit, below the first tier.
    base_price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    min_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    #: Units the co-op can supply each month.
    monthly_capacity: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=1)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    storage_conditions: Mapped[str | None] = mapped_column(String(200))
    #: Comma-separated month numbers, "10,11,12".
    harvest_months: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, "listing_status"), default=ListingStatus.DRAFT
    )
    takedown_reason: Mapped[str | None] = mapped_column(Text)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Raised by every change its co-op makes; the API's ``If-Match`` compares it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organization: Mapped[Organization] = relationship()
    category: Mapped[Category] = relationship()
    tiers: Mapped[list[PriceTier]] = relationship(
        order_by="PriceTier.min_quantity", cascade="all, delete-orphan"
    )
    photos: Mapped[list[ListingPhoto]] = relationship(
        order_by="ListingPhoto.position", cascade="all, delete-orphan"
    )
    certificates: Mapped[list[Certificate]] = relationship(secondary=listing_certificates)

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_vi

    def description(self, locale: str) -> str:
        if locale == "en" and self.description_en:
            return self.description_en
        return self.description_vi

    def certificates_valid_on(self, day: date) -> list[Certificate]:
        """The linked certificates that count on ``day``: an expired one stops showing."""
        return [c for c in self.certificates if c.is_valid_on(day)]

    @property
    def main_photo(self) -> ListingPhoto | None:
        return self.photos[0] if self.photos else None

    def unit_price_for(self, quantity: int) -> int:
        """The unit price at this quantity: the best tier reached, else the base price."""
        price = self.base_price
        for tier in self.tiers:
            if quantity >= tier.min_quantity:
                price = tier.unit_price
        return price


class PriceTier(db.Model):
    """From ``min_quantity`` units on, each unit costs ``unit_price`` đồng."""

    __tablename__ = "price_tiers"
    __table_args__ = (UniqueConstraint("listing_id", "min_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    min_quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)


class ListingPhoto(db.Model):
    __tablename__ = "listing_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    #: Public storage key prefix; variants "<prefix>-320.webp", "-800", "-1600".
    key_prefix: Mapped[str] = mapped_column(String(255))
    #: 0 is the main photo.
    position: Mapped[int] = mapped_column(Integer, default=0)


class Lot(db.Model):
    """A batch of a product, with its own public traceability page and QR code."""

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("listing_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    #: The co-op's own lot code, printed on the packaging.
    code: Mapped[str] = mapped_column(String(40))
    #: Random, unguessable part of the public traceability URL (/t/<public_code>).
    public_code: Mapped[str] = mapped_column(String(24), unique=True)
    produced_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    best_before: Mapped[date | None] = mapped_column(Date)
    farm_location: Mapped[str | None] = mapped_column(String(300))
    lab_document_key: Mapped[str | None] = mapped_column(String(255))
    lab_document_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship()
