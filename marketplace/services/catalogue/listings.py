"""Use cases for product listings: drafting, price tiers, photos, state, lots.

States (one table, LISTING_TRANSITIONS):

    draft ──publish──▶ published ──pause──▶ paused ──publish──▶ published
      │                    │                  │
      └──────archive───────┴─────archive──────┴──▶ archived
    any but archived ──take_down (admin, with a reason)──▶ taken_down ──restore (admin)──▶ draft

Only a verified co-op publishes, and only a listing with a photo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.extensions import db
from marketplace.i18n import UNITS
from marketplace.models import (
    Category,
    Certificate,
    Listing,
    ListingPhoto,
    ListingStatus,
    Lot,
    Organization,
    OrgKind,
    PriceTier,
    Role,
    SearchDocument,
    VerificationStatus,
)
from marketplace.models._types import utcnow
from marketplace.models.catalog import MAX_LISTING_PHOTOS, MAX_PRICE_TIERS
from marketplace.parsing import parse_quantity, parse_vnd
from marketplace.search import documents as search_documents
from marketplace.services import audit, images
from marketplace.services.accounts.verification import can_trade
from marketplace.services.catalogue.search import certifications_on
from marketplace.services.context import Actor
from marketplace.services.errors import (
    NotFound,
    ServiceError,
    TransitionNotAllowed,
    ValidationFailed,
)
from marketplace.services.locking import lock
from marketplace.services.notifications import notify_members
from marketplace.services.permissions import member_of, require_admin
from marketplace.services.slugs import slugify
from marketplace.services.states import step
from marketplace.storage import StorageError
from marketplace.storage.uploads import check_upload, new_key, prepare_image
from marketplace.validation import InvalidValue
from marketplace.vietnam import resolve_province, today

S = ListingStatus
LISTING_TRANSITIONS: dict[tuple[ListingStatus, str], ListingStatus] = {
    (S.DRAFT, "publish"): S.PUBLISHED,
    (S.PAUSED, "publish"): S.PUBLISHED,
    (S.PUBLISHED, "pause"): S.PAUSED,
    (S.DRAFT, "archive"): S.ARCHIVED,
    (S.PUBLISHED, "archive"): S.ARCHIVED,
    (S.PAUSED, "archive"): S.ARCHIVED,
    (S.DRAFT, "take_down"): S.TAKEN_DOWN,
    (S.PUBLISHED, "take_down"): S.TAKEN_DOWN,
    (S.PAUSED, "take_down"): S.TAKEN_DOWN,
    (S.TAKEN_DOWN, "restore"): S.DRAFT,
}
ADMIN_ACTIONS = {"take_down", "restore"}


class ListingTransitionNotAllowed(TransitionNotAllowed):
    """A listing cannot take this action in its current state."""


def next_listing_status(current: ListingStatus, action: str) -> ListingStatus:
    return step(LISTING_TRANSITIONS, current, action, ListingTransitionNotAllowed)


@dataclass
class ListingData:
    """What a co-op types into the listing form (strings, as typed)."""

    title_vi: str
    category_id: int | None
    unit: str
    base_price: str
    monthly_capacity: str
    min_order_quantity: str = "1"
    lead_time_days: str = "1"
    title_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    origin_province: str = ""
    pack_size: str = ""
    shelf_life_days: str = ""
    storage_conditions: str = ""
    harvest_months: list[int] = field(default_factory=list)
    certificate_ids: list[int] = field(default_factory=list)
    #: (from quantity, unit price) as typed; empty pairs are ignored.
    tiers: list[tuple[str, str]] = field(default_factory=list)


def _validate(organization: Organization, data: ListingData) -> tuple[dict, list, list]:
    errors: dict[str, object] = {}
    values: dict[str, object] = {}
    title = " ".join((data.title_vi or "").split())[:160]
    if not title:
        errors["title_vi"] = _l("Enter the product name in Vietnamese.")
    values["title_vi"] = title
    values["title_en"] = " ".join((data.title_en or "").split())[:160] or None
    values["description_vi"] = (data.description_vi or "").strip()[:5000]
    values["description_en"] = (data.description_en or "").strip()[:5000] or None
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        errors["category_id"] = _l("Choose a category.")
    values["category_id"] = data.category_id
    province = (
        resolve_province(data.origin_province)
        if (data.origin_province or "").strip()
        else organization.province_code
    )
    if not province:
        errors["origin_province"] = _l("Choose one of the 34 provinces and cities.")
    values["origin_province_code"] = province
    if data.unit not in UNITS:
        errors["unit"] = _l("Choose a selling unit.")
    values["unit"] = data.unit
    values["pack_size"] = (data.pack_size or "").strip()[:80] or None
    values["storage_conditions"] = (data.storage_conditions or "").strip()[:200] or None
    for name, raw, optional in (
        ("min_order_quantity", data.min_order_quantity, False),
        ("monthly_capacity", data.monthly_capacity, False),
        ("lead_time_days", data.lead_time_days, False),
        ("shelf_life_days", data.shelf_life_days, True),
    ):
        if optional and not str(raw or "").strip():
            values[name] = None
            continue
        try:
            values[name] = parse_quantity(
                raw,
                allow_zero=name == "lead_time_days",
                unit=data.unit if name in ("min_order_quantity", "monthly_capacity") else None,
            )
        except InvalidValue as exc:
            errors[name] = exc.message
    try:
        values["base_price"] = parse_vnd(data.base_price)
    except InvalidValue as exc:
        errors["base_price"] = exc.message
    months = sorted({m for m in data.harvest_months if 1 <= m <= 12})
    values["harvest_months"] = ",".join(str(m) for m in months) or None

    tiers: list[tuple[int, int]] = []
    for position, (raw_qty, raw_price) in enumerate(data.tiers, start=1):
        if not str(raw_qty).strip() and not str(raw_price).strip():
            continue
        try:
            tiers.append((parse_quantity(raw_qty), parse_vnd(raw_price)))
        except InvalidValue as exc:
            errors[f"tier_{position}"] = exc.message
    if len(tiers) > MAX_PRICE_TIERS:
        errors["tiers"] = _l("At most %(n)s price tiers.", n=MAX_PRICE_TIERS)
    tiers.sort()
    if "tiers" not in errors and not any(k.startswith("tier_") for k in errors):
        problem = _tier_problem(tiers, values.get("base_price"), values.get("min_order_quantity"))
        if problem:
            errors["tiers"] = problem

    certificates: list[Certificate] = []
    if data.certificate_ids:
        certificates = list(
            db.session.scalars(
                select(Certificate).where(Certificate.id.in_(set(data.certificate_ids)))
            )
        )
        day = today()
        if len(certificates) != len(set(data.certificate_ids)) or any(
            c.organization_id != organization.id or not c.is_valid_on(day) for c in certificates
        ):
            errors["certificate_ids"] = _l(
                "Choose among your own certificates that are verified and valid today."
            )
    if errors:
        raise ValidationFailed(errors)
    return values, tiers, certificates


def _tier_problem(tiers: list[tuple[int, int]], base_price, min_order) -> object | None:
    """Tiers must go up in quantity and down in price, from the minimum order on."""
    quantities = [q for q, _ in tiers]
    if len(set(quantities)) != len(quantities):
        return _l("Two tiers start at the same quantity.")
    previous_price = base_price
    for quantity, price in tiers:
        if min_order and quantity <= min_order:
            return _l("Each tier must start above the minimum order quantity.")
        if previous_price is not None and price >= previous_price:
            return _l("The unit price must fall as the quantity grows.")
        previous_price = price
    return None


def _own_coop(actor: Actor, organization_id: int) -> Organization:
    return member_of(actor, organization_id, Role.MANAGER, OrgKind.COOP).organization


def _unique_listing_slug(title: str) -> str:
    return f"{slugify(title, 80)}-{secrets.token_hex(3)}"


def create_listing(actor: Actor, organization_id: int, data: ListingData) -> Listing:
    """A new draft listing. Any co-op may prepare drafts; publishing needs verification."""
    organization = _own_coop(actor, organization_id)
    values, tiers, certificates = _validate(organization, data)
    listing = Listing(
        organization_id=organization.id, slug=_unique_listing_slug(values["title_vi"]), **values
    )
    listing.tiers = [PriceTier(min_quantity=q, unit_price=p) for q, p in tiers]
    listing.certificates = certificates
    db.session.add(listing)
    db.session.flush()
    audit.record(actor, "listing.create", "listing", listing.id, organization_id=organization.id)
    db.session.flush()
    return listing


def get_own_listing(
    actor: Actor, organization_id: int, listing_id: int, min_role: Role = Role.STAFF
) -> Listing:
    """A listing of the actor's co-op; NotFound for another co-op's (before the role is
    checked: another co-op's drafts are private)."""
    member_of(actor, organization_id, kind=OrgKind.COOP)
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.organization_id != organization_id:
        raise NotFound("listing")
    member_of(actor, organization_id, min_role)
    return listing


def _changed(listing: Listing) -> None:
    """Note a change of the listing: its version (what the API's ``If-Match`` compares) goes
    up by one."""
    listing.version = (listing.version or 1) + 1


def _locked_own(actor: Actor, organization_id: int, listing_id: int) -> Listing:
    _own_coop(actor, organization_id)
    listing = lock(Listing, listing_id)
    if listing is None or listing.organization_id != organization_id:
        raise NotFound("listing")
    if listing.status is S.TAKEN_DOWN:
        raise ValidationFailed(
            {
                "status": _l(
                    "This listing was taken down by the platform team; ask them to restore it."
                )
            }
        )
    return listing


def update_listing(
    actor: Actor, organization_id: int, listing_id: int, data: ListingData
) -> Listing:
    """Change a listing's details, tiers and certificates, all or nothing."""
    listing = _locked_own(actor, organization_id, listing_id)
    values, tiers, certificates = _validate(listing.organization, data)
    for name, value in values.items():
        setattr(listing, name, value)
    # Delete the old tiers before inserting the new ones: the unit of work would insert
    # first, and (listing, min_quantity) is unique.
    listing.tiers.clear()
    db.session.flush()
    listing.tiers.extend(PriceTier(min_quantity=q, unit_price=p) for q, p in tiers)
    listing.certificates = certificates
    _changed(listing)
    audit.record(actor, "listing.update", "listing", listing.id, organization_id=organization_id)
    db.session.flush()
    return listing


def quick_update(
    actor: Actor, organization_id: int, listing_id: int, *, base_price: str, monthly_capacity: str
) -> Listing:
    """Change only the base price and monthly capacity, from the dashboard."""
    listing = _locked_own(actor, organization_id, listing_id)
    errors: dict[str, object] = {}
    try:
        price = parse_vnd(base_price)
    except InvalidValue as exc:
        errors["base_price"] = exc.message
        price = None
    try:
        capacity = parse_quantity(monthly_capacity)
    except InvalidValue as exc:
        errors["monthly_capacity"] = exc.message
        capacity = None
    if price is not None and listing.tiers and price <= listing.tiers[0].unit_price:
        errors["base_price"] = _l("The unit price must fall as the quantity grows.")
    if errors:
        raise ValidationFailed(errors)
    listing.base_price, listing.monthly_capacity = price, capacity
    _changed(listing)
    audit.record(
        actor,
        "listing.quick_update",
        "listing",
        listing.id,
        organization_id=organization_id,
        details={"base_price": price, "monthly_capacity": capacity},
    )
    db.session.flush()
    return listing


def duplicate_listing(actor: Actor, organization_id: int, listing_id: int) -> Listing:
    """A draft copy (details, tiers, certificates; not photos or lots)."""
    source = get_own_listing(actor, organization_id, listing_id)
    _own_coop(actor, organization_id)
    if source.status is S.TAKEN_DOWN:
        raise ValidationFailed(
            {
                "status": _l(
                    "This listing was taken down by the platform team; ask them to restore it."
                )
            }
        )
    copy_title = f"{source.title_vi} (bản sao)"[:160]
    copy = Listing(
        organization_id=source.organization_id,
        category_id=source.category_id,
        slug=_unique_listing_slug(copy_title),
        title_vi=copy_title,
        title_en=source.title_en,
        description_vi=source.description_vi,
        description_en=source.description_en,
        origin_province_code=source.origin_province_code,
        unit=source.unit,
        pack_size=source.pack_size,
        base_price=source.base_price,
        min_order_quantity=source.min_order_quantity,
        monthly_capacity=source.monthly_capacity,
        lead_time_days=source.lead_time_days,
        shelf_life_days=source.shelf_life_days,
        storage_conditions=source.storage_conditions,
        harvest_months=source.harvest_months,
    )
    copy.tiers = [
        PriceTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in source.tiers
    ]
    copy.certificates = [c for c in source.certificates if c.is_valid_on(today())]
    db.session.add(copy)
    db.session.flush()
    audit.record(
        actor,
        "listing.duplicate",
        "listing",
        copy.id,
        organization_id=organization_id,
        details={"from": source.id},
    )
    db.session.flush()
    return copy


def change_state(actor: Actor, organization_id: int, listing_id: int, action: str) -> Listing:
    """Publish, pause or archive one's own listing."""
    if action in ADMIN_ACTIONS:
        raise NotFound("action")
    listing = _locked_own(actor, organization_id, listing_id)
    new_status = next_listing_status(listing.status, action)
    if new_status is S.PUBLISHED:
        problems: dict[str, object] = {}
        if not can_trade(listing.organization):
            problems["status"] = _l(
                "Only a verified co-op can publish. Finish your verification first."
            )
        elif not listing.photos:
            problems["status"] = _l("Add at least one photo before publishing.")
        if problems:
            raise ValidationFailed(problems)
        listing.published_at = listing.published_at or utcnow()
    listing.status = new_status
    _changed(listing)
    audit.record(actor, f"listing.{action}", "listing", listing.id, organization_id=organization_id)
    db.session.flush()
    return listing


def take_down(actor: Actor, listing_id: int, reason: str) -> Listing:
    """Admin: remove a listing from the catalogue, with a reason the co-op is told."""
    require_admin(actor)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": _l("Give the reason for taking the listing down.")})
    listing = lock(Listing, listing_id)
    if listing is None:
        raise NotFound("listing")
    listing.status = next_listing_status(listing.status, "take_down")
    listing.takedown_reason = reason.strip()[:2000]
    _changed(listing)
    audit.record(
        actor,
        "listing.take_down",
        "listing",
        listing.id,
        organization_id=listing.organization_id,
        details={"reason": listing.takedown_reason},
    )
    notify_members(
        listing.organization_id,
        "listing_taken_down",
        _l("A listing was taken down on Chợ HTX"),
        endpoint="listings.dashboard",
        link_values={"org_id": listing.organization_id},
        listing=listing,
        reason=listing.takedown_reason,
    )
    db.session.flush()
    return listing


def restore(actor: Actor, listing_id: int) -> Listing:
    """Admin: give a taken-down listing back to its co-op as a draft."""
    require_admin(actor)
    listing = lock(Listing, listing_id)
    if listing is None:
        raise NotFound("listing")
    listing.status = next_listing_status(listing.status, "restore")
    _changed(listing)
    audit.record(
        actor, "listing.restore", "listing", listing.id, organization_id=listing.organization_id
    )
    db.session.flush()
    return listing


# --- photos -------------------------------------------------------------------------------


def add_photo(actor: Actor, organization_id: int, listing_id: int, data: bytes) -> ListingPhoto:
    """Add a photo at the end; the first one is the main photo. At most 10."""
    _own_coop(actor, organization_id)
    listing = get_own_listing(actor, organization_id, listing_id)
    if not data:
        raise ValidationFailed({"file": _l("Choose a photo to upload.")})
    if len(listing.photos) >= MAX_LISTING_PHOTOS:  # refuse early, before the work
        raise ValidationFailed({"file": _l("At most %(n)s photos.", n=MAX_LISTING_PHOTOS)})
    # Decoding, resizing and storing happen before the row lock is taken.
    prefix = images.store_image(f"public/listings/{listing_id}", data)
    try:
        listing = _locked_own(actor, organization_id, listing_id)
        if len(listing.photos) >= MAX_LISTING_PHOTOS:
            raise ValidationFailed({"file": _l("At most %(n)s photos.", n=MAX_LISTING_PHOTOS)})
    except ServiceError:
        images.discard(images.variant_keys(prefix))
        raise
    photo = ListingPhoto(key_prefix=prefix, position=len(listing.photos))
    listing.photos.append(photo)
    _changed(listing)
    audit.record(actor, "listing.photo_add", "listing", listing.id, organization_id=organization_id)
    db.session.flush()
    return photo


def _renumber(listing: Listing, ordered: list[ListingPhoto]) -> None:
    for position, photo in enumerate(ordered):
        photo.position = position
    listing.photos.sort(key=lambda p: p.position)


def move_photo(
    actor: Actor, organization_id: int, listing_id: int, photo_id: int, where: str
) -> None:
    """Reorder: "main" makes it the main photo, "up"/"down" moves it one place."""
    listing = _locked_own(actor, organization_id, listing_id)
    ordered = list(listing.photos)
    photo = next((p for p in ordered if p.id == photo_id), None)
    if photo is None:
        raise NotFound("photo")
    index = ordered.index(photo)
    ordered.pop(index)
    target = {"main": 0, "up": max(index - 1, 0), "down": min(index + 1, len(ordered))}.get(where)
    if target is None:
        raise NotFound("direction")
    ordered.insert(target, photo)
    _renumber(listing, ordered)
    _changed(listing)
    db.session.flush()


def remove_photo(actor: Actor, organization_id: int, listing_id: int, photo_id: int) -> None:
    listing = _locked_own(actor, organization_id, listing_id)
    photo = next((p for p in listing.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound("photo")
    images.forget(images.variant_keys(photo.key_prefix))
    listing.photos.remove(photo)
    _renumber(listing, list(listing.photos))
    _changed(listing)
    audit.record(
        actor, "listing.photo_remove", "listing", listing.id, organization_id=organization_id
    )
    db.session.flush()


# --- lots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotData:
    code: str
    produced_on: date | None
    quantity: str
    best_before: date | None = None
    farm_location: str = ""


def create_lot(
    actor: Actor, organization_id: int, listing_id: int, data: LotData, lab_document: bytes | None
) -> Lot:
    """Record a batch; it gets a public traceability page and a QR code."""
    listing = _locked_own(actor, organization_id, listing_id)
    errors: dict[str, object] = {}
    code = (data.code or "").strip()[:40]
    if not code:
        errors["code"] = _l("Enter the lot code printed on the packaging.")
    elif db.session.scalar(select(Lot.id).where(Lot.listing_id == listing.id, Lot.code == code)):
        errors["code"] = _l("This product already has a lot with this code.")
    if data.produced_on is None:
        errors["produced_on"] = _l("Enter the production or harvest date.")
    elif data.produced_on > today():
        errors["produced_on"] = _l("The production date cannot be in the future.")
    if data.best_before and data.produced_on and data.best_before <= data.produced_on:
        errors["best_before"] = _l("The best-before date must come after the production date.")
    try:
        quantity = parse_quantity(data.quantity, unit=listing.unit)
    except InvalidValue as exc:
        errors["quantity"] = exc.message
    checked = None
    if lab_document:
        try:
            checked = check_upload(lab_document, allow_pdf=True)
        except InvalidValue as exc:
            errors["lab_document"] = exc.message
    if errors:
        raise ValidationFailed(errors)
    lot = Lot(
        listing_id=listing.id,
        code=code,
        public_code=secrets.token_urlsafe(9),
        produced_on=data.produced_on,
        quantity=quantity,
        best_before=data.best_before,
        farm_location=(data.farm_location or "").strip()[:300] or None,
    )
    if checked is not None:
        # Lab results are private files, shown through the traceability page (which answers
        # only while the co-op is verified, so a taken-down co-op's files stop with it); a
        # photographed result is re-encoded like any image (no EXIF, no GPS).
        data, content_type, extension = checked.data, checked.content_type, checked.extension
        if checked.kind == "image":
            variant = prepare_image(checked)["1600"]
            data, content_type, extension = variant.data, variant.content_type, variant.extension
        key = new_key(f"private/lots/{listing.id}", extension)
        checked = type(checked)(checked.kind, content_type, extension, data)
        try:
            current_app.extensions["storage"].put(
                key, checked.data, checked.content_type, public=False
            )
        except StorageError as exc:
            raise ValidationFailed(
                {"lab_document": _l("The file could not be saved. Try again in a moment.")}
            ) from exc
        lot.lab_document_key, lot.lab_document_type = key, checked.content_type
    db.session.add(lot)
    db.session.flush()
    audit.record(actor, "lot.create", "lot", lot.id, organization_id=organization_id)
    db.session.flush()
    return lot


def lots_of(actor: Actor, organization_id: int, listing_id: int) -> list[Lot]:
    """The lots of a listing of the actor's co-op (any member)."""
    get_own_listing(actor, organization_id, listing_id)
    return list(
        db.session.scalars(
            select(Lot)
            .where(Lot.listing_id == listing_id)
            .order_by(Lot.produced_on.desc(), Lot.id.desc())
        )
    )


@dataclass(frozen=True)
class Traceability:
    lot: Lot
    listing: Listing
    organization: Organization
    certificates: list[Certificate]


def traceability(public_code: str) -> Traceability:
    """What a QR code on the packaging shows. Lots of any listing state stay traceable:
    the goods are already on a shelf. Only a verified co-op's lots are: nothing of an
    unverified organisation is public (NotFound)."""
    if not public_code.isascii() or not public_code.isprintable():
        raise NotFound("lot")  # codes are URL-safe letters and digits
    lot = db.session.scalar(
        select(Lot)
        .where(Lot.public_code == public_code[:24])
        .options(selectinload(Lot.listing).selectinload(Listing.organization))
    )
    if lot is None or not lot.listing.organization.is_verified:
        raise NotFound("lot")
    day = lot.produced_on
    certificates = [
        c
        for c in db.session.scalars(
            select(Certificate).where(
                Certificate.organization_id == lot.listing.organization_id,
                Certificate.status == VerificationStatus.APPROVED,
            )
        )
        if c.is_valid_on(day)
    ]
    return Traceability(lot, lot.listing, lot.listing.organization, certificates)


# --- public reading (a constant number of queries, whatever the listing holds) -------------

_CARD_LOADS = (
    selectinload(Listing.photos),
    selectinload(Listing.tiers),
    selectinload(Listing.certificates),
    selectinload(Listing.organization),
)


@dataclass(frozen=True)
class Card:
    """What a product card shows, read from the search projection: two small queries for a
    page of cards instead of four loads of ORM objects per page (a category page at 100,000
    listings: 11 of its 19 ms). The projection row is rebuilt in the same transaction as
    every change of the listing, its co-op or its certificates, so a card is as current as
    the listing page it links to."""

    id: int
    slug: str
    title_vi: str
    title_en: str | None
    photo_key: str | None
    #: The unit price at the largest quantity, when it differs from ``base_price``.
    bulk_price: int | None
    base_price: int
    unit: str
    coop_name: str
    province_code: str
    #: OCOP stars valid today, if any.
    ocop_stars: int | None

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_vi


def cards(listing_ids: list[int]) -> list[Card]:
    """The cards of these listings, in this order (a listing no longer public is left out)."""
    if not listing_ids:
        return []
    d = SearchDocument.__table__.c
    rows = {
        row.listing_id: row
        for row in db.session.execute(
            select(
                d.listing_id, d.slug, d.title_vi, d.title_en, d.photo_key, d.base_price,
                d.unit, d.coop_name, d.province_code, d.ocop_stars, d.ocop_from, d.ocop_until,
            ).where(d.listing_id.in_(listing_ids))
        )
    }  # fmt: skip
    prices = search_documents.prices_of([i for i in listing_ids if i in rows])
    day = today()
    found = []
    for listing_id in listing_ids:
        row = rows.get(listing_id)
        if row is None:
            continue
        ranges = prices.get(listing_id, [])
        ocop = dict(certifications_on(row._mapping, day)).get("ocop")
        found.append(
            Card(
                id=listing_id,
                slug=row.slug,
                title_vi=row.title_vi,
                title_en=row.title_en,
                photo_key=row.photo_key,
                bulk_price=ranges[-1][2] if len(ranges) > 1 else None,
                base_price=row.base_price,
                unit=row.unit,
                coop_name=row.coop_name,
                province_code=row.province_code,
                ocop_stars=ocop,
            )
        )
    return found


def _published():
    return (
        select(Listing)
        .join(Organization, Listing.organization_id == Organization.id)
        .where(
            Listing.status == S.PUBLISHED,
            Organization.verification_status == VerificationStatus.APPROVED,
        )
    )


#: A listing page's loads: the co-op comes from the row the approval test already joins and
#: the category in the same query (four queries in all, whatever the listing holds).
_PAGE_LOADS = (
    selectinload(Listing.photos),
    selectinload(Listing.tiers),
    selectinload(Listing.certificates),
    contains_eager(Listing.organization),
    joinedload(Listing.category),
)


def public_listing(slug: str) -> Listing:
    listing = db.session.scalar(
        _published().where(Listing.slug == slug[:100]).options(*_PAGE_LOADS)
    )
    if listing is None:
        raise NotFound("listing")
    return listing


def public_listing_by_id(listing_id: int) -> Listing:
    """A published listing of a verified co-op, by id; NotFound for anything else (drafts,
    paused, archived or taken-down listings, unverified co-ops)."""
    listing = db.session.scalar(_published().where(Listing.id == listing_id).options(*_PAGE_LOADS))
    if listing is None:
        raise NotFound("listing")
    return listing


def published_listings(
    *, category: str | None = None, organization_id: int | None = None, province: str | None = None
):
    """The statement of what the catalogue shows (published listings of verified co-ops),
    narrowed to a category and its subcategories (its slug or id), a co-op or an origin
    province (its code), unordered, for a caller that pages it. ValidationFailed names a
    category or province that does not exist."""
    errors: dict[str, object] = {}
    stmt = _published().options(*_CARD_LOADS)
    if category:
        reference = category.strip()[:80]
        found = db.session.scalar(
            select(Category).where(
                Category.id == int(reference)
                if reference.isascii() and reference.isdigit() and len(reference) < 10
                else Category.slug == reference
            )
        )
        if found is None:
            errors["category"] = _l("There is no such category.")
        else:
            stmt = stmt.where(Listing.category_id.in_(_with_subcategories(found)))
    if province:
        code = resolve_province(province)
        if code is None:
            errors["province"] = _l("There is no such province.")
        stmt = stmt.where(Listing.origin_province_code == code)
    if errors:
        raise ValidationFailed(errors)
    if organization_id is not None:
        stmt = stmt.where(Listing.organization_id == organization_id)
    return stmt


def category_by_slug(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug[:80]))
    if category is None:
        raise NotFound("category")
    return category


def categories() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category).order_by(
                Category.parent_id.is_not(None), Category.position, Category.id
            )
        )
    )


def _with_subcategories(category: Category) -> list[int]:
    """The category's id and its subcategories'. Read first, as a plain list: the same test
    written as ``category_id = :id OR category_id IN (<subquery>)`` made PostgreSQL scan
    every listing (100 ms at 100,000), where a list reads the newest straight from
    ``ix_listings_category_recent``."""
    children = db.session.scalars(select(Category.id).where(Category.parent_id == category.id))
    return [category.id, *children]


def category_listings(
    category: Category, *, limit: int = 48, offset: int = 0
) -> tuple[list[Card], int]:
    """Published listings in a category and its subcategories, newest first, and the total.

    The newest of each category are read from ``ix_listings_category_recent`` (each its
    ``offset + limit`` newest) and merged, then the page's cards read: one ordered scan
    over every listing of a parent category sorted them all (50 ms at 18,000)."""
    ids = _with_subcategories(category)
    # Counted in the projection (public listings only, each with its top category): an
    # index-only scan of ix_search_documents_category, 1 ms for 10,000 listings, where
    # joining listings to their co-ops for the approval took 7.
    d = SearchDocument.__table__.c
    if category.parent_id is None:
        in_category = d.top_category_id == category.id
    else:
        in_category = and_(d.top_category_id == category.parent_id, d.category_id == category.id)
    total = db.session.scalar(select(func.count()).where(in_category))
    newest = [
        select(Listing.id, Listing.published_at)
        .join(Organization, Listing.organization_id == Organization.id)
        .where(
            Listing.status == S.PUBLISHED,
            Organization.verification_status == VerificationStatus.APPROVED,
            Listing.category_id == category_id,
        )
        .order_by(Listing.published_at.desc(), Listing.id.desc())
        .limit(offset + limit)
        .subquery()
        for category_id in ids
    ]
    merged = union_all(*(select(n.c.id, n.c.published_at) for n in newest)).subquery()
    page = list(
        db.session.scalars(
            select(merged.c.id)
            .order_by(merged.c.published_at.desc(), merged.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return cards(page), total or 0


def _newest_ids(stmt, limit: int | None = None) -> list[int]:
    """The ids of ``_published()`` narrowed by ``stmt``'s conditions, newest first."""
    stmt = stmt.with_only_columns(Listing.id).order_by(
        Listing.published_at.desc(), Listing.id.desc()
    )
    return list(db.session.scalars(stmt.limit(limit)))


def _recent_ids(limit: int, *, featured: bool | None = None, leave_out=()) -> list[int]:
    stmt = _published()
    if featured is not None:
        stmt = stmt.where(Listing.featured.is_(featured))
    if leave_out:
        stmt = stmt.where(Listing.id.not_in(list(leave_out)))
    return _newest_ids(stmt, limit)


#: How many products each home page section shows: whole rows of two cards on a phone.
HOME_FEATURED = 6
HOME_NEW = 8


@dataclass(frozen=True)
class HomeListings:
    featured: list[Card]
    new: list[Card]


def home_listings(featured: int = HOME_FEATURED, new: int = HOME_NEW) -> HomeListings:
    """The home page's two product sections, no product in both: the newest featured products,
    then the newest published products that are not among them (a featured product older
    than those shown may appear under "new")."""
    chosen = _recent_ids(featured, featured=True) if featured else []
    return HomeListings(featured=cards(chosen), new=cards(_recent_ids(new, leave_out=chosen)))


def coop_listings(organization_id: int) -> list[Listing]:
    return list(
        db.session.scalars(
            _published()
            .where(Listing.organization_id == organization_id)
            .options(*_CARD_LOADS)
            .order_by(Listing.published_at.desc())
        )
    )


def coop_cards(organization_id: int) -> list[Card]:
    """A co-op's public products as cards, newest first."""
    return cards(_newest_ids(_published().where(Listing.organization_id == organization_id)))


def dashboard_listings(actor: Actor, organization_id: int) -> list[Listing]:
    member_of(actor, organization_id)
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.organization_id == organization_id)
            .options(
                selectinload(Listing.photos),
                selectinload(Listing.tiers),
                selectinload(Listing.certificates),
            )
            .order_by(Listing.status, Listing.updated_at.desc())
        )
    )


def taken_down(actor: Actor) -> list[Listing]:
    """Admin: listings currently taken down, newest change first."""
    require_admin(actor)
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.status == S.TAKEN_DOWN)
            .options(selectinload(Listing.organization))
            .order_by(Listing.updated_at.desc())
        )
    )
