"""Paying by card through the card provider (``app.extensions["cards"]``, Stripe Checkout),
confirmed by signed webhook events.

Starting a payment is three use cases, so that no network call happens inside a transaction:
``begin_card_payment`` (a pending payment, flushed), then — after the edge has committed —
the provider's page (``open_checkout``, no database), then ``record_checkout`` or, when the
provider fails, ``checkout_failed``; the edge commits each (see
``marketplace.blueprints.payments.checkout``).

A webhook is verified, stored once and applied once, in the one transaction the edge commits;
its emails and refunds leave through the outbox after the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.models import (
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderReference,
    Role,
    WebhookEvent,
)
from marketplace.models._types import utcnow
from marketplace.payments.base import Checkout, InvalidEvent
from marketplace.services import audit
from marketplace.services.context import Actor
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.payments import ledger, refunds
from marketplace.services.payments.payables import (
    PAYMENT_TRANSITIONS,
    cards,
    commission,
    known_reference,
    lock_payable,
    may_see,
    new_payment,
    outstanding,
    settle_if_covered,
    tell_payment,
    view_payable,
)
from marketplace.services.permissions import has_role, member_of
from marketplace.services.states import step
from marketplace.urls import external_url

# --- starting a card payment ---------------------------------------------------------------


@dataclass(frozen=True)
class CardAttempt:
    """What the provider needs to open its page for a pending payment (plain values: it is
    used after the commit, with no transaction open)."""

    payment_id: int
    amount: int
    description: str


def begin_card_payment(actor: Actor, kind: PayableKind, payable_id: int) -> CardAttempt:
    """The payer's owner or manager starts paying by card: a pending payment for what is
    still owed. A second click (or a return to the page) reuses the open attempt: the same
    idempotency key then brings back the same provider page, so the payable is not paid
    twice. Raises ValidationFailed (cards off; nothing owed), PermissionDenied, NotFound."""
    if cards() is None:
        raise ValidationFailed({"method": _l("Card payments are not available.")})
    found = view_payable(actor, kind, payable_id)
    if not has_role(actor, found.payer_id, Role.MANAGER):
        raise PermissionDenied("the payer's owner or manager pays")
    found = lock_payable(kind, payable_id)
    owed = outstanding(found)
    if not found.open or owed <= 0:
        raise ValidationFailed({"method": _l("This is already paid, or can no longer be paid.")})
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.payable_kind == kind,
            Payment.payable_id == payable_id,
            Payment.method == PaymentMethod.CARD,
            Payment.status == PaymentStatus.PENDING,
            Payment.amount == owed,
            Payment.created_at > utcnow() - timedelta(hours=1),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None:
        payment = new_payment(found, owed, PaymentMethod.CARD, actor)
        db.session.add(payment)
        db.session.flush()
        audit.record(
            actor,
            "payment.start",
            "payment",
            payment.id,
            organization_id=found.payer_id,
            details={"method": "card", "amount": owed},
        )
        db.session.flush()
    return CardAttempt(payment.id, payment.amount, f"{found.number} · Chợ HTX")


def open_checkout(attempt: CardAttempt, *, locale: str) -> Checkout:
    """The provider's page for a pending payment. A network call: the edge calls it with no
    transaction open. Raises CardProviderError."""
    provider = cards()
    return provider.checkout(
        payment_id=attempt.payment_id,
        amount=attempt.amount,
        description=attempt.description,
        success_url=external_url("payments.card_return", payment_id=attempt.payment_id),
        cancel_url=external_url("payments.card_cancel", payment_id=attempt.payment_id),
        locale=locale,
    )


def record_checkout(payment_id: int, checkout: Checkout) -> None:
    """Keep the provider's references of the page (its session and intent), each once: its
    webhooks name the payment by them."""
    name = cards().name
    for reference, what in (
        (checkout.session_id, "checkout_session"),
        (checkout.payment_intent, "payment_intent"),
    ):
        if reference and not known_reference(name, reference):
            db.session.add(
                ProviderReference(
                    provider=name, reference=reference, kind=what, payment_id=payment_id
                )
            )
    db.session.flush()


def checkout_failed(payment_id: int, error: str) -> ValidationFailed:
    """The provider could not open its page: the pending payment fails, recorded with the
    error; returns the message for the payer (nothing else was lost)."""
    payment = lock(Payment, payment_id)
    if (payment.status, "fail") in PAYMENT_TRANSITIONS:
        payment.status = step(PAYMENT_TRANSITIONS, payment.status, "fail")
        audit.record(
            Actor.system(),
            "payment.fail",
            "payment",
            payment.id,
            organization_id=payment.payer_id,
            details={"error": error[:200]},
        )
    db.session.flush()
    return ValidationFailed(
        {
            "method": _l(
                "Card payments are unavailable right now. Try again later, or pay by bank transfer."
            )
        }
    )


def payment_for(actor: Actor, payment_id: int) -> Payment:
    """A payment for members of its payer or payee and admins; anyone else NotFound."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or not may_see(actor, payment.payer_id, payment.payee_id):
        raise NotFound("payment")
    return payment


def payments_of_organization(
    actor: Actor, organization_id: int, status: PaymentStatus | None = None
) -> Select:
    """The statement selecting the payments an organisation made or received (optionally of
    one status), for its members to page through; NotFound for anyone else."""
    member_of(actor, organization_id)
    stmt = select(Payment).where(
        or_(Payment.payer_id == organization_id, Payment.payee_id == organization_id)
    )
    return stmt if status is None else stmt.where(Payment.status == status)


# --- webhooks ------------------------------------------------------------------------------


class WebhookRefused(Exception):
    """The body is not a genuine, fresh event of the provider (answer 400)."""


def receive_event(payload: bytes, signature: str | None) -> str:
    """Verify, store once, apply once — all in the caller's one transaction. A replay of an
    applied event changes nothing. If applying fails, only the application is undone (a
    savepoint): the edge may keep the stored event, which is applied when it comes again.
    Returns what happened, for the log. Raises WebhookRefused."""
    event = verify_event(payload, signature)
    stored_id = store_event(event)
    with db.session.begin_nested():
        return apply_event(stored_id)


def verify_event(payload: bytes, signature: str | None) -> dict:
    provider = cards()
    if provider is None:
        raise WebhookRefused("cards are not configured")
    try:
        event = provider.event(payload, signature)
    except InvalidEvent as exc:
        raise WebhookRefused(str(exc)) from exc
    if not str(event.get("id") or ""):
        raise WebhookRefused("event without an id")
    return event


def store_event(event: dict) -> int:
    """The stored row of this event, added if new. The same event delivered twice at once:
    the second insert fails in its savepoint, and the first's row is used."""
    name = cards().name
    event_id = str(event["id"])
    query = select(WebhookEvent.id).where(
        WebhookEvent.provider == name, WebhookEvent.event_id == event_id
    )
    stored_id = db.session.scalar(query)
    if stored_id is not None:
        return stored_id
    stored = WebhookEvent(
        provider=name, event_id=event_id, type=str(event.get("type", ""))[:80], payload=event
    )
    try:
        with db.session.begin_nested():
            db.session.add(stored)
        return stored.id
    except IntegrityError:
        return db.session.scalar(query)


def apply_event(stored_id: int) -> str:
    """Apply a stored event, once: under a lock of its row, with the mark that it was
    applied (a concurrent redelivery waits, then finds it applied). Emails and refunds go
    through the outbox, after the commit."""
    stored = lock(WebhookEvent, stored_id)
    if stored.applied_at is not None:
        return f"already applied: {stored.outcome}"
    event = stored.payload
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    outcome = "ignored"
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") in ("paid", "no_payment_required"):
            outcome = _card_outcome(stored.provider, obj, "succeed")
    elif kind == "payment_intent.succeeded":
        outcome = _card_outcome(stored.provider, obj, "succeed")
    elif kind in ("payment_intent.payment_failed", "checkout.session.async_payment_failed"):
        outcome = _card_outcome(stored.provider, obj, "fail")
    elif kind == "checkout.session.expired":
        outcome = _card_outcome(stored.provider, obj, "cancel")
    elif kind in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        outcome = refunds.refund_outcome(stored.provider, obj)
    stored.applied_at = utcnow()
    stored.outcome = outcome[:120]
    db.session.flush()
    return outcome


def _payment_of(provider: str, obj: dict) -> Payment | None:
    """Our payment for a provider's object: by its id (the session's or the intent's, kept
    when the session was made), else by the metadata we gave it. If both name a payment and
    they differ, the event is not ours to apply."""
    by_reference = None
    for reference in (obj.get("id"), obj.get("payment_intent")):
        if isinstance(reference, str) and by_reference is None:
            by_reference = db.session.scalar(
                select(ProviderReference.payment_id).where(
                    ProviderReference.provider == provider, ProviderReference.reference == reference
                )
            )
    payment_id = (obj.get("metadata") or {}).get("payment_id")
    by_metadata = int(payment_id) if payment_id and str(payment_id).isdigit() else None
    if by_reference and by_metadata and by_reference != by_metadata:
        return None
    chosen = by_reference or by_metadata
    return db.session.get(Payment, chosen) if chosen else None


def _amount_agrees(obj: dict, payment: Payment) -> bool:
    """The money the provider reports, when it reports it, is the payment's, in đồng."""
    for key in ("amount_total", "amount"):
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != payment.amount:
            return False
    currency = obj.get("currency")
    return currency is None or str(currency).lower() == payment.currency.lower()


def _card_outcome(provider: str, obj: dict, action: str) -> str:
    payment = _payment_of(provider, obj)
    if payment is None or payment.method is not PaymentMethod.CARD:
        return "ignored: unknown payment"
    if action == "succeed" and not _amount_agrees(obj, payment):
        current_app.logger.warning("the provider reports another amount for payment %s", payment.id)
        return "ignored: amount or currency differ"
    found = lock_payable(payment.payable_kind, payment.payable_id)
    payment = lock(Payment, payment.id)
    # Keep the intent's id: refunds are made against it.
    intent = obj.get("payment_intent") if obj.get("object") == "checkout.session" else obj.get("id")
    if isinstance(intent, str) and not known_reference(provider, intent):
        db.session.add(
            ProviderReference(
                provider=provider, reference=intent, kind="payment_intent", payment_id=payment.id
            )
        )
    if (payment.status, action) not in PAYMENT_TRANSITIONS:
        # A late failure after a success, a second success: nothing changes.
        return f"ignored: {action} when {payment.status.value}"
    # What is owed before this payment counts (it counts once it has succeeded).
    owed = outstanding(found)
    payment.status = step(PAYMENT_TRANSITIONS, payment.status, action)
    system = Actor.system()
    if payment.status is PaymentStatus.SUCCEEDED:
        payment.succeeded_at = utcnow()
        if not found.open or payment.amount > owed:
            # Paid meanwhile (by transfer, or another card), or no longer payable: the money
            # goes back to the card.
            payment.problem = "already_paid" if owed <= 0 else "not_payable"
            payment.fee = 0
            ledger.post_payment(payment)
            refunds.open_refund(payment, payment.amount, "not applied")
            audit.record(
                system,
                "payment.succeed_unapplied",
                "payment",
                payment.id,
                organization_id=payment.payer_id,
                details={"problem": payment.problem},
            )
            return "succeeded, not applied: refunding"
        payment.fee = commission(found, payment.amount)
        ledger.post_payment(payment)
        settle_if_covered(found, system)
        tell_payment(payment, found)
    audit.record(
        system, f"payment.{action}", "payment", payment.id, organization_id=payment.payer_id
    )
    return payment.status.value
