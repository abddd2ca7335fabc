"""The public catalogue: categories, published listings with their price tiers, verified
co-ops, and lots with their traceability (scope ``catalogue:read``)."""

from __future__ import annotations

import marshmallow as ma

from marketplace.blueprints.api.core import area, requires
from marketplace.services.catalogue import listings as listing_service

bp = area("Catalogue", "The public catalogue: categories, products, co-ops and lots.")


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    parent_id = ma.fields.Integer(required=True, allow_none=True)
    slug = ma.fields.String(required=True)
    name_vi = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    vat_rate = ma.fields.String(required=True, metadata={"description": "VAT in percent"})


class CategoryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CategorySchema), required=True)


@bp.route("/categories")
@requires("catalogue:read")
@bp.response(200, CategoryListSchema)
def categories():
    """Every category, top level first."""
    return {"data": listing_service.categories()}
