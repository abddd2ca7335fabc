"""Contracts and their amendments, for both parties: a buyer's key needs the
``procurement`` scope, a co-op's key ``sales``. Reading, signing, cancelling a draft,
proposing a change of terms and answering one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from marketplace.blueprints.api.catalogue import CatalogueText
from marketplace.blueprints.api.core import (
    PageQuery,
    actor,
    area,
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
from marketplace.models import (
    Amendment,
    AmendmentStatus,
    ContractKind,
    ContractStatus,
    DeliveryPattern,
    DeliveryStatus,
    Side,
)
from marketplace.parsing import MAX_PRICE, MAX_QUANTITY
from marketplace.services.deals import contracts
from marketplace.services.errors import NotFound, ValidationFailed

bp = area(
    "Deals",
    "Contracts and amendments: read, sign, cancel a draft, propose and answer changes of "
    "terms. Buyers' keys need `procurement`, co-ops' keys `sales`.",
)


@contextmanager
def fields_named(names: Callable[[str], str] = str) -> Iterator[None]:
    """A service's refusal with its form field names as the body's (``price-7`` →
    ``lines.0.unit_price``; the page's hidden ``version`` → ``body``); a changed version
    (DealChanged) passes unchanged (412)."""
    try:
        yield
    except ValidationFailed as exc:
        if type(exc) is not ValidationFailed:
            raise
        errors = {}
        for name, message in exc.errors.items():
            field = "body" if str(name) == "version" else names(str(name))
            errors[field] = message
        raise ValidationFailed(errors) from exc


# --- schemas ------------------------------------------------------------------------------------


class ContractPartyOut(ma.Schema):
    organization_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    legal_name = ma.fields.String(required=True)
    tax_code = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    representative = ma.fields.String(required=True)
    position = ma.fields.String(required=True)


class ContractPartiesOut(ma.Schema):
    buyer = ma.fields.Nested(ContractPartyOut, required=True)
    coop = ma.fields.Nested(ContractPartyOut, required=True)


class ContractLineOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    listing_id = ma.fields.Integer(required=True, allow_none=True)
    description = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True, metadata={"description": "Per delivery"})
    unit_price = ma.fields.Integer(required=True, metadata={"description": "Đồng, before VAT"})
    vat_rate = ma.fields.String(required=True, metadata={"description": "Percent, or kct"})
    currency = ma.fields.Constant("VND", required=True)


class ContractSignatureOut(ma.Schema):
    side = ma.fields.Enum(Side, by_value=True, required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    contract_version = ma.fields.Integer(required=True)
    signed_at = ma.fields.DateTime(required=True)


class ContractTotalsOut(ma.Schema):
    deliveries = ma.fields.Integer(required=True)
    net = ma.fields.Integer(required=True, metadata={"description": "Per delivery, đồng"})
    vat = ma.fields.Integer(required=True, metadata={"description": "Per delivery, đồng"})
    total = ma.fields.Integer(required=True, metadata={"description": "Per delivery, đồng"})
    whole_total = ma.fields.Integer(required=True, metadata={"description": "All deliveries"})
    currency = ma.fields.Constant("VND", required=True)


class ContractPlanOut(ma.Schema):
    planned = ma.fields.Integer(required=True)
    dispatched = ma.fields.Integer(required=True)
    received = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    next_delivery_id = ma.fields.Integer(required=True, allow_none=True)
    next_on = ma.fields.Date(required=True, allow_none=True)


class ContractSummaryOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    kind = ma.fields.Enum(ContractKind, by_value=True, required=True)
    status = ma.fields.Enum(ContractStatus, by_value=True, required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "Send as If-Match"})
    side = ma.fields.Enum(Side, by_value=True, required=True, metadata={"description": "The key's"})
    buyer_id = ma.fields.Integer(required=True)
    coop_id = ma.fields.Integer(required=True)
    buyer_name = ma.fields.String(required=True)
    coop_name = ma.fields.String(required=True)
    rfq_id = ma.fields.Integer(required=True, allow_none=True)
    quote_id = ma.fields.Integer(required=True, allow_none=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    signatures = ma.fields.List(ma.fields.Nested(ContractSignatureOut), required=True)
    created_at = ma.fields.DateTime(required=True)


class ContractOut(ContractSummaryOut):
    parties = ma.fields.Nested(ContractPartiesOut, required=True)
    delivery_address = ma.fields.String(required=True)
    pattern = ma.fields.Enum(DeliveryPattern, by_value=True, required=True)
    weekdays = ma.fields.List(ma.fields.Integer(), required=True)
    day_of_month = ma.fields.Integer(required=True, allow_none=True)
    payment_days = ma.fields.Integer(required=True)
    activated_at = ma.fields.DateTime(required=True, allow_none=True)
    agreed_ends_on = ma.fields.Date(required=True, allow_none=True)
    termination_reason = ma.fields.String(required=True, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(ContractLineOut), required=True)
    totals = ma.fields.Nested(ContractTotalsOut, required=True)
    delivery_plan = ma.fields.Nested(ContractPlanOut, required=True)
    open_amendment_id = ma.fields.Integer(required=True, allow_none=True)
    invoice_ids = ma.fields.List(ma.fields.Integer(), required=True)


class ContractQuery(PageQuery):
    status = ma.fields.Enum(ContractStatus, by_value=True, load_default=None)


class ContractSignIn(ma.Schema):
    confirmed = ma.fields.Boolean(
        required=True,
        metadata={"description": "The signer read the contract and signs for the organisation"},
    )


class ContractCancelIn(ma.Schema):
    reason = CatalogueText(required=True, validate=ma.validate.Length(min=1, max=2000))


class AmendmentLineChangeOut(ma.Schema):
    line_id = ma.fields.Integer(required=True)
    unit_price = ma.fields.Integer(required=True, allow_none=True)
    quantity = ma.fields.Integer(required=True, allow_none=True)


class AmendmentExtraLineOut(ma.Schema):
    line_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)


class AmendmentExtraOut(ma.Schema):
    on = ma.fields.Date(required=True)
    lines = ma.fields.List(ma.fields.Nested(AmendmentExtraLineOut), required=True)


class AmendmentOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    contract_id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True)
    proposed_by = ma.fields.Enum(Side, by_value=True, required=True)
    reason = ma.fields.String(required=True)
    effective_from = ma.fields.Date(required=True)
    status = ma.fields.Enum(AmendmentStatus, by_value=True, required=True)
    lines = ma.fields.List(ma.fields.Nested(AmendmentLineChangeOut), required=True)
    extra_deliveries = ma.fields.List(ma.fields.Nested(AmendmentExtraOut), required=True)
    decided_at = ma.fields.DateTime(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    contract_version = ma.fields.Integer(
        required=True, metadata={"description": "The contract's version now (for If-Match)"}
    )


_PRICE = ma.validate.Range(min=0, max=MAX_PRICE)
_QUANTITY = ma.validate.Range(min=1, max=MAX_QUANTITY)
_LINE_ID = ma.validate.Range(min=1, max=2147483647)


class AmendmentLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    unit_price = ma.fields.Integer(
        load_default=None, allow_none=True, validate=_PRICE, metadata={"description": "Đồng"}
    )
    quantity = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=_QUANTITY,
        metadata={"description": "Per delivery"},
    )


class AmendmentExtraLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    quantity = ma.fields.Integer(required=True, validate=_QUANTITY)


class AmendmentExtraIn(ma.Schema):
    on = ma.fields.Date(required=True)
    lines = ma.fields.List(
        ma.fields.Nested(AmendmentExtraLineIn),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
    )


class AmendmentIn(ma.Schema):
    reason = CatalogueText(required=True, validate=ma.validate.Length(min=1, max=2000))
    effective_from = ma.fields.Date(required=True)
    lines = ma.fields.List(
        ma.fields.Nested(AmendmentLineIn),
        load_default=list,
        validate=ma.validate.Length(max=50),
        metadata={"description": "New terms of contract lines from effective_from"},
    )
    extra_deliveries = ma.fields.List(
        ma.fields.Nested(AmendmentExtraIn),
        load_default=list,
        validate=ma.validate.Length(max=20),
    )


# --- what the schemas read ---------------------------------------------------------------------


def _summary(contract: contracts.Contract) -> dict[str, Any]:
    org_id = actor().api_key.organization_id
    return {
        "id": contract.id,
        "number": contract.number,
        "kind": contract.kind,
        "status": contract.status,
        "version": contract.version,
        "side": contract.side_of(org_id),
        "buyer_id": contract.buyer_id,
        "coop_id": contract.coop_id,
        "buyer_name": contract.buyer.name,
        "coop_name": contract.coop.name,
        "rfq_id": contract.rfq_id,
        "quote_id": contract.quote_id,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "signatures": contract.signatures,
        "created_at": contract.created_at,
    }


def _party(details: dict[str, Any], organization_id: int) -> dict[str, Any]:
    keys = ("name", "legal_name", "tax_code", "address", "representative", "position")
    return {"organization_id": organization_id} | {k: str(details.get(k) or "") for k in keys}


def contract_out(view: contracts.ContractView) -> dict[str, Any]:
    contract = view.contract
    totals = view.totals
    counts = dict.fromkeys(DeliveryStatus, 0)
    for delivery in view.deliveries:
        counts[delivery.status] += 1
    upcoming = next((d for d in view.deliveries if d.status is DeliveryStatus.PLANNED), None)
    open_amendment = view.open_amendment
    parties = contract.parties or {}
    set_version(contract.version)
    return _summary(contract) | {
        "parties": {
            "buyer": _party(parties.get("buyer") or {}, contract.buyer_id),
            "coop": _party(parties.get("coop") or {}, contract.coop_id),
        },
        "delivery_address": contract.delivery_address,
        "pattern": contract.pattern,
        "weekdays": contract.weekday_list,
        "day_of_month": contract.day_of_month,
        "payment_days": contract.payment_days,
        "activated_at": contract.activated_at,
        "agreed_ends_on": contract.agreed_ends_on,
        "termination_reason": contract.termination_reason,
        "lines": contract.lines,
        "totals": {
            "deliveries": totals.deliveries,
            "net": totals.net,
            "vat": totals.vat,
            "total": totals.total,
            "whole_total": totals.total * totals.deliveries,
        },
        "delivery_plan": {
            "planned": counts[DeliveryStatus.PLANNED],
            "dispatched": counts[DeliveryStatus.DISPATCHED],
            "received": counts[DeliveryStatus.RECEIVED],
            "cancelled": counts[DeliveryStatus.CANCELLED],
            "next_delivery_id": upcoming.id if upcoming else None,
            "next_on": upcoming.scheduled_on if upcoming else None,
        },
        "open_amendment_id": open_amendment.id if open_amendment else None,
        "invoice_ids": [invoice.id for invoice in view.invoices],
    }


def amendment_out(amendment: Amendment, contract_version: int) -> dict[str, Any]:
    changes = amendment.changes or {}
    return {
        "id": amendment.id,
        "contract_id": amendment.contract_id,
        "number": amendment.number,
        "proposed_by": amendment.proposed_by,
        "reason": amendment.reason,
        "effective_from": amendment.effective_from,
        "status": amendment.status,
        "lines": [
            {
                "line_id": int(line_id),
                "unit_price": change.get("unit_price"),
                "quantity": change.get("quantity"),
            }
            for line_id, change in (changes.get("lines") or {}).items()
        ],
        "extra_deliveries": [
            {
                "on": date.fromisoformat(extra["on"]),
                "lines": [
                    {"line_id": int(line_id), "quantity": quantity}
                    for line_id, quantity in (extra.get("quantities") or {}).items()
                ],
            }
            for extra in changes.get("extra") or []
        ],
        "decided_at": amendment.decided_at,
        "created_at": amendment.created_at,
        "contract_version": contract_version,
    }


# --- contracts ---------------------------------------------------------------------------------


@bp.route("/contracts")
@requires_side
@bp.arguments(ContractQuery, location="query")
@bp.response(200, page_schema(ContractSummaryOut))
@bp.alt_response(404, response="NOT_FOUND")
def contract_list(args):
    """The key's organisation's contracts, newest first; `status` filters."""
    found = contracts.contracts_of(actor(), actor().api_key.organization_id)
    if args.get("status") is not None:
        found = [c for c in found if c.status is args["status"]]
    page = page_of_list(found, args)
    page["data"] = [_summary(contract) for contract in page["data"]]
    return page


@bp.route("/contracts/<int:contract_id>")
@requires_side
@bp.response(200, ContractOut)
@bp.alt_response(404, response="NOT_FOUND")
def contract_read(contract_id: int):
    """A contract of the key's organisation: parties, lines, dates, totals, signatures and a
    summary of its delivery plan. Its ETag is its version (send it as If-Match)."""
    return contract_out(contracts.contract_view(actor(), contract_id))


@bp.route("/contracts/<int:contract_id>/sign", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.arguments(ContractSignIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, ContractOut)
@bp.alt_response(404, response="NOT_FOUND")
def contract_sign(data, contract_id: int):
    """An owner's or manager's key signs for its side (`confirmed` is the page's tick that
    the contract was read). The second signature makes the contract active and plans its
    deliveries."""
    view = contracts.contract_view(actor(), contract_id)
    with fields_named(lambda name: "confirmed" if name == "confirm" else name):
        contracts.sign(
            actor(),
            contract_id,
            seen_version(view.contract.version),
            confirmed=data["confirmed"],
        )
    return contract_out(contracts.contract_view(actor(), contract_id))


@bp.route("/contracts/<int:contract_id>/cancel", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.arguments(ContractCancelIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, ContractOut)
@bp.alt_response(404, response="NOT_FOUND")
def contract_cancel(data, contract_id: int):
    """An owner's or manager's key abandons a draft that is still waiting for signatures,
    with a reason (a co-op declines a spot order the same way)."""
    view = contracts.contract_view(actor(), contract_id)
    with fields_named():
        contracts.cancel_draft(
            actor(), contract_id, seen_version(view.contract.version), data["reason"]
        )
    return contract_out(contracts.contract_view(actor(), contract_id))


# --- amendments --------------------------------------------------------------------------------


def _amendment_names(data: dict[str, Any]) -> Callable[[str], str]:
    lines = {row["line_id"]: index for index, row in enumerate(data["lines"])}

    def name(field: str) -> str:
        kind, _, rest = field.partition("-")
        if kind in ("price", "quantity") and rest.isdigit() and int(rest) in lines:
            column = "unit_price" if kind == "price" else "quantity"
            return f"lines.{lines[int(rest)]}.{column}"
        if kind == "extra":
            index, _, what = rest.partition("-")
            if what == "on":
                return f"extra_deliveries.{index}.on"
            extra = data["extra_deliveries"]
            if index.isdigit() and int(index) < len(extra) and what.isdigit():
                rows = [r["line_id"] for r in extra[int(index)]["lines"]]
                if int(what) in rows:
                    return f"extra_deliveries.{index}.lines.{rows.index(int(what))}.quantity"
            return f"extra_deliveries.{index}"
        return field

    return name


def _propose(data: dict[str, Any], contract_id: int) -> dict[str, Any]:
    contract = contracts.contract_view(actor(), contract_id).contract
    proposal = contracts.AmendmentData(
        reason=data["reason"],
        effective_from=data["effective_from"],
        lines={
            row["line_id"]: (
                "" if row["unit_price"] is None else str(row["unit_price"]),
                "" if row["quantity"] is None else str(row["quantity"]),
            )
            for row in data["lines"]
        },
        extra=[
            (extra["on"], {row["line_id"]: str(row["quantity"]) for row in extra["lines"]})
            for extra in data["extra_deliveries"]
        ],
    )
    with fields_named(_amendment_names(data)):
        amendment = contracts.propose_amendment(
            actor(), contract_id, seen_version(contract.version), proposal
        )
    set_version(contract.version)
    return amendment_out(amendment, contract.version)


@bp.route("/contracts/<int:contract_id>/amendments")
class ContractAmendments(MethodView):
    """One rule for both methods, so an id beyond the database's is 404 for either."""

    @requires_side
    @bp.arguments(PageQuery, location="query")
    @bp.response(200, page_schema(AmendmentOut))
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, args, contract_id: int):
        """The changes of terms proposed on a contract, newest first."""
        contract = contracts.contract_view(actor(), contract_id).contract
        page = page_of_list(contract.amendments, args)
        page["data"] = [amendment_out(a, contract.version) for a in page["data"]]
        return page

    @requires_side
    @idempotent
    @if_match
    @bp.arguments(AmendmentIn)
    @bp.alt_response(400, response="BAD_REQUEST")
    @bp.response(201, AmendmentOut)
    @bp.alt_response(404, response="NOT_FOUND")
    def post(self, data, contract_id: int):
        """An owner's or manager's key proposes new prices or quantities from a date, or
        extra deliveries, on an active contract. One proposal at a time; the other side
        answers."""
        return _propose(data, contract_id)


def _decide(amendment_id: int, action: str) -> dict[str, Any]:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound("amendment")
    contract = contracts.contract_view(actor(), amendment.contract_id).contract
    with fields_named():
        decided = contracts.decide_amendment(
            actor(), contract.id, amendment.id, action, seen_version(contract.version)
        )
    set_version(contract.version)
    return amendment_out(decided, contract.version)


@bp.route("/amendments/<int:amendment_id>/accept", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.response(200, AmendmentOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def amendment_accept(amendment_id: int):
    """The other side's owner or manager accepts a proposal: the contract's lines and every
    planned delivery from its date change, and its extra deliveries are added. If-Match
    takes the contract's ETag."""
    return _decide(amendment_id, "accept")


@bp.route("/amendments/<int:amendment_id>/reject", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.response(200, AmendmentOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def amendment_reject(amendment_id: int):
    """The other side's owner or manager rejects a proposal. If-Match takes the contract's
    ETag."""
    return _decide(amendment_id, "reject")


@bp.route("/amendments/<int:amendment_id>/withdraw", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.response(200, AmendmentOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def amendment_withdraw(amendment_id: int):
    """The proposing side's owner or manager withdraws its proposal. If-Match takes the
    contract's ETag."""
    return _decide(amendment_id, "withdraw")


# --- notice and spot orders ----------------------------------------------------------------------


class ContractNoticeIn(ma.Schema):
    reason = CatalogueText(required=True, validate=ma.validate.Length(min=1, max=2000))
    ends_on = ma.fields.Date(required=True, metadata={"description": "The contract's last day"})


@bp.route("/contracts/<int:contract_id>/notice", methods=["POST"])
@requires_side
@idempotent
@if_match
@bp.arguments(ContractNoticeIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(200, ContractOut)
@bp.alt_response(404, response="NOT_FOUND")
def contract_notice(data, contract_id: int):
    """An owner's or manager's key ends an active contract on a date (from today to its
    agreed end), with a reason; planned deliveries after that day are cancelled."""
    view = contracts.contract_view(actor(), contract_id)
    with fields_named():
        contracts.give_notice(
            actor(),
            contract_id,
            seen_version(view.contract.version),
            data["reason"],
            data["ends_on"],
        )
    return contract_out(contracts.contract_view(actor(), contract_id))


class SpotOrderIn(ma.Schema):
    listing_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    quantity = ma.fields.Integer(required=True, validate=_QUANTITY)
    unit_price = ma.fields.Integer(
        required=True,
        validate=_PRICE,
        metadata={
            "description": "The listing's tier price for this quantity as you read it (đồng); "
            "the order is refused if it is not the price now"
        },
    )
    delivery_on = ma.fields.Date(required=True)
    delivery_location_id = ma.fields.Integer(required=True, validate=_LINE_ID)
    payment_days = ma.fields.Integer(load_default=7, validate=ma.validate.Range(min=0, max=180))
    note = CatalogueText(load_default="", validate=ma.validate.Length(max=300))


@bp.route("/spot-orders", methods=["POST"])
@requires("procurement")
@idempotent
@bp.arguments(SpotOrderIn)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.response(201, ContractOut)
@bp.alt_response(404, response="NOT_FOUND")
def spot_order(data):
    """A buyer's owner or manager orders a quantity once from a published listing at its
    tier price: a one-delivery contract, signed by the buyer on placing it, waiting for the
    co-op to sign (accept) or cancel (decline)."""
    with fields_named():
        contract = contracts.place_spot_order(
            actor(),
            actor().api_key.organization_id,
            data["listing_id"],
            contracts.SpotOrderData(
                quantity=str(data["quantity"]),
                delivery_on=data["delivery_on"],
                delivery_location_id=data["delivery_location_id"],
                payment_days=str(data["payment_days"]),
                note=data["note"],
                seen_unit_price=data["unit_price"],
            ),
        )
    return contract_out(contracts.contract_view(actor(), contract.id))
