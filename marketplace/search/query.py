"""A search request as both backends receive it, parsed and checked from URL arguments.

URL arguments are the page's and the API's shared, shareable language:
``/search?q=sam+ngam&category=sam&province=lai-chau&ocop=4&cert=vietgap&quantity=50
&price_min=100000&price_max=500000&moq=20&sort=price_asc&page=2``.
Anything wrong raises ``QueryError`` naming the argument; swapped price bounds are put the
right way round rather than refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.search.terms import TextQuery, parse_text
from marketplace.validation import strip_control
from marketplace.vietnam import PROVINCES

PER_PAGE = 20
MAX_PER_PAGE = 50
#: Results beyond this position are not served (the engine's result window); the page says
#: to narrow the search instead.
MAX_RESULTS = 10_000
MAX_QUERY_CHARS = 200
MAX_AMOUNT = 10**12
SORTS = ("relevance", "newest", "price_asc", "price_desc")
CERTIFICATIONS = ("vietgap", "globalgap", "organic")
OCOP_LEVELS = (3, 4, 5)
#: Argument names; anything else in the URL is ignored (tracking parameters, say).
ARGUMENTS = (
    "q", "category", "province", "ocop", "cert", "quantity", "price_min", "price_max",
    "moq", "sort", "page", "per_page",
)  # fmt: skip


class QueryError(ValueError):
    def __init__(self, argument: str, message):
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message


@dataclass(frozen=True)
class CategoryFilter:
    id: int
    slug: str
    top_level: bool


@dataclass(frozen=True)
class SearchQuery:
    text: TextQuery
    raw: str = ""
    category: CategoryFilter | None = None
    province: str | None = None
    ocop_min: int | None = None
    certifications: tuple[str, ...] = ()
    quantity: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    moq_max: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    day: date = field(default_factory=date.today)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        """The page size, cut so the page ends within the result window."""
        return min(self.per_page, MAX_RESULTS - self.offset)

    @property
    def price_quantity(self) -> int:
        """The quantity prices are read at: the one asked for, else a single unit."""
        return self.quantity or 1

    @property
    def effective_sort(self) -> str:
        # Relevance means nothing without words: newest first then.
        return "newest" if self.sort == "relevance" and self.text.empty else self.sort

    def filters(self) -> dict[str, object]:
        """The active filters by name, as shown back to the user and in the API."""
        applied: dict[str, object] = {}
        if self.category:
            applied["category"] = self.category.slug
        if self.province:
            applied["province"] = self.province
        if self.ocop_min:
            applied["ocop"] = self.ocop_min
        if self.certifications:
            applied["cert"] = list(self.certifications)
        if self.quantity:
            applied["quantity"] = self.quantity
        if self.price_min is not None:
            applied["price_min"] = self.price_min
        if self.price_max is not None:
            applied["price_max"] = self.price_max
        if self.moq_max is not None:
            applied["moq"] = self.moq_max
        return applied

    def with_page(self, page: int) -> SearchQuery:
        return replace(self, page=page)


_WHOLE = re.compile(r"-?\d{1,15}", re.ASCII)
#: 1.250.000 or 1,250,000 or 1 250 000: thousands groups, not decimals.
_GROUPED = re.compile(r"-?\d{1,3}([.,\s]\d{3})+", re.ASCII)


def _number(args: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if _GROUPED.fullmatch(raw):
        raw = re.sub(r"[.,\s]", "", raw)
    if not _WHOLE.fullmatch(raw):
        raise QueryError(name, _l("Enter a whole number."))
    value = int(raw)
    if value < low:
        raise QueryError(name, _l("Enter a number of at least %(low)s.", low=low))
    if value > high:
        raise QueryError(name, _l("Enter a number of at most %(high)s.", high=high))
    return value


def parse(args: Mapping[str, str], *, categories: Mapping[str, CategoryFilter], day: date):
    """A SearchQuery from URL arguments (a MultiDict or a plain dict)."""
    raw = (strip_control(args.get("q")) or "").strip()[:MAX_QUERY_CHARS]
    category = None
    if slug := (args.get("category") or "").strip():
        category = categories.get(slug)
        if category is None:
            raise QueryError("category", _l("There is no such category."))
    province = (args.get("province") or "").strip() or None
    if province and province not in PROVINCES:
        raise QueryError("province", _l("There is no such province."))
    ocop = _number(args, "ocop", low=0, high=5)
    if ocop and ocop not in OCOP_LEVELS:
        raise QueryError("ocop", _l("OCOP ratings are 3, 4 or 5 stars."))
    getlist = getattr(args, "getlist", None)
    cert_values = getlist("cert") if getlist else [args.get("cert") or ""]
    certifications = []
    for value in cert_values:
        for part in (value or "").split(","):
            if not part.strip():
                continue
            if part.strip() not in CERTIFICATIONS:
                raise QueryError("cert", _l("There is no such certification."))
            if part.strip() not in certifications:
                certifications.append(part.strip())
    quantity = _number(args, "quantity", low=1, high=10**9)
    price_min = _number(args, "price_min", low=0, high=MAX_AMOUNT)
    price_max = _number(args, "price_max", low=0, high=MAX_AMOUNT)
    if price_min is not None and price_max is not None and price_min > price_max:
        price_min, price_max = price_max, price_min
    moq = _number(args, "moq", low=1, high=10**9)
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise QueryError("sort", _l("Choose how to sort from the list."))
    per_page = _number(args, "per_page", low=1, high=MAX_PER_PAGE) or PER_PAGE
    page = _number(args, "page", low=1, high=10**9) or 1
    if (page - 1) * per_page >= MAX_RESULTS:
        raise QueryError(
            "page",
            _l(
                "Only the first %(count)s results can be shown. Add a word or a filter "
                "to narrow the search.",
                count=f"{MAX_RESULTS:,}".replace(",", "."),
            ),
        )
    return SearchQuery(
        text=parse_text(raw),
        raw=raw,
        category=category,
        province=province,
        ocop_min=ocop or None,
        certifications=tuple(certifications),
        quantity=quantity,
        price_min=price_min,
        price_max=price_max,
        moq_max=moq,
        sort=sort,
        page=page,
        per_page=per_page,
        day=day,
    )


@dataclass
class Facets:
    #: top-level category id → count, and sub-category id → count
    top_categories: dict[int, int] = field(default_factory=dict)
    sub_categories: dict[int, int] = field(default_factory=dict)
    provinces: dict[str, int] = field(default_factory=dict)
    #: "ocop3", "ocop4", "ocop5", "vietgap", "globalgap", "organic" → count
    certifications: dict[str, int] = field(default_factory=dict)


@dataclass
class Hit:
    listing_id: int
    #: The projection row (marketplace.search.documents.row_dict) and its price ranges.
    document: dict
    prices: list[tuple[int, int, int]]
    score: float | None = None


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    facets: Facets
    engine: str
    #: Set when the configured engine failed and the database answered instead.
    degraded: bool = False
