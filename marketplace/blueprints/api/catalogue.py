"""The public catalogue: categories, published listings with their price tiers, verified
co-ops, and lots with their traceability (scope ``catalogue:read``).

Only what the public pages show: a draft, paused, archived or taken-down listing, and
anything of a co-op that is not verified, answers 404 as the pages do.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.blueprints.api.core import (
    ETAG_DOC,
    PageQuery,
    area,
    page_of,
    page_schema,
    requires,
    set_version,
)
from marketplace.models import Certificate, Listing, Organization
from marketplace.services.accounts import organizations, profiles, verification
from marketplace.services.catalogue import listings as listing_service
from marketplace.urls import external_url
from marketplace.validation import strip_control
from marketplace.vietnam import PROVINCES, province_name, today
from marketplace.web import absolute_media_url

bp = area("Catalogue", "The public catalogue: categories, products, co-ops and lots.")

#: Widths of each public image's variants (WebP).
PHOTO_WIDTHS = (320, 800, 1600)


# --- views shared with the co-op's own listings ------------------------------------------------


def photo_urls(key_prefix: str) -> dict[str, str]:
    return {f"url_{w}": absolute_media_url(f"{key_prefix}-{w}.webp") for w in PHOTO_WIDTHS}


def photo_view(photo: Any) -> dict[str, Any]:
    return {"id": photo.id, "position": photo.position, **photo_urls(photo.key_prefix)}


def certificate_view(certificate: Certificate) -> dict[str, Any]:
    return {
        "id": certificate.id,
        "kind": certificate.kind.value,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
        "ocop_stars": certificate.ocop_stars,
        "product_name": certificate.product_name,
    }


def coop_ref(organization: Organization) -> dict[str, Any]:
    """A co-op as a listing or lot names it; ``url`` only while its profile is public."""
    return {
        "id": organization.id,
        "slug": organization.slug,
        "name": organization.name,
        "province": organization.province_code,
        "province_name": province_name(organization.province_code) or None,
        "verified": organization.is_verified,
        "url": external_url("orgs.public_profile", slug=organization.slug)
        if organization.is_verified
        else None,
    }


def listing_view(listing: Listing, certificates: list[Certificate]) -> dict[str, Any]:
    """What the listing's public page shows, as data."""
    return {
        "id": listing.id,
        "slug": listing.slug,
        "url": external_url("listings.public", slug=listing.slug),
        "title_vi": listing.title_vi,
        "title_en": listing.title_en,
        "description_vi": listing.description_vi or "",
        "description_en": listing.description_en,
        "category_id": listing.category_id,
        "origin_province": listing.origin_province_code,
        "origin_province_name": province_name(listing.origin_province_code),
        "unit": listing.unit,
        "pack_size": listing.pack_size,
        "base_price": listing.base_price,
        "currency": listing.currency or "VND",
        "min_order_quantity": listing.min_order_quantity,
        "monthly_capacity": listing.monthly_capacity,
        "lead_time_days": listing.lead_time_days,
        "shelf_life_days": listing.shelf_life_days,
        "storage_conditions": listing.storage_conditions,
        "harvest_months": [int(m) for m in (listing.harvest_months or "").split(",") if m],
        "tiers": [
            {"min_quantity": t.min_quantity, "unit_price": t.unit_price} for t in listing.tiers
        ],
        "photos": [photo_view(p) for p in listing.photos],
        "certificates": [certificate_view(c) for c in certificates],
        "coop": coop_ref(listing.organization),
        "published_at": listing.published_at,
        "version": listing.version,
    }


def public_listing_view(listing: Listing) -> dict[str, Any]:
    return listing_view(listing, listing.certificates_valid_on(today()))


# --- schemas ---------------------------------------------------------------------------------


class CatalogueText(ma.fields.String):
    """Text as the database can keep it: control characters (NUL among them) are dropped,
    and a lone UTF-16 surrogate is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = strip_control(super()._deserialize(value, attr, data, **kwargs))
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise self.make_error("invalid") from exc
        return text


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    parent_id = ma.fields.Integer(required=True, allow_none=True)
    slug = ma.fields.String(required=True)
    name_vi = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    vat_rate = ma.fields.String(required=True, metadata={"description": "VAT in percent"})


class CategoryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CategorySchema), required=True)


class ListingTierOut(ma.Schema):
    min_quantity = ma.fields.Integer(
        required=True, metadata={"description": "From this many units"}
    )
    unit_price = ma.fields.Integer(required=True, metadata={"description": "Đồng per unit"})


class ListingPhotoOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True, metadata={"description": "0 is the main photo"})
    url_320 = ma.fields.String(required=True, metadata={"description": "WebP, 320 px wide"})
    url_800 = ma.fields.String(required=True, metadata={"description": "WebP, 800 px wide"})
    url_1600 = ma.fields.String(required=True, metadata={"description": "WebP, 1600 px wide"})


class ListingCertificateOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "ocop, vietgap, …"})
    number = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    issued_on = ma.fields.Date(required=True)
    expires_on = ma.fields.Date(required=True)
    ocop_stars = ma.fields.Integer(required=True, allow_none=True)
    product_name = ma.fields.String(required=True, allow_none=True)


class CoopRefOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    province = ma.fields.String(required=True, allow_none=True)
    province_name = ma.fields.String(required=True, allow_none=True)
    verified = ma.fields.Boolean(required=True)
    url = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The public profile page"}
    )


class ListingOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "The product's page"})
    title_vi = ma.fields.String(required=True)
    title_en = ma.fields.String(required=True, allow_none=True)
    description_vi = ma.fields.String(required=True)
    description_en = ma.fields.String(required=True, allow_none=True)
    category_id = ma.fields.Integer(required=True)
    origin_province = ma.fields.String(required=True, metadata={"description": "Province code"})
    origin_province_name = ma.fields.String(required=True)
    unit = ma.fields.String(required=True, metadata={"description": "Selling unit code"})
    pack_size = ma.fields.String(required=True, allow_none=True)
    base_price = ma.fields.Integer(
        required=True, metadata={"description": "Đồng per unit below the first tier"}
    )
    currency = ma.fields.String(required=True)
    min_order_quantity = ma.fields.Integer(required=True)
    monthly_capacity = ma.fields.Integer(required=True, metadata={"description": "Units a month"})
    lead_time_days = ma.fields.Integer(required=True)
    shelf_life_days = ma.fields.Integer(required=True, allow_none=True)
    storage_conditions = ma.fields.String(required=True, allow_none=True)
    harvest_months = ma.fields.List(ma.fields.Integer(), required=True)
    tiers = ma.fields.List(ma.fields.Nested(ListingTierOut), required=True)
    photos = ma.fields.List(ma.fields.Nested(ListingPhotoOut), required=True)
    certificates = ma.fields.List(
        ma.fields.Nested(ListingCertificateOut),
        required=True,
        metadata={"description": "Certificates valid today"},
    )
    coop = ma.fields.Nested(CoopRefOut, required=True)
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The ETag's version"})


class ListingQuery(PageQuery):
    category = CatalogueText(
        load_default=None,
        validate=ma.validate.Length(max=80),
        metadata={"description": "A category's slug or id; its subcategories are included"},
    )
    coop = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "A co-op's id"},
    )
    province = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(list(PROVINCES)),
        metadata={"description": "Origin province code"},
    )


class CoopOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "The public profile page"})
    province = ma.fields.String(required=True, allow_none=True)
    province_name = ma.fields.String(required=True, allow_none=True)
    logo_url = ma.fields.String(required=True, allow_none=True)
    member_count = ma.fields.Integer(required=True, allow_none=True)
    area_hectares = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Hectares, e.g. 3.50"}
    )
    founded_on = ma.fields.Date(required=True, allow_none=True)
    verified_at = ma.fields.DateTime(required=True, allow_none=True)


class CoopProfileOut(CoopOut):
    story_vi = ma.fields.String(required=True, allow_none=True)
    story_en = ma.fields.String(required=True, allow_none=True)
    certificates = ma.fields.List(
        ma.fields.Nested(ListingCertificateOut),
        required=True,
        metadata={"description": "Certificates valid today"},
    )
    photos = ma.fields.List(ma.fields.Nested(ListingPhotoOut), required=True)


class CoopQuery(PageQuery):
    province = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(list(PROVINCES)),
        metadata={"description": "Province code"},
    )


class LotListingOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    title_vi = ma.fields.String(required=True)
    title_en = ma.fields.String(required=True, allow_none=True)
    unit = ma.fields.String(required=True)
    origin_province = ma.fields.String(required=True)
    origin_province_name = ma.fields.String(required=True)
    photo = ma.fields.Nested(ListingPhotoOut, required=True, allow_none=True)
    url = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The product's page, while it is on sale"},
    )


class LotTraceOut(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Printed on the packaging"})
    public_code = ma.fields.String(required=True)
    produced_on = ma.fields.Date(required=True)
    best_before = ma.fields.Date(required=True, allow_none=True)
    quantity = ma.fields.Integer(required=True)
    farm_location = ma.fields.String(required=True, allow_none=True)
    trace_url = ma.fields.String(required=True, metadata={"description": "The QR code's page"})
    qr_svg_url = ma.fields.String(required=True)
    lab_document_url = ma.fields.String(required=True, allow_none=True)
    listing = ma.fields.Nested(LotListingOut, required=True)
    coop = ma.fields.Nested(CoopRefOut, required=True)
    certificates = ma.fields.List(
        ma.fields.Nested(ListingCertificateOut),
        required=True,
        metadata={"description": "Certificates valid on the production date"},
    )


# --- operations ------------------------------------------------------------------------------


@bp.route("/categories")
@requires("catalogue:read")
@bp.response(200, CategoryListSchema)
def categories():
    """Every category, top level first."""
    return {"data": listing_service.categories()}


@bp.route("/listings")
@requires("catalogue:read")
@bp.arguments(ListingQuery, location="query")
@bp.response(200, page_schema(ListingOut))
def list_listings(args):
    """Published products of verified co-ops, newest first. Full-text search with facets
    is `GET /api/v1/search`."""
    stmt = listing_service.published_listings(
        category=args["category"], organization_id=args["coop"], province=args["province"]
    )
    page = page_of(stmt, Listing.id, args)
    page["data"] = [public_listing_view(listing) for listing in page["data"]]
    return page


@bp.route("/listings/<int:listing_id>")
@requires("catalogue:read")
@bp.response(200, ListingOut, **ETAG_DOC)
@bp.alt_response(404, response="NOT_FOUND")
def get_listing(listing_id: int):
    """A published product: price tiers, photos, valid certificates and its co-op."""
    listing = listing_service.public_listing_by_id(listing_id)
    set_version(listing.version)
    return public_listing_view(listing)


def coop_view(organization: Organization) -> dict[str, Any]:
    return {
        "id": organization.id,
        "slug": organization.slug,
        "name": organization.name,
        "url": external_url("orgs.public_profile", slug=organization.slug),
        "province": organization.province_code,
        "province_name": province_name(organization.province_code) or None,
        "logo_url": absolute_media_url(f"{organization.logo_key}-320.webp")
        if organization.logo_key
        else None,
        "member_count": organization.member_count,
        "area_hectares": None
        if organization.area_hectares is None
        else str(organization.area_hectares),
        "founded_on": organization.founded_on,
        "verified_at": organization.verified_at,
    }


@bp.route("/coops")
@requires("catalogue:read")
@bp.arguments(CoopQuery, location="query")
@bp.response(200, page_schema(CoopOut))
def list_coops(args):
    """Verified co-ops, most recently registered first."""
    page = page_of(organizations.verified_coops(args["province"]), Organization.id, args)
    page["data"] = [coop_view(organization) for organization in page["data"]]
    return page


@bp.route("/coops/<int:coop_id>")
@requires("catalogue:read")
@bp.response(200, CoopProfileOut)
@bp.alt_response(404, response="NOT_FOUND")
def get_coop(coop_id: int):
    """A verified co-op's public profile: story, facts, valid certificates and photos. Its
    products: `GET /api/v1/listings?coop={coop_id}`."""
    organization = organizations.public_coop_by_id(coop_id)
    return {
        **coop_view(organization),
        "story_vi": organization.story_vi,
        "story_en": organization.story_en,
        "certificates": [
            certificate_view(c) for c in verification.valid_certificates(organization.id)
        ],
        "photos": [photo_view(p) for p in profiles.photos_of(organization.id)],
    }


@bp.route("/lots/<public_code>")
@requires("catalogue:read")
@bp.response(200, LotTraceOut)
@bp.alt_response(404, response="NOT_FOUND")
def get_lot(public_code: str):
    """What a lot's QR code shows: the lot, its product and co-op, and the certificates that
    were valid on its production date. Lots stay traceable whatever the product's state,
    while their co-op is verified."""
    trace = listing_service.traceability(public_code)
    lot, listing = trace.lot, trace.listing
    on_sale = listing.status.value == "published" and trace.organization.is_verified
    return {
        "code": lot.code,
        "public_code": lot.public_code,
        "produced_on": lot.produced_on,
        "best_before": lot.best_before,
        "quantity": lot.quantity,
        "farm_location": lot.farm_location,
        "trace_url": external_url("listings.trace", code=lot.public_code),
        "qr_svg_url": external_url("listings.trace_qr_svg", code=lot.public_code),
        "lab_document_url": external_url("listings.trace_lab", code=lot.public_code)
        if lot.lab_document_key
        else None,
        "listing": {
            "id": listing.id,
            "title_vi": listing.title_vi,
            "title_en": listing.title_en,
            "unit": listing.unit,
            "origin_province": listing.origin_province_code,
            "origin_province_name": province_name(listing.origin_province_code),
            "photo": photo_view(listing.main_photo) if listing.main_photo else None,
            "url": external_url("listings.public", slug=listing.slug) if on_sale else None,
        },
        "coop": coop_ref(trace.organization),
        "certificates": [certificate_view(c) for c in trace.certificates],
    }
