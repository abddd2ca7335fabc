"""Paying what is owed: contract invoices (buyer → co-op) and fair fees (co-op → organiser),
by card (Stripe Checkout, confirmed by signed webhooks) or by bank transfer to the payee's own
account (VietQR; recorded by the payee or an admin, or matched from a bank statement).

PAYMENT_TRANSITIONS: pending → succeeded | failed | cancelled; failed → succeeded (a retry).
Every change to a payable's payments runs under a row lock of the payable (the invoice, or the
fair for a booth fee), so a card payment and a transfer racing for one invoice settle it once;
the loser is refused (a transfer) or refunded (card money that arrived second).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.i18n import format_money
from marketplace.models import (
    Category,
    Invoice,
    InvoiceStatus,
    Listing,
    Organization,
    PayableKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    ProviderReference,
    Refund,
    RefundStatus,
    Role,
    WebhookEvent,
)
from marketplace.models._types import utcnow
from marketplace.models.fairs import ApplicationStatus, Fair, FairApplication
from marketplace.payments import vietqr
from marketplace.payments.stripe_provider import CardProviderError
from marketplace.services import audit, ledger
from marketplace.services.context import Actor
from marketplace.services.deals import amount_of, tell, text_of
from marketplace.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.services.locking import lock
from marketplace.services.permissions import membership_of, require_admin, require_login
from marketplace.services.states import step
from marketplace.urls import external_url
from marketplace.validation import InvalidValue
from marketplace.vietnam import today

P = PaymentStatus
PAYMENT_TRANSITIONS: dict[tuple[PaymentStatus, str], PaymentStatus] = {
    (P.PENDING, "succeed"): P.SUCCEEDED,
    (P.FAILED, "succeed"): P.SUCCEEDED,
    # Stripe's page can still be paid after the payer came back through "cancel".
    (P.CANCELLED, "succeed"): P.SUCCEEDED,
    (P.PENDING, "fail"): P.FAILED,
    (P.PENDING, "cancel"): P.CANCELLED,
    (P.SUCCEEDED, "reverse"): P.REVERSED,
}
R = RefundStatus
REFUND_TRANSITIONS: dict[tuple[RefundStatus, str], RefundStatus] = {
    (R.PENDING, "succeed"): R.SUCCEEDED,
    (R.PENDING, "fail"): R.FAILED,
}


# --- payables ------------------------------------------------------------


@dataclass
class Payable:
    """Something owed: what, how much, by whom to whom, and its transfer reference."""

    kind: PayableKind
    id: int
    amount: int
    payer_id: int
    payee_id: int
    number: str
    #: Still waiting for money (not paid, void, expired or cancelled).
    open: bool
    category_id: int | None = None
    #: Fair fees: the fair's page, where the payer came from.
    fair_slug: str | None = None

    @property
    def reference(self) -> str:
        return transfer_reference(self.kind, self.id)


_REFERENCE = re.compile(r"\bCH([IF])([1-9]\d{0,9})([A-Z])\b")


def transfer_reference(kind: PayableKind, payable_id: int) -> str:
    """A short reference for the transfer message: "CHI123K" (invoice 123) or "CHF45B" (fair
    fee 45); the last letter is a check letter, so a mistyped digit does not match another."""
    letter = "I" if kind is PayableKind.INVOICE else "F"
    check = sum((i + 3) * int(d) for i, d in enumerate(str(payable_id))) + ord(letter)
    return f"CH{letter}{payable_id}{chr(ord('A') + check % 26)}"


def parse_reference(text: str) -> tuple[PayableKind, int] | None:
    """The payable named in a transfer message, if it holds a valid reference."""
    for letter, digits, check in _REFERENCE.findall((text or "").upper().replace("-", "")):
        kind = PayableKind.INVOICE if letter == "I" else PayableKind.FAIR_FEE
        # Compared as typed: a digit dropped or a leading zero added does not match.
        if transfer_reference(kind, int(digits)) == f"CH{letter}{digits}{check}":
            return kind, int(digits)
    return None


def payable(kind: PayableKind, payable_id: int) -> Payable:
    if kind is PayableKind.INVOICE:
        invoice = db.session.get(Invoice, payable_id)
        if invoice is None:
            raise NotFound("invoice")
        # The commission follows the category of what was sold: the listing's, or else the
        # request's line.
        contract = invoice.contract
        listing_id = contract.lines[0].listing_id if contract.lines else None
        category = db.session.scalar(select(Listing.category_id).where(Listing.id == listing_id))
        if category is None and contract.rfq is not None and contract.rfq.lines:
            category = contract.rfq.lines[0].category_id
        return Payable(
            kind,
            invoice.id,
            invoice.total,
            invoice.buyer_id,
            invoice.coop_id,
            invoice.number,
            invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE),
            category,
        )
    application = db.session.get(FairApplication, payable_id)
    if application is None or application.fee_amount is None:
        raise NotFound("fair fee")
    return Payable(
        kind,
        application.id,
        application.fee_amount,
        application.organization_id,
        application.fair.organization_id,
        application.fair.name_vi,
        application.status is ApplicationStatus.ACCEPTED,
        fair_slug=application.fair.slug,
    )


def _lock_payable(kind: PayableKind, payable_id: int) -> Payable:
    """Lock what settles the payable (the invoice; the fair, which serialises all booth
    changes), then read it afresh."""
    if kind is PayableKind.INVOICE:
        lock(Invoice, payable_id)
    else:
        application = db.session.get(FairApplication, payable_id)
        if application is None:
            raise NotFound("fair fee")
        lock(Fair, application.fair_id)
        lock(FairApplication, payable_id)
    return payable(kind, payable_id)


def paid_so_far(kind: PayableKind, payable_id: int) -> int:
    """Succeeded payments that settled this payable. A later refund (goods returned, a
    goodwill gesture) does not reopen it: refunds are on the payment, not the payable."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.payable_kind == kind,
                Payment.payable_id == payable_id,
                Payment.status == PaymentStatus.SUCCEEDED,
                Payment.problem.is_(None),
            )
        )
        or 0
    )


def payments_of(kind: PayableKind, payable_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.payable_kind == kind, Payment.payable_id == payable_id)
            .order_by(Payment.id)
        )
    )


def commission(found: Payable, amount: int) -> int:
    """The platform's fee on ``amount``: the category's rate, else the platform's, rounded
    down to the đồng."""
    bps = None
    if found.category_id is not None:
        bps = db.session.scalar(
            select(Category.commission_bps).where(Category.id == found.category_id)
        )
    if bps is None:
        bps = int(current_app.config["PLATFORM_COMMISSION_BPS"])
    return amount * bps // 10_000


def _new_payment(found: Payable, amount: int, method: PaymentMethod, actor: Actor, **values):
    return Payment(
        payable_kind=found.kind,
        payable_id=found.id,
        amount=amount,
        payer_id=found.payer_id,
        payee_id=found.payee_id,
        method=method,
        created_by_id=actor.user_id,
        **values,
    )


def _settle(found: Payable, actor: Actor) -> list[int]:
    """Mark the payable paid once its payments cover it (the caller holds its lock); returns
    the notices its workflow sends."""
    if paid_so_far(found.kind, found.id) < found.amount:
        return []
    if found.kind is PayableKind.INVOICE:
        from marketplace.services.invoices import mark_paid

        mark_paid(actor, found.id)
        return []
    from marketplace.services.fairs import settle_fee

    return settle_fee(actor, found.id)


# --- who may do what ------------------------------------------------------------


def _member(actor: Actor, organization_id: int, role: Role) -> bool:
    membership = membership_of(actor.user, organization_id)
    return membership is not None and membership.role.at_least(role)


def view_payable(actor: Actor, kind: PayableKind, payable_id: int) -> Payable:
    """A payable for its payer, its payee or an admin; anyone else NotFound."""
    user = require_login(actor)
    found = payable(kind, payable_id)
    if not (
        user.is_admin
        or membership_of(user, found.payer_id) is not None
        or membership_of(user, found.payee_id) is not None
    ):
        raise NotFound("payable")
    return found


def bank_details(found: Payable) -> dict | None:
    """Where to transfer: the payee's bank account and the VietQR payload, if it has one."""
    payee = db.session.get(Organization, found.payee_id)
    if not (payee and payee.bank_bin and payee.bank_account_number):
        return None
    outstanding = found.amount - paid_so_far(found.kind, found.id)
    if outstanding <= 0:
        return None
    return {
        "bank": vietqr.BANKS.get(payee.bank_bin),
        "bin": payee.bank_bin,
        "account": payee.bank_account_number,
        "holder": payee.bank_account_name or payee.legal_name or payee.name,
        "amount": outstanding,
        "reference": found.reference,
        "payload": vietqr.payload(
            payee.bank_bin, payee.bank_account_number, outstanding, found.reference
        ),
    }


# --- cards ------------------------------------------------------------


def _known(provider: str, reference: str) -> bool:
    return bool(
        db.session.scalar(
            select(ProviderReference.id).where(
                ProviderReference.provider == provider, ProviderReference.reference == reference
            )
        )
    )


def cards():
    return current_app.extensions.get("cards")


def start_card_payment(
    actor: Actor, kind: PayableKind, payable_id: int, *, locale: str
) -> tuple[Payment, str]:
    """The payer's owner or manager starts paying by card: a pending payment, then a Stripe
    Checkout Session (after the commit, so a Stripe outage loses nothing: the payment is
    marked failed and the page says so). Returns (payment, the URL of Stripe's page)."""
    provider = cards()
    if provider is None:
        raise ValidationFailed({"method": _l("Card payments are not available.")})
    found = view_payable(actor, kind, payable_id)
    if not _member(actor, found.payer_id, Role.MANAGER):
        raise PermissionDenied("the payer's owner or manager pays")
    found = _lock_payable(kind, payable_id)
    outstanding = found.amount - paid_so_far(kind, payable_id)
    if not found.open or outstanding <= 0:
        raise ValidationFailed({"method": _l("This is already paid, or can no longer be paid.")})
    # A second click (or a return to the page) reuses the open attempt: the same idempotency
    # key brings back the same Stripe page, so the payable is not paid twice.
    recent = db.session.scalar(
        select(Payment)
        .where(
            Payment.payable_kind == kind,
            Payment.payable_id == payable_id,
            Payment.method == PaymentMethod.CARD,
            Payment.status == PaymentStatus.PENDING,
            Payment.amount == outstanding,
            Payment.created_at > utcnow() - timedelta(hours=1),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if recent is not None:
        db.session.flush()
        return recent, _checkout(provider, recent, found, locale)
    payment = _new_payment(found, outstanding, PaymentMethod.CARD, actor)
    db.session.add(payment)
    db.session.flush()
    audit.record(
        actor,
        "payment.start",
        "payment",
        payment.id,
        organization_id=found.payer_id,
        details={"method": "card", "amount": outstanding},
    )
    db.session.flush()
    return payment, _checkout(provider, payment, found, locale)


def _checkout(provider, payment: Payment, found: Payable, locale: str) -> str:
    """Stripe's page for a pending payment (after the commit); a Stripe outage fails the
    payment with a clear message and loses nothing."""
    try:
        checkout = provider.checkout(
            payment_id=payment.id,
            amount=payment.amount,
            description=f"{found.number} · Chợ HTX",
            success_url=external_url("payments.card_return", payment_id=payment.id),
            cancel_url=external_url("payments.card_cancel", payment_id=payment.id),
            locale=locale,
        )
    except CardProviderError as exc:
        payment = lock(Payment, payment.id)
        payment.status = step(PAYMENT_TRANSITIONS, payment.status, "fail")
        audit.record(
            Actor.system(),
            "payment.fail",
            "payment",
            payment.id,
            organization_id=found.payer_id,
            details={"error": str(exc)[:200]},
        )
        db.session.flush()
        raise ValidationFailed(
            {
                "method": _l(
                    "Card payments are unavailable right now. "
                    "Try again later, or pay by bank transfer."
                )
            }
        ) from exc
    for reference, what in (
        (checkout.session_id, "checkout_session"),
        (checkout.payment_intent, "payment_intent"),
    ):
        if reference and not _known("stripe", reference):
            db.session.add(
                ProviderReference(
                    provider="stripe", reference=reference, kind=what, payment_id=payment.id
                )
            )
    db.session.flush()
    return checkout.url


def payment_for(actor: Actor, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or not (
        _member(actor, payment.payer_id, Role.STAFF)
        or _member(actor, payment.payee_id, Role.STAFF)
        or (actor.user is not None and actor.user.is_admin)
    ):
        raise NotFound("payment")
    return payment


# --- webhooks ------------------------------------------------------------


class WebhookRefused(Exception):
    """The body is not a genuine, fresh Stripe event (answer 400)."""


def receive_stripe_event(payload: bytes, signature: str | None) -> str:
    """Verify, store once, apply once. A replay of an applied event changes nothing; an event
    stored but not applied (a crash between the two) is applied when it comes again.
    Returns what happened, for the log."""
    provider = cards()
    if provider is None:
        raise WebhookRefused("cards are not configured")
    from marketplace.payments.stripe_provider import InvalidEvent

    try:
        event = provider.event(payload, signature)
    except InvalidEvent as exc:
        raise WebhookRefused(str(exc)) from exc
    event_id = str(event.get("id") or "")
    if not event_id:
        raise WebhookRefused("event without an id")
    stored = db.session.scalar(
        select(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.event_id == event_id
        )
    )
    if stored is None:
        stored = WebhookEvent(
            provider="stripe",
            event_id=event_id,
            type=str(event.get("type", ""))[:80],
            payload=event,
        )
        db.session.add(stored)
        try:
            db.session.flush()
        except IntegrityError:  # the same event, delivered twice at once
            db.session.rollback()
            stored = db.session.scalar(
                select(WebhookEvent).where(
                    WebhookEvent.provider == "stripe", WebhookEvent.event_id == event_id
                )
            )
    return apply_event(stored.id)


@dataclass
class _Effects:
    """What applying an event leaves to do after its commit."""

    messages: list[int]
    refunds: list[int]


def apply_event(stored_id: int) -> str:
    """Apply a stored event, once: under a lock of its row, in one transaction with the
    mark that it was applied (a concurrent redelivery waits, then finds it applied). Emails
    and refunds to Stripe go after the commit."""
    stored = lock(WebhookEvent, stored_id)
    if stored.applied_at is not None:
        db.session.flush()
        return f"already applied: {stored.outcome}"
    event = stored.payload
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    effects = _Effects([], [])
    outcome = "ignored"
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") in ("paid", "no_payment_required"):
            outcome = _card_outcome(obj, "succeed", effects)
    elif kind == "payment_intent.succeeded":
        outcome = _card_outcome(obj, "succeed", effects)
    elif kind in ("payment_intent.payment_failed", "checkout.session.async_payment_failed"):
        outcome = _card_outcome(obj, "fail", effects)
    elif kind == "checkout.session.expired":
        outcome = _card_outcome(obj, "cancel", effects)
    elif kind in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        outcome = _refund_outcome(obj)
    stored.applied_at = utcnow()
    stored.outcome = outcome[:120]
    db.session.flush()
    for refund_id in effects.refunds:
        send_refund(refund_id)
    return outcome


def _payment_of(obj: dict) -> Payment | None:
    """Our payment for a Stripe object: by its id (the session's or the intent's, kept when
    the session was made), else by the metadata we gave it. If both name a payment and they
    differ, the event is not ours to apply."""
    by_reference = None
    for reference in (obj.get("id"), obj.get("payment_intent")):
        if isinstance(reference, str) and by_reference is None:
            by_reference = db.session.scalar(
                select(ProviderReference.payment_id).where(
                    ProviderReference.provider == "stripe", ProviderReference.reference == reference
                )
            )
    payment_id = (obj.get("metadata") or {}).get("payment_id")
    by_metadata = int(payment_id) if payment_id and str(payment_id).isdigit() else None
    if by_reference and by_metadata and by_reference != by_metadata:
        return None
    chosen = by_reference or by_metadata
    return db.session.get(Payment, chosen) if chosen else None


def _amount_agrees(obj: dict, payment: Payment) -> bool:
    """The money Stripe reports, when it reports it, is the payment's, in đồng."""
    for key in ("amount_total", "amount"):
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != payment.amount:
            return False
    currency = obj.get("currency")
    return currency is None or str(currency).lower() == payment.currency.lower()


def _card_outcome(obj: dict, action: str, effects: _Effects) -> str:
    payment = _payment_of(obj)
    if payment is None or payment.method is not PaymentMethod.CARD:
        return "ignored: unknown payment"
    if action == "succeed" and not _amount_agrees(obj, payment):
        current_app.logger.warning("Stripe reports another amount for payment %s", payment.id)
        return "ignored: amount or currency differ"
    found = _lock_payable(payment.payable_kind, payment.payable_id)
    payment = lock(Payment, payment.id)
    # Keep the intent's id: refunds are made against it.
    intent = obj.get("payment_intent") if obj.get("object") == "checkout.session" else obj.get("id")
    if isinstance(intent, str) and not _known("stripe", intent):
        db.session.add(
            ProviderReference(
                provider="stripe", reference=intent, kind="payment_intent", payment_id=payment.id
            )
        )
    if (payment.status, action) not in PAYMENT_TRANSITIONS:
        # A late failure after a success, a second success: nothing changes.
        return f"ignored: {action} when {payment.status.value}"
    # What is owed before this payment counts (it counts once it has succeeded).
    outstanding = found.amount - paid_so_far(found.kind, found.id)
    payment.status = step(PAYMENT_TRANSITIONS, payment.status, action)
    system = Actor.system()
    if payment.status is PaymentStatus.SUCCEEDED:
        payment.succeeded_at = utcnow()
        if not found.open or payment.amount > outstanding:
            # Paid meanwhile (by transfer, or another card), or no longer payable: the money
            # goes back to the card.
            payment.problem = "already_paid" if outstanding <= 0 else "not_payable"
            payment.fee = 0
            ledger.post_payment(payment)
            refund = Refund(payment_id=payment.id, amount=payment.amount, reason="not applied")
            db.session.add(refund)
            db.session.flush()
            effects.refunds.append(refund.id)
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
        effects.messages += _settle(found, system)
        effects.messages += _tell_payment(payment, found)
    audit.record(
        system, f"payment.{action}", "payment", payment.id, organization_id=payment.payer_id
    )
    return payment.status.value


def _tell_payment(payment: Payment, found: Payable) -> list[int]:
    endpoint = "contracts.invoice" if found.kind is PayableKind.INVOICE else "payments.pay"
    values = (
        {"invoice_id": found.id}
        if found.kind is PayableKind.INVOICE
        else {"kind": found.kind.value, "payable_id": found.id}
    )
    messages = []
    for org_id in (payment.payer_id, payment.payee_id):
        messages += tell(
            org_id,
            "payment_received",
            _l("Payment received: %(number)s", number=found.number),
            endpoint,
            context={"payment": payment, "number": found.number},
            **values,
        )
    return messages


# --- refunds ------------------------------------------------------------


def request_refund(actor: Actor, payment_id: int, amount: str, reason: str) -> Refund:
    """An admin, or the payee's owner or manager (the organiser of a fair, the co-op of an
    invoice), refunds part or all of a card payment through Stripe; the result comes back
    by webhook. More than what is left to refund is refused."""
    payment = db.session.get(Payment, payment_id)
    user = require_login(actor)
    if payment is None or not (user.is_admin or _member(actor, payment.payee_id, Role.STAFF)):
        raise NotFound("payment")
    if not user.is_admin and not _member(actor, payment.payee_id, Role.MANAGER):
        raise PermissionDenied("owners and managers refund")
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
    refund = Refund(payment_id=payment.id, amount=value, reason=text, requested_by_id=actor.user_id)
    db.session.add(refund)
    db.session.flush()
    audit.record(
        actor,
        "refund.request",
        "refund",
        refund.id,
        organization_id=payment.payee_id,
        details={"payment": payment.id, "amount": value},
    )
    db.session.flush()
    send_refund(refund.id)
    return refund


def send_refund(refund_id: int) -> bool:
    """Ask Stripe for a pending refund (after the commit that created it). A failure leaves
    it pending; ``retry_refunds`` (run by ``flask outbox work``) sends it again, and the
    idempotency key makes a repeated request return Stripe's first refund."""
    refund = db.session.get(Refund, refund_id)
    provider = cards()
    if refund is None or refund.status is not RefundStatus.PENDING or provider is None:
        return False
    if db.session.scalar(
        select(ProviderReference.id).where(
            ProviderReference.refund_id == refund.id, ProviderReference.provider == "stripe"
        )
    ):
        return True  # already with Stripe: its webhook tells the outcome
    intent = db.session.scalar(
        select(ProviderReference.reference).where(
            ProviderReference.payment_id == refund.payment_id,
            ProviderReference.kind == "payment_intent",
        )
    )
    if intent is None:
        current_app.logger.warning("refund %s: no payment intent known yet", refund.id)
        return False
    try:
        external = provider.refund(refund_id=refund.id, payment_intent=intent, amount=refund.amount)
    except CardProviderError:
        current_app.logger.warning("refund %s could not be sent to Stripe; retry later", refund.id)
        return False
    if not _known("stripe", external):
        db.session.add(
            ProviderReference(
                provider="stripe", reference=external, kind="refund", refund_id=refund.id
            )
        )
        db.session.flush()
    return True


def retry_refunds() -> int:
    """Send every pending refund Stripe has not acknowledged yet; returns how many went."""
    acknowledged = select(ProviderReference.refund_id).where(
        ProviderReference.provider == "stripe", ProviderReference.refund_id.is_not(None)
    )
    waiting = db.session.scalars(
        select(Refund.id).where(
            Refund.status == RefundStatus.PENDING, Refund.id.not_in(acknowledged)
        )
    ).all()
    return sum(send_refund(refund_id) for refund_id in waiting)


def _refund_outcome(obj: dict) -> str:
    refund_id = None
    if isinstance(obj.get("id"), str):
        refund_id = db.session.scalar(
            select(ProviderReference.refund_id).where(
                ProviderReference.provider == "stripe", ProviderReference.reference == obj["id"]
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


# --- bank transfers ------------------------------------------------------------


def record_transfer(
    actor: Actor,
    kind: PayableKind,
    payable_id: int,
    *,
    amount: str,
    paid_on: date | None,
    bank_reference: str,
    partial: bool = False,
    notices: list[int] | None = None,
) -> Payment:
    """The payee's owner or manager (or an admin) records a transfer that reached the payee's
    account. A transfer differing from what is owed is flagged and refused, unless it is
    knowingly recorded as a part payment (never more than owed); the same bank reference is
    never recorded twice for one payee. With ``notices``, the caller commits and sends."""
    user = require_login(actor)
    found = payable(kind, payable_id)
    if not (user.is_admin or _member(actor, found.payee_id, Role.STAFF)):
        if _member(actor, found.payer_id, Role.STAFF):
            raise PermissionDenied("the payee records what reached its account")
        raise NotFound("payable")
    if not user.is_admin and not _member(actor, found.payee_id, Role.MANAGER):
        raise PermissionDenied("owners and managers record payments")
    errors: dict[str, object] = {}
    value = 0
    try:
        value = amount_of(amount, at_most=found.amount)
    except InvalidValue as exc:
        errors["amount"] = exc.message
    if paid_on is None:
        errors["paid_on"] = _l("Enter the date of the payment.")
    elif paid_on > today():
        errors["paid_on"] = _l("The payment date cannot be in the future.")
    elif paid_on < today() - timedelta(days=730):
        errors["paid_on"] = _l("Check the date.")
    reference = text_of(bank_reference, 120)
    if not reference:
        errors["bank_reference"] = _l("Enter the bank's reference of the transfer.")
    if errors:
        raise ValidationFailed(errors)
    found = _lock_payable(kind, payable_id)
    outstanding = found.amount - paid_so_far(kind, payable_id)
    if not found.open or outstanding <= 0:
        raise ValidationFailed({"amount": _l("This is already paid, or can no longer be paid.")})
    if value > outstanding:
        raise ValidationFailed(
            {
                "amount": _l(
                    "Overpaid: %(amount)s is still owed, the transfer is more. "
                    "Return the difference, then record what is owed.",
                    amount=format_money(outstanding),
                )
            }
        )
    if value < outstanding and not partial:
        raise ValidationFailed(
            {
                "amount": _l(
                    "Underpaid: %(amount)s is owed. Tick “part payment” to record it as a part.",
                    amount=format_money(outstanding),
                )
            }
        )
    payment = _new_payment(
        found,
        value,
        PaymentMethod.BANK_TRANSFER,
        actor,
        status=PaymentStatus.SUCCEEDED,
        paid_on=paid_on,
        bank_reference=reference,
        succeeded_at=utcnow(),
    )
    payment.fee = commission(found, value)
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        ProviderReference(
            provider=f"bank:{found.payee_id}",
            reference=reference,
            kind="bank_transfer",
            payment_id=payment.id,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(
            {"bank_reference": _l("A transfer with this bank reference is already recorded.")}
        ) from None
    ledger.post_payment(payment)
    settled = _settle(found, actor)
    audit.record(
        actor,
        "payment.transfer",
        "payment",
        payment.id,
        organization_id=found.payee_id,
        details={"amount": value, "reference": reference, "payable": f"{kind.value}:{payable_id}"},
    )
    messages = settled + _tell_payment(payment, found)
    if notices is None:
        db.session.flush()
    else:  # part of a larger change: the caller commits, then sends them
        notices.extend(messages)
    return payment


# --- payouts and statements ------------------------------------------------------------


def record_payout(
    actor: Actor, organization_id: int, *, amount: str, paid_on: date | None, bank_reference: str
) -> Payout:
    """An admin records money sent to an organisation; never more than it is owed."""
    require_admin(actor)
    organization = lock(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    errors: dict[str, object] = {}
    owed = ledger.owed_to(organization_id)
    value = 0
    try:
        value = amount_of(amount, at_most=max(owed, 1))
    except InvalidValue as exc:
        errors["amount"] = exc.message
    if owed <= 0:
        errors["amount"] = _l("Nothing is owed to this organisation.")
    if paid_on is None or paid_on > today() or paid_on < today() - timedelta(days=366):
        errors["paid_on"] = _l("Enter the date of the payment.")
    reference = text_of(bank_reference, 120)
    if not reference:
        errors["bank_reference"] = _l("Enter the bank's reference of the transfer.")
    if errors:
        raise ValidationFailed(errors)
    payout = Payout(
        organization_id=organization_id,
        amount=value,
        paid_on=paid_on,
        bank_reference=reference,
        recorded_by_id=actor.user_id,
    )
    db.session.add(payout)
    db.session.flush()
    # One bank transaction is one payout (a double submit records it once).
    db.session.add(
        ProviderReference(provider=f"payout:{organization_id}", reference=reference, kind="payout")
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(
            {"bank_reference": _l("A payout with this bank reference is already recorded.")}
        ) from None
    ledger.post_payout(payout)
    audit.record(
        actor,
        "payout.record",
        "payout",
        payout.id,
        organization_id=organization_id,
        details={"amount": value, "reference": reference},
    )
    db.session.flush()
    return payout


def owed_list(actor: Actor) -> list[tuple[Organization, int]]:
    """Organisations the platform owes money to, most first (admin): from one read of the
    balances, not a query per organisation."""
    require_admin(actor)
    owed: dict[int, int] = defaultdict(int)
    for (account, org_id), total in ledger.balances().items():
        if org_id is not None and account in ("payable", "receivable"):
            owed[org_id] -= total
    positive = {org_id: amount for org_id, amount in owed.items() if amount > 0}
    organizations = db.session.scalars(
        select(Organization).where(Organization.id.in_(positive or [0]))
    )
    return sorted(((o, positive[o.id]) for o in organizations), key=lambda pair: -pair[1])


def named_balances(actor: Actor) -> list[tuple[str, str | None, int]]:
    """Every ledger balance as (account, organisation's name or None for the platform,
    amount), for the admin's page."""
    require_admin(actor)
    balances = ledger.balances()
    ids = {org_id for _account, org_id in balances if org_id is not None}
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids or [0]))
        ).all()
    )
    rows = [
        (account, names.get(org_id) if org_id else None, total)
        for (account, org_id), total in balances.items()
    ]
    return sorted(rows, key=lambda row: (row[0], row[1] or ""))


@dataclass
class Statement:
    organization: Organization
    owed: int
    payments_in: list[Payment]
    payments_out: list[Payment]
    payouts: list[Payout]
    entries: list


def statement(actor: Actor, organization_id: int) -> Statement:
    """What an organisation was paid, paid, was paid out, and is owed (members, admins)."""
    user = require_login(actor)
    if not (user.is_admin or membership_of(user, organization_id) is not None):
        raise NotFound("organization")
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")

    def latest(model, column):
        return list(
            db.session.scalars(
                select(model).where(column == organization_id).order_by(model.id.desc()).limit(200)
            )
        )

    return Statement(
        organization,
        ledger.owed_to(organization_id),
        latest(Payment, Payment.payee_id),
        latest(Payment, Payment.payer_id),
        latest(Payout, Payout.organization_id),
        ledger.entries_of(organization_id),
    )


def save_bank_account(
    actor: Actor, organization_id: int, *, bin: str, account: str, holder: str
) -> Organization:
    """An owner or manager sets where transfers to the organisation go (VietQR)."""
    membership = membership_of(require_login(actor), organization_id)
    if membership is None:
        raise NotFound("organization")
    if not membership.role.at_least(Role.MANAGER):
        raise PermissionDenied("owners and managers")
    errors: dict[str, object] = {}
    if bin not in vietqr.BANKS:
        errors["bin"] = _l("Choose your bank.")
    number = "".join((account or "").split())
    if not (number.isascii() and number.isdigit() and 6 <= len(number) <= 19):
        errors["account"] = _l("An account number has 6 to 19 digits.")
    name = text_of(holder, 120)
    if not name:
        errors["holder"] = _l("Enter the account holder's name as the bank shows it.")
    if errors:
        raise ValidationFailed(errors)
    organization = lock(Organization, organization_id)
    organization.bank_bin, organization.bank_account_number, organization.bank_account_name = (
        bin,
        number,
        name,
    )
    audit.record(
        actor,
        "organization.bank_account",
        "organization",
        organization_id,
        organization_id=organization_id,
        details={"bin": bin, "account": number[-4:]},
    )
    db.session.flush()
    return organization


def reverse_transfer(actor: Actor, payment_id: int, reason: str) -> Payment:
    """Undo a bank transfer recorded by mistake (wrong invoice, wrong amount): the payee's
    owner or manager, or an admin, with a reason. Its ledger entries are reversed, not
    deleted, and the payable is owed again if the remaining payments no longer cover it."""
    payment = payment_for(actor, payment_id)
    user = require_login(actor)
    if not user.is_admin and not _member(actor, payment.payee_id, Role.MANAGER):
        raise PermissionDenied("the payee's owners and managers")
    text = (reason or "").strip()[:2000]
    if not text:
        raise ValidationFailed({"reason": _l("Say why the record is wrong.")})
    if payment.method is not PaymentMethod.BANK_TRANSFER:
        raise ValidationFailed({"reason": _l("Card payments are refunded, not reversed.")})
    found = _lock_payable(payment.payable_kind, payment.payable_id)
    payment = lock(Payment, payment.id)
    payment.status = step(PAYMENT_TRANSITIONS, payment.status, "reverse")
    ledger.post_reversal(payment)
    if paid_so_far(found.kind, found.id) < found.amount:
        _reopen(found, actor)
    audit.record(
        actor,
        "payment.reverse",
        "payment",
        payment.id,
        organization_id=payment.payee_id,
        details={"reason": text, "amount": payment.amount, "reference": payment.bank_reference},
    )
    db.session.flush()
    return payment


def _reopen(found: Payable, actor: Actor) -> None:
    """A payable marked paid is owed again (the caller holds its lock)."""
    if found.kind is PayableKind.INVOICE:
        from marketplace.services.invoices import reopen

        reopen(actor, found.id)
    else:
        from marketplace.services.fairs import reopen_fee

        reopen_fee(actor, found.id)
