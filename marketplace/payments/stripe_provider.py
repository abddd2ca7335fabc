"""Card payments through Stripe: Checkout Sessions, refunds and signed webhook events.

A thin layer over the official SDK, so the services speak of payments and refunds rather
than of Stripe's objects. VND is a zero-decimal currency: amounts go to Stripe as whole đồng.
"""

from __future__ import annotations

from typing import Any

import stripe

from marketplace.payments.base import CardProviderError, Checkout, InvalidEvent

__all__ = ["CardProviderError", "Checkout", "InvalidEvent", "StripeCards", "from_config"]


class StripeCards:
    """The ``CardProvider`` for Stripe Checkout."""

    name = "stripe"

    def __init__(
        self, secret_key: str, webhook_secret: str | None, api_base: str | None, tolerance: int
    ):
        addresses = {"api": api_base} if api_base else {}
        self._client = stripe.StripeClient(
            secret_key, base_addresses=addresses, max_network_retries=1
        )
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance

    def checkout(
        self,
        *,
        payment_id: int,
        amount: int,
        description: str,
        success_url: str,
        cancel_url: str,
        locale: str,
    ) -> Checkout:
        """A Checkout Session for one payment. The idempotency key makes a retried request
        (a double click, a network error) return the same session instead of a second one."""
        metadata = {"payment_id": str(payment_id)}
        try:
            session = self._client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "client_reference_id": str(payment_id),
                    "locale": "vi" if locale == "vi" else "en",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": "vnd",
                                "unit_amount": amount,
                                "product_data": {"name": description[:250]},
                            },
                        }
                    ],
                    "metadata": metadata,
                    "payment_intent_data": {"metadata": metadata},
                },
                options={"idempotency_key": f"payment-{payment_id}"},
            )
        except stripe.StripeError as exc:
            raise CardProviderError(str(exc)) from exc
        intent = session.payment_intent
        return Checkout(
            session_id=session.id,
            url=session.url or "",
            payment_intent=intent if isinstance(intent, str) or intent is None else intent.id,
        )

    def refund(self, *, refund_id: int, payment_intent: str, amount: int) -> str:
        """Ask Stripe to refund; returns Stripe's refund id. The outcome comes by webhook."""
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent,
                    "amount": amount,
                    "metadata": {"refund_id": str(refund_id)},
                },
                options={"idempotency_key": f"refund-{refund_id}"},
            )
        except stripe.StripeError as exc:
            raise CardProviderError(str(exc)) from exc
        return refund.id

    def event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in a webhook body, once its signature and timestamp are checked."""
        if not self._webhook_secret:
            raise InvalidEvent("no webhook secret configured")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature or "", self._webhook_secret, tolerance=self._tolerance
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidEvent(str(exc)) from exc
        return event.to_dict()


def from_config(config: dict[str, Any]) -> StripeCards | None:
    """The card provider, or None when no key is configured (cards are then not offered)."""
    if not config.get("STRIPE_SECRET_KEY"):
        return None
    return StripeCards(
        config["STRIPE_SECRET_KEY"],
        config.get("STRIPE_WEBHOOK_SECRET"),
        config.get("STRIPE_API_BASE"),
        int(config.get("STRIPE_WEBHOOK_TOLERANCE") or 300),
    )
