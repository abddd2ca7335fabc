"""The outbox: messages to other systems (email, search index, storage clean-up) enqueued in
the same transaction as the change that causes them, and delivered only after it commits.

``enqueue`` adds a row to the session. Session events note which messages a commit made
durable; the edge that committed (``marketplace.unit_of_work``) takes their ids and has them
delivered after the response, or at once for a command or job. Handlers are registered
explicitly by ``create_app`` in ``app.extensions["outbox_handlers"]`` (topic → callable
taking the payload). A failed delivery keeps the message with its error and schedules a
retry with exponential back-off; ``flask outbox work`` retries them. Nothing here commits.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.models import OutboxMessage
from marketplace.models._types import utcnow

log = logging.getLogger("marketplace.outbox")

MAX_BACKOFF = timedelta(hours=1)
#: Topics retried sooner: applying a search change twice is harmless, and search answers
#: from the database while changes wait.
MAX_BACKOFF_BY_TOPIC = {"search.index": timedelta(seconds=30)}

_FLUSHED = "outbox_flushed"
_COMMITTED = "outbox_committed"


def enqueue(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to the current transaction; it is delivered only if that commits."""
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    return message


# --- which messages a commit made durable -------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(_FLUSHED, []).extend(ids)


def _after_commit(session: Session) -> None:
    flushed = session.info.pop(_FLUSHED, None)
    if flushed:
        session.info.setdefault(_COMMITTED, []).extend(flushed)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # A savepoint rolled back may leave ids of rows that never committed: delivery skips
    # an id it cannot find, so only the outermost rollback forgets them.
    if not previous_transaction.nested:
        session.info.pop(_FLUSHED, None)


_installed = False


def install_listeners() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True


def take_committed(session: Session | None = None) -> list[int]:
    """The ids of messages committed by this session and not yet handed over (once)."""
    session = session or db.session()
    return session.info.pop(_COMMITTED, [])


# --- delivery (the edge commits what it records) -----------------------------------------


def _backoff(attempts: int, topic: str = "") -> timedelta:
    ceiling = MAX_BACKOFF_BY_TOPIC.get(topic, MAX_BACKOFF)
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), ceiling)


def deliver_one(message: OutboxMessage) -> bool:
    """Run the message's handler once and record the outcome on the row (not committed)."""
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


def claim(condition: Any, limit: int) -> list[OutboxMessage]:
    """Undelivered messages matching ``condition``, locked for this transaction.

    SKIP LOCKED lets several workers (and the request that just committed) share the queue
    without sending a message twice. SQLite ignores the locking clause; it serialises
    writers anyway.
    """
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), condition)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(stmt))


def pending(topic: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if topic:
        stmt = stmt.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))
