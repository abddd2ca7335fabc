"""The database search backend: the projection tables, on SQLite and PostgreSQL alike.

Words are looked up in ``search_terms`` (an inverted index on (term, listing_id)); one-edit
variants of a word are generated in Python and kept only if the index holds them, so typo
tolerance costs a few index probes rather than a scan. Scoring follows
``marketplace.search.terms`` exactly, as the Elasticsearch backend does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, false, func, literal, null, select, text, true, union_all
from sqlalchemy.sql import ColumnElement, Select

from marketplace.extensions import db
from marketplace.models import SearchDocument, SearchPrice, SearchTerm
from marketplace.search import documents
from marketplace.search.query import Facets, Hit, SearchPage, SearchQuery
from marketplace.search.terms import (
    EXACT_PREFIX,
    EXACT_SPELLING_BONUS,
    PHRASE_BONUS,
    TextQuery,
    one_edit_variants,
)

D = SearchDocument.__table__.c
T = SearchTerm.__table__.c
P = SearchPrice.__table__.c

FACET_KEYS = ("category", "province", "ocop", "cert")


def _valid(kind: str, day) -> ColumnElement[bool]:
    return and_(D[f"{kind}_from"] <= day, D[f"{kind}_until"] > day)


def filter_conditions(query: SearchQuery) -> dict[str, ColumnElement[bool]]:
    """Each active filter as a condition, by the facet it belongs to."""
    conditions: dict[str, ColumnElement[bool]] = {}
    if query.category:
        column = D.top_category_id if query.category.top_level else D.category_id
        conditions["category"] = column == query.category.id
    if query.province:
        conditions["province"] = D.province_code == query.province
    if query.ocop_min:
        conditions["ocop"] = and_(D.ocop_stars >= query.ocop_min, _valid("ocop", query.day))
    if query.certifications:
        conditions["cert"] = and_(*[_valid(c, query.day) for c in query.certifications])
    if query.price_min is not None or query.price_max is not None:
        q = query.price_quantity
        # An alias: the outer query may join search_prices too (to sort by price).
        ranges = SearchPrice.__table__.alias("price_range")
        price = [ranges.c.listing_id == D.listing_id, ranges.c.from_quantity <= q,
                 ranges.c.to_quantity > q]  # fmt: skip
        if query.price_min is not None:
            price.append(ranges.c.price >= query.price_min)
        if query.price_max is not None:
            price.append(ranges.c.price <= query.price_max)
        conditions["price"] = select(literal(1)).select_from(ranges).where(*price).exists()
    if query.quantity is not None:
        # Only what can be ordered in that quantity: its price is then the one shown.
        conditions["quantity"] = D.min_order <= query.quantity
    if query.moq_max is not None:
        conditions["moq"] = D.min_order <= query.moq_max
    return conditions


#: Spelling counts stop here: a neighbour held by this many documents is "common", and
#: choosing the most common one does not need to know by how much.
SPELLING_COUNT_CAP = 2000

#: One index probe per candidate (a correlated count over the array's elements): the plan
#: cannot turn into a scan of the whole term index, which PostgreSQL chose for an
#: ``IN (…) GROUP BY`` of a few hundred one-edit variants while the table had no statistics
#: yet (after a bulk load, before ANALYZE: 250 ms instead of 3).
_PG_TERM_COUNTS = text(
    "SELECT c.term, (SELECT count(*) FROM (SELECT 1 FROM search_terms t"
    " WHERE t.term = c.term LIMIT :cap) s) AS n"
    " FROM unnest(CAST(:terms AS varchar[])) AS c(term)"
)


def term_counts(candidates: set[str], cap: int | None = None) -> dict[str, int]:
    """How many documents hold each of these terms, at most ``cap`` when given (absent terms
    are left out)."""
    if not candidates:
        return {}
    ordered = sorted(candidates)
    if db.session.get_bind().dialect.name == "postgresql":
        # LIMIT NULL is no limit.
        rows = db.session.execute(_PG_TERM_COUNTS, {"terms": ordered, "cap": cap})
        return {term: n for term, n in rows if n}
    counts: dict[str, int] = {}
    for start in range(0, len(ordered), 2000):
        rows = db.session.execute(
            select(T.term, func.count())
            .where(T.term.in_(ordered[start : start + 2000]))
            .group_by(T.term)
        )
        counts.update((term, n if cap is None else min(n, cap)) for term, n in rows)
    return counts


def existing_terms(candidates: set[str]) -> set[str]:
    return set(term_counts(candidates, cap=1))


def text_match(text: TextQuery) -> Select | None:
    """(listing_id, score) of the documents that match every word, or None for no words.

    Only documents holding the query's rarest word are aggregated: every word must match,
    so the others cannot add a document, and a common word ("mat", "ong") then costs
    nothing more than its rows among those few documents.
    """
    if text.empty:
        return None
    wanted = {w.term for w in text.words} | {EXACT_PREFIX + w.exact for w in text.words if w.exact}
    fuzzy = {w.term: one_edit_variants(w.term) for w in text.words if w.fuzzy}
    counts = term_counts(wanted | set().union(*fuzzy.values()) if fuzzy else wanted)
    per_word, bonuses, looked_up = [], [], set()
    rarest: tuple[int, list[str]] | None = None
    for word in text.words:
        variants = sorted((fuzzy.get(word.term, set()) & set(counts)) - {word.term})
        matching = ([word.term] if word.term in counts else []) + variants
        if not matching:  # this word is nowhere: no document can match
            return select(T.listing_id.label("listing_id"), literal(0).label("score")).where(
                false()
            )
        documents_with_it = sum(counts[t] for t in matching)
        if rarest is None or documents_with_it < rarest[0]:
            rarest = (documents_with_it, matching)
        looked_up.update(matching)
        whens = [(T.term == word.term, T.weight)]
        if variants:
            whens.append((T.term.in_(variants), T.weight / 2))
        per_word.append(func.max(case(*whens, else_=None)))
        if word.exact and EXACT_PREFIX + word.exact in counts:
            looked_up.add(EXACT_PREFIX + word.exact)
            bonuses.append(
                func.max(case((T.term == EXACT_PREFIX + word.exact, EXACT_SPELLING_BONUS), else_=0))
            )
    score = sum(per_word[1:], per_word[0])
    for bonus in bonuses:
        score = score + bonus
    stmt = select(T.listing_id.label("listing_id"), score.label("score")).where(
        T.term.in_(sorted(looked_up))
    )
    if len(text.words) > 1 and rarest is not None:
        candidates = select(T.listing_id).where(T.term.in_(rarest[1]))
        stmt = stmt.where(T.listing_id.in_(candidates))
    return stmt.group_by(T.listing_id).having(and_(*[s.is_not(None) for s in per_word]))


def _phrase_bonus(text: TextQuery) -> ColumnElement[Any]:
    if len(text.words) < 2:
        return literal(0)
    padded = literal(" ") + D.folded_title + literal(" ")
    return case((padded.like(f"% {text.phrase} %"), PHRASE_BONUS), else_=0)


_CERTIFICATION_KINDS = ("vietgap", "globalgap", "organic")


def _ordered(stmt: Select, query: SearchQuery, listing_id, published_at, score):
    """The statement (joined to the price at the quantity when sorting by price) and its
    order: price, newest or score, ties to the newest."""
    tie = (published_at.desc(), listing_id.desc())
    sort = query.effective_sort
    if sort in ("price_asc", "price_desc"):
        q = query.price_quantity
        stmt = stmt.join(
            SearchPrice.__table__,
            and_(P.listing_id == listing_id, P.from_quantity <= q, P.to_quantity > q),
        )
        return stmt, [P.price.asc() if sort == "price_asc" else P.price.desc(), *tie]
    if sort == "newest" or score is None:
        return stmt, list(tie)
    return stmt, [score.desc(), *tie]


def _flagged(query: SearchQuery, conditions) -> Select:
    """Per document: its category and province, and whether it passes each filter and holds
    each certification (named once, for the facet counts and the page)."""
    flags = {f"filter_{key}": condition for key, condition in conditions.items()}
    flags.update(
        {f"ocop{n}": and_(D.ocop_stars >= n, _valid("ocop", query.day)) for n in (3, 4, 5)}
    )
    flags.update({kind: _valid(kind, query.day) for kind in _CERTIFICATION_KINDS})
    return select(
        D.top_category_id,
        D.category_id,
        D.province_code,
        *[condition.label(name) for name, condition in flags.items()],
    )


def _facet_select(query: SearchQuery, row, conditions) -> Select:
    """The total and every facet in one pass over ``row`` (``_flagged``'s columns), as rows
    for ``_read_facets``.

    Each facet counts with every filter but its own; grouping by (category, province) keeps
    the result small (at most categories × provinces rows), and Python adds up. The filters
    are read from the flags: written into each of the ten sums, a price filter's EXISTS ran
    ten times, ten scans of search_prices (200 ms at 100,000 listings).
    """

    def all_but(skip: str | None) -> list[ColumnElement[bool]]:
        return [row.c[f"filter_{key}"] for key in conditions if key != skip]

    def count(*parts: ColumnElement[bool]):
        return func.sum(case((and_(true(), *parts), 1), else_=0))

    stmt = select(
        row.c.top_category_id,
        row.c.category_id,
        row.c.province_code,
        count(*all_but(None)),
        count(*all_but("category")),
        count(*all_but("province")),
        *[count(*all_but("ocop"), row.c[f"ocop{n}"]) for n in (3, 4, 5)],
        # A certification counts with the other ticked ones (they combine with AND).
        *[
            count(
                *all_but("cert"),
                row.c[kind],
                *[row.c[c] for c in query.certifications if c != kind],
            )
            for kind in _CERTIFICATION_KINDS
        ],
    )
    return stmt.group_by(row.c.top_category_id, row.c.category_id, row.c.province_code)


_CERTIFICATION_FACETS = ("ocop3", "ocop4", "ocop5", "vietgap", "globalgap", "organic")


def _read_facets(rows) -> tuple[int, Facets]:
    """Add up ``_facet_select``'s rows (one per category and province)."""
    facets, total = Facets(), 0
    for top, sub, province, n, n_category, n_province, *rest in rows:
        total += n or 0
        for target, key in ((facets.top_categories, top), (facets.sub_categories, sub)):
            if n_category:
                target[key] = target.get(key, 0) + n_category
        if n_province:
            facets.provinces[province] = facets.provinces.get(province, 0) + n_province
        for name, value in zip(_CERTIFICATION_FACETS, rest, strict=True):
            facets.certifications[name] = facets.certifications.get(name, 0) + (value or 0)
    for name in _CERTIFICATION_FACETS:
        facets.certifications.setdefault(name, 0)
    return total, facets


class DatabaseBackend:
    name = "database"

    def search(self, query: SearchQuery) -> SearchPage:
        matched = text_match(query.text)
        conditions = filter_conditions(query)
        if matched is None:
            rows, facet_rows = self._browse(query, conditions)
        else:
            rows, facet_rows = self._find(query, matched.subquery("matched"), conditions)
        ids = [listing_id for listing_id, _ in rows]
        loaded = documents.load(ids)
        prices = documents.prices_of(ids)
        hits = [
            Hit(
                listing_id,
                documents.row_dict(loaded[listing_id]),
                prices.get(listing_id, []),
                float(score),
            )
            for listing_id, score in rows
            if listing_id in loaded
        ]
        total, counts = _read_facets(facet_rows)
        return SearchPage(hits, total, counts, self.name)

    def _browse(self, query: SearchQuery, conditions) -> tuple[list, list]:
        """No words: the page and the facets over the filtered documents, one statement each."""
        stmt = select(D.listing_id, literal(0).label("score")).select_from(SearchDocument.__table__)
        if conditions:
            stmt = stmt.where(*conditions.values())
        stmt, order = _ordered(stmt, query, D.listing_id, D.published_at, None)
        page = stmt.order_by(*order).limit(query.limit).offset(query.offset)
        inner = _flagged(query, conditions).select_from(SearchDocument.__table__)
        if "price" in conditions:
            inner = inner.offset(0)  # kept apart: the price filter is an EXISTS subquery
        facets = _facet_select(query, inner.subquery("flagged"), conditions)
        return (
            [(r.listing_id, r.score) for r in db.session.execute(page)],
            db.session.execute(facets).all(),
        )

    def _find(self, query: SearchQuery, matched, conditions) -> tuple[list, list]:
        """Words: the matching documents with their scores and every filter's outcome are
        worked out once (a CTE read by both parts), then the page and the facets come back
        in one statement. Two statements each joined the match to the documents again
        (45-50 ms each for two common words at 100,000 listings)."""
        found = (
            _flagged(query, conditions)
            .add_columns(
                D.listing_id,
                D.published_at,
                (matched.c.score + _phrase_bonus(query.text)).label("score"),
            )
            .select_from(SearchDocument.__table__)
            .join(matched, matched.c.listing_id == D.listing_id)
            .cte("found")
        )
        stmt = select(found.c.listing_id, found.c.score)
        if conditions:
            stmt = stmt.where(*[found.c[f"filter_{key}"] for key in conditions])
        stmt, order = _ordered(stmt, query, found.c.listing_id, found.c.published_at, found.c.score)
        page = (
            stmt.add_columns(func.row_number().over(order_by=order).label("position"))
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
            .subquery("page")
        )
        counted = _facet_select(query, found, conditions).subquery("facets")
        width = len(counted.c)
        both = union_all(
            select(literal(1), page.c.position, page.c.listing_id, page.c.score,
                   *[null()] * width),
            select(literal(2), null(), null(), null(), *counted.c),
        )  # fmt: skip
        answer = db.session.execute(both).all()
        in_order = sorted((r for r in answer if r[0] == 1), key=lambda r: r[1])
        return [(r[2], r[3]) for r in in_order], [tuple(r[4:]) for r in answer if r[0] == 2]

    def count_matching(self, query: SearchQuery) -> int:
        matched = text_match(query.text)
        stmt = select(func.count()).select_from(SearchDocument.__table__)
        if matched is not None:
            matched = matched.subquery("matched")
            stmt = stmt.join(matched, matched.c.listing_id == D.listing_id)
        conditions = list(filter_conditions(query).values())
        return db.session.scalar(stmt.where(*conditions) if conditions else stmt) or 0

    # --- suggestions while typing -----------------------------------------------------

    def suggest(self, words: list[str], prefix: str, limit: int = 8) -> dict[str, list[str]]:
        """Product titles and co-op names whose folded words hold every complete word and
        one word starting with ``prefix``."""

        def matching(column) -> ColumnElement[bool]:
            padded = literal(" ") + column + literal(" ")
            parts = [padded.like(f"% {w} %") for w in words]
            if prefix:
                parts.append(padded.like(f"% {prefix}%"))
            return and_(*parts)

        titles = db.session.scalars(
            select(D.title_vi)
            .where(matching(D.folded_title))
            .group_by(D.title_vi)
            .order_by(func.max(D.published_at).desc(), D.title_vi)
            .limit(limit)
        ).all()
        coops = db.session.scalars(
            select(D.coop_name)
            .where(matching(D.folded_coop))
            .group_by(D.coop_name)
            .order_by(func.count().desc(), D.coop_name)
            .limit(4)
        ).all()
        return {"products": list(titles), "coops": list(coops)}

    def ping(self) -> None:
        return None
