"""Use cases of product search: find listings, suggest while typing, help when nothing matches.

The page and the API share ``find``; both read their arguments from the URL, so a search
is a link that can be shared.
"""

from __future__ import annotations

import html
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Category
from marketplace.search.folding import fold, tokens
from marketplace.search.query import (
    MAX_RESULTS,
    PER_PAGE,
    CategoryFilter,
    Facets,
    Hit,
    SearchQuery,
    parse,
)
from marketplace.search.terms import (
    MAX_WORD_LENGTH,
    TextQuery,
    distance_at_most_one,
    one_edit_variants,
    word_matches,
)
from marketplace.vietnam import PROVINCES, today


@dataclass
class Item:
    id: int
    slug: str
    title: str
    title_html: Markup
    summary: str
    price: int
    price_quantity: int | None
    lowest_price: int
    unit: str
    pack_size: str | None
    min_order: int
    coop_name: str
    coop_slug: str
    province_code: str
    #: ("ocop", stars) and ("vietgap", None)-style pairs valid today.
    certifications: list[tuple[str, int | None]]
    photo_key: str | None


@dataclass
class Option:
    value: str
    label: str
    count: int | None
    selected: bool


@dataclass
class Results:
    query: SearchQuery
    items: list[Item]
    total: int
    facets: dict[str, list[Option]]
    engine: str
    degraded: bool
    spelling: str | None = None
    nearest_categories: list[CategoryInfo] = field(default_factory=list)
    #: The active filters as (label, URL arguments without that filter).
    chips: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        reachable = min(self.total, MAX_RESULTS)
        return max(1, -(-reachable // self.query.per_page))

    def args(self, **changes: Any) -> dict[str, Any]:
        """URL arguments of this search with some changed (None removes one); back to page 1
        unless a page is given."""
        return search_args(self.query, **changes)


def search_args(query: SearchQuery, **changes: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"q": query.raw or None, **query.filters()}
    if query.sort != "relevance":
        args["sort"] = query.sort
    if query.per_page != PER_PAGE:
        args["per_page"] = query.per_page
    if "cert" in args:
        args["cert"] = ",".join(args["cert"])
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "", [])}


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")


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


def _all_categories() -> dict[int, CategoryInfo]:
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
        c.slug: CategoryFilter(c.id, c.slug, c.parent_id is None)
        for c in _all_categories().values()
    }


def parse_query(args: Mapping[str, str]) -> SearchQuery:
    """Raises QueryError for an argument that cannot be used."""
    return parse(args, categories=category_filters(), day=today())


# --- presenting hits ------------------------------------------------------------------------

_WORDS = re.compile(r"([^\W_]+)")


@lru_cache(maxsize=4096)
def _folded_word(word: str) -> str:
    return fold(word)


def highlight(text: str, query: TextQuery) -> Markup:
    """The text, escaped, with each word that matched the query wrapped in <mark>."""
    if not text or query.empty:
        return escape(text or "")
    out = []
    # split() with a capturing group alternates: separator, word, separator, word, ...
    for index, part in enumerate(_WORDS.split(unicodedata.normalize("NFC", text))):
        safe = html.escape(part, quote=True)
        if index % 2 and any(word_matches(w, _folded_word(part)) for w in query.words):
            out.append(f"<mark>{safe}</mark>")
        else:
            out.append(safe)
    return Markup("".join(out))  # noqa: S704 - every part was escaped just above


def price_at(prices: list[tuple[int, int, int]], quantity: int, fallback: int) -> int:
    for low, high, price in prices:
        if low <= quantity < high:
            return price
    return fallback


def _certifications(document: dict, query: SearchQuery) -> list[tuple[str, int | None]]:
    day = query.day
    found: list[tuple[str, int | None]] = []

    def valid(kind: str) -> bool:
        start, end = document.get(f"{kind}_from"), document.get(f"{kind}_until")
        return bool(start and end and start <= day < end)

    if document.get("ocop_stars") and valid("ocop"):
        found.append(("ocop", document["ocop_stars"]))
    found += [(kind, None) for kind in ("vietgap", "globalgap", "organic") if valid(kind)]
    return found


def _item(hit: Hit, query: SearchQuery, locale: str) -> Item:
    d = hit.document
    title = d["title_en"] if locale == "en" and d.get("title_en") else d["title_vi"]
    prices = hit.prices
    return Item(
        id=hit.listing_id,
        slug=d["slug"],
        title=title,
        title_html=highlight(title, query.text),
        summary=d.get("summary") or "",
        price=price_at(prices, query.price_quantity, d["base_price"]),
        price_quantity=query.quantity,
        lowest_price=min((p for _, _, p in prices), default=d["base_price"]),
        unit=d["unit"],
        pack_size=d.get("pack_size"),
        min_order=d["min_order"],
        coop_name=d["coop_name"],
        coop_slug=d["coop_slug"],
        province_code=d["province_code"],
        certifications=_certifications(d, query),
        photo_key=d.get("photo_key"),
    )


def _facet_options(query: SearchQuery, facets: Facets, locale: str) -> dict[str, list[Option]]:
    categories = _all_categories()
    selected = query.category
    if selected is None:
        shown = [(c, facets.top_categories.get(c.id, 0)) for c in categories.values()
                 if c.parent_id is None]  # fmt: skip
    else:
        chosen = categories[selected.id]
        top = chosen if chosen.parent_id is None else categories[chosen.parent_id]
        shown = [(top, facets.top_categories.get(top.id, 0))] + [
            (c, facets.sub_categories.get(c.id, 0))
            for c in categories.values()
            if c.parent_id == top.id
        ]
    shown.sort(key=lambda cn: (cn[0].parent_id is not None, -cn[1], cn[0].position))
    category_options = [
        Option(c.slug, c.name(locale), n, selected is not None and selected.id == c.id)
        for c, n in shown
        if n or (selected is not None and selected.id == c.id)
    ]
    by_count = sorted(facets.provinces.items(), key=lambda kv: (-kv[1], PROVINCES.get(kv[0], "")))
    provinces = [
        Option(code, PROVINCES[code], n, query.province == code)
        for code, n in by_count
        if code in PROVINCES
    ]
    if query.province and query.province not in facets.provinces:
        provinces.insert(0, Option(query.province, PROVINCES[query.province], 0, True))
    certs = _certification_options(facets.certifications, query.ocop_min, query.certifications)
    return {"category": category_options, "province": provinces, "certification": certs}


def _certification_labels() -> dict[str, str]:
    from flask_babel import gettext

    return {"vietgap": "VietGAP", "globalgap": "GlobalGAP", "organic": gettext("Organic")}


def _certification_options(
    counts: dict[str, int] | None, ocop_min: int | None, chosen: Iterable[str]
) -> list[Option]:
    """OCOP levels and certifications as filter choices; counts None when the search could
    not run."""
    chosen = set(chosen)

    def count(key: str) -> int | None:
        return None if counts is None else counts.get(key, 0)

    return [
        Option(f"ocop{n}", f"OCOP ≥ {n}★", count(f"ocop{n}"), ocop_min == n) for n in (3, 4, 5)
    ] + [
        Option(kind, label, count(kind), kind in chosen)
        for kind, label in _certification_labels().items()
    ]


def _chips(query: SearchQuery, locale: str) -> list[tuple[str, dict[str, Any]]]:
    from flask_babel import gettext

    from marketplace.i18n import format_money, format_number

    chips: list[tuple[str, dict[str, Any]]] = []
    if query.category:
        category = _all_categories()[query.category.id]
        chips.append((category.name(locale), search_args(query, category=None)))
    if query.province:
        chips.append((PROVINCES[query.province], search_args(query, province=None)))
    if query.ocop_min:
        chips.append((f"OCOP ≥ {query.ocop_min}★", search_args(query, ocop=None)))
    labels = _certification_labels()
    for kind in query.certifications:
        rest = ",".join(c for c in query.certifications if c != kind) or None
        chips.append((labels[kind], search_args(query, cert=rest)))
    if query.quantity:
        label = gettext("Quantity: %(n)s", n=format_number(query.quantity))
        chips.append((label, search_args(query, quantity=None)))
    if query.price_min is not None:
        label = gettext("From %(p)s", p=format_money(query.price_min))
        chips.append((label, search_args(query, price_min=None)))
    if query.price_max is not None:
        label = gettext("Up to %(p)s", p=format_money(query.price_max))
        chips.append((label, search_args(query, price_max=None)))
    if query.moq_max is not None:
        label = gettext("Minimum order ≤ %(n)s", n=format_number(query.moq_max))
        chips.append((label, search_args(query, moq=None)))
    return chips


def fallback_options(args: Mapping[str, str], locale: str) -> dict[str, list[Option]]:
    """Filter choices without counts, for a page whose search could not run (a bad
    argument): the form still offers everything and keeps what was chosen."""
    chosen_certs = set(
        ",".join(args.getlist("cert") if hasattr(args, "getlist") else []).split(",")
    )
    return {
        "categories": [
            Option(c.slug, c.name(locale) if c.parent_id is None else "— " + c.name(locale),
                   None, args.get("category") == c.slug)
            for c in _all_categories().values()
        ],
        "provinces": [
            Option(code, name, None, args.get("province") == code)
            for code, name in sorted(PROVINCES.items(), key=lambda kv: fold(kv[1]))
        ],
        "certifications": _certification_options(
            None, int(ocop) if (ocop := args.get("ocop", "")) in ("3", "4", "5") else None,
            chosen_certs,
        ),
    }  # fmt: skip


# --- when nothing matches -------------------------------------------------------------------


def spelling_for(text: TextQuery) -> str | None:
    """The query with each unknown word replaced by its most common one-edit neighbour
    from the catalogue's words, or None when there is nothing better to offer."""
    if text.empty:
        return None
    from marketplace.search.database import existing_terms, term_counts

    known = existing_terms({w.term for w in text.words})
    candidates: dict[str, set[str]] = {}
    for word in text.words:
        if word.term not in known and len(word.term) >= 2 and word.term.isascii():
            candidates[word.term] = one_edit_variants(word.term)
    if not candidates:
        return None
    counts = term_counts(set().union(*candidates.values()))
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
    everything = list(_all_categories().values())
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


def find(query: SearchQuery) -> Results:
    service = current_app.extensions["search"]
    page = service.search(query)
    locale = _locale()
    results = Results(
        query=query,
        items=[_item(hit, query, locale) for hit in page.hits],
        total=page.total,
        facets=_facet_options(query, page.facets, locale),
        engine=page.engine,
        degraded=page.degraded,
        chips=_chips(query, locale),
    )
    if page.total == 0 and not query.text.empty:
        spelling = spelling_for(query.text)
        if spelling:
            from marketplace.search.terms import parse_text

            retry = SearchQuery(**{**query.__dict__, "text": parse_text(spelling), "page": 1})
            if service.count(retry):
                results.spelling = spelling
        results.nearest_categories = nearest_categories(query.text)
    return results


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


class _Links:
    """Absolute links to listings and co-ops, built from one template each per response
    (building every link through the URL map costs more than the search itself)."""

    _SLUG = "__slug__"

    def __init__(self) -> None:
        from marketplace.urls import external_url

        self.listing = external_url("listings.public", slug=self._SLUG)
        self.coop = external_url("orgs.public_profile", slug=self._SLUG)

    def of_listing(self, slug: str) -> str:
        return self.listing.replace(self._SLUG, quote(slug, safe=""))

    def of_coop(self, slug: str) -> str:
        return self.coop.replace(self._SLUG, quote(slug, safe=""))


def item_json(item: Item, locale: str, links: _Links | None = None) -> dict[str, Any]:
    from marketplace.blueprints.listings.routes import unit_label
    from marketplace.i18n import format_money
    from marketplace.web import media_url

    links = links or _Links()
    return {
        "id": item.id,
        "title": item.title,
        "title_highlighted": str(item.title_html),
        "url": links.of_listing(item.slug),
        "price": {
            "amount": item.price,
            "currency": "VND",
            "quantity": item.price_quantity or 1,
            "formatted": format_money(item.price),
        },
        "unit": {"code": item.unit, "label": unit_label(item.unit)},
        "pack_size": item.pack_size,
        "min_order": item.min_order,
        "coop": {
            "name": item.coop_name,
            "url": links.of_coop(item.coop_slug),
        },
        "province": {"code": item.province_code, "name": PROVINCES.get(item.province_code, "")},
        "certifications": [
            {"kind": kind, **({"stars": stars} if stars else {})}
            for kind, stars in item.certifications
        ],
        "photo_url": media_url(item.photo_key + "-320.webp") if item.photo_key else None,
    }


def results_json(results: Results) -> dict[str, Any]:
    locale = _locale()
    query = results.query
    links = _Links()
    return {
        "query": query.raw,
        "items": [item_json(item, locale, links) for item in results.items],
        "total": results.total,
        "page": query.page,
        "per_page": query.per_page,
        "pages": results.pages,
        "sort": query.effective_sort,
        "filters": query.filters(),
        # Always on: only published listings of verified co-ops are ever searchable.
        "verified_only": True,
        "facets": {
            name: [
                {"value": o.value, "label": o.label, "count": o.count, "selected": o.selected}
                for o in options
            ]
            for name, options in results.facets.items()
        },
        "spelling": results.spelling,
        "engine": results.engine,
        "degraded": results.degraded,
    }
