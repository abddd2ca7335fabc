"""Use cases of product search: find listings, suggest while typing, help when nothing matches.

The page and the API share ``find``; both read their arguments from the URL, so a search
is a link that can be shared. How results look (highlighted titles, filter labels, links,
JSON) is the search blueprint's business (``blueprints/search/presenters.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category
from marketplace.search.database import SPELLING_COUNT_CAP, existing_terms, term_counts
from marketplace.search.folding import tokens
from marketplace.search.query import CategoryFilter, SearchPage, SearchQuery, parse
from marketplace.search.terms import (
    MAX_WORD_LENGTH,
    TextQuery,
    distance_at_most_one,
    one_edit_variants,
    parse_text,
)
from marketplace.vietnam import today


@dataclass(frozen=True)
class CategoryInfo:
    """What search needs of a category, kept between requests (the tree changes rarely)."""

    id: int
    slug: str
    parent_id: int | None
    position: int
    name_vi: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


_categories: tuple[float, dict[int, CategoryInfo]] | None = None
_categories_lock = threading.Lock()


def forget_categories() -> None:
    """Drop the cached tree now (this process); other processes refresh within the TTL."""
    global _categories
    with _categories_lock:
        _categories = None


def all_categories() -> dict[int, CategoryInfo]:
    """Every category, from a cache refreshed every SEARCH_CATEGORY_CACHE_SECONDS."""
    global _categories
    ttl = current_app.config.get("SEARCH_CATEGORY_CACHE_SECONDS", 30)
    cached = _categories
    if cached is not None and ttl > 0 and time.monotonic() - cached[0] < ttl:
        return cached[1]
    found = {
        c.id: CategoryInfo(c.id, c.slug, c.parent_id, c.position, c.name_vi, c.name_en)
        for c in db.session.scalars(select(Category).order_by(Category.position, Category.id))
    }
    with _categories_lock:
        _categories = (time.monotonic(), found)
    return found


def category_filters() -> dict[str, CategoryFilter]:
    return {
        c.slug: CategoryFilter(c.id, c.slug, c.parent_id is None) for c in all_categories().values()
    }


def parse_query(args: Mapping[str, str]) -> SearchQuery:
    """Raises QueryError for an argument that cannot be used."""
    return parse(args, categories=category_filters(), day=today())


# --- what a hit says -----------------------------------------------------------------------


def price_at(prices: list[tuple[int, int, int]], quantity: int, fallback: int) -> int:
    """The unit price at ``quantity`` from a hit's (from, to, price) ranges."""
    for low, high, price in prices:
        if low <= quantity < high:
            return price
    return fallback


def certifications_on(document: dict, day: date) -> list[tuple[str, int | None]]:
    """A hit's certifications valid on ``day``: ("ocop", stars) and ("vietgap", None)-style."""
    found: list[tuple[str, int | None]] = []

    def valid(kind: str) -> bool:
        start, end = document.get(f"{kind}_from"), document.get(f"{kind}_until")
        return bool(start and end and start <= day < end)

    if document.get("ocop_stars") and valid("ocop"):
        found.append(("ocop", document["ocop_stars"]))
    found += [(kind, None) for kind in ("vietgap", "globalgap", "organic") if valid(kind)]
    return found


# --- when nothing matches -------------------------------------------------------------------


def spelling_for(text: TextQuery) -> str | None:
    """The query with each unknown word replaced by its most common one-edit neighbour
    from the catalogue's words, or None when there is nothing better to offer."""
    if text.empty:
        return None
    known = existing_terms({w.term for w in text.words})
    candidates: dict[str, set[str]] = {}
    for word in text.words:
        if word.term not in known and len(word.term) >= 2 and word.term.isascii():
            candidates[word.term] = one_edit_variants(word.term)
    if not candidates:
        return None
    counts = term_counts(set().union(*candidates.values()), cap=SPELLING_COUNT_CAP)
    changed, words = False, []
    for word in text.words:
        if word.term not in candidates:
            words.append(word.term)
            continue
        options = [(n, t) for t in candidates[word.term] if (n := counts.get(t))]
        if options:
            words.append(max(options, key=lambda nt: (nt[0], -abs(len(nt[1]) - len(word.term))))[1])
            changed = True
        else:
            words.append(word.term)
    return " ".join(words) if changed else None


def nearest_categories(text: TextQuery, limit: int = 4) -> list[CategoryInfo]:
    """Categories whose name shares a word (or a one-edit neighbour) with the query."""
    everything = list(all_categories().values())
    scored = []
    for category in everything:
        names = set(tokens(category.name_vi)) | set(tokens(category.name_en))
        hits = sum(
            1
            for w in text.words
            for name in names
            if name == w.term or (len(w.term) >= 4 and distance_at_most_one(w.term, name))
        )
        if hits:
            scored.append((hits, category))
    scored.sort(key=lambda hc: (-hc[0], hc[1].parent_id is not None, hc[1].position))
    found = [c for _, c in scored[:limit]]
    return found or [c for c in everything if c.parent_id is None]


# --- the use cases --------------------------------------------------------------------------


@dataclass
class Found:
    """One page of hits with the facet counts, and help when nothing matched."""

    query: SearchQuery
    page: SearchPage
    #: The query with unknown words replaced, when that finds something.
    spelling: str | None = None
    nearest_categories: list[CategoryInfo] = field(default_factory=list)


def find(query: SearchQuery) -> Found:
    service = current_app.extensions["search"]
    found = Found(query, service.search(query))
    if found.page.total == 0 and not query.text.empty:
        spelling = spelling_for(query.text)
        if spelling:
            retry = SearchQuery(**{**query.__dict__, "text": parse_text(spelling), "page": 1})
            if service.count(retry):
                found.spelling = spelling
        found.nearest_categories = nearest_categories(query.text)
    return found


def suggest(raw: str, limit: int = 8) -> dict[str, list[str]]:
    """Product titles and co-op names for what has been typed so far (the last word may be
    unfinished)."""
    words = [w[:MAX_WORD_LENGTH] for w in tokens((raw or "")[:100])][:8]
    if not words:
        return {"products": [], "coops": []}
    complete, prefix = words[:-1], words[-1]
    if raw and not raw[-1].isalnum():  # a space typed after the last word: it is complete
        complete, prefix = words, ""
    return current_app.extensions["search"].suggest(complete, prefix, limit)
