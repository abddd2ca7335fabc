"""Keeping search right: every change that affects a search document reaches it.

Session events notice changed listings, price tiers, photos, certificates, co-ops (name,
verification) and categories. Before the transaction commits, the projection rows of the
affected listings are rebuilt in it (so the database backend is never stale), and, when
Elasticsearch is configured, a ``search.index`` outbox message with the listing ids is
added. After the commit the message is delivered (after the response has gone out); if
the engine is down it stays in the outbox and ``flask search sync`` or ``flask outbox
work`` applies it later. The handler reads the projection at delivery time, so messages
may arrive late or twice and the index still ends equal to the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.models import (
    Category,
    Certificate,
    Listing,
    ListingPhoto,
    Organization,
    OutboxMessage,
    PriceTier,
    SearchDocument,
    VerificationStatus,
    listing_certificates,
)
from marketplace.models._types import utcnow
from marketplace.search import documents

log = logging.getLogger("marketplace.search")

TOPIC = "search.index"
_DIRTY = "search_dirty"
#: Organisation fields that appear in (or decide) search documents.
_ORG_FIELDS = ("name", "slug", "verification_status", "kind")
_CERTIFICATE_FIELDS = ("status", "kind", "ocop_stars", "issued_on", "expires_on")


@dataclass
class _Dirty:
    listings: set[int] = field(default_factory=set)
    organizations: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)
    certificates: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.listings or self.organizations or self.categories or self.certificates)


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: Any) -> None:
    if not has_app_context() or "search" not in current_app.extensions:
        return
    dirty = session.info.setdefault(_DIRTY, _Dirty())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Listing):
            dirty.listings.add(obj.id)
        elif isinstance(obj, PriceTier | ListingPhoto):
            dirty.listings.add(obj.listing_id)
        elif isinstance(obj, Certificate):
            # Only what a search document shows: an approved certificate's stars and dates.
            # (A co-op uploading a certificate for review changes no listing.)
            if obj in session.deleted:
                dirty.organizations.add(obj.organization_id)
            elif obj in session.new:
                if obj.status is VerificationStatus.APPROVED:
                    dirty.certificates.add(obj.id)
            elif _changed(obj, _CERTIFICATE_FIELDS):
                dirty.certificates.add(obj.id)
        elif isinstance(obj, Organization):
            if obj in session.dirty and _changed(obj, _ORG_FIELDS):
                dirty.organizations.add(obj.id)
        elif isinstance(obj, Category) and obj in session.dirty:
            dirty.categories.add(obj.id)


def _affected(dirty: _Dirty) -> set[int]:
    ids = {i for i in dirty.listings if i is not None}
    conditions = []
    if dirty.organizations:
        conditions.append(Listing.organization_id.in_(dirty.organizations))
    if dirty.categories:
        children = select(Category.id).where(Category.parent_id.in_(dirty.categories))
        conditions.append(Listing.category_id.in_(dirty.categories))
        conditions.append(Listing.category_id.in_(children))
    if conditions:
        ids.update(db.session.scalars(select(Listing.id).where(or_(*conditions))))
    if dirty.certificates:
        ids.update(
            db.session.scalars(
                select(listing_certificates.c.listing_id).where(
                    listing_certificates.c.certificate_id.in_(dirty.certificates)
                )
            )
        )
    return ids


def _before_commit(session: Session) -> None:
    if not has_app_context() or "search" not in current_app.extensions:
        return
    # commit() flushes only after this event: flush now, so the changes are seen and the
    # rows are built from them.
    if session.new or session.dirty or session.deleted:
        session.flush()
    dirty = session.info.pop(_DIRTY, None)
    if not dirty:
        return
    ids = _affected(dirty)
    if not ids:
        return
    documents.refresh(ids)
    if current_app.extensions["search"].engine is not None:
        # Delivered by the edge that commits, with the rest of the transaction's outbox.
        session.add(OutboxMessage(topic=TOPIC, payload={"ids": sorted(ids)}))
        session.flush()
    session.info.pop(_DIRTY, None)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # A savepoint rolled back leaves the outer transaction's changes to refresh; messages
    # already committed stay to be handed over (an id that never committed is skipped).
    if not previous_transaction.nested:
        session.info.pop(_DIRTY, None)


_installed = False


def install_listeners() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True


# --- documents whose certificate window ended ---------------------------------------------


def refresh_expired(day: date | None = None) -> int:
    """Rebuild the documents whose stored certificate window has ended by ``day``.

    Queries already ignore an expired window, so nothing wrong is shown; but a listing may
    hold another certificate of that kind that is still valid (a 4★ OCOP after the 5★ one
    expired), and only a rebuild brings it in. Daily, from cron: ``flask search
    refresh-expired``. Returns how many documents were rebuilt.
    """
    from marketplace.services import outbox
    from marketplace.vietnam import today

    day = day or today()
    ended = [
        getattr(SearchDocument, f"{kind}_until") <= day
        for kind in ("ocop", "vietgap", "globalgap", "organic")
    ]
    ids = sorted(db.session.scalars(select(SearchDocument.listing_id).where(or_(*ended))))
    if not ids:
        return 0
    documents.refresh(ids)
    if current_app.extensions["search"].engine is not None:
        outbox.enqueue(TOPIC, {"ids": ids})
    return len(ids)


# --- the outbox handler and the commands ---------------------------------------------------


def handle(payload: dict) -> None:
    engine = current_app.extensions["search"].engine
    if engine is None:
        return
    engine.apply(payload.get("ids", []))


def sync(limit: int = 500, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Apply every pending search change now, due or not; (applied, still failing)."""
    from marketplace import unit_of_work
    from marketplace.services import outbox

    applied = failed = 0
    seen: set[int] = set()
    while True:
        ids = [
            m.id
            for m in outbox.pending(TOPIC)
            if m.id not in seen
        ][:limit]  # fmt: skip
        if not ids:
            break
        seen.update(ids)
        done = unit_of_work.deliver(ids, due_or_not=True)
        applied += done
        failed += len(ids) - done
        if progress:
            progress(len(ids))
    return applied, failed


def reindex(progress: Callable[[int], None] | None = None, batch: int = 2000) -> dict:
    """Rebuild the engine's index from the projection (see ElasticBackend.reindex), then
    replay what changed while it ran."""
    from marketplace.services import outbox

    engine = current_app.extensions["search"].engine
    if engine is None:
        raise RuntimeError("No search engine is configured (ELASTICSEARCH_URL).")
    result = engine.reindex(progress=progress, batch=batch)
    started = result["started"]
    replay = set(
        db.session.scalars(
            select(SearchDocument.listing_id).where(SearchDocument.indexed_at >= started)
        )
    )
    replayed_messages = []
    for message in db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.topic == TOPIC, OutboxMessage.created_at >= started
        )
    ):
        replay.update(message.payload.get("ids", []))
        replayed_messages.append(message.id)
    engine.apply(replay)
    # Changes queued before the reindex began are in the new index already, and those
    # queued while it ran have just been replayed.
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.topic == TOPIC,
            OutboxMessage.delivered_at.is_(None),
            (OutboxMessage.created_at < started) | OutboxMessage.id.in_(replayed_messages),
        )
        .values(delivered_at=utcnow(), last_error=None)
    )
    db.session.commit()
    result["replayed"] = len(replay)
    result["pending"] = len(outbox.pending(TOPIC))
    return result
