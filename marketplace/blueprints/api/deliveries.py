"""Deliveries of running contracts: the co-op's key dispatches (quantities and lots), the
buyer's key confirms receipt (accepted and rejected quantities), which issues the invoice.
A buyer's key needs the ``procurement`` scope, a co-op's key ``sales``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.blueprints.api.catalogue import CatalogueText
from marketplace.blueprints.api.core import (
    PageQuery,
    actor,
    area,
    idempotent,
    if_match,
    page_of_list,
    page_schema,
    requires_side,
    seen_version,
    set_version,
)
from marketplace.blueprints.api.deals import fields_named
from marketplace.extensions import db
from marketplace.models import Delivery, DeliveryStatus, Invoice, InvoiceStatus, Lot, Side
from marketplace.parsing import MAX_QUANTITY
from marketplace.services.deals import deliveries
from marketplace.services.errors import ValidationFailed

bp = area(
    "Deliveries",
    "Deliveries of running contracts: co-ops dispatch with lots, buyers receive with "
    "accepted and rejected quantities (which issues the invoice). Buyers' keys need "
    "`procurement`, co-ops' keys `sales`.",
)


# --- schemas ------------------------------------------------------------------------------------


class DeliveryLotOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    produced_on = ma.fields.Date(required=True)
    quantity = ma.fields.Integer(required=True)
    best_before = ma.fields.Date(required=True, allow_none=True)


class DeliveryLineOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    contract_line_id = ma.fields.Integer(required=True)
    listing_id = ma.fields.Integer(required=True, allow_none=True)
    description = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True, metadata={"description": "Planned"})
    unit_price = ma.fields.Integer(required=True, metadata={"description": "Đồng, before VAT"})
    currency = ma.fields.Constant("VND", required=True)
    dispatched_quantity = ma.fields.Integer(required=True, allow_none=True)
    lot_id = ma.fields.Integer(required=True, allow_none=True)
    lot_code = ma.fields.String(required=True, allow_none=True)
    accepted_quantity = ma.fields.Integer(required=True, allow_none=True)
    rejected_quantity = ma.fields.Integer(required=True, allow_none=True)
    rejection_reason = ma.fields.String(required=True, allow_none=True)
    rejection_photos = ma.fields.Integer(required=True, metadata={"description": "How many"})
    lots_for_dispatch = ma.fields.List(
        ma.fields.Nested(DeliveryLotOut),
        required=True,
        metadata={
            "description": "The co-op's lots of this product, newest first: only when a "
            "co-op's key reads one planned delivery (empty otherwise)"
        },
    )


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    contract_id = ma.fields.Integer(required=True)
    contract_number = ma.fields.String(required=True)
    sequence = ma.fields.Integer(required=True)
    scheduled_on = ma.fields.Date(required=True)
    status = ma.fields.Enum(DeliveryStatus, by_value=True, required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "Send as If-Match"})
    side = ma.fields.Enum(Side, by_value=True, required=True, metadata={"description": "The key's"})
    overdue = ma.fields.Boolean(required=True)
    late = ma.fields.Boolean(required=True)
    partial = ma.fields.Boolean(required=True)
    dispatched_at = ma.fields.DateTime(required=True, allow_none=True)
    dispatch_note = ma.fields.String(required=True, allow_none=True)
    received_at = ma.fields.DateTime(required=True, allow_none=True)
    receipt_note = ma.fields.String(required=True, allow_none=True)
    invoice_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Issued on receipt"}
    )
    lines = ma.fields.List(ma.fields.Nested(DeliveryLineOut), required=True)


class DeliveryQuery(PageQuery):
    contract_id = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(min=1, max=2147483647)
    )
    status = ma.fields.Enum(DeliveryStatus, by_value=True, load_default=None)
    date_from = ma.fields.Date(
        load_default=None, data_key="from", metadata={"description": "Dated on or after"}
    )
    date_to = ma.fields.Date(
        load_default=None, data_key="to", metadata={"description": "Dated on or before"}
    )


_LINE_ID = ma.validate.Range(min=1, max=2147483647)
_AMOUNT = ma.validate.Range(min=0, max=MAX_QUANTITY)


class DispatchLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    quantity = ma.fields.Integer(required=True, validate=_AMOUNT)
    lot_id = ma.fields.Integer(load_default=None, allow_none=True, validate=_LINE_ID)
    lot_code = CatalogueText(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "The co-op's lot code, instead of lot_id"},
    )


class DispatchIn(ma.Schema):
    lines = ma.fields.List(
        ma.fields.Nested(DispatchLineIn),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
        metadata={"description": "Every line of the delivery (0 for a line not sent)"},
    )
    note = CatalogueText(load_default="", validate=ma.validate.Length(max=2000))
    early = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Needed for a delivery planned more than 3 days ahead"},
    )


class ReceiptLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    accepted = ma.fields.Integer(required=True, validate=_AMOUNT)
    rejected = ma.fields.Integer(load_default=0, validate=_AMOUNT)
    reason = CatalogueText(
        load_default="",
        validate=ma.validate.Length(max=2000),
        metadata={"description": "Why goods were rejected (needed with a rejection)"},
    )


class ReceiptIn(ma.Schema):
    lines = ma.fields.List(
        ma.fields.Nested(ReceiptLineIn),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
        metadata={"description": "Every line of the delivery"},
    )
    note = CatalogueText(load_default="", validate=ma.validate.Length(max=2000))


# --- what the schemas read ---------------------------------------------------------------------


def _invoice_ids(delivery_ids: list[int]) -> dict[int, int]:
    """The (not voided) invoice issued for each of these deliveries."""
    if not delivery_ids:
        return {}
    rows = db.session.execute(
        select(Invoice.delivery_id, Invoice.id)
        .where(Invoice.delivery_id.in_(delivery_ids), Invoice.status != InvoiceStatus.VOID)
        .order_by(Invoice.id)
    )
    return {row.delivery_id: row.id for row in rows}


def delivery_out(
    delivery: Delivery,
    side: Side | None,
    invoice_id: int | None,
    lots: dict[int, list[Lot]] | None = None,
) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "contract_id": delivery.contract_id,
        "contract_number": delivery.contract.number,
        "sequence": delivery.sequence,
        "scheduled_on": delivery.scheduled_on,
        "status": delivery.status,
        "version": delivery.version,
        "side": side,
        "overdue": deliveries.is_overdue(delivery),
        "late": deliveries.is_late(delivery),
        "partial": deliveries.is_partial(delivery),
        "dispatched_at": delivery.dispatched_at,
        "dispatch_note": delivery.dispatch_note,
        "received_at": delivery.received_at,
        "receipt_note": delivery.receipt_note,
        "invoice_id": invoice_id,
        "lines": [
            {
                "id": line.id,
                "contract_line_id": line.contract_line_id,
                "listing_id": line.contract_line.listing_id,
                "description": line.contract_line.description,
                "unit": line.contract_line.unit,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "dispatched_quantity": line.dispatched_quantity,
                "lot_id": line.lot_id,
                "lot_code": line.lot.code if line.lot is not None else None,
                "accepted_quantity": line.accepted_quantity,
                "rejected_quantity": line.rejected_quantity,
                "rejection_reason": line.rejection_reason,
                "rejection_photos": len(line.photo_keys),
                "lots_for_dispatch": (lots or {}).get(line.id, []),
            }
            for line in delivery.lines
        ],
    }


def _read(delivery_id: int, invoice_id: int | None = None) -> dict[str, Any]:
    """One delivery as its party reads it; its ETag is its version."""
    delivery, who = deliveries.delivery_view(actor(), delivery_id)
    lots = None
    if who.side is Side.COOP and delivery.status is DeliveryStatus.PLANNED:
        lots = deliveries.lots_for(delivery)
    if invoice_id is None:
        invoice_id = _invoice_ids([delivery.id]).get(delivery.id)
    set_version(delivery.version)
    return delivery_out(delivery, who.side, invoice_id, lots)


def _line_names(delivery: Delivery, rows: list[dict[str, Any]]) -> Callable[[str], str]:
    """The service's ``quantity-<line id>`` as ``lines.<index>.quantity`` of the body."""
    index = {row["line_id"]: i for i, row in enumerate(rows)}
    columns = {"quantity": "quantity", "lot": "lot_id", "accepted": "accepted", "reason": "reason"}

    def name(field: str) -> str:
        kind, _, rest = field.partition("-")
        if kind in columns and rest.isdigit():
            at = index.get(int(rest))
            return f"lines.{at}.{columns[kind]}" if at is not None else "lines"
        return field

    return name


def _known_lines(delivery: Delivery, rows: list[dict[str, Any]]) -> None:
    """Every line named must be one of the delivery's, once."""
    ids = {line.id for line in delivery.lines}
    errors: dict[str, object] = {}
    seen: set[int] = set()
    for i, row in enumerate(rows):
        if row["line_id"] not in ids:
            errors[f"lines.{i}.line_id"] = _l("Not a line of this delivery.")
        elif row["line_id"] in seen:
            errors[f"lines.{i}.line_id"] = _l("This line is named twice.")
        seen.add(row["line_id"])
    if errors:
        raise ValidationFailed(errors)


def _lot_ids(delivery: Delivery, rows: list[dict[str, Any]]) -> dict[int, int | None]:
    """Each line's lot, by id or by the co-op's code (a code of no lot of the product is
    refused, naming the field)."""
    by_line = {line.id: line for line in delivery.lines}
    chosen: dict[int, int | None] = {}
    errors: dict[str, object] = {}
    for i, row in enumerate(rows):
        lot_id = row["lot_id"]
        code = (row["lot_code"] or "").strip()
        listing_id = by_line[row["line_id"]].contract_line.listing_id
        if lot_id is None and code:
            lot_id = (
                db.session.scalar(
                    select(Lot.id).where(Lot.listing_id == listing_id, Lot.code == code)
                )
                if listing_id
                else None
            )
            if lot_id is None:
                errors[f"lines.{i}.lot_code"] = _l("No lot of this product has this code.")
        chosen[row["line_id"]] = lot_id
    if errors:
        raise ValidationFailed(errors)
    return chosen


# --- operations ---------------------------------------------------------------------------------


@bp.route("/deliveries")
@requires_side
@bp.arguments(DeliveryQuery, location="query")
@bp.response(200, page_schema(DeliveryOut))
@bp.alt_response(404, response="NOT_FOUND")
def delivery_list(args):
    """The deliveries of the key's organisation's contracts, newest id first; filters:
    `contract_id`, `status`, `from` and `to` (the planned date)."""
    organization_id = actor().api_key.organization_id
    found = deliveries.deliveries_of(
        actor(),
        organization_id,
        contract_id=args.get("contract_id"),
        status=args.get("status"),
        first=args.get("date_from"),
        last=args.get("date_to"),
    )
    page = page_of_list(found, args)
    invoices = _invoice_ids([d.id for d in page["data"]])
    page["data"] = [
        delivery_out(d, d.contract.side_of(organization_id), invoices.get(d.id))
        for d in page["data"]
    ]
    return page


@bp.route("/deliveries/<int:delivery_id>")
@requires_side
@bp.response(200, DeliveryOut)
@bp.alt_response(404, response="NOT_FOUND")
def delivery_read(delivery_id: int):
    """A delivery of one of the key's organisation's contracts, with its lines; for a
    co-op's key and a planned delivery, the lots it may be dispatched from. Its ETag is its
    version (send it as If-Match)."""
    return _read(delivery_id)


@bp.route("/deliveries/<int:delivery_id>/dispatch", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.arguments(DispatchIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, DeliveryOut)
@bp.alt_response(404, response="NOT_FOUND")
def delivery_dispatch(data, delivery_id: int):
    """A co-op's key marks a planned delivery dispatched: each line's quantity (up to the
    planned; less is a partial delivery) and the lot it came from (`lot_id` or `lot_code`).
    The buyer is told. A buyer's key gets 404, as on the pages."""
    delivery, _who = deliveries.delivery_view(actor(), delivery_id)
    _known_lines(delivery, data["lines"])
    lots = _lot_ids(delivery, data["lines"])
    lines = {
        row["line_id"]: deliveries.DispatchLine(str(row["quantity"]), lots[row["line_id"]])
        for row in data["lines"]
    }
    with fields_named(_line_names(delivery, data["lines"])):
        deliveries.dispatch(
            actor(),
            delivery.id,
            seen_version(delivery.version),
            lines,
            data["note"],
            early=data["early"],
        )
    return _read(delivery.id)


@bp.route("/deliveries/<int:delivery_id>/receive", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.arguments(ReceiptIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, DeliveryOut)
@bp.alt_response(404, response="NOT_FOUND")
def delivery_receive(data, delivery_id: int):
    """A buyer's key confirms receipt of a dispatched delivery: accepted and rejected
    quantities per line (together at most what was dispatched; a rejection needs a reason).
    The invoice for what was accepted is issued at once (`invoice_id`). A co-op's key gets
    404, as on the pages."""
    delivery, _who = deliveries.delivery_view(actor(), delivery_id)
    _known_lines(delivery, data["lines"])
    lines = {
        row["line_id"]: deliveries.ReceiptLine(
            accepted=str(row["accepted"]), rejected=str(row["rejected"]), reason=row["reason"]
        )
        for row in data["lines"]
    }
    with fields_named(_line_names(delivery, data["lines"])):
        _delivery, invoice = deliveries.receive(
            actor(), delivery.id, seen_version(delivery.version), lines, data["note"]
        )
    return _read(delivery.id, invoice.id if invoice is not None else None)
