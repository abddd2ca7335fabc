"""A co-op's own catalogue (scope ``catalogue:write``): its listings in every state, their
price tiers, capacity, photos and lots, through the same use cases as the listing pages.

The key's organisation is the co-op; another co-op's listing answers 404, as the pages do.
Every change raises the listing's version: send the ETag you read as ``If-Match``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest.fields import Upload

from marketplace.blueprints.api.catalogue import (
    CatalogueText,
    ListingCertificateOut,
    ListingOut,
    ListingPhotoOut,
    listing_view,
    photo_view,
)
from marketplace.blueprints.api.core import (
    ETAG_DOC,
    PageQuery,
    actor,
    area,
    check_if_match,
    idempotent,
    if_match,
    page_of_list,
    page_schema,
    requires,
    set_version,
)
from marketplace.i18n import UNITS
from marketplace.models import Listing, ListingStatus, Lot
from marketplace.models.catalog import MAX_PRICE_TIERS
from marketplace.parsing import MAX_PRICE, MAX_QUANTITY
from marketplace.services.catalogue import listings as listing_service
from marketplace.urls import external_url
from marketplace.vietnam import today

bp = area(
    "Own listings",
    "A co-op's own listings (every state), price tiers, capacity, photos and lots.",
)

SCOPE = "catalogue:write"
INT32 = 2**31 - 1


def _org() -> int:
    return actor().api_key.organization_id


# --- schemas ---------------------------------------------------------------------------------


class OwnListingOut(ListingOut):
    status = ma.fields.Enum(ListingStatus, by_value=True, required=True)
    takedown_reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why the platform took it down (status taken_down)"},
    )
    certificates = ma.fields.List(
        ma.fields.Nested(ListingCertificateOut),
        required=True,
        metadata={"description": "The certificates linked to the listing"},
    )
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class OwnListingQuery(PageQuery):
    status = ma.fields.Enum(
        ListingStatus, by_value=True, load_default=None, metadata={"description": "Only these"}
    )


class ListingTierIn(ma.Schema):
    min_quantity = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_QUANTITY),
        metadata={"description": "From this many units (above the minimum order)"},
    )
    unit_price = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_PRICE),
        metadata={"description": "Đồng per unit; lower than the tier below"},
    )


def _listing_fields(partial: bool) -> dict[str, ma.fields.Field]:
    """The listing form's fields; for a PATCH none is required and none has a default."""

    def field(kind: type[ma.fields.Field], *args: Any, default: Any = None, **kwargs: Any):
        if not partial and default is not None:
            kwargs["load_default"] = default
        return kind(*args, **kwargs)

    required = {"required": not partial}
    text = {"allow_none": True}
    return {
        "title_vi": CatalogueText(validate=ma.validate.Length(min=1, max=160), **required),
        "title_en": field(CatalogueText, default="", validate=ma.validate.Length(max=160), **text),
        "description_vi": field(
            CatalogueText, default="", validate=ma.validate.Length(max=5000), **text
        ),
        "description_en": field(
            CatalogueText, default="", validate=ma.validate.Length(max=5000), **text
        ),
        "category_id": ma.fields.Integer(
            strict=True, validate=ma.validate.Range(min=1, max=INT32), **required
        ),
        "origin_province": field(
            CatalogueText,
            default="",
            validate=ma.validate.Length(max=80),
            metadata={"description": "Province code or name; empty: the co-op's province"},
            **text,
        ),
        "unit": CatalogueText(validate=ma.validate.OneOf(list(UNITS)), **required),
        "pack_size": field(CatalogueText, default="", validate=ma.validate.Length(max=80), **text),
        "base_price": ma.fields.Integer(
            strict=True,
            validate=ma.validate.Range(min=1, max=MAX_PRICE),
            metadata={"description": "Đồng per unit below the first tier"},
            **required,
        ),
        "monthly_capacity": ma.fields.Integer(
            strict=True,
            validate=ma.validate.Range(min=1, max=MAX_QUANTITY),
            metadata={"description": "Units the co-op can supply each month"},
            **required,
        ),
        "min_order_quantity": field(
            ma.fields.Integer,
            default=1,
            strict=True,
            validate=ma.validate.Range(min=1, max=MAX_QUANTITY),
        ),
        "lead_time_days": field(
            ma.fields.Integer,
            default=1,
            strict=True,
            validate=ma.validate.Range(min=0, max=MAX_QUANTITY),
        ),
        "shelf_life_days": ma.fields.Integer(
            strict=True,
            allow_none=True,
            validate=ma.validate.Range(min=1, max=MAX_QUANTITY),
        ),
        "storage_conditions": field(
            CatalogueText, default="", validate=ma.validate.Length(max=200), **text
        ),
        "harvest_months": field(
            ma.fields.List,
            ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=12)),
            default=list,
            validate=ma.validate.Length(max=12),
        ),
        "certificate_ids": field(
            ma.fields.List,
            ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=INT32)),
            default=list,
            validate=ma.validate.Length(max=50),
            metadata={"description": "Own certificates, verified and valid today"},
        ),
        "tiers": field(
            ma.fields.List,
            ma.fields.Nested(ListingTierIn),
            default=list,
            validate=ma.validate.Length(max=MAX_PRICE_TIERS),
            metadata={"description": "Wholesale prices: up in quantity, down in price"},
        ),
    }


OwnListingIn = ma.Schema.from_dict(_listing_fields(partial=False), name="OwnListingIn")
OwnListingPatch = ma.Schema.from_dict(_listing_fields(partial=True), name="OwnListingPatch")


class ListingPriceCapacityIn(ma.Schema):
    base_price = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_PRICE)
    )
    monthly_capacity = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_QUANTITY)
    )


class ListingPhotoIn(ma.Schema):
    file = Upload(required=True, metadata={"description": "A JPEG, PNG or WebP photo"})


class ListingPhotoMoveIn(ma.Schema):
    where = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["main", "up", "down"]),
        metadata={"description": "main: make it the main photo; up/down: one place"},
    )


class LotIn(ma.Schema):
    code = CatalogueText(
        required=True,
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "The lot code printed on the packaging"},
    )
    produced_on = ma.fields.Date(required=True, metadata={"description": "Not in the future"})
    quantity = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_QUANTITY)
    )
    best_before = ma.fields.Date(load_default=None, allow_none=True)
    farm_location = CatalogueText(
        load_default="", allow_none=True, validate=ma.validate.Length(max=300)
    )


class LotOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    listing_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    public_code = ma.fields.String(
        required=True, metadata={"description": "GET /api/v1/lots/{public_code}"}
    )
    produced_on = ma.fields.Date(required=True)
    best_before = ma.fields.Date(required=True, allow_none=True)
    quantity = ma.fields.Integer(required=True)
    farm_location = ma.fields.String(required=True, allow_none=True)
    has_lab_document = ma.fields.Boolean(required=True)
    trace_url = ma.fields.String(required=True, metadata={"description": "The QR code's page"})
    qr_svg_url = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


# --- views -----------------------------------------------------------------------------------


def own_view(listing: Listing) -> dict[str, Any]:
    return {
        **listing_view(listing, list(listing.certificates)),
        "status": listing.status,
        "takedown_reason": listing.takedown_reason,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
    }


def lot_view(lot: Lot) -> dict[str, Any]:
    return {
        "id": lot.id,
        "listing_id": lot.listing_id,
        "code": lot.code,
        "public_code": lot.public_code,
        "produced_on": lot.produced_on,
        "best_before": lot.best_before,
        "quantity": lot.quantity,
        "farm_location": lot.farm_location,
        "has_lab_document": bool(lot.lab_document_key),
        "trace_url": external_url("listings.trace", code=lot.public_code),
        "qr_svg_url": external_url("listings.trace_qr_svg", code=lot.public_code),
        "created_at": lot.created_at,
    }


def _listing_data(values: dict[str, Any]) -> listing_service.ListingData:
    """The form's ListingData from a body: numbers as the text the form would carry."""

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value)

    return listing_service.ListingData(
        title_vi=text("title_vi"),
        title_en=text("title_en"),
        description_vi=text("description_vi"),
        description_en=text("description_en"),
        category_id=values.get("category_id"),
        origin_province=text("origin_province"),
        unit=text("unit"),
        pack_size=text("pack_size"),
        base_price=text("base_price"),
        monthly_capacity=text("monthly_capacity"),
        min_order_quantity=text("min_order_quantity"),
        lead_time_days=text("lead_time_days"),
        shelf_life_days=text("shelf_life_days"),
        storage_conditions=text("storage_conditions"),
        harvest_months=list(values.get("harvest_months") or []),
        certificate_ids=list(values.get("certificate_ids") or []),
        tiers=[(str(t["min_quantity"]), str(t["unit_price"])) for t in values.get("tiers") or []],
    )


def _current_values(listing: Listing) -> dict[str, Any]:
    """The listing as a full body, for a PATCH to change only what it names. Linked
    certificates that have expired since are left out (the form offers only valid ones)."""
    return {
        "title_vi": listing.title_vi,
        "title_en": listing.title_en,
        "description_vi": listing.description_vi,
        "description_en": listing.description_en,
        "category_id": listing.category_id,
        "origin_province": listing.origin_province_code,
        "unit": listing.unit,
        "pack_size": listing.pack_size,
        "base_price": listing.base_price,
        "monthly_capacity": listing.monthly_capacity,
        "min_order_quantity": listing.min_order_quantity,
        "lead_time_days": listing.lead_time_days,
        "shelf_life_days": listing.shelf_life_days,
        "storage_conditions": listing.storage_conditions,
        "harvest_months": [int(m) for m in (listing.harvest_months or "").split(",") if m],
        "certificate_ids": [c.id for c in listing.certificates_valid_on(today())],
        "tiers": [
            {"min_quantity": t.min_quantity, "unit_price": t.unit_price} for t in listing.tiers
        ],
    }


def _own(listing_id: int) -> Listing:
    """The key's co-op's listing (404 for another's), checked against If-Match."""
    listing = listing_service.get_own_listing(actor(), _org(), listing_id)
    check_if_match(listing.version)
    return listing


def _changed(listing: Listing) -> Listing:
    """After a use case changed the listing under its row lock: the version it changed must
    still be the one in If-Match (a change that slipped in between is refused and rolled
    back); the answer carries the new version."""
    check_if_match(listing.version - 1)
    set_version(listing.version)
    return listing


# --- listings --------------------------------------------------------------------------------


@bp.route("/own/listings")
@requires(SCOPE)
@bp.arguments(OwnListingQuery, location="query")
@bp.response(200, page_schema(OwnListingOut))
def list_own(args):
    """The co-op's listings in every state (drafts, published, paused, archived, taken
    down), newest first."""
    found = listing_service.dashboard_listings(actor(), _org())
    if args["status"] is not None:
        found = [listing for listing in found if listing.status is args["status"]]
    page = page_of_list(found, args)
    page["data"] = [own_view(listing) for listing in page["data"]]
    return page


@bp.route("/own/listings", methods=["POST"])
@requires(SCOPE)
@idempotent
@bp.arguments(OwnListingIn)
@bp.response(201, OwnListingOut, **ETAG_DOC)
@bp.alt_response(400, response="BAD_REQUEST")
def create_own(data):
    """A new draft listing, validated as the listing form is (an owner or manager). Publish
    it after adding a photo."""
    listing = listing_service.create_listing(actor(), _org(), _listing_data(data))
    set_version(listing.version)
    return own_view(listing)


@bp.route("/own/listings/<int:listing_id>")
class OwnListing(MethodView):
    """One URL rule for both methods: an id out of range is then 404 for both (two rules
    would answer 405 for the method whose rule did not match)."""

    @requires(SCOPE)
    @bp.response(200, OwnListingOut, **ETAG_DOC)
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, listing_id: int):
        """One of the co-op's listings, in any state."""
        listing = listing_service.get_own_listing(actor(), _org(), listing_id)
        set_version(listing.version)
        return own_view(listing)

    @requires(SCOPE)
    @if_match
    @bp.arguments(OwnListingPatch)
    @bp.response(200, OwnListingOut, **ETAG_DOC)
    @bp.alt_response(400, response="BAD_REQUEST")
    @bp.alt_response(404, response="NOT_FOUND")
    def patch(self, data, listing_id: int):
        """Change some of a listing's fields (an owner or manager); the others keep their
        values. ``tiers`` and ``certificate_ids``, when sent, replace the whole list."""
        listing = _own(listing_id)
        values = {**_current_values(listing), **data}
        listing = listing_service.update_listing(actor(), _org(), listing_id, _listing_data(values))
        return own_view(_changed(listing))


@bp.route("/own/listings/<int:listing_id>/price-and-capacity", methods=["PUT"])
@requires(SCOPE)
@if_match
@bp.arguments(ListingPriceCapacityIn)
@bp.response(200, OwnListingOut, **ETAG_DOC)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
def set_price_and_capacity(data, listing_id: int):
    """Only the base price and the monthly capacity, as the dashboard's quick edit does."""
    _own(listing_id)
    listing = listing_service.quick_update(
        actor(),
        _org(),
        listing_id,
        base_price=str(data["base_price"]),
        monthly_capacity=str(data["monthly_capacity"]),
    )
    return own_view(_changed(listing))


#: The co-op's own transitions (listings.LISTING_TRANSITIONS); taking down and restoring
#: are the platform's.
ACTIONS = {
    "publish": "Publish a draft, or resume a paused listing (a verified co-op, with a photo).",
    "pause": "Take a published listing off the catalogue for now.",
    "archive": "Retire a listing for good.",
}


def _action_view(action: str) -> Callable:
    def view(listing_id: int):
        _own(listing_id)
        listing = listing_service.change_state(actor(), _org(), listing_id, action)
        return own_view(_changed(listing))

    view.__name__ = f"{action}_own"
    view.__doc__ = ACTIONS[action]
    return view


for _action in ACTIONS:
    bp.route(
        f"/own/listings/<int:listing_id>/{_action}", methods=["POST"], endpoint=f"{_action}_own"
    )(
        requires(SCOPE)(
            idempotent(
                if_match(
                    bp.response(200, OwnListingOut, **ETAG_DOC)(
                        bp.alt_response(404, response="NOT_FOUND")(
                            bp.alt_response(409, response="CONFLICT")(
                                bp.alt_response(422, response="UNPROCESSABLE_ENTITY")(
                                    _action_view(_action)
                                )
                            )
                        )
                    )
                )
            )
        )
    )


# --- photos ----------------------------------------------------------------------------------


@bp.route("/own/listings/<int:listing_id>/photos", methods=["POST"])
@requires(SCOPE)
@idempotent
@if_match
@bp.arguments(ListingPhotoIn, location="files")
@bp.response(201, ListingPhotoOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
def add_photo(files, listing_id: int):
    """Upload a photo (``multipart/form-data``, field ``file``): it goes at the end, the
    first is the main photo, at most 10. It is re-encoded (no EXIF, no GPS) into WebP
    variants 320, 800 and 1600 px wide."""
    _own(listing_id)
    photo = listing_service.add_photo(actor(), _org(), listing_id, files["file"].read())
    _changed(listing_service.get_own_listing(actor(), _org(), listing_id))
    return photo_view(photo)


@bp.route("/own/listings/<int:listing_id>/photos/<int:photo_id>/move", methods=["POST"])
@requires(SCOPE)
@idempotent
@if_match
@bp.arguments(ListingPhotoMoveIn)
@bp.response(200, OwnListingOut, **ETAG_DOC)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
def move_photo(data, listing_id: int, photo_id: int):
    """Make a photo the main one, or move it one place up or down."""
    _own(listing_id)
    listing_service.move_photo(actor(), _org(), listing_id, photo_id, data["where"])
    listing = listing_service.get_own_listing(actor(), _org(), listing_id)
    return own_view(_changed(listing))


@bp.route("/own/listings/<int:listing_id>/photos/<int:photo_id>", methods=["DELETE"])
@requires(SCOPE)
@if_match
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def remove_photo(listing_id: int, photo_id: int):
    """Remove a photo (its files are deleted after the change is saved)."""
    _own(listing_id)
    listing_service.remove_photo(actor(), _org(), listing_id, photo_id)
    _changed(listing_service.get_own_listing(actor(), _org(), listing_id))


# --- lots ------------------------------------------------------------------------------------


@bp.route("/own/listings/<int:listing_id>/lots")
class OwnListingLots(MethodView):
    """A listing's lots (one URL rule for both methods, as above)."""

    @requires(SCOPE)
    @bp.arguments(PageQuery, location="query")
    @bp.response(200, page_schema(LotOut))
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, args, listing_id: int):
        """A listing's lots, newest first."""
        page = page_of_list(listing_service.lots_of(actor(), _org(), listing_id), args)
        page["data"] = [lot_view(lot) for lot in page["data"]]
        return page

    @requires(SCOPE)
    @idempotent
    @bp.arguments(LotIn)
    @bp.response(201, LotOut)
    @bp.alt_response(400, response="BAD_REQUEST")
    @bp.alt_response(404, response="NOT_FOUND")
    def post(self, data, listing_id: int):
        """Record a lot (an owner or manager): it gets a public traceability page and a QR
        code. A lab result is uploaded on the lots page."""
        lot = listing_service.create_lot(
            actor(),
            _org(),
            listing_id,
            listing_service.LotData(
                code=data["code"],
                produced_on=data["produced_on"],
                quantity=str(data["quantity"]),
                best_before=data["best_before"],
                farm_location=data["farm_location"] or "",
            ),
            None,
        )
        return lot_view(lot)
