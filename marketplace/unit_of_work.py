"""One unit of work per request, command, webhook or outbox job.

Services change and flush; they never commit. The edge that called them commits once, here:

- a request: ``register`` commits after a state-changing request (POST, PUT, PATCH, DELETE)
  that answered below 400 and rolls back anything else — a GET, HEAD or OPTIONS request never
  writes. What the commit queued in the outbox is delivered after the response has gone out;
- a command or job: ``complete()`` commits and delivers what was queued at once;
- an outbox pass: ``deliver`` and ``deliver_due`` commit the delivery bookkeeping.

No network call happens inside a transaction or before the response: email, the search index
and every other outgoing effect waits in the outbox until the change that caused it is
committed (see ``marketplace.services.outbox``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import and_
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from marketplace.errors import database_away, is_database_away
from marketplace.extensions import db
from marketplace.models import OutboxMessage
from marketplace.models._types import utcnow
from marketplace.services import images, outbox

log = logging.getLogger("marketplace.unit_of_work")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def commit() -> list[int]:
    """Commit the session; returns the ids of the outbox messages this commit made durable."""
    _forget_orphans()
    db.session.commit()
    return outbox.take_committed()


def rollback() -> list[int]:
    """Discard everything the unit of work changed (a refused use case, an error page).

    Files stored for a change that did not happen are then queued for deletion in a short
    transaction of their own; returns those messages' ids.
    """
    db.session.rollback()
    if not (db.session.info.get(images.ORPHANS) or db.session.info.get(images.ORPHANS_LATER)):
        return []
    return commit()


def keep() -> None:
    """Commit this request's changes although it answers with an error status (a failed
    login attempt stays in the audit log)."""
    g.unit_of_work_keep = True


def _forget_orphans() -> None:
    orphans = db.session.info.pop(images.ORPHANS, None)
    if orphans:
        images.forget(orphans)
    for key, due in db.session.info.pop(images.ORPHANS_LATER, None) or ():
        images.forget([key], not_before=due)


def complete() -> int:
    """The end of a command or job: commit, then deliver what it queued now."""
    return deliver(commit())


# --- delivering the outbox -----------------------------------------------------------------


def deliver(message_ids: Iterable[int], *, due_or_not: bool = False) -> int:
    """Try to deliver these committed messages now; returns how many succeeded.

    A message not due yet (a kept file's deletion, due a day later; a failed one waiting for
    its next attempt) is left to the worker unless ``due_or_not`` (``flask search sync``
    applying every pending search change after an outage); ``OUTBOX_DELIVER_IMMEDIATELY =
    False`` leaves them all to it.
    """
    ids = [i for i in message_ids if i is not None]
    if not ids or not current_app.config.get("OUTBOX_DELIVER_IMMEDIATELY", True):
        return 0
    condition = OutboxMessage.id.in_(ids)
    if not due_or_not:
        condition = and_(condition, OutboxMessage.next_attempt_at <= utcnow())
    return _deliver_where(condition, limit=len(ids))


def deliver_due(limit: int = 100) -> int:
    """Deliver messages whose next attempt is due; safe to run in several workers at once."""
    return _deliver_where(OutboxMessage.next_attempt_at <= utcnow(), limit=limit)


def _deliver_where(condition: Any, limit: int) -> int:
    delivered = 0
    try:
        for message in outbox.claim(condition, limit):
            delivered += int(outbox.deliver_one(message))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("outbox delivery pass failed")
    return delivered


def deliver_after(response: Response, message_ids: list[int]) -> Response:
    """Deliver these committed messages once ``response`` has been sent to the client."""
    if not message_ids:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def after_close() -> None:
        with app.app_context():
            deliver(message_ids)

    response.call_on_close(after_close)
    return response


# --- the request edge ------------------------------------------------------------------------


def register(app: Flask) -> None:
    """Commit each state-changing request once; hand its outbox to delivery after the response."""
    outbox.install_listeners()

    @app.before_request
    def _open_unit_of_work() -> None:
        g.unit_of_work_request = True

    @app.after_request
    def _close_unit_of_work(response: Response) -> Response:
        try:
            if request.method in SAFE_METHODS:
                db.session.rollback()
                return response
            if response.status_code >= 400 and not g.get("unit_of_work_keep"):
                return deliver_after(response, rollback())
            return deliver_after(response, commit())
        except DBAPIError as exc:
            # The database went away while the answer was being made: nothing was kept.
            if not is_database_away(exc):
                raise
            return database_away(exc)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        # Before Flask-SQLAlchemy's own clean-up (teardowns run last-registered first): a
        # connection the database dropped (a restart) must not turn the answer into a 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            log.warning("closing a session whose connection was lost: %s", type(error).__name__)
            db.session.registry.clear()

    @app.teardown_request
    def _discard_on_error(exc: BaseException | None) -> None:
        # An unhandled error (a 500) ends here without after_request: nothing is kept but
        # the clean-up of files stored for it (the worker sends those).
        if exc is not None:
            try:
                rollback()
            except Exception:  # noqa: BLE001 - the error page must still answer
                log.exception("could not end the unit of work after an error")
