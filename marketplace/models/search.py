"""The search projection: one row per listing a buyer can find, with its folded text.

Rebuilt in the same transaction as any change that affects it (marketplace.search.indexing),
so the database search backend is always exact, and it is the source the Elasticsearch
index is fed from — both backends see the same documents.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models._types import UTCDateTime


class SearchDocument(db.Model):
    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_published", "published_at", "listing_id"),
        Index("ix_search_documents_category", "top_category_id", "category_id"),
    )

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title_vi: Mapped[str] = mapped_column(String(160))
    title_en: Mapped[str | None] = mapped_column(String(160))
    #: A short plain-text extract of the description, for result cards.
    summary: Mapped[str] = mapped_column(String(300), default="")
    #: Folded tokens joined by single spaces, per weighted field.
    folded_title: Mapped[str] = mapped_column(Text)
    folded_coop: Mapped[str] = mapped_column(Text)
    folded_category: Mapped[str] = mapped_column(Text)
    folded_province: Mapped[str] = mapped_column(Text)
    folded_description: Mapped[str] = mapped_column(Text)
    #: Lower-case title words with their tone marks (for the exact-spelling bonus).
    exact_title: Mapped[str] = mapped_column(Text)
    top_category_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(20), index=True)
    coop_name: Mapped[str] = mapped_column(String(200))
    coop_slug: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20))
    pack_size: Mapped[str | None] = mapped_column(String(80))
    base_price: Mapped[int] = mapped_column(BigInteger)
    min_order: Mapped[int] = mapped_column(Integer)
    #: Best valid certificate of each kind at indexing time, with its validity window;
    #: queries check the window against today, so an expiry needs no re-indexing.
    ocop_stars: Mapped[int | None] = mapped_column(SmallInteger)
    ocop_from: Mapped[date | None] = mapped_column(Date)
    ocop_until: Mapped[date | None] = mapped_column(Date)
    vietgap_from: Mapped[date | None] = mapped_column(Date)
    vietgap_until: Mapped[date | None] = mapped_column(Date)
    globalgap_from: Mapped[date | None] = mapped_column(Date)
    globalgap_until: Mapped[date | None] = mapped_column(Date)
    organic_from: Mapped[date | None] = mapped_column(Date)
    organic_until: Mapped[date | None] = mapped_column(Date)
    photo_key: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When this row was last rebuilt; a reindex replays rows changed while it ran.
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SearchTerm(db.Model):
    """An inverted index: each folded word of a document with the weight of its best field.

    Title-word spellings with tone marks are stored too, prefixed by "=" and weight 0.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        # The weight rides along (PostgreSQL) so that matching reads the index alone.
        Index("ix_search_terms_lookup", "term", "listing_id", postgresql_include=["weight"]),
    )

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.listing_id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight: Mapped[int] = mapped_column(SmallInteger)


class SearchPrice(db.Model):
    """The unit price over a quantity range [from_quantity, to_quantity)."""

    __tablename__ = "search_prices"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.listing_id", ondelete="CASCADE"), primary_key=True
    )
    from_quantity: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(BigInteger)
