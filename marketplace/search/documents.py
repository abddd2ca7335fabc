"""The document builder: what a buyer can find about a listing, as one flat record.

``refresh(listing_ids)`` rebuilds the rows of the search projection (search_documents,
search_terms, search_prices) for those listings from the live tables, inside the caller's
transaction. A listing that is not published, or whose co-op is not verified, gets no row —
so visibility is decided here, once, for both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import (
    Category,
    CertificateKind,
    Listing,
    ListingStatus,
    OrgKind,
    SearchDocument,
    SearchPrice,
    SearchTerm,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.search.folding import exact_tokens, tokens
from marketplace.search.terms import index_terms
from marketplace.vietnam import FORMER_PROVINCES, PROVINCES, today

#: A quantity no order reaches: the upper end of the last price range.
NO_LIMIT = 2_000_000_000
#: Words of the description that are indexed (the start is what describes the product).
DESCRIPTION_WORDS = 400
#: Fields separate phrases: a phrase never runs from the Vietnamese into the English title.
PART_SEPARATOR = " | "

_SPACE = re.compile(r"\s+")


def _joined(*texts: str | None, limit: int | None = None) -> str:
    parts = []
    for text in texts:
        words = tokens(text)
        if words:
            parts.append(" ".join(words[:limit] if limit else words))
    return PART_SEPARATOR.join(parts)


def province_words(code: str) -> str:
    """The province's name and the names of the provinces merged into it."""
    names = [PROVINCES.get(code, "")] + [
        former for former, now in FORMER_PROVINCES.items() if now == code
    ]
    return _joined(*names)


def _summary(text: str) -> str:
    text = _SPACE.sub(" ", text or "").strip()
    return text if len(text) <= 280 else text[:279].rsplit(" ", 1)[0] + "…"


def price_ranges(listing: Listing) -> list[tuple[int, int, int]]:
    """(from, to, unit price) covering every quantity from 1 up: the base price below the
    first tier, then each tier up to the next."""
    ranges = []
    start, price = 1, listing.base_price
    for tier in listing.tiers:
        if tier.min_quantity > start:
            ranges.append((start, tier.min_quantity, price))
        start, price = max(tier.min_quantity, start), tier.unit_price
    ranges.append((start, NO_LIMIT, price))
    return ranges


def _best_certificates(listing: Listing, day: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    valid = listing.certificates_valid_on(day)
    ocop = [c for c in valid if c.kind is CertificateKind.OCOP and c.ocop_stars]
    if ocop:
        best = max(ocop, key=lambda c: (c.ocop_stars or 0, c.expires_on))
        values.update(
            ocop_stars=best.ocop_stars, ocop_from=best.issued_on, ocop_until=best.expires_on
        )
    for kind in (CertificateKind.VIETGAP, CertificateKind.GLOBALGAP, CertificateKind.ORGANIC):
        same = [c for c in valid if c.kind is kind]
        if same:
            best = max(same, key=lambda c: c.expires_on)
            values[f"{kind.value}_from"] = best.issued_on
            values[f"{kind.value}_until"] = best.expires_on
    return values


def is_searchable(listing: Listing) -> bool:
    organization = listing.organization
    return (
        listing.status is ListingStatus.PUBLISHED
        and organization.kind is OrgKind.COOP
        and organization.verification_status is VerificationStatus.APPROVED
    )


def build(listing: Listing, parents: dict[int, Category], day: date, now: datetime) -> dict:
    """The projection row of a searchable listing (terms and prices are built beside it)."""
    category = listing.category
    top = parents.get(category.parent_id) if category.parent_id else category
    top = top or category
    organization = listing.organization
    category_names = [category.name_vi, category.name_en]
    if top is not category:
        category_names += [top.name_vi, top.name_en]
    row = {
        "listing_id": listing.id,
        "organization_id": organization.id,
        "slug": listing.slug,
        "title_vi": listing.title_vi,
        "title_en": listing.title_en,
        "summary": _summary(listing.description_vi),
        "folded_title": _joined(listing.title_vi, listing.title_en),
        "folded_coop": _joined(organization.name),
        "folded_category": _joined(*category_names),
        "folded_province": province_words(listing.origin_province_code),
        "folded_description": _joined(
            listing.description_vi,
            listing.description_en,
            listing.pack_size,
            limit=DESCRIPTION_WORDS,
        ),
        "exact_title": " ".join(exact_tokens(listing.title_vi)),
        "top_category_id": top.id,
        "category_id": category.id,
        "province_code": listing.origin_province_code,
        "coop_name": organization.name,
        "coop_slug": organization.slug,
        "unit": listing.unit,
        "pack_size": listing.pack_size,
        "base_price": listing.base_price,
        "min_order": listing.min_order_quantity,
        "photo_key": listing.main_photo.key_prefix if listing.main_photo else None,
        "published_at": listing.published_at or listing.created_at,
        "indexed_at": now,
        **{
            f"{kind}_{end}": None
            for kind in ("ocop", "vietgap", "globalgap", "organic")
            for end in ("from", "until")
        },
        "ocop_stars": None,
    }
    row.update(_best_certificates(listing, day))
    return row


def _fields(row: dict) -> dict[str, str]:
    return {
        "title": row["folded_title"],
        "coop": row["folded_coop"],
        "category": row["folded_category"],
        "province": row["folded_province"],
        "description": row["folded_description"],
    }


def terms_of(row: dict) -> dict[str, int]:
    return index_terms(_fields(row), row["exact_title"])


def _load(listing_ids: list[int]) -> list[Listing]:
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.id.in_(listing_ids))
            .options(
                selectinload(Listing.organization),
                selectinload(Listing.category),
                selectinload(Listing.tiers),
                selectinload(Listing.photos),
                selectinload(Listing.certificates),
            )
            .order_by(Listing.id)
            # Two transactions refreshing one listing take turns (SQLite ignores this), and
            # everything is read again as committed now: objects this session loaded earlier
            # (a co-op's verification, say) may have changed since.
            .with_for_update(of=Listing, key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def _parents() -> dict[int, Category]:
    return {
        c.id: c for c in db.session.scalars(select(Category).where(Category.parent_id.is_(None)))
    }


def refresh(listing_ids: Iterable[int]) -> int:
    """Rebuild the projection rows of these listings; returns how many are searchable."""
    ids = sorted({int(i) for i in listing_ids if i is not None})
    if not ids:
        return 0
    day = today()
    searchable = 0
    parents = _parents()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        listings = _load(chunk)
        # Taken under the row locks: a later change of a listing gets a later time, which
        # the engine uses as the document's version.
        now = utcnow()
        db.session.execute(delete(SearchTerm).where(SearchTerm.listing_id.in_(chunk)))
        db.session.execute(delete(SearchPrice).where(SearchPrice.listing_id.in_(chunk)))
        db.session.execute(delete(SearchDocument).where(SearchDocument.listing_id.in_(chunk)))
        rows, terms, prices = [], [], []
        for listing in listings:
            if not is_searchable(listing):
                continue
            row = build(listing, parents, day, now)
            rows.append(row)
            terms += [
                {"listing_id": listing.id, "term": term, "weight": weight}
                for term, weight in terms_of(row).items()
            ]
            prices += [
                {"listing_id": listing.id, "from_quantity": a, "to_quantity": b, "price": p}
                for a, b, p in price_ranges(listing)
            ]
        if rows:
            db.session.execute(insert(SearchDocument), rows)
            db.session.execute(insert(SearchTerm), terms)
            db.session.execute(insert(SearchPrice), prices)
        searchable += len(rows)
    return searchable


def rebuild_all(batch: int = 500) -> int:
    """Rebuild the whole projection (after a migration, or to repair it)."""
    ids = list(db.session.scalars(select(Listing.id).order_by(Listing.id)))
    db.session.execute(
        delete(SearchDocument).where(SearchDocument.listing_id.not_in(select(Listing.id)))
    )
    total = 0
    for start in range(0, len(ids), batch):
        total += refresh(ids[start : start + batch])
    return total


# --- the document as the engines and the API see it ---------------------------------------

_DOC_COLUMNS = [c.name for c in SearchDocument.__table__.columns]


def row_dict(document: SearchDocument) -> dict:
    return {name: getattr(document, name) for name in _DOC_COLUMNS}


def stream(batch: int = 1000) -> Iterator[tuple[dict, list[tuple[int, int, int]]]]:
    """Every projection row with its price ranges, in id order, a batch at a time: plain
    rows, no ORM objects, so memory stays flat however many listings there are."""
    table = SearchDocument.__table__
    last = 0
    while True:
        rows = (
            db.session.execute(
                select(table)
                .where(table.c.listing_id > last)
                .order_by(table.c.listing_id)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        ids = [row["listing_id"] for row in rows]
        prices = prices_of(ids)
        for row in rows:
            yield dict(row), prices.get(row["listing_id"], [])
        last = ids[-1]


def prices_of(listing_ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    result: dict[int, list[tuple[int, int, int]]] = {}
    if not listing_ids:
        return result
    table = SearchPrice.__table__
    for listing_id, low, high, price in db.session.execute(
        select(table.c.listing_id, table.c.from_quantity, table.c.to_quantity, table.c.price)
        .where(table.c.listing_id.in_(listing_ids))
        .order_by(table.c.listing_id, table.c.from_quantity)
    ):
        result.setdefault(listing_id, []).append((low, high, price))
    return result


def load(listing_ids: list[int]) -> dict[int, SearchDocument]:
    return {
        d.listing_id: d
        for d in db.session.scalars(
            select(SearchDocument).where(SearchDocument.listing_id.in_(listing_ids))
        )
    }
