"""Requests for quotes and their negotiation, for buyers' and co-ops' own systems.

A buyer's key (scope ``procurement``) posts a request, reads every quote on it, counters,
awards lines (which drafts the contracts, read at ``/api/v1/contracts/{id}``) or cancels it;
a co-op's key (scope ``sales``) lists the requests it may answer, quotes, revises, accepts a
counter-offer as it is or withdraws. Operations both sides use take the scope that fits the
key's organisation. A quote's ``ETag`` is its current version: send it as ``If-Match`` with a
new version, so that two offers crossing each other are refused (412) rather than both kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from marketplace.blueprints.api.core import (
    ETAG_DOC,
    PREFIX,
    PageQuery,
    actor,
    area,
    check_if_match,
    current_key,
    idempotent,
    if_match,
    page_of_list,
    page_schema,
    requires,
    requires_side,
    seen_version,
    set_version,
)
from marketplace.extensions import db
from marketplace.i18n import UNITS
from marketplace.models import (
    DeliveryPattern,
    OrgKind,
    Quote,
    QuoteStatus,
    Rfq,
    RfqStatus,
    Side,
)
from marketplace.parsing import MAX_PRICE, MAX_QUANTITY, VAT_RATES
from marketplace.services.accounts import profiles
from marketplace.services.deals import rfqs
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.validation import MAX_DB_INT, strip_control
from marketplace.vietnam import province_name, today

bp = area(
    "Procurement",
    "Requests for quotes, quotes and their versions, counter-offers and awards. Buyers' "
    "keys need `procurement`, co-ops' keys `sales`.",
)


# --- the scope of each side ---------------------------------------------------------------------


def _organization_id() -> int:
    return current_key().organization_id


def _is_buyer() -> bool:
    return current_key().organization.kind is OrgKind.BUYER


# --- versions and field names ---------------------------------------------------------------------

#: ``If-Match`` on the path of each negotiation step (``idempotent`` documents its own header
#: as the operation's parameters, which would hide ``if_match``'s).
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The quote\'s ETag you read, `"v<current_version>"`; a stale one is refused '
    "with 412",
}

_FORM_LINE = re.compile(r"^lines-(\d+)-(\w+)$")


def _api_field(name: str, state: str) -> str:
    """A service's form field name as the body's: ``lines-0-quantity`` →
    ``lines.0.quantity``, ``location_street`` → ``new_delivery_location.street``; the page's
    hidden ``version`` (a refusal of the whole request) → ``state``."""
    if name == "version":
        return state
    found = _FORM_LINE.match(name)
    if found:
        return f"lines.{found.group(1)}.{found.group(2)}"
    if name.startswith(rfqs.NEW_LOCATION_PREFIX):
        return "new_delivery_location." + name.removeprefix(rfqs.NEW_LOCATION_PREFIX)
    return name


@contextmanager
def fields_named(state: str = "body") -> Iterator[None]:
    """A service's refusal, naming the body's fields; a changed version (DealChanged)
    passes unchanged (412)."""
    try:
        yield
    except ValidationFailed as exc:
        if type(exc) is not ValidationFailed:
            raise
        renamed = {_api_field(str(name), state): message for name, message in exc.errors.items()}
        raise ValidationFailed(renamed) from exc


# --- schemas ------------------------------------------------------------------------------------


class _Text(ma.fields.String):
    """Text as the database can keep it: control characters (NUL among them) are dropped,
    and a lone UTF-16 surrogate is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = strip_control(super()._deserialize(value, attr, data, **kwargs))
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise self.make_error("invalid") from exc
        return text


_ID = ma.validate.Range(min=1, max=MAX_DB_INT)
_PRICE = ma.validate.Range(min=1, max=MAX_PRICE)
_QUANTITY = ma.validate.Range(min=1, max=MAX_QUANTITY)
_VND = {"description": "Whole đồng"}


class RfqPartyOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class RfqLocationOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    province_code = ma.fields.String(required=True)
    province = ma.fields.String(required=True, metadata={"description": "The province's name"})
    commune = ma.fields.String(required=True)
    street = ma.fields.String(required=True)


class RfqLineOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    category_id = ma.fields.Integer(required=True)
    listing_id = ma.fields.Integer(required=True, allow_none=True)
    specification = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True, metadata={"description": "Per delivery"})
    unit = ma.fields.String(required=True)
    target_price = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Hoped-for price per unit, đồng"}
    )
    currency = ma.fields.String(required=True, validate=ma.validate.OneOf(["VND"]))


class RfqOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Enum(RfqStatus, by_value=True, required=True)
    buyer = ma.fields.Nested(RfqPartyOut, required=True)
    delivery_location = ma.fields.Nested(RfqLocationOut, required=True, allow_none=True)
    pattern = ma.fields.Enum(DeliveryPattern, by_value=True, required=True)
    weekdays = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "ISO weekdays, Monday 1"}
    )
    day_of_month = ma.fields.Integer(required=True, allow_none=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    respond_by = ma.fields.DateTime(required=True, metadata={"description": "Quotes due by"})
    required_certificates = ma.fields.List(ma.fields.String(), required=True)
    min_ocop_stars = ma.fields.Integer(required=True, allow_none=True)
    payment_days = ma.fields.Integer(required=True, metadata={"description": "After delivery"})
    invited_only = ma.fields.Boolean(required=True)
    notes = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    lines = ma.fields.List(ma.fields.Nested(RfqLineOut), required=True)


class QuoteLineOut(ma.Schema):
    rfq_line_id = ma.fields.Integer(required=True)
    listing_id = ma.fields.Integer(required=True, allow_none=True)
    unit_price = ma.fields.Integer(required=True, metadata=_VND | {"description": "Before VAT"})
    currency = ma.fields.String(required=True, validate=ma.validate.OneOf(["VND"]))
    quantity = ma.fields.Integer(required=True, metadata={"description": "Per delivery"})
    vat_rate = ma.fields.String(required=True, metadata={"description": "Percent, or kct"})


class QuoteVersionOut(ma.Schema):
    number = ma.fields.Integer(required=True)
    side = ma.fields.Enum(
        Side, by_value=True, required=True, metadata={"description": "Who sent it"}
    )
    valid_until = ma.fields.Date(required=True)
    notes = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    lines = ma.fields.List(ma.fields.Nested(QuoteLineOut), required=True)


class QuoteOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    rfq_id = ma.fields.Integer(required=True)
    rfq_title = ma.fields.String(required=True)
    coop = ma.fields.Nested(RfqPartyOut, required=True)
    status = ma.fields.Enum(QuoteStatus, by_value=True, required=True)
    current_version = ma.fields.Integer(
        required=True, metadata={"description": "The latest version's number (the ETag)"}
    )
    waiting_on = ma.fields.Enum(
        Side,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={"description": "Whose move it is; null once the negotiation is closed"},
    )
    created_at = ma.fields.DateTime(required=True)
    versions = ma.fields.List(ma.fields.Nested(QuoteVersionOut), required=True)


class RfqDetailOut(RfqOut):
    side = ma.fields.Enum(Side, by_value=True, required=True, metadata={"description": "The key's"})
    invited_coop_ids = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "The buyer's view only"}
    )
    quotes = ma.fields.List(
        ma.fields.Nested(QuoteOut),
        required=True,
        metadata={"description": "The buyer sees every quote; a co-op only its own"},
    )


class RfqQuery(PageQuery):
    status = ma.fields.Enum(RfqStatus, by_value=True, load_default=None)


class RfqLineIn(ma.Schema):
    category_id = ma.fields.Integer(required=True, validate=_ID)
    specification = _Text(
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "Variety, size, packing"},
    )
    quantity = ma.fields.Integer(
        required=True, validate=_QUANTITY, metadata={"description": "Per delivery"}
    )
    unit = _Text(required=True, validate=ma.validate.OneOf(list(UNITS)))
    target_price = ma.fields.Integer(
        load_default=None, allow_none=True, validate=_PRICE, metadata=_VND
    )
    listing_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "A published listing the line is about (optional)"},
    )


class RfqNewLocationIn(ma.Schema):
    name = _Text(required=True, validate=ma.validate.Length(min=1, max=120))
    province = _Text(required=True, validate=ma.validate.Length(min=1, max=60))
    commune = _Text(required=True, validate=ma.validate.Length(min=1, max=120))
    street = _Text(required=True, validate=ma.validate.Length(min=1, max=200))


class RfqIn(ma.Schema):
    title = _Text(required=True, validate=ma.validate.Length(min=1, max=200))
    lines = ma.fields.List(
        ma.fields.Nested(RfqLineIn),
        required=True,
        validate=ma.validate.Length(min=1, max=rfqs.MAX_LINES),
    )
    pattern = ma.fields.Enum(DeliveryPattern, by_value=True, required=True)
    weekdays = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=7)),
        load_default=list,
        validate=ma.validate.Length(max=7),
        metadata={"description": "Weekly and biweekly: ISO weekdays, Monday 1"},
    )
    day_of_month = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=31),
        metadata={"description": "Monthly"},
    )
    starts_on = ma.fields.Date(
        required=True, metadata={"description": "First delivery on or after"}
    )
    ends_on = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Not for one_off"}
    )
    respond_by_date = ma.fields.Date(required=True, metadata={"description": "Quotes due by"})
    respond_by_time = ma.fields.Time(
        load_default=None,
        allow_none=True,
        metadata={"description": "Vietnam time; 17:00 when left out"},
    )
    delivery_location_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "One of the buyer's (GET /api/v1/delivery-locations)"},
    )
    new_delivery_location = ma.fields.Nested(
        RfqNewLocationIn,
        load_default=None,
        allow_none=True,
        metadata={"description": "Instead of delivery_location_id: added to the profile"},
    )
    required_certificates = ma.fields.List(
        _Text(validate=ma.validate.OneOf(["vietgap", "globalgap", "organic"])),
        load_default=list,
        validate=ma.validate.Length(max=3),
    )
    min_ocop_stars = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.OneOf([3, 4, 5])
    )
    payment_days = ma.fields.Integer(
        load_default=30,
        validate=ma.validate.Range(min=0, max=180),
        metadata={"description": "Payment wanted, days after delivery"},
    )
    invited_only = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only the invited co-ops see it"}
    )
    invited_coop_ids = ma.fields.List(
        ma.fields.Integer(validate=_ID), load_default=list, validate=ma.validate.Length(max=200)
    )
    notes = _Text(load_default="", validate=ma.validate.Length(max=4000))


class QuoteLineIn(ma.Schema):
    rfq_line_id = ma.fields.Integer(required=True, validate=_ID)
    unit_price = ma.fields.Integer(
        required=True, validate=_PRICE, metadata=_VND | {"description": "Before VAT"}
    )
    quantity = ma.fields.Integer(
        required=True, validate=_QUANTITY, metadata={"description": "Per delivery"}
    )
    vat_rate = _Text(
        required=True,
        validate=ma.validate.OneOf(list(VAT_RATES)),
        metadata={"description": "Percent, or kct (not subject to VAT); the co-op's to set"},
    )
    listing_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "The co-op's product offered (optional)"},
    )


class QuoteVersionIn(ma.Schema):
    lines = ma.fields.List(
        ma.fields.Nested(QuoteLineIn),
        required=True,
        validate=ma.validate.Length(min=1, max=rfqs.MAX_LINES),
        metadata={"description": "The request lines offered; a line left out is not offered"},
    )
    valid_until = ma.fields.Date(required=True, metadata={"description": "The offer holds until"})
    notes = _Text(load_default="", validate=ma.validate.Length(max=4000))


class RfqAwardQuoteIn(ma.Schema):
    quote_id = ma.fields.Integer(required=True, validate=_ID)
    version = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=0, max=MAX_DB_INT),
        metadata={"description": "The quote's current_version you read (stale: 412)"},
    )
    rfq_line_ids = ma.fields.List(
        ma.fields.Integer(validate=_ID),
        required=True,
        validate=ma.validate.Length(min=1, max=rfqs.MAX_LINES),
        metadata={"description": "The request lines given to this quote"},
    )


class RfqAwardIn(ma.Schema):
    quotes = ma.fields.List(
        ma.fields.Nested(RfqAwardQuoteIn),
        required=True,
        validate=ma.validate.Length(min=1, max=rfqs.MAX_LINES),
        metadata={"description": "Lines not given to any quote are not awarded"},
    )


class RfqAwardOut(ma.Schema):
    rfq_id = ma.fields.Integer(required=True)
    contract_ids = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={"description": "Draft contracts, one per co-op: /api/v1/contracts/{id}"},
    )


class QuoteTemplateLineOut(ma.Schema):
    rfq_line_id = ma.fields.Integer(required=True)
    unit_price = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata=_VND | {"description": "From the co-op's tiers, else the buyer's target"},
    )
    quantity = ma.fields.Integer(required=True)
    vat_rate = ma.fields.String(required=True)
    listing_id = ma.fields.Integer(required=True, allow_none=True)


class QuoteTemplateOut(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(QuoteTemplateLineOut), required=True)
    valid_until = ma.fields.Date(required=True)


class DeliveryLocationOut(RfqLocationOut):
    pass


# --- what the schemas read ------------------------------------------------------------------------


def _location(location: Any) -> dict[str, Any] | None:
    if location is None:
        return None
    return {
        "id": location.id,
        "name": location.name,
        "province_code": location.province_code,
        "province": province_name(location.province_code),
        "commune": location.commune,
        "street": location.street,
    }


def rfq_out(rfq: Rfq) -> dict[str, Any]:
    return {
        "id": rfq.id,
        "title": rfq.title,
        "status": rfq.status,
        "buyer": rfq.buyer,
        "delivery_location": _location(rfq.delivery_location),
        "pattern": rfq.pattern,
        "weekdays": rfq.weekday_list,
        "day_of_month": rfq.day_of_month,
        "starts_on": rfq.starts_on,
        "ends_on": rfq.ends_on,
        "respond_by": rfq.respond_by,
        "required_certificates": rfq.certificate_kinds,
        "min_ocop_stars": rfq.min_ocop_stars,
        "payment_days": rfq.payment_days,
        "invited_only": rfq.invited_only,
        "notes": rfq.notes,
        "created_at": rfq.created_at,
        "lines": [
            {
                "id": line.id,
                "position": line.position,
                "category_id": line.category_id,
                "listing_id": line.listing_id,
                "specification": line.specification,
                "quantity": line.quantity,
                "unit": line.unit,
                "target_price": line.target_price,
                "currency": "VND",
            }
            for line in rfq.lines
        ],
    }


def quote_out(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "rfq_id": quote.rfq_id,
        "rfq_title": quote.rfq.title,
        "coop": quote.coop,
        "status": quote.status,
        "current_version": quote.current_version,
        "waiting_on": rfqs.waiting_on(quote),
        "created_at": quote.created_at,
        "versions": [
            {
                "number": version.number,
                "side": version.side,
                "valid_until": version.valid_until,
                "notes": version.notes,
                "created_at": version.created_at,
                "lines": [
                    {
                        "rfq_line_id": line.rfq_line_id,
                        "listing_id": line.listing_id,
                        "unit_price": line.unit_price,
                        "currency": "VND",
                        "quantity": line.quantity,
                        "vat_rate": line.vat_rate,
                    }
                    for line in version.lines
                ],
            }
            for version in quote.versions
        ],
    }


def _quote_read(quote: Quote) -> dict[str, Any]:
    """A negotiation as read: while it is open its ETag is its version (what ``If-Match``
    names); once closed, the body's (its status changes without a new version)."""
    if quote.status is QuoteStatus.OPEN:
        set_version(quote.current_version)
    return quote_out(quote)


def _fresh(quote: Quote) -> dict[str, Any]:
    """A negotiation just changed, read again (its new version included), with its new
    version as the ETag."""
    db.session.expire(quote)
    set_version(quote.current_version)
    return quote_out(quote)


def _rfq_data(data: dict[str, Any]) -> rfqs.RfqData:
    """The request as the page's form gives it to the service."""
    location = data["new_delivery_location"]
    return rfqs.RfqData(
        new_location=profiles.LocationData(**location) if location else None,
        title=data["title"],
        lines=[
            rfqs.RfqLineData(
                category_id=line["category_id"],
                specification=line["specification"],
                quantity=str(line["quantity"]),
                unit=line["unit"],
                target_price=str(line["target_price"] or ""),
                listing_id=line["listing_id"],
            )
            for line in data["lines"]
        ],
        pattern=data["pattern"].value,
        weekdays=[str(day) for day in data["weekdays"]],
        day_of_month=str(data["day_of_month"] or ""),
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        respond_by_date=data["respond_by_date"],
        respond_by_time=data["respond_by_time"],
        delivery_location_id=data["delivery_location_id"],
        required_certificates=list(data["required_certificates"]),
        min_ocop_stars=data["min_ocop_stars"],
        payment_days=str(data["payment_days"]),
        invited_only=data["invited_only"],
        invited_coop_ids=list(data["invited_coop_ids"]),
        notes=data["notes"],
    )


def _version_data(data: dict[str, Any]) -> rfqs.VersionData:
    return rfqs.VersionData(
        lines=[
            rfqs.QuoteLineData(
                rfq_line_id=line["rfq_line_id"],
                unit_price=str(line["unit_price"]),
                quantity=str(line["quantity"]),
                vat_rate=line["vat_rate"],
                listing_id=line["listing_id"],
            )
            for line in data["lines"]
        ],
        valid_until=data["valid_until"],
        notes=data["notes"],
    )


def _award_choices(data: dict[str, Any]) -> tuple[dict[int, int | None], dict[int, int]]:
    """(request line id → quote id, quote id → version read), as the award form posts
    them; a line given twice or a quote named twice is refused (422)."""
    choices: dict[int, int | None] = {}
    seen: dict[int, int] = {}
    errors: dict[str, object] = {}
    for index, entry in enumerate(data["quotes"]):
        if entry["quote_id"] in seen:
            errors[f"quotes.{index}.quote_id"] = _l("Name each quote once.")
        seen[entry["quote_id"]] = entry["version"]
        for line_id in entry["rfq_line_ids"]:
            if line_id in choices:
                errors[f"quotes.{index}.rfq_line_ids"] = _l("Give each line to one quote only.")
            choices[line_id] = entry["quote_id"]
    if errors:
        raise ValidationFailed(errors)
    return choices, seen


# --- requests for quotes --------------------------------------------------------------------------


@bp.route("/rfqs")
@requires_side
@bp.arguments(RfqQuery, location="query")
@bp.response(200, page_schema(RfqOut))
def list_rfqs(args):
    """A buyer's key: its organisation's requests, newest first. A co-op's key: the open
    requests it may still answer (matching its products or inviting it, not quoted yet)."""
    organization_id = _organization_id()
    if _is_buyer():
        found = rfqs.buyer_rfqs(actor(), organization_id)
    else:
        found = rfqs.requests_for_coop(actor(), organization_id)
    if args["status"] is not None:
        found = [rfq for rfq in found if rfq.status is args["status"]]
    page = page_of_list(found, args)
    return {**page, "data": [rfq_out(rfq) for rfq in page["data"]]}


@bp.route("/rfqs", methods=["POST"])
@requires("procurement")
@idempotent
@bp.arguments(RfqIn)
@bp.response(201, RfqOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def create_rfq(data):
    """Post a request for quotes (an owner's or manager's key of a verified buyer); matching
    or invited co-ops are told. A delivery location is one of the buyer's
    (`delivery_location_id`) or a new one (`new_delivery_location`)."""
    with fields_named():
        rfq = rfqs.create_rfq(actor(), _organization_id(), _rfq_data(data))
    return rfq_out(rfq), 201, {"Location": f"{PREFIX}/rfqs/{rfq.id}"}


@bp.route("/rfqs/<int:rfq_id>")
@requires_side
@bp.response(200, RfqDetailOut)
@bp.alt_response(404, response="NOT_FOUND")
def get_rfq(rfq_id: int):
    """A request with its quotes and their versions: the buyer sees every quote, a co-op
    that may quote sees the request and its own quote (anyone else: 404)."""
    view = rfqs.rfq_view(actor(), rfq_id)
    body = rfq_out(view.rfq) | {
        "side": view.side,
        "quotes": [quote_out(quote) for quote in view.quotes],
    }
    if view.side is Side.BUYER:
        body["invited_coop_ids"] = [organization.id for organization in view.rfq.invited]
    return body


@bp.route("/rfqs/<int:rfq_id>/cancel", methods=["POST"])
@requires("procurement")
@idempotent
@bp.response(200, RfqOut)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def cancel_rfq(rfq_id: int):
    """Close an open request without awarding it; co-ops that quoted are told (409 once it
    is awarded or closed)."""
    return rfq_out(rfqs.cancel_rfq(actor(), rfq_id))


@bp.route("/rfqs/<int:rfq_id>/award", methods=["POST"])
@requires("procurement")
@idempotent
@bp.arguments(RfqAwardIn)
@bp.response(201, RfqAwardOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(412, response="PRECONDITION_FAILED")
def award_rfq(data, rfq_id: int):
    """Give request lines to quotes: one draft contract per chosen co-op freezes the terms
    of its latest version, and every other open quote is declined. Each quote's `version`
    is the one read; if the co-op sent another since, nothing is awarded (412). A quote
    whose latest version is the buyer's own counter-offer cannot be awarded until the
    co-op answers it."""
    choices, seen = _award_choices(data)
    with fields_named("quotes"):
        made = rfqs.award(actor(), rfq_id, choices, seen)
    headers = {"Location": f"{PREFIX}/contracts/{made[0].id}"} if len(made) == 1 else {}
    return {"rfq_id": rfq_id, "contract_ids": [c.id for c in made]}, 201, headers


# --- quotes and their versions --------------------------------------------------------------------


@bp.route("/rfqs/<int:rfq_id>/quote-template")
@requires("sales")
@bp.response(200, QuoteTemplateOut)
@bp.alt_response(404, response="NOT_FOUND")
def quote_template(rfq_id: int):
    """A first quote on a request pre-filled from the co-op's own products (a listing in
    each line's category, priced by its tiers at the quantity asked), as the page offers it;
    send it back, changed as needed, to `POST /api/v1/rfqs/{rfq_id}/quotes`."""
    view = rfqs.rfq_view(actor(), rfq_id)
    if view.side is not Side.COOP:
        raise NotFound("rfq")
    lines = []
    for row in rfqs.quote_defaults(view.rfq, view.organization.id):
        lines.append(
            {
                "rfq_line_id": row.rfq_line_id,
                "unit_price": int(row.unit_price) if row.unit_price.isdigit() else None,
                "quantity": int(row.quantity),
                "vat_rate": row.vat_rate,
                "listing_id": row.listing_id,
            }
        )
    valid_until = min(view.rfq.starts_on, today() + timedelta(days=14))
    return {"lines": lines, "valid_until": valid_until}


@bp.route("/rfqs/<int:rfq_id>/quotes", methods=["POST"])
@requires("sales")
@idempotent
@bp.arguments(QuoteVersionIn)
@bp.response(201, QuoteOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def submit_quote(data, rfq_id: int):
    """Quote on a request (an owner's or manager's key of a co-op that may answer it): the
    first version of the negotiation; the buyer is told. Refused after the deadline, on a
    closed request, a second time, or without the certificates the request asks for."""
    with fields_named("rfq"):
        quote = rfqs.submit_quote(actor(), rfq_id, _organization_id(), _version_data(data))
    return _fresh(quote), 201, {"Location": f"{PREFIX}/quotes/{quote.id}"}


@bp.route("/quotes")
@requires_side
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_schema(QuoteOut))
def waiting_quotes(args):
    """Open negotiations where the other side moved last: for a buyer, quotes and revisions
    to answer; for a co-op, counter-offers to answer."""
    found = rfqs.negotiations_waiting(actor(), _organization_id())
    page = page_of_list(found, args)
    return {**page, "data": [quote_out(quote) for quote in page["data"]]}


@bp.route("/quotes/<int:quote_id>")
@requires_side
@bp.response(200, QuoteOut, **ETAG_DOC)
@bp.alt_response(404, response="NOT_FOUND")
def get_quote(quote_id: int):
    """A negotiation with every version, for either of its parties (anyone else: 404).
    While it is open its ETag is `"v<current_version>"`: send it as `If-Match`."""
    quote, _who = rfqs.negotiation(actor(), quote_id)
    return _quote_read(quote)


@bp.route("/quotes/<int:quote_id>/versions", methods=["POST"], parameters=[IF_MATCH_PARAMETER])
@requires_side
@idempotent
@if_match
@bp.arguments(QuoteVersionIn)
@bp.response(201, QuoteOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def add_version(data, quote_id: int):
    """A new version: the co-op revises its quote, or the buyer counter-offers (an owner's
    or manager's key). `If-Match` names the version read; if another arrived since,
    nothing is saved (412). A counter-offer keeps the VAT rates the co-op quoted."""
    quote, _who = rfqs.negotiation(actor(), quote_id)
    seen = seen_version(quote.current_version)
    with fields_named("quote"):
        rfqs.add_version(actor(), quote_id, seen, _version_data(data))
    return _fresh(quote), 201


@bp.route("/quotes/<int:quote_id>/accept", methods=["POST"], parameters=[IF_MATCH_PARAMETER])
@requires("sales")
@idempotent
@if_match
@bp.response(201, QuoteOut)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def accept_counter_offer(quote_id: int):
    """The co-op takes the buyer's counter-offer as it is: a new version from the co-op with
    the same lines, which the buyer can then award (422 when the latest version is not a
    counter-offer; 412 when another version arrived since the one in `If-Match`)."""
    quote, _who = rfqs.negotiation(actor(), quote_id)
    seen = seen_version(quote.current_version)
    with fields_named("quote"):
        rfqs.accept_counter_offer(actor(), quote_id, seen)
    return _fresh(quote), 201


@bp.route("/quotes/<int:quote_id>/withdraw", methods=["POST"], parameters=[IF_MATCH_PARAMETER])
@requires("sales")
@idempotent
@if_match
@bp.response(200, QuoteOut)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def withdraw_quote(quote_id: int):
    """The co-op withdraws its quote (409 once the negotiation is closed); the buyer is
    told."""
    quote, _who = rfqs.negotiation(actor(), quote_id)
    check_if_match(quote.current_version)
    return quote_out(rfqs.withdraw_quote(actor(), quote_id))


# --- where a buyer receives -----------------------------------------------------------------------


@bp.route("/delivery-locations")
@requires("procurement")
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_schema(DeliveryLocationOut))
def delivery_locations(args):
    """The buyer's stores, kitchens and warehouses, for a request's `delivery_location_id`."""
    found = profiles.delivery_locations(actor(), _organization_id())
    page = page_of_list(found, args, newest_first=False)
    return {**page, "data": [_location(location) for location in page["data"]]}
