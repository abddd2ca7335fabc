"""Search results as the page and the JSON API show them: titles with the matched words
marked, filter choices with their labels and counts, the active filters as removable chips,
links and JSON.

The search service answers with hits and facet counts; everything language-, HTML- or
URL-shaped is made here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from marketplace.i18n import CERTIFICATE_NAMES, format_money, format_number, unit_label
from marketplace.search.folding import fold
from marketplace.search.query import MAX_RESULTS, PER_PAGE, Facets, Hit, SearchQuery
from marketplace.search.terms import TextQuery, word_matches
from marketplace.services.catalogue.search import (
    CategoryInfo,
    Found,
    all_categories,
    certifications_on,
    price_at,
)
from marketplace.urls import external_url
from marketplace.vietnam import PROVINCES
from marketplace.web import media_url


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
    return str(get_locale() or "vi")


def present(found: Found) -> Results:
    """What the search service found, in the current language, for the page or the API."""
    query, page = found.query, found.page
    locale = _locale()
    return Results(
        query=query,
        items=[_item(hit, query, locale) for hit in page.hits],
        total=page.total,
        facets=_facet_options(query, page.facets, locale),
        engine=page.engine,
        degraded=page.degraded,
        spelling=found.spelling,
        nearest_categories=found.nearest_categories,
        chips=_chips(query, locale),
    )


# --- hits -----------------------------------------------------------------------------------

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
        certifications=certifications_on(d, query.day),
        photo_key=d.get("photo_key"),
    )


# --- filters --------------------------------------------------------------------------------


def _facet_options(query: SearchQuery, facets: Facets, locale: str) -> dict[str, list[Option]]:
    categories = all_categories()
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
    """The certifications a search filters by (OCOP goes by its star levels), named."""
    return {kind: str(name) for kind, name in CERTIFICATE_NAMES.items() if kind != "ocop"}


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
    chips: list[tuple[str, dict[str, Any]]] = []
    if query.category:
        category = all_categories()[query.category.id]
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
            for c in all_categories().values()
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


# --- JSON -----------------------------------------------------------------------------------


class _Links:
    """Absolute links to listings and co-ops, built from one template each per response
    (building every link through the URL map costs more than the search itself)."""

    _SLUG = "__slug__"

    def __init__(self) -> None:
        self.listing = external_url("listings.public", slug=self._SLUG)
        self.coop = external_url("orgs.public_profile", slug=self._SLUG)

    def of_listing(self, slug: str) -> str:
        return self.listing.replace(self._SLUG, quote(slug, safe=""))

    def of_coop(self, slug: str) -> str:
        return self.coop.replace(self._SLUG, quote(slug, safe=""))


def item_json(item: Item, locale: str, links: _Links | None = None) -> dict[str, Any]:
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
