"""The search engine the app uses: Elasticsearch when configured, the database otherwise,
and the database whenever Elasticsearch fails — buyers never see an engine error.

After a failure the engine is left alone for ``retry_after`` seconds, so an outage costs
one slow request, not every request's timeout.
"""

from __future__ import annotations

import logging
import threading
import time
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

    @property
    def configured(self) -> str:
        return self.engine.name if self.engine else self.database.name

    def _usable(self) -> bool:
        return self.engine is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
            self.last_error = str(exc)[:300]
        log.warning("search engine unavailable, answering from the database: %s", exc)

    def reset(self) -> None:
        """Forget a recorded outage (the engine is known to be back)."""
        with self._lock:
            self._down_until = 0.0
            self.last_error = None

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
                "error": str(exc)[:200],
            }
        self.reset()
        return {"status": "ok", "backend": self.engine.name}
