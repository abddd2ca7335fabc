"""The card provider protocol: what payment services ask of a card processor.

``app.extensions["cards"]`` holds one (``StripeCards``) when Stripe keys are configured, or
None: cards are then not offered, and bank transfers (VietQR) still work. Like ``Mailer`` and
``Storage``, services speak of payments and refunds, never of the provider's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class CardProviderError(Exception):
    """The provider could not be reached or refused the request; nothing was charged."""


class InvalidEvent(Exception):
    """A webhook whose signature is wrong or too old, or whose body is not an event."""


@dataclass(frozen=True)
class Checkout:
    """A hosted payment page for one payment."""

    session_id: str
    url: str
    payment_intent: str | None


class CardProvider(Protocol):
    #: The name its references are stored under (``ProviderReference.provider``).
    name: str

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
        """A hosted page for one payment; asking again for the same payment returns the same
        page (idempotent). Raises CardProviderError."""

    def refund(self, *, refund_id: int, payment_intent: str, amount: int) -> str:
        """Ask for a refund (idempotent per refund); returns the provider's refund id. The
        outcome comes by webhook. Raises CardProviderError."""

    def event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in a webhook body, once its signature and age are checked. Raises
        InvalidEvent."""
