"""The search engine the app uses: Elasticsearch when configured, the database otherwise,
and the database whenever Elasticsearch fails — buyers never see an engine error.

After a failure the engine is left alone for ``retry_after`` seconds, so an outage costs
one slow request, not every request's timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from marketplace.search.database import DatabaseBackend
from marketplace.search.elastic import ElasticBackend, SearchUnavailable
from marketplace.search.query import SearchPage, SearchQuery

log = logging.getLogger("marketplace.search")


class SearchService:
    def __init__(self, engine: ElasticBackend | None, *, retry_after: float = 30.0):
        self.database = DatabaseBackend()
        self.engine = engine
        self.retry_after = retry_after
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self._behind_value, self._behind_checked = False, float("-inf")

    @property
    def configured(self) -> str:
        return self.engine.name if self.engine else self.database.name

    def _usable(self) -> bool:
        if self.engine is None or time.monotonic() < self._down_until:
            return False
        return not self._behind()

    def _behind(self) -> bool:
        """Whether changes older than SEARCH_BACKLOG_SECONDS still wait to reach the engine
        (after an outage, say): the engine would then show stale results, the database not.
        Checked at most every two seconds per process."""
        now = time.monotonic()
        if now < self._behind_checked + 2:
            return self._behind_value
        from flask import current_app
        from sqlalchemy import select

        from marketplace.extensions import db
        from marketplace.models import OutboxMessage
        from marketplace.models._types import utcnow
        from marketplace.search.indexing import TOPIC

        grace = timedelta(seconds=current_app.config.get("SEARCH_BACKLOG_SECONDS", 10))
        waiting = db.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.topic == TOPIC,
                OutboxMessage.created_at < utcnow() - grace,
            )
            .limit(1)
        )
        self._behind_value, self._behind_checked = waiting is not None, now
        return self._behind_value

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
            self.last_error = str(exc)[:300]
        log.warning("search engine unavailable, answering from the database: %s", exc)

    def reset(self) -> None:
        """Forget a recorded outage and backlog (the engine is known to be back and current)."""
        with self._lock:
            self._down_until = 0.0
            self.last_error = None
            self._behind_checked = float("-inf")

    def search(self, query: SearchQuery) -> SearchPage:
        if self._usable():
            try:
                return self.engine.search(query)  # type: ignore[union-attr]
            except SearchUnavailable as exc:
                self._failed(exc)
        page = self.database.search(query)
        page.degraded = self.engine is not None
        return page

    def count(self, query: SearchQuery) -> int:
        """How many documents match (no page, no facets)."""
        if self._usable():
            try:
                return self.engine.count_matching(query)  # type: ignore[union-attr]
            except SearchUnavailable as exc:
                self._failed(exc)
        return self.database.count_matching(query)

    def suggest(self, words: list[str], prefix: str, limit: int = 8) -> dict[str, list[str]]:
        if self._usable():
            try:
                return self.engine.suggest(words, prefix, limit)  # type: ignore[union-attr]
            except SearchUnavailable as exc:
                self._failed(exc)
        return self.database.suggest(words, prefix, limit)

    def health(self) -> dict[str, Any]:
        if self.engine is None:
            return {"status": "ok", "backend": self.database.name}
        try:
            self.engine.ping()
        except SearchUnavailable as exc:
            self._failed(exc)
            return {
                "status": "degraded",
                "backend": self.engine.name,
                "serving": self.database.name,
                # The exception's text is in the log (_failed), never in a response.
                "error": "the search engine did not answer",
            }
        self._behind_checked = float("-inf")
        if self._behind():
            return {
                "status": "degraded",
                "backend": self.engine.name,
                "serving": self.database.name,
                "error": "changes are waiting to reach the index (flask search sync)",
            }
        return {"status": "ok", "backend": self.engine.name}
