"""Certificates (OCOP, VietGAP, GlobalGAP, organic) and the decisions of verification."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow
from marketplace.models.accounts import User
from marketplace.models.organizations import Organization, VerificationStatus, enum_column


class CertificateKind(enum.StrEnum):
    OCOP = "ocop"
    VIETGAP = "vietgap"
    GLOBALGAP = "globalgap"
    ORGANIC = "organic"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_org_status", "organization_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind, "certificate_kind"))
    #: Certificate number; for OCOP the decision number (số quyết định).
    number: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    #: The last day it is valid is the day before; from this day on it no longer counts.
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    #: OCOP only: 3, 4 or 5 stars, and the product the rating is for.
    ocop_stars: Mapped[int | None] = mapped_column(Integer)
    product_name: Mapped[str | None] = mapped_column(String(200))
    #: Private storage key of the scanned document.
    document_key: Mapped[str] = mapped_column(String(255))
    document_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "certificate_status"), default=VerificationStatus.SUBMITTED
    )
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()

    def is_valid_on(self, day: date) -> bool:
        """Approved and inside its validity period on ``day`` (a date in Vietnam)."""
        return (
            self.status is VerificationStatus.APPROVED and self.issued_on <= day < self.expires_on
        )


class VerificationReview(db.Model):
    """One decision of an admin on an organisation's profile."""

    __tablename__ = "verification_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "review_decision")
    )
    #: Field name → what to change, for "changes requested".
    field_notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviewer: Mapped[User | None] = relationship()
