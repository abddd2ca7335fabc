"""The outbox: enqueue messages to other systems inside a transaction, deliver them after it.

Handlers are registered explicitly by ``create_app`` in ``app.extensions["outbox_handlers"]``
(topic → callable taking the payload). A failed delivery keeps the message with its error
and schedules a retry with exponential back-off; ``flask outbox work`` retries them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import OutboxMessage
from marketplace.models._types import utcnow

log = logging.getLogger("marketplace.outbox")

MAX_BACKOFF = timedelta(hours=1)


def enqueue(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to the current transaction; it is delivered only if that commits."""
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    return message


#: Topics retried sooner: applying a search change twice is harmless, and search answers
#: from the database while changes wait.
MAX_BACKOFF_BY_TOPIC = {"search.index": timedelta(seconds=30)}


def _backoff(attempts: int, topic: str = "") -> timedelta:
    ceiling = MAX_BACKOFF_BY_TOPIC.get(topic, MAX_BACKOFF)
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), ceiling)


def _deliver_one(message: OutboxMessage) -> bool:
    handlers = current_app.extensions["outbox_handlers"]
    message.attempts += 1
    try:
        handler = handlers[message.topic]
        handler(message.payload)
    except Exception as exc:  # noqa: BLE001 - any failure of the other system is retried
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.next_attempt_at = utcnow() + _backoff(message.attempts, message.topic)
        log.warning("outbox message %s (%s) failed: %s", message.id, message.topic, exc)
        return False
    message.delivered_at = utcnow()
    message.last_error = None
    return True


def deliver(message_ids: Iterable[int]) -> int:
    """Try to deliver the given (already committed) messages now; returns how many succeeded."""
    ids = [i for i in message_ids if i is not None]
    if not ids or not current_app.config.get("OUTBOX_DELIVER_IMMEDIATELY", True):
        return 0
    return _deliver_where(OutboxMessage.id.in_(ids), limit=len(ids))


def deliver_due(limit: int = 100) -> int:
    """Deliver messages whose next attempt is due; safe to run in several workers at once."""
    return _deliver_where(OutboxMessage.next_attempt_at <= utcnow(), limit=limit)


def _deliver_where(condition: Any, limit: int) -> int:
    # SKIP LOCKED lets several workers (and the request that just committed) share the
    # queue without sending a message twice. SQLite ignores the locking clause; it
    # serialises writers anyway.
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), condition)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    delivered = 0
    try:
        for message in db.session.scalars(stmt).all():
            delivered += int(_deliver_one(message))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("outbox delivery pass failed")
    return delivered


def pending(topic: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if topic:
        stmt = stmt.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))


def deliver_after(response: Any, message_ids: list[int]) -> Any:
    """Deliver these (committed) messages once ``response`` has been sent to the client."""
    if not message_ids:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def after_close() -> None:
        with app.app_context():
            deliver(message_ids)

    response.call_on_close(after_close)
    return response
