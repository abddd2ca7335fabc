"""Product search.

- ``folding`` and ``terms``: Vietnamese folding and the one matching/scoring definition;
- ``documents``: the document builder and the search projection in the database;
- ``database`` and ``elastic``: the two backends (``SearchBackend`` below);
- ``service``: Elasticsearch when configured, the database when not or when it fails;
- ``indexing``: change tracking, the ``search.index`` outbox topic, sync and reindex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marketplace.search.query import SearchPage, SearchQuery


class SearchBackend(Protocol):
    name: str

    def search(self, query: SearchQuery) -> SearchPage: ...

    def count_matching(self, query: SearchQuery) -> int: ...

    def suggest(self, words: list[str], prefix: str, limit: int = 8) -> dict[str, list[str]]: ...

    def ping(self) -> None: ...
