"""Money: the invoices of the key's organisation (list, read, PDF), payables with how to pay
them by bank transfer (VietQR), payments made or received (scope ``payments:read``); a
payer saying it has transferred (``procurement``) and a payee recording a transfer that
reached its account (``sales``) — the pay page's two forms."""

from __future__ import annotations

import marshmallow as ma
from flask import Response

from marketplace.blueprints.api.core import (
    PageQuery,
    actor,
    area,
    current_key,
    idempotent,
    page_of,
    page_of_list,
    page_schema,
    requires,
    set_version,
)
from marketplace.documents import invoice_pdf as render_invoice_pdf
from marketplace.documents import pdf_response
from marketplace.extensions import db
from marketplace.models import (
    ClaimStatus,
    Invoice,
    InvoiceStatus,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TransferClaim,
)
from marketplace.services.deals import documents, invoices
from marketplace.services.payments import cards, claims, payables, transfers
from marketplace.validation import strip_control

bp = area(
    "Money",
    "Invoices (and their PDF), payables with how to pay them, payments; saying a transfer "
    "was made, recording one that arrived.",
)

#: The most a sum of money may be here (the services refuse much less than this).
MAX_AMOUNT = 10**15


class _Text(ma.fields.String):
    """Text without control characters (which the database refuses)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return strip_control(super()._deserialize(value, attr, data, **kwargs))


# --- schemas --------------------------------------------------------------------------------


class MoneyPartyOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class InvoiceLineOut(ma.Schema):
    description = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True)
    unit_price = ma.fields.Integer(required=True, metadata={"description": "đồng, before VAT"})
    vat_rate = ma.fields.String(required=True, metadata={"description": "VAT code, e.g. 10"})
    net = ma.fields.Integer(required=True)
    vat = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class InvoiceVatOut(ma.Schema):
    rate = ma.fields.String(required=True)
    net = ma.fields.Integer(required=True)
    vat = ma.fields.Integer(required=True)


class PaymentInstructionsOut(ma.Schema):
    """Where to transfer what is still owed: the payee's account and the VietQR payload."""

    bank_short_name = ma.fields.String(required=True)
    bank_name = ma.fields.String(required=True)
    bank_bin = ma.fields.String(required=True)
    account = ma.fields.String(required=True)
    holder = ma.fields.String(required=True)
    amount = ma.fields.Integer(required=True, metadata={"description": "What is owed, đồng"})
    currency = ma.fields.String(required=True)
    reference = ma.fields.String(
        required=True, metadata={"description": "Put this in the transfer's message"}
    )
    qr_payload = ma.fields.String(
        required=True, metadata={"description": "The VietQR (NAPAS) payload a QR code encodes"}
    )


class PayableRefOut(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"description": "invoice, fair_fee, …"})
    id = ma.fields.Integer(required=True)


class InvoiceOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "issued, overdue, paid or void (overdue once past due)"},
    )
    side = ma.fields.String(
        required=True, metadata={"description": "The key's organisation is the buyer or coop"}
    )
    buyer = ma.fields.Nested(MoneyPartyOut, required=True)
    coop = ma.fields.Nested(MoneyPartyOut, required=True)
    contract_id = ma.fields.Integer(required=True)
    delivery_id = ma.fields.Integer(required=True)
    issued_on = ma.fields.Date(required=True)
    due_on = ma.fields.Date(required=True)
    subtotal = ma.fields.Integer(required=True)
    vat_total = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    paid = ma.fields.Integer(required=True, metadata={"description": "Paid so far, net"})
    outstanding = ma.fields.Integer(required=True)
    payable = ma.fields.Nested(PayableRefOut, required=True)


class InvoiceDetailOut(InvoiceOut):
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineOut), required=True)
    vat_by_rate = ma.fields.List(ma.fields.Nested(InvoiceVatOut), required=True)
    paid_at = ma.fields.DateTime(required=True, allow_none=True)
    void_reason = ma.fields.String(required=True, allow_none=True)
    payment_instructions = ma.fields.Nested(
        PaymentInstructionsOut,
        required=True,
        allow_none=True,
        metadata={"description": "null once nothing is owed, or while the payee has no account"},
    )


class InvoiceQuery(PageQuery):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf([s.value for s in InvoiceStatus])
    )


class PaymentOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    payable = ma.fields.Nested(PayableRefOut, required=True)
    amount = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    method = ma.fields.String(
        required=True, metadata={"description": "card, bank_transfer or balance"}
    )
    status = ma.fields.String(
        required=True,
        metadata={"description": "pending, succeeded, failed, cancelled or reversed"},
    )
    payer = ma.fields.Nested(MoneyPartyOut, required=True)
    payee = ma.fields.Nested(
        MoneyPartyOut,
        required=True,
        allow_none=True,
        metadata={"description": "null: the platform itself was paid"},
    )
    fee = ma.fields.Integer(required=True, metadata={"description": "The platform's commission"})
    refunded_amount = ma.fields.Integer(required=True)
    paid_on = ma.fields.Date(required=True, allow_none=True)
    bank_reference = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    succeeded_at = ma.fields.DateTime(required=True, allow_none=True)


class PaymentQuery(PageQuery):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf([s.value for s in PaymentStatus])
    )


class TransferClaimOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    payable = ma.fields.Nested(PayableRefOut, required=True)
    amount = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    paid_on = ma.fields.Date(required=True, allow_none=True)
    bank_reference = ma.fields.String(required=True, allow_none=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "awaiting, confirmed, not_arrived, withdrawn or closed"},
    )
    answer = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class PayableOut(ma.Schema):
    kind = ma.fields.String(required=True)
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    amount = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    paid = ma.fields.Integer(required=True)
    outstanding = ma.fields.Integer(required=True)
    state = ma.fields.String(
        required=True,
        metadata={"description": "open (awaiting money), paid, or closed (void, expired …)"},
    )
    due_on = ma.fields.Date(required=True, allow_none=True)
    payer = ma.fields.Nested(MoneyPartyOut, required=True)
    payee = ma.fields.Nested(MoneyPartyOut, required=True, allow_none=True)
    is_payer = ma.fields.Boolean(
        required=True, metadata={"description": "The key's organisation pays it"}
    )
    handles_money = ma.fields.Boolean(
        required=True,
        metadata={"description": "The key may record transfers that reached the payee"},
    )
    bank_transfer = ma.fields.Nested(
        PaymentInstructionsOut,
        required=True,
        allow_none=True,
        metadata={"description": "How to pay by transfer; null when closed or no account"},
    )
    awaiting_claim = ma.fields.Nested(
        TransferClaimOut,
        required=True,
        allow_none=True,
        metadata={"description": "The payer's “I have transferred” awaiting the payee"},
    )
    payments = ma.fields.List(ma.fields.Nested(PaymentOut), required=True)


class TransferClaimIn(ma.Schema):
    amount = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=MAX_AMOUNT),
        metadata={"description": "đồng transferred; what is owed when left out"},
    )
    paid_on = ma.fields.Date(load_default=None, metadata={"description": "today when left out"})
    bank_reference = _Text(
        load_default="",
        validate=ma.validate.Length(max=120),
        metadata={"description": "The bank's reference of the transfer"},
    )


class TransferIn(ma.Schema):
    amount = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=MAX_AMOUNT))
    paid_on = ma.fields.Date(required=True)
    bank_reference = _Text(required=True, validate=ma.validate.Length(min=1, max=120))
    partial = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Knowingly record less than is owed as a part payment"},
    )


# --- presenting -----------------------------------------------------------------------------


def _party(organization: Organization | None) -> dict | None:
    return None if organization is None else {"id": organization.id, "name": organization.name}


def _instructions(found: payables.Payable) -> dict | None:
    shown = documents.PaymentInstructions.of(found)
    if shown is None:
        return None
    return {
        "bank_short_name": shown.bank_short_name,
        "bank_name": shown.bank_name,
        "bank_bin": shown.bank_bin,
        "account": shown.account,
        "holder": shown.holder,
        "amount": shown.amount,
        "currency": "VND",
        "reference": shown.reference,
        "qr_payload": shown.qr_payload,
    }


def _invoice(invoice: Invoice) -> dict:
    paid = invoices.paid_amount(invoice)
    status = invoice.status_today
    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": status.value,
        "side": "buyer" if invoice.buyer_id == current_key().organization_id else "coop",
        "buyer": _party(invoice.buyer),
        "coop": _party(invoice.coop),
        "contract_id": invoice.contract_id,
        "delivery_id": invoice.delivery_id,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "subtotal": invoice.subtotal,
        "vat_total": invoice.vat_total,
        "total": invoice.total,
        "currency": invoice.currency,
        "paid": paid,
        "outstanding": max(invoice.total - paid, 0) if status is not InvoiceStatus.VOID else 0,
        "payable": {"kind": PayableKind.INVOICE.value, "id": invoice.id},
    }


def _payment(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "payable": {"kind": payment.payable_kind.value, "id": payment.payable_id},
        "amount": payment.amount,
        "currency": payment.currency,
        "method": PaymentMethod(payment.method).value,
        "status": PaymentStatus(payment.status).value,
        "payer": _party(payment.payer),
        "payee": _party(payment.payee),
        "fee": payment.fee,
        "refunded_amount": payment.refunded_amount,
        "paid_on": payment.paid_on,
        "bank_reference": payment.bank_reference,
        "created_at": payment.created_at,
        "succeeded_at": payment.succeeded_at,
    }


def _claim(claim: TransferClaim | None) -> dict | None:
    if claim is None:
        return None
    return {
        "id": claim.id,
        "payable": {"kind": claim.payable_kind.value, "id": claim.payable_id},
        "amount": claim.amount,
        "currency": "VND",
        "paid_on": claim.paid_on,
        "bank_reference": claim.bank_reference,
        "status": ClaimStatus(claim.status).value,
        "answer": claim.answer,
        "created_at": claim.created_at,
    }


# --- invoices -------------------------------------------------------------------------------


@bp.route("/invoices")
@requires("payments:read")
@bp.arguments(InvoiceQuery, location="query")
@bp.response(200, page_schema(InvoiceOut))
def invoice_list(args):
    """The invoices of the key's organisation, as buyer or as co-op, newest first; optionally
    of one status (as the invoice list shows it: overdue once past due)."""
    found = invoices.invoices_of(actor(), current_key().organization_id)
    if args.get("status"):
        found = [i for i in found if i.status_today.value == args["status"]]
    page = page_of_list(found, args)
    return {"data": [_invoice(i) for i in page["data"]], "next_cursor": page["next_cursor"]}


@bp.route("/invoices/<int:invoice_id>")
@requires("payments:read")
@bp.response(200, InvoiceDetailOut)
@bp.alt_response(404, response="NOT_FOUND")
def invoice_read(invoice_id: int):
    """One invoice of the key's organisation: lines, VAT by rate, totals, what is paid and
    still owed, its payable and how to pay it by bank transfer."""
    invoice, _who = invoices.invoice_view(actor(), invoice_id)
    doc = documents.invoice_document(actor(), invoice_id)
    return {
        **_invoice(invoice),
        "lines": [
            {
                "description": line.description,
                "unit": line.unit,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "vat_rate": line.vat_rate,
                "net": line.net,
                "vat": line.vat,
                "total": line.total,
            }
            for line in doc.lines
        ],
        "vat_by_rate": [
            {"rate": summary.vat_rate, "net": summary.net, "vat": summary.vat}
            for summary in doc.totals.by_rate
        ],
        "paid_at": invoice.paid_at,
        "void_reason": invoice.void_reason,
        "payment_instructions": _instructions(payables.payable(PayableKind.INVOICE, invoice.id)),
    }


@bp.route("/invoices/<int:invoice_id>/pdf")
@requires("payments:read")
@bp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/pdf",
    description="The invoice as a PDF (the same document the invoice page offers)",
)
@bp.alt_response(404, response="NOT_FOUND")
def invoice_pdf(invoice_id: int) -> Response:
    """The invoice's PDF, in the language of `Accept-Language`."""
    doc = documents.invoice_document(actor(), invoice_id)
    filename, data = render_invoice_pdf(doc)
    return pdf_response(data, filename)


# --- payables -------------------------------------------------------------------------------

PAYABLE = "/payables/<string(maxlength=40):kind>/<int:payable_id>"


@bp.route(PAYABLE)
@requires("payments:read")
@bp.response(200, PayableOut)
@bp.alt_response(404, response="NOT_FOUND")
def payable_read(kind: str, payable_id: int):
    """Something the key's organisation owes or is owed (an invoice, a booth fee): the
    amount, what is paid and outstanding, both parties, how to pay it by bank transfer
    (account, reference, VietQR payload), a transfer claim awaiting the payee, and its
    payments. Kinds: `invoice`, `fair_fee`, `commission`."""
    view = payables.pay_page(actor(), payables.kind_named(kind), payable_id)
    found = view.payable
    return {
        "kind": found.kind.value,
        "id": found.id,
        "number": found.number,
        "label": str(found.label),
        "amount": found.amount,
        "currency": "VND",
        "paid": found.amount - view.outstanding,
        "outstanding": max(view.outstanding, 0) if found.open else 0,
        "state": "open" if found.open else ("paid" if view.outstanding <= 0 else "closed"),
        "due_on": found.due_on,
        "payer": _party(_organization(found.payer_id)),
        "payee": _party(view.payee),
        "is_payer": view.is_payer,
        "handles_money": view.handles_money,
        "bank_transfer": _instructions(found),
        "awaiting_claim": _claim(claims.awaiting_claim(found.kind, found.id)),
        "payments": [_payment(p) for p in view.history],
    }


def _organization(organization_id: int) -> Organization | None:
    return db.session.get(Organization, organization_id)


@bp.route(PAYABLE + "/transfer-claims", methods=["POST"])
@requires("procurement")
@idempotent
@bp.arguments(TransferClaimIn)
@bp.response(201, TransferClaimOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
def transfer_claim(data, kind: str, payable_id: int):
    """The payer says it has transferred money for the payable (the pay page's “I have
    transferred”): any member of the payer. The amount defaults to what is owed, the date
    to today. The payee is asked to confirm it. Refused (422) on something paid or closed,
    and while an earlier claim still awaits an answer."""
    claim = claims.claim_transfer(
        actor(),
        payables.kind_named(kind),
        payable_id,
        amount="" if data["amount"] is None else str(data["amount"]),
        paid_on=data["paid_on"],
        bank_reference=data["bank_reference"],
    )
    return _claim(claim)


@bp.route(PAYABLE + "/transfers", methods=["POST"])
@requires("sales")
@idempotent
@bp.arguments(TransferIn)
@bp.response(201, PaymentOut)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(404, response="NOT_FOUND")
def transfer_record(data, kind: str, payable_id: int):
    """The payee's owner or manager records a bank transfer that reached its account (the pay
    page's “Record a transfer”): an amount other than what is owed is refused unless
    `partial` (never more than owed); a bank reference is recorded once. The payable is paid
    once its payments cover it. The payer or the payee's staff: 403."""
    payment = transfers.record_transfer(
        actor(),
        payables.kind_named(kind),
        payable_id,
        amount=str(data["amount"]),
        paid_on=data["paid_on"],
        bank_reference=data["bank_reference"],
        partial=data["partial"],
    )
    return _payment(payment)


# --- payments -------------------------------------------------------------------------------


@bp.route("/payments")
@requires("payments:read")
@bp.arguments(PaymentQuery, location="query")
@bp.response(200, page_schema(PaymentOut))
def payment_list(args):
    """Payments the key's organisation made or received, newest first; optionally of one
    status."""
    status = PaymentStatus(args["status"]) if args.get("status") else None
    stmt = cards.payments_of_organization(actor(), current_key().organization_id, status)
    page = page_of(stmt, Payment.id, args)
    return {"data": [_payment(p) for p in page["data"]], "next_cursor": page["next_cursor"]}


@bp.route("/payments/<int:payment_id>")
@requires("payments:read")
@bp.response(200, PaymentOut)
@bp.alt_response(404, response="NOT_FOUND")
def payment_read(payment_id: int):
    """One payment the key's organisation made or received."""
    payment = cards.payment_for(actor(), payment_id)
    set_version(payment.version)
    return _payment(payment)
