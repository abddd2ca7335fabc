"""What an organisation shows of itself: photos; where a buyer takes deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow

MAX_PHOTOS = 10


class OrganizationPhoto(db.Model):
    __tablename__ = "organization_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: Public storage key prefix; the variants are "<prefix>-320.webp", "-800", "-1600".
    key_prefix: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeliveryLocation(db.Model):
    """A store, kitchen or warehouse where a buyer receives goods."""

    __tablename__ = "delivery_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(String(20))
    commune: Mapped[str] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
