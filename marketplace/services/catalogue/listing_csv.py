"""CSV export and import of a co-op's listings.

Import goes row by row through the same use cases as the form (create_listing,
update_listing), each row in its own transaction: a bad row changes nothing and is
reported with its line number; good rows are saved.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import Category, Listing, OrgKind, Role
from marketplace.services.catalogue import listings
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.permissions import member_of
from marketplace.spreadsheets import excel_csv
from marketplace.validation import small_int, strip_control
from marketplace.vietnam import province_name, today

COLUMNS = [
    "id",
    "title_vi",
    "title_en",
    "category",
    "unit",
    "pack_size",
    "base_price",
    "tiers",
    "min_order_quantity",
    "monthly_capacity",
    "lead_time_days",
    "shelf_life_days",
    "storage_conditions",
    "harvest_months",
    "origin_province",
    "description_vi",
    "description_en",
    "status",
]
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 500


def export_csv(actor: Actor, organization_id: int) -> str:
    """All the co-op's listings, one per row; UTF-8 with a BOM so Excel shows Vietnamese."""
    member_of(actor, organization_id, kind=OrgKind.COOP)
    rows = db.session.scalars(
        select(Listing)
        .where(Listing.organization_id == organization_id)
        .order_by(Listing.id)
        .options(*listings._CARD_LOADS, selectinload(Listing.category))
    )
    return excel_csv(
        COLUMNS,
        (
            [
                listing.id,
                listing.title_vi,
                listing.title_en or "",
                listing.category.slug,
                listing.unit,
                listing.pack_size or "",
                listing.base_price,
                ";".join(f"{t.min_quantity}:{t.unit_price}" for t in listing.tiers),
                listing.min_order_quantity,
                listing.monthly_capacity,
                listing.lead_time_days,
                listing.shelf_life_days or "",
                listing.storage_conditions or "",
                listing.harvest_months or "",
                province_name(listing.origin_province_code),
                listing.description_vi,
                listing.description_en or "",
                listing.status.value,
            ]
            for listing in rows
        ),
    )


@dataclass
class RowResult:
    line: int
    outcome: str  # "created" | "updated" | "error"
    title: str = ""
    errors: dict[str, object] = field(default_factory=dict)


class ImportRefused(ValidationFailed):
    """The file as a whole cannot be read (not CSV, not UTF-8, too large, wrong columns)."""


def _category_id(value: str) -> int | None:
    value = (value or "").strip()
    return db.session.scalar(
        select(Category.id).where((Category.slug == value) | (Category.name_vi == value))
    )


def _tiers(value: str) -> list[tuple[str, str]]:
    pairs = []
    for part in (value or "").split(";"):
        if part.strip():
            quantity, _, price = part.partition(":")
            pairs.append((quantity.strip(), price.strip()))
    return pairs


def _data(row: dict[str, str], certificate_ids: list[int]) -> listings.ListingData:
    months = [
        int(m)
        for m in (row.get("harvest_months") or "").replace(" ", "").split(",")
        if small_int(m)
    ]
    return listings.ListingData(
        title_vi=row.get("title_vi", ""),
        title_en=row.get("title_en", ""),
        category_id=_category_id(row.get("category", "")),
        unit=(row.get("unit") or "").strip(),
        pack_size=row.get("pack_size", ""),
        base_price=row.get("base_price", ""),
        tiers=_tiers(row.get("tiers", "")),
        min_order_quantity=row.get("min_order_quantity", "") or "1",
        monthly_capacity=row.get("monthly_capacity", ""),
        lead_time_days=row.get("lead_time_days", "") or "1",
        shelf_life_days=row.get("shelf_life_days", ""),
        storage_conditions=row.get("storage_conditions", ""),
        harvest_months=months,
        origin_province=row.get("origin_province", ""),
        description_vi=row.get("description_vi", ""),
        description_en=row.get("description_en", ""),
        certificate_ids=certificate_ids,
    )


def import_csv(actor: Actor, organization_id: int, content: bytes) -> list[RowResult]:
    """Create (empty id) or update (own listing id) one listing per row; report each row."""
    member_of(actor, organization_id, Role.MANAGER, OrgKind.COOP)
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused({"file": _l("The file is too large: at most %(mb)s MB.", mb=1)})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused({"file": _l("Save the file as CSV in UTF-8 and try again.")}) from exc
    # Read and check the whole file before saving anything: a file refused as a whole
    # (too many rows, broken CSV) must change nothing.
    try:
        reader = csv.DictReader(io.StringIO(strip_control(text.replace("\r\n", "\n")) or ""))
        fieldnames = reader.fieldnames
        rows = list(reader)
    except csv.Error as exc:
        raise ImportRefused(
            {"file": _l("This file cannot be read as CSV. Save it as CSV in UTF-8 and try again.")}
        ) from exc
    if not fieldnames or not {"title_vi", "base_price"} <= set(fieldnames):
        raise ImportRefused(
            {"file": _l("The first line must name the columns, as in the exported file.")}
        )
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportRefused({"file": _l("At most %(n)s rows at a time.", n=MAX_IMPORT_ROWS)})
    results: list[RowResult] = []
    for number, row in enumerate(rows, start=2):
        row = {k: (v or "")[:5000] if isinstance(v, str) else "" for k, v in row.items() if k}
        title = (row.get("title_vi") or "").strip()
        try:
            # A savepoint per row: a refused row leaves the others of the file standing.
            with db.session.begin_nested():
                listing_id = (row.get("id") or "").strip()
                if listing_id:
                    if small_int(listing_id) is None:
                        raise NotFound("listing")
                    current = listings.get_own_listing(
                        actor, organization_id, small_int(listing_id)
                    )
                    keep = [c.id for c in current.certificates if c.is_valid_on(today())]
                    listings.update_listing(actor, organization_id, current.id, _data(row, keep))
                    results.append(RowResult(number, "updated", title))
                else:
                    listings.create_listing(actor, organization_id, _data(row, []))
                    results.append(RowResult(number, "created", title))
        except ValidationFailed as exc:
            results.append(RowResult(number, "error", title, dict(exc.errors)))
        except NotFound:
            results.append(
                RowResult(number, "error", title, {"id": _l("No listing of yours has this id.")})
            )
    return results
