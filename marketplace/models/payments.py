"""Payments of payables (contract invoices, fair fees) by card (Stripe) or bank transfer
(VietQR), refunds, payouts to co-ops, and the double-entry ledger that explains every đồng.

    Payment: pending ──succeed──▶ succeeded ──refund (part or all)──▶ (refunded_amount grows)
                 ├──fail──▶ failed ──succeed (a retry with another card)──▶ succeeded
                 └──cancel──▶ cancelled
    succeeded (a transfer recorded by mistake) ──reverse──▶ reversed

Ledger entries are only ever added: a mistake is put right by a reversing transaction.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow
from marketplace.models.organizations import Organization, enum_column


class PayableKind(enum.StrEnum):
    INVOICE = "invoice"
    FAIR_FEE = "fair_fee"
    #: The platform's monthly invoice of the fees an organisation owes it.
    COMMISSION = "commission"


#: Each kind's letter in transfer references ("CHI123K", "CHF45B"). References are printed on
#: invoices and typed into bank transfers, so a letter, once used, never changes.
REFERENCE_LETTERS: dict[PayableKind, str] = {
    PayableKind.INVOICE: "I",
    PayableKind.FAIR_FEE: "F",
    PayableKind.COMMISSION: "C",
}


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    #: Deducted from the money the platform holds for the payer (its card payments).
    BALANCE = "balance"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: A transfer recorded by mistake, undone by a reversing ledger transaction.
    REVERSED = "reversed"


class Payment(db.Model):
    """One attempt to pay one payable, by one method."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_payable", "payable_kind", "payable_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payable_kind: Mapped[PayableKind] = mapped_column(enum_column(PayableKind, "payable_kind"))
    #: The invoice's or the fair application's id.
    payable_id: Mapped[int] = mapped_column(Integer)
    #: Whole đồng (VND has no minor unit; Stripe treats it as zero-decimal too).
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    payer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    #: None when the platform itself is paid (its commission invoices).
    payee_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, "payment_method"))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING
    )
    #: The platform's commission on this payment, fixed when it succeeds.
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Bank transfers: the date on the statement and the bank's reference.
    paid_on: Mapped[date | None] = mapped_column(Date)
    bank_reference: Mapped[str | None] = mapped_column(String(120))
    #: Why a payment that took money did not settle its payable (already paid, expired …).
    problem: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    payer: Mapped[Organization] = relationship(foreign_keys=[payer_id])
    payee: Mapped[Organization | None] = relationship(foreign_keys=[payee_id])
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.id")


class ProviderReference(db.Model):
    """A provider's id for something of ours (a Checkout Session, a PaymentIntent, a refund,
    a bank transaction). Unique per provider, so one outside thing can never be applied to
    two payments, or twice."""

    __tablename__ = "provider_references"
    __table_args__ = (UniqueConstraint("provider", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "stripe" or "bank".
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(30))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookEvent(db.Model):
    """A provider event, stored once when it arrives, applied once (``applied_at``)."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What applying it did ("succeeded", "ignored: already succeeded" …), for support.
    outcome: Mapped[str | None] = mapped_column(String(120))


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RefundStatus] = mapped_column(
        enum_column(RefundStatus, "refund_status"), default=RefundStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class Payout(db.Model):
    """Money the platform sent to a payee's bank account (recorded by an admin)."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


class Account(enum.StrEnum):
    """Ledger accounts. Debits are positive, credits negative; every transaction sums to 0."""

    #: Money the platform holds (Stripe balance, the platform's bank account).
    CLEARING = "clearing"
    #: Owed by the platform to an organisation (its share of card payments).
    PAYABLE = "payable"
    #: Owed by an organisation to the platform (commission on transfers it received itself).
    RECEIVABLE = "receivable"
    #: The platform's commission.
    REVENUE = "revenue"
    #: Money that moved between buyer and payee outside the platform (a direct transfer):
    #: recorded so the payable's settlement has its entries too.
    DIRECT = "direct"
    #: Card money that settled nothing (paid twice), owed back to the payer until refunded.
    REFUND_DUE = "refund_due"


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_account_org", "account", "organization_id"),
        Index("ix_ledger_transaction", "transaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Entries posted together share it; they sum to zero.
    transaction: Mapped[str] = mapped_column(String(40))
    account: Mapped[Account] = mapped_column(enum_column(Account, "ledger_account"))
    #: The organisation the account belongs to (None for the platform's own accounts).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    #: Signed whole đồng: debit positive, credit negative.
    amount: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="RESTRICT"))
    #: The transaction this one reverses, if any.
    reverses: Mapped[str | None] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatementImport(db.Model):
    """A bank statement CSV uploaded for matching; applied only after review."""

    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose statement: the payee (a co-op or organiser), or None for the platform's account.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(200))
    #: The parsed lines and what each matched: [{"line", "date", "amount", "reference",
    #: "message", "payable_kind", "payable_id", "verdict"}].
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClaimStatus(enum.StrEnum):
    """A payer's "I have transferred", until the payee answers.

    awaiting ──confirm (the payee records the transfer)──▶ confirmed
             ├──not arrived (the payee says so, with a note)──▶ not_arrived
             ├──withdraw (the payer takes it back)──▶ withdrawn
             └──(the payable is paid otherwise, or voided)──▶ closed
    """

    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    NOT_ARRIVED = "not_arrived"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class TransferClaim(db.Model):
    """A payer says it has transferred money for a payable; the payee confirms it (recording
    the transfer, with its under- and over-payment checks) or says it has not arrived. At
    most one claim per payable awaits an answer at a time."""

    __tablename__ = "transfer_claims"
    __table_args__ = (
        Index("ix_transfer_claims_payable", "payable_kind", "payable_id"),
        Index(
            "uq_transfer_claims_awaiting",
            "payable_kind",
            "payable_id",
            unique=True,
            postgresql_where=sa_text("status = 'awaiting'"),
            sqlite_where=sa_text("status = 'awaiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payable_kind: Mapped[PayableKind] = mapped_column(enum_column(PayableKind, "payable_kind"))
    payable_id: Mapped[int] = mapped_column(Integer)
    payer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    #: None when the platform itself is paid (its commission invoices).
    payee_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    #: What the payer says it sent (the amount owed unless it says otherwise).
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    bank_reference: Mapped[str | None] = mapped_column(String(120))
    #: A photo of the bank app's receipt, in private storage.
    receipt_key: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[ClaimStatus] = mapped_column(
        enum_column(ClaimStatus, "claim_status"), default=ClaimStatus.AWAITING
    )
    #: The payee's words when the money has not arrived.
    answer: Mapped[str | None] = mapped_column(Text)
    #: The transfer recorded when the payee confirmed.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    payer: Mapped[Organization] = relationship(foreign_keys=[payer_id])


class CommissionStatus(enum.StrEnum):
    """A commission invoice: issued ──(its payments cover it)──▶ paid; a reversed transfer
    makes it issued again; void when it was issued by mistake."""

    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


class CommissionInvoice(db.Model):
    """The platform's invoice to an organisation, once a month, of the fees it owes on the
    transfers it received itself that month (the platform kept nothing of that money)."""

    __tablename__ = "commission_invoices"
    __table_args__ = (UniqueConstraint("organization_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    #: The first day of the month billed.
    period: Mapped[date] = mapped_column(Date)
    #: "PHI-2026-11-0007": the month and its running number.
    number: Mapped[str] = mapped_column(String(30), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CommissionStatus] = mapped_column(
        enum_column(CommissionStatus, "commission_status"), default=CommissionStatus.ISSUED
    )
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


class PlatformSettings(db.Model):
    """The platform's own settings, one row (id 1): the bank account commission invoices are
    paid to."""

    __tablename__ = "platform_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_bin: Mapped[str | None] = mapped_column(String(6))
    bank_account_number: Mapped[str | None] = mapped_column(String(19))
    bank_account_name: Mapped[str | None] = mapped_column(String(120))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
