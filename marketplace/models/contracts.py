"""Supply deals: requests for quotes, versioned quotes and their thread, contracts with
signatures and amendments, the delivery plan, receipts and invoices.

    RFQ ──quote──▶ Quote (v1 co-op, v2 buyer's counter, v3 co-op …) ──award──▶ Contract
    Contract (draft → signed by both → active) ──plan──▶ Delivery × dates ──receive──▶ Invoice

Quantities are whole units of the line's unit; money is whole đồng (BigInteger).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
from marketplace.models.accounts import User
from marketplace.models.catalog import Category, Listing, Lot
from marketplace.models.organizations import Organization, enum_column
from marketplace.models.profiles import DeliveryLocation
from marketplace.vietnam import today


class Side(enum.StrEnum):
    """Which party of a deal acted."""

    BUYER = "buyer"
    COOP = "coop"


class DeliveryPattern(enum.StrEnum):
    ONE_OFF = "one_off"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class RfqStatus(enum.StrEnum):
    OPEN = "open"
    #: Every line went to a co-op (contracts drafted).
    AWARDED = "awarded"
    #: The buyer closed it without awarding.
    CANCELLED = "cancelled"


rfq_invitations = Table(
    "rfq_invitations",
    db.metadata,
    Column("rfq_id", ForeignKey("rfqs.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class _Weekdays:
    """For requests and contracts, which both keep ``weekdays`` as "1,4"."""

    weekdays: str | None

    @property
    def weekday_list(self) -> list[int]:
        """The ISO weekdays of a weekly or two-weekly pattern, as numbers."""
        return [int(d) for d in (self.weekdays or "").split(",") if d]


class Rfq(_Weekdays, db.Model):
    """A buyer's request for quotes."""

    __tablename__ = "rfqs"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    delivery_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_locations.id", ondelete="SET NULL")
    )
    pattern: Mapped[DeliveryPattern] = mapped_column(
        enum_column(DeliveryPattern, "delivery_pattern")
    )
    #: Weekly/biweekly: ISO weekdays "1,4" (Monday = 1).
    weekdays: Mapped[str | None] = mapped_column(String(20))
    #: Monthly: the day of the month (29–31 fall on the month's last day when shorter).
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: Certificate kinds every quoting co-op must hold: "vietgap,organic".
    required_certificates: Mapped[str | None] = mapped_column(String(80))
    min_ocop_stars: Mapped[int | None] = mapped_column(Integer)
    #: Payment wanted: days after delivery.
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    #: Quotes are accepted until this moment (entered in Vietnam time, stored UTC).
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime())
    #: True: only the invited co-ops see it; False: every verified co-op of the categories.
    invited_only: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RfqStatus] = mapped_column(
        enum_column(RfqStatus, "rfq_status"), default=RfqStatus.OPEN
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    buyer: Mapped[Organization] = relationship()
    delivery_location: Mapped[DeliveryLocation | None] = relationship()
    lines: Mapped[list[RfqLine]] = relationship(
        order_by="RfqLine.position", cascade="all, delete-orphan"
    )
    invited: Mapped[list[Organization]] = relationship(secondary=rfq_invitations)

    @property
    def certificate_kinds(self) -> list[str]:
        return [k for k in (self.required_certificates or "").split(",") if k]


class RfqLine(db.Model):
    __tablename__ = "rfq_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    #: Set when the request started from one listing ("request a quote").
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    specification: Mapped[str] = mapped_column(String(500))
    #: Quantity wanted per delivery, in ``unit``.
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    #: Price per unit the buyer hopes for, in đồng (optional).
    target_price: Mapped[int | None] = mapped_column(BigInteger)

    category: Mapped[Category] = relationship()
    listing: Mapped[Listing | None] = relationship()


class QuoteStatus(enum.StrEnum):
    #: Under negotiation.
    OPEN = "open"
    AWARDED = "awarded"
    #: The buyer chose others (or closed the request).
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Quote(db.Model):
    """One co-op's negotiation on one request: its versions and its message thread."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("rfq_id", "coop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id", ondelete="CASCADE"))
    coop_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[QuoteStatus] = mapped_column(
        enum_column(QuoteStatus, "quote_status"), default=QuoteStatus.OPEN
    )
    #: Number of the latest version; forms carry it so a stale page is refused.
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rfq: Mapped[Rfq] = relationship()
    coop: Mapped[Organization] = relationship()
    versions: Mapped[list[QuoteVersion]] = relationship(
        order_by="QuoteVersion.number", cascade="all, delete-orphan"
    )
    messages: Mapped[list[QuoteMessage]] = relationship(
        order_by="QuoteMessage.id", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> QuoteVersion | None:
        return self.versions[-1] if self.versions else None


class QuoteVersion(db.Model):
    """One offer: the co-op's quote or revision, or the buyer's counter-offer."""

    __tablename__ = "quote_versions"
    __table_args__ = (UniqueConstraint("quote_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    side: Mapped[Side] = mapped_column(enum_column(Side, "deal_side"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The offer holds until the end of this day (Vietnam time).
    valid_until: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(
        order_by="QuoteLine.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[DealAttachment]] = relationship(
        primaryjoin="DealAttachment.version_id == QuoteVersion.id", viewonly=True
    )

    def line_for(self, rfq_line_id: int) -> QuoteLine | None:
        return next((ln for ln in self.lines if ln.rfq_line_id == rfq_line_id), None)


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"
    __table_args__ = (UniqueConstraint("version_id", "rfq_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quote_versions.id", ondelete="CASCADE"))
    rfq_line_id: Mapped[int] = mapped_column(ForeignKey("rfq_lines.id", ondelete="CASCADE"))
    #: The co-op's product offered for this line (optional).
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    #: Quantity committed per delivery.
    quantity: Mapped[int] = mapped_column(Integer)
    #: "kct" (not subject to VAT), "0", "5", "8" or "10" per cent.
    vat_rate: Mapped[str] = mapped_column(String(4))

    rfq_line: Mapped[RfqLine] = relationship()
    listing: Mapped[Listing | None] = relationship()


class QuoteMessage(db.Model):
    __tablename__ = "quote_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, "message_side"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[DealAttachment]] = relationship(
        primaryjoin="DealAttachment.message_id == QuoteMessage.id", viewonly=True
    )


class DealAttachment(db.Model):
    """A private file attached to a quote version or a message (PDF or cleaned image)."""

    __tablename__ = "deal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_versions.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_messages.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContractKind(enum.StrEnum):
    SUPPLY = "supply"
    #: A one-off purchase from a listing: one delivery.
    SPOT = "spot"


class ContractStatus(enum.StrEnum):
    #: Terms frozen; waiting for one or both signatures.
    DRAFT = "draft"
    ACTIVE = "active"
    #: Notice given: deliveries continue until ``ends_on``.
    TERMINATING = "terminating"
    #: The period is over (or the notice ran out).
    ENDED = "ended"
    #: Abandoned before both signed.
    CANCELLED = "cancelled"


class Contract(_Weekdays, db.Model):
    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_parties", "buyer_id", "coop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "HĐ-2026-00042": shown to people, printed on the contract.
    number: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[ContractKind] = mapped_column(enum_column(ContractKind, "contract_kind"))
    rfq_id: Mapped[int | None] = mapped_column(ForeignKey("rfqs.id", ondelete="SET NULL"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id", ondelete="SET NULL"))
    #: The quote version whose terms were awarded.
    quote_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_versions.id", ondelete="SET NULL")
    )
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    coop_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    #: Both parties' legal details as they were when the terms were frozen.
    parties: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivery_address: Mapped[str] = mapped_column(String(500))
    pattern: Mapped[DeliveryPattern] = mapped_column(
        enum_column(DeliveryPattern, "contract_pattern")
    )
    weekdays: Mapped[str | None] = mapped_column(String(20))
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    payment_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.DRAFT
    )
    #: Raised on every change of terms or state; forms carry it (stale pages are refused).
    version: Mapped[int] = mapped_column(Integer, default=1)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The end agreed at signing, kept when notice moves ``ends_on`` earlier.
    agreed_ends_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    terminated_by: Mapped[Side | None] = mapped_column(enum_column(Side, "terminating_side"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])
    coop: Mapped[Organization] = relationship(foreign_keys=[coop_id])
    rfq: Mapped[Rfq | None] = relationship()
    lines: Mapped[list[ContractLine]] = relationship(
        order_by="ContractLine.position", cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(
        order_by="Signature.id", cascade="all, delete-orphan"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        order_by="Amendment.number", cascade="all, delete-orphan"
    )

    def signature_of(self, side: Side) -> Signature | None:
        return next((s for s in self.signatures if s.side is side), None)

    def side_of(self, organization_id: int) -> Side | None:
        if organization_id == self.buyer_id:
            return Side.BUYER
        if organization_id == self.coop_id:
            return Side.COOP
        return None


class ContractLine(db.Model):
    """Current terms of one product line; amendments change them from a date."""

    __tablename__ = "contract_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(20))
    #: Per delivery.
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[str] = mapped_column(String(4))

    listing: Mapped[Listing | None] = relationship()


class Signature(db.Model):
    __tablename__ = "contract_signatures"
    __table_args__ = (UniqueConstraint("contract_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(enum_column(Side, "signature_side"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: As they were when signing (the account may change later).
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    #: The contract version that was signed.
    contract_version: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AmendmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Amendment(db.Model):
    """A proposed change of terms: line prices or quantities from a date, extra deliveries."""

    __tablename__ = "contract_amendments"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[Side] = mapped_column(enum_column(Side, "amendment_side"))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    #: {"lines": {"<line id>": {"unit_price": int, "quantity": int}},
    #:  "extra": [{"on": "YYYY-MM-DD", "quantities": {"<line id>": int}}]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[AmendmentStatus] = mapped_column(
        enum_column(AmendmentStatus, "amendment_status"), default=AmendmentStatus.PROPOSED
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposer: Mapped[User | None] = relationship(foreign_keys=[proposer_id])


class DeliveryStatus(enum.StrEnum):
    PLANNED = "planned"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    #: Dropped from the plan (termination, or an amendment).
    CANCELLED = "cancelled"


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("contract_id", "sequence"),
        Index("ix_deliveries_contract_date", "contract_id", "scheduled_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    #: 1, 2, 3 … within the contract.
    sequence: Mapped[int] = mapped_column(Integer)
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PLANNED
    )
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_note: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    receipt_note: Mapped[str | None] = mapped_column(Text)
    #: When both parties were told it is overdue (once).
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    contract: Mapped[Contract] = relationship()
    lines: Mapped[list[DeliveryLine]] = relationship(
        order_by="DeliveryLine.id", cascade="all, delete-orphan"
    )


class DeliveryLine(db.Model):
    __tablename__ = "delivery_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    contract_line_id: Mapped[int] = mapped_column(
        ForeignKey("contract_lines.id", ondelete="CASCADE")
    )
    #: Planned quantity and the price in force on the delivery date.
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    dispatched_quantity: Mapped[int | None] = mapped_column(Integer)
    #: The lot shipped, so the buyer can trace it.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="SET NULL"))
    accepted_quantity: Mapped[int | None] = mapped_column(Integer)
    rejected_quantity: Mapped[int | None] = mapped_column(Integer)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    #: Private photos of rejected goods, newline-separated storage keys.
    rejection_photos: Mapped[str | None] = mapped_column(Text)

    contract_line: Mapped[ContractLine] = relationship()
    lot: Mapped[Lot | None] = relationship()

    @property
    def photo_keys(self) -> list[str]:
        return [k for k in (self.rejection_photos or "").split("\n") if k]


class InvoiceStatus(enum.StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


class InvoiceCounter(db.Model):
    """The last invoice number used by a co-op; locked while the next is taken, so numbers
    have no gaps (a rolled-back invoice rolls its number back too)."""

    __tablename__ = "invoice_counters"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("coop_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"))
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="RESTRICT"), unique=True
    )
    #: 1, 2, 3 … per co-op, without gaps.
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    vat_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_column(InvoiceStatus, "invoice_status"), default=InvoiceStatus.ISSUED
    )
    void_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coop: Mapped[Organization] = relationship(foreign_keys=[coop_id])
    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])
    contract: Mapped[Contract] = relationship()
    delivery: Mapped[Delivery] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )

    @property
    def status_today(self) -> InvoiceStatus:
        """The status as pages show it: an issued invoice past its due date is overdue
        already, before the daily sweep records it (pages never write)."""
        if self.status is InvoiceStatus.ISSUED and self.due_on < today():
            return InvoiceStatus.OVERDUE
        return self.status


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[str] = mapped_column(String(4))
    #: quantity × unit_price, its VAT (rounded half up to the đồng) and their sum.
    net: Mapped[int] = mapped_column(BigInteger)
    vat: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
