"""Refunds of card payments: asked for by the payee (or an admin), or made by the platform for
card money that settled nothing; sent to the card provider through the outbox and confirmed by
its webhook.

REFUND_TRANSITIONS: pending → succeeded | failed.

A refund is sent by the ``payments.refund`` outbox handler (``send_refund``, registered by
``create_app``) after the commit that created it. A failure — the provider unreachable, its
payment intent not known yet — leaves the message to the outbox's own retries with back-off
(``flask outbox work``), which replace the former ``retry_refunds`` pass: every refund is
created together with its message, so none can be left unsent. The idempotency key makes a
repeated request return the provider's first refund.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    Organization,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
    Refund,
    RefundStatus,
)
from marketplace.models._types import utcnow
from marketplace.parsing import amount_of
from marketplace.services import audit, outbox
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.payments import ledger
from marketplace.services.payments.payables import cards, known_reference, require_payee_manager
from marketplace.services.states import step
from marketplace.validation import InvalidValue

TOPIC = "payments.refund"

R = RefundStatus
REFUND_TRANSITIONS: dict[tuple[RefundStatus, str], RefundStatus] = {
    (R.PENDING, "succeed"): R.SUCCEEDED,
    (R.PENDING, "fail"): R.FAILED,
}


class RefundNotSent(Exception):
    """The refund cannot go to the provider yet; the outbox tries again later."""


def open_refund(
    payment: Payment, amount: int, reason: str, requested_by_id: int | None = None
) -> Refund:
    """A pending refund of (part of) a card payment, and its message to the provider."""
    refund = Refund(
        payment_id=payment.id, amount=amount, reason=reason, requested_by_id=requested_by_id
    )
    db.session.add(refund)
    db.session.flush()
    outbox.enqueue(TOPIC, {"refund_id": refund.id})
    return refund


def request_refund(actor: Actor, payment_id: int, amount: str, reason: str) -> Refund:
    """An admin, or the payee's owner or manager (the organiser of a fair, the co-op of an
    invoice), refunds part or all of a card payment; it goes to the provider after the
    commit and its outcome comes back by webhook. More than what is left to refund is
    refused (ValidationFailed); NotFound for non-members, PermissionDenied for staff."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment")
    require_payee_manager(actor, payment.payee_id)
    errors: dict[str, object] = {}
    text = (reason or "").strip()[:2000]
    if not text:
        errors["reason"] = _l("Give a reason.")
    value = 0
    try:
        value = amount_of(amount, at_most=payment.amount)
    except InvalidValue as exc:
        errors["amount"] = exc.message
    if payment.method is not PaymentMethod.CARD:
        errors["amount"] = _l("Only card payments are refunded here; return a transfer by bank.")
    if errors:
        raise ValidationFailed(errors)
    if payment.payee_id is not None:
        # The payee's lock: a commission deduction counting its pending refunds waits.
        lock(Organization, payment.payee_id)
    payment = lock(Payment, payment.id)
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise ValidationFailed({"amount": _l("Only a payment that went through can be refunded.")})
    committed = sum(r.amount for r in payment.refunds if r.status is not RefundStatus.FAILED)
    if value > payment.amount - committed:
        raise ValidationFailed(
            {
                "amount": _l(
                    "At most %(amount)s is left to refund.",
                    amount=format_money(payment.amount - committed),
                )
            }
        )
    refund = open_refund(payment, value, text, actor.user_id)
    audit.record(
        actor,
        "refund.request",
        "refund",
        refund.id,
        organization_id=payment.payee_id,
        details={"payment": payment.id, "amount": value},
    )
    db.session.flush()
    return refund


def send_refund(payload: dict) -> None:
    """The ``payments.refund`` outbox handler: ask the provider for a pending refund and keep
    its reference. Raises (so the outbox retries) when it cannot be sent yet."""
    refund = db.session.get(Refund, int(payload["refund_id"]))
    if refund is None or refund.status is not RefundStatus.PENDING:
        return
    provider = cards()
    if provider is None:
        raise RefundNotSent("card payments are not configured")
    if db.session.scalar(
        select(ProviderReference.id).where(
            ProviderReference.refund_id == refund.id, ProviderReference.provider == provider.name
        )
    ):
        return  # already with the provider: its webhook tells the outcome
    intent = db.session.scalar(
        select(ProviderReference.reference).where(
            ProviderReference.payment_id == refund.payment_id,
            ProviderReference.provider == provider.name,
            ProviderReference.kind == "payment_intent",
        )
    )
    if intent is None:
        raise RefundNotSent(f"refund {refund.id}: no payment intent known yet")
    external = provider.refund(refund_id=refund.id, payment_intent=intent, amount=refund.amount)
    if known_reference(provider.name, external):
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ProviderReference(
                    provider=provider.name, reference=external, kind="refund", refund_id=refund.id
                )
            )
    except IntegrityError:
        current_app.logger.info("refund %s: its reference was recorded meanwhile", refund.id)


def refund_outcome(provider: str, obj: dict) -> str:
    """Apply the provider's word on a refund (webhook, under the event's lock)."""
    refund_id = None
    if isinstance(obj.get("id"), str):
        refund_id = db.session.scalar(
            select(ProviderReference.refund_id).where(
                ProviderReference.provider == provider, ProviderReference.reference == obj["id"]
            )
        )
    metadata_id = (obj.get("metadata") or {}).get("refund_id")
    if refund_id is None and metadata_id and str(metadata_id).isdigit():
        refund_id = int(metadata_id)
    refund = db.session.get(Refund, refund_id) if refund_id else None
    if refund is None:
        return "ignored: unknown refund"
    action = {"succeeded": "succeed", "failed": "fail", "canceled": "fail"}.get(
        obj.get("status", "")
    )
    if action is None:
        return f"ignored: refund {obj.get('status')}"
    payment = lock(Payment, refund.payment_id)
    refund = lock(Refund, refund.id)
    if (refund.status, action) not in REFUND_TRANSITIONS:
        return f"ignored: refund {action} when {refund.status.value}"
    refund.status = step(REFUND_TRANSITIONS, refund.status, action)
    refund.settled_at = utcnow()
    if refund.status is RefundStatus.SUCCEEDED:
        ledger.post_refund(refund)  # its fee share counts what was refunded before it
        payment.refunded_amount += refund.amount
    audit.record(
        Actor.system(), f"refund.{action}", "refund", refund.id, organization_id=payment.payee_id
    )
    return f"refund {refund.status.value}"
