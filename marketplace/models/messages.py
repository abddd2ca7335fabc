"""Conversations between organisations: one between two organisations (started from a co-op's
or a product's page), and one per contract, delivery and invoice, with private attachments.

A conversation is found by its ``key`` — ``orgs:<lower id>-<higher id>``, ``contract:<id>``,
``delivery:<id>``, ``invoice:<id>`` — unique, so two people starting one at once get the same
row. Quote threads stay on the quote (``QuoteMessage``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime, utcnow
from marketplace.models.accounts import User
from marketplace.models.catalog import Listing
from marketplace.models.organizations import Organization


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What it is about, unique: "orgs:3-17", "contract:12", "delivery:40", "invoice:9".
    key: Mapped[str] = mapped_column(String(60), unique=True)
    #: "orgs", "contract", "delivery" or "invoice".
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: The two organisations that may read and write it (lower id first).
    first_org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    second_org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    first_org: Mapped[Organization] = relationship(foreign_keys=[first_org_id])
    second_org: Mapped[Organization] = relationship(foreign_keys=[second_org_id])
    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation",
        order_by="ConversationMessage.id",
        cascade="all, delete-orphan",
    )


class ConversationMessage(db.Model):
    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    #: The organisation the author wrote for.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    #: The product a message asks about, when it was written from a product page.
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    organization: Mapped[Organization] = relationship()
    author: Mapped[User | None] = relationship()
    listing: Mapped[Listing | None] = relationship()
    attachments: Mapped[list[MessageAttachment]] = relationship(
        order_by="MessageAttachment.id", cascade="all, delete-orphan"
    )


class MessageAttachment(db.Model):
    """A private file attached to a message (PDF or cleaned image)."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationRead(db.Model):
    """How far one person has read one conversation (for "unread" marks)."""

    __tablename__ = "conversation_reads"
    __table_args__ = (Index("ix_conversation_reads_user", "user_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_message_id: Mapped[int] = mapped_column(Integer, default=0)
