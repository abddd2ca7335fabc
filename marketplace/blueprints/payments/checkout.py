"""Starting a card payment at the edge: the one flow that commits more than once, so that the
card provider is never called inside a transaction.

1. ``cards.begin_card_payment`` makes (or reuses) the pending payment; commit.
2. The provider opens its page — no transaction open, so a slow or failing provider holds
   no lock and loses nothing.
3. ``cards.record_checkout`` keeps the page's references, or ``cards.checkout_failed`` marks
   the payment failed with a clear message; commit.
"""

from __future__ import annotations

from flask import after_this_request, has_request_context

from marketplace import unit_of_work
from marketplace.extensions import db
from marketplace.models import PayableKind, Payment
from marketplace.payments.base import CardProviderError
from marketplace.services.context import Actor
from marketplace.services.payments import cards


def start_card_payment(
    actor: Actor, kind: PayableKind, payable_id: int, *, locale: str
) -> tuple[Payment, str]:
    """(the pending payment, the URL of the provider's page). Raises what
    ``begin_card_payment`` raises, and ValidationFailed when the provider fails (the
    payment is then recorded as failed)."""
    attempt = cards.begin_card_payment(actor, kind, payable_id)
    _commit()
    try:
        checkout = cards.open_checkout(attempt, locale=locale)
    except CardProviderError as exc:
        refused = cards.checkout_failed(attempt.payment_id, str(exc))
        _commit()
        raise refused from exc
    cards.record_checkout(attempt.payment_id, checkout)
    _commit()
    return db.session.get_one(Payment, attempt.payment_id), checkout.url


def _commit() -> None:
    """Commit this step; what it queued goes after the response (or now, outside one)."""
    messages = unit_of_work.commit()
    if not messages:
        return
    if has_request_context():
        after_this_request(lambda response: unit_of_work.deliver_after(response, messages))
    else:
        unit_of_work.deliver(messages)
