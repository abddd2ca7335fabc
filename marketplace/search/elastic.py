"""The Elasticsearch backend (official client, 8.x line).

The index holds the projection rows (marketplace.search.documents) with the folded fields
as text analysed by the built-in ``whitespace`` analyser — Python has folded and split the
words already, so the engine sees exactly the words the database backend sees — and the
price ranges as nested objects. Queries are
built from constant-score clauses so the score is the one ``marketplace.search.terms``
defines, the same as the database backend's.

Indices are versioned (``<alias>-<timestamp>``) behind an alias: a reindex fills a new index
while searches go to the old one, then swaps the alias in one atomic call.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import streaming_bulk

from marketplace.models._types import utcnow
from marketplace.search import documents
from marketplace.search.documents import PART_SEPARATOR
from marketplace.search.query import Facets, Hit, SearchPage, SearchQuery
from marketplace.search.terms import EXACT_SPELLING_BONUS, FIELD_WEIGHTS, PHRASE_BONUS, TextQuery

log = logging.getLogger("marketplace.search")

FOLDED = ["folded_title", "folded_coop", "folded_category", "folded_province",
          "folded_description"]  # fmt: skip
DATES = [f"{kind}_{end}" for kind in ("ocop", "vietgap", "globalgap", "organic")
         for end in ("from", "until")]  # fmt: skip
_TIMES = [*DATES, "published_at", "indexed_at"]
_STORED = {"type": "keyword", "index": False, "doc_values": False}

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "listing_id": {"type": "long"},
        "organization_id": {"type": "long"},
        "slug": _STORED,
        "title_vi": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "title_en": {"type": "text"},
        "summary": {"type": "text", "index": False},
        # Python has already folded and split the words: the engine only splits on the
        # spaces between them, so both backends see exactly the same words.
        **{name: {"type": "text", "analyzer": "whitespace"} for name in FOLDED},
        "exact_title": {"type": "keyword"},
        "top_category_id": {"type": "integer"},
        "category_id": {"type": "integer"},
        "province_code": {"type": "keyword"},
        "coop_name": {"type": "keyword"},
        "coop_slug": _STORED,
        "unit": {"type": "keyword"},
        "pack_size": _STORED,
        "base_price": {"type": "long"},
        "min_order": {"type": "integer"},
        "ocop_stars": {"type": "integer"},
        **{name: {"type": "date", "format": "strict_date"} for name in DATES},
        "photo_key": _STORED,
        # Microseconds, as in the database, so "newest first" breaks no tie differently.
        "published_at": {"type": "date_nanos"},
        "indexed_at": {"type": "date_nanos"},
        "prices": {
            "type": "nested",
            "properties": {
                "from": {"type": "integer"},
                "to": {"type": "integer"},
                "price": {"type": "long"},
            },
        },
    },
}
SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "max_result_window": 10_000}


def _version(moment: datetime) -> int:
    """A document's external version: microseconds since 1970 of its row's last build."""
    return int(moment.timestamp() * 1_000_000)


def _dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


class SearchUnavailable(RuntimeError):
    """The engine did not answer; the caller falls back to the database."""


# --- documents ------------------------------------------------------------------------------


def to_source(row: dict, prices: list[tuple[int, int, int]]) -> dict[str, Any]:
    """The engine's document for a projection row (dates as ISO text, folded parts as arrays)."""
    source = dict(row)
    for name in FOLDED:
        value = source[name]
        source[name] = value.split(PART_SEPARATOR) if value else []
    source["exact_title"] = source["exact_title"].split()
    for name in _TIMES:
        value = source[name]
        if value is not None:
            source[name] = value.isoformat()
    source["prices"] = [{"from": a, "to": b, "price": p} for a, b, p in prices]
    return source


def from_source(source: dict[str, Any]) -> tuple[dict, list[tuple[int, int, int]]]:
    """A projection-like row from a document (search-only fields come back only if asked)."""
    row = dict(source)
    prices = [(p["from"], p["to"], p["price"]) for p in row.pop("prices", [])]
    for name in FOLDED:
        if name in row:
            row[name] = PART_SEPARATOR.join(row[name] or [])
    if "exact_title" in row:
        row["exact_title"] = " ".join(row["exact_title"] or [])
    for name in DATES:
        if row.get(name):
            row[name] = date.fromisoformat(row[name])
    for name in ("published_at", "indexed_at"):
        if row.get(name):
            row[name] = datetime.fromisoformat(row[name])
    return row, prices


# --- queries --------------------------------------------------------------------------------


def _word(word) -> dict:
    queries = []
    for field, weight in FIELD_WEIGHTS.items():
        name = f"folded_{field}"
        queries.append({"constant_score": {"filter": {"term": {name: word.term}}, "boost": weight}})
        if word.fuzzy:
            fuzzy = {"value": word.term, "fuzziness": 1, "transpositions": True,
                     "prefix_length": 0, "max_expansions": 1000}  # fmt: skip
            queries.append(
                {"constant_score": {"filter": {"fuzzy": {name: fuzzy}}, "boost": weight / 2}}
            )
    return {"dis_max": {"queries": queries, "tie_breaker": 0}}


def text_query(text: TextQuery) -> dict:
    if text.empty:
        return {"match_all": {}}
    should: list[dict] = [
        {"constant_score": {"filter": {"term": {"exact_title": w.exact}},
                            "boost": EXACT_SPELLING_BONUS}}
        for w in text.words if w.exact
    ]  # fmt: skip
    if len(text.words) > 1:
        should.append(
            {"constant_score": {"filter": {"match_phrase": {"folded_title": text.phrase}},
                                "boost": PHRASE_BONUS}}
        )  # fmt: skip
    return {"bool": {"must": [_word(w) for w in text.words], "should": should}}


def _valid(kind: str, day: date) -> list[dict]:
    iso = day.isoformat()
    return [{"range": {f"{kind}_from": {"lte": iso}}}, {"range": {f"{kind}_until": {"gt": iso}}}]


def _price_range(query: SearchQuery) -> dict:
    q = query.price_quantity
    return {"bool": {"filter": [{"range": {"prices.from": {"lte": q}}},
                                {"range": {"prices.to": {"gt": q}}}]}}  # fmt: skip


def filter_clauses(query: SearchQuery) -> dict[str, dict]:
    clauses: dict[str, dict] = {}
    if query.category:
        field = "top_category_id" if query.category.top_level else "category_id"
        clauses["category"] = {"term": {field: query.category.id}}
    if query.province:
        clauses["province"] = {"term": {"province_code": query.province}}
    if query.ocop_min:
        clauses["ocop"] = {"bool": {"filter": [{"range": {"ocop_stars": {"gte": query.ocop_min}}},
                                               *_valid("ocop", query.day)]}}  # fmt: skip
    if query.certifications:
        clauses["cert"] = {
            "bool": {
                "filter": [c for kind in query.certifications for c in _valid(kind, query.day)]
            }
        }
    if query.price_min is not None or query.price_max is not None:
        bounds = {}
        if query.price_min is not None:
            bounds["gte"] = query.price_min
        if query.price_max is not None:
            bounds["lte"] = query.price_max
        inner = _price_range(query)
        inner["bool"]["filter"].append({"range": {"prices.price": bounds}})
        clauses["price"] = {"nested": {"path": "prices", "query": inner}}
    if query.quantity is not None:
        # Only what can be ordered in that quantity: its price is then the one shown.
        clauses["quantity"] = {"range": {"min_order": {"lte": query.quantity}}}
    if query.moq_max is not None:
        clauses["moq"] = {"range": {"min_order": {"lte": query.moq_max}}}
    return clauses


def _all_but(clauses: dict[str, dict], skip: str) -> dict:
    return {"bool": {"filter": [c for key, c in clauses.items() if key != skip]}}


def _aggregations(query: SearchQuery, clauses: dict[str, dict]) -> dict:
    ocop = {f"ocop{n}": {"filter": {"bool": {"filter": [{"range": {"ocop_stars": {"gte": n}}},
                                                        *_valid("ocop", query.day)]}}}
            for n in (3, 4, 5)}  # fmt: skip
    # A certification counts with the other ticked ones (they combine with AND).
    certs = {
        kind: {"filter": {"bool": {"filter": [
            *_valid(kind, query.day),
            *[c for other in query.certifications if other != kind
              for c in _valid(other, query.day)],
        ]}}}
        for kind in ("vietgap", "globalgap", "organic")
    }  # fmt: skip
    return {
        "f_category": {
            "filter": _all_but(clauses, "category"),
            "aggs": {
                "top": {"terms": {"field": "top_category_id", "size": 500}},
                "sub": {"terms": {"field": "category_id", "size": 2000}},
            },
        },
        "f_province": {
            "filter": _all_but(clauses, "province"),
            "aggs": {"codes": {"terms": {"field": "province_code", "size": 200}}},
        },
        "f_ocop": {"filter": _all_but(clauses, "ocop"), "aggs": ocop},
        "f_cert": {"filter": _all_but(clauses, "cert"), "aggs": certs},
    }


def _sort(query: SearchQuery) -> list:
    tie = [{"published_at": "desc"}, {"listing_id": "desc"}]
    sort = query.effective_sort
    if sort == "newest":
        return tie
    if sort in ("price_asc", "price_desc"):
        order = "asc" if sort == "price_asc" else "desc"
        nested = {"path": "prices", "filter": _price_range(query)}
        return [{"prices.price": {"order": order, "nested": nested}}, *tie]
    return [{"_score": "desc"}, *tie]


def search_body(query: SearchQuery) -> dict:
    """The request body for one search: the words score, the filters only narrow."""
    clauses = filter_clauses(query)
    return {
        "query": text_query(query.text),
        "post_filter": {"bool": {"filter": list(clauses.values())}},
        "aggs": _aggregations(query, clauses),
        "sort": _sort(query),
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "track_scores": True,
        # A result card needs none of the search-only fields (the description's words alone
        # are most of a document).
        "_source": {"excludes": [*FOLDED, "exact_title", "indexed_at"]},
    }


def _facets(aggs: dict) -> Facets:
    facets = Facets()
    for bucket in aggs["f_category"]["top"]["buckets"]:
        facets.top_categories[int(bucket["key"])] = bucket["doc_count"]
    for bucket in aggs["f_category"]["sub"]["buckets"]:
        facets.sub_categories[int(bucket["key"])] = bucket["doc_count"]
    for bucket in aggs["f_province"]["codes"]["buckets"]:
        facets.provinces[bucket["key"]] = bucket["doc_count"]
    for n in (3, 4, 5):
        facets.certifications[f"ocop{n}"] = aggs["f_ocop"][f"ocop{n}"]["doc_count"]
    for kind in ("vietgap", "globalgap", "organic"):
        facets.certifications[kind] = aggs["f_cert"][kind]["doc_count"]
    return facets


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, url: str, alias: str = "chohtx-listings", timeout: float = 3.0):
        self.alias = alias
        self._alias_exists = False
        self.client = Elasticsearch(
            url, request_timeout=timeout, max_retries=0, retry_on_timeout=False
        )

    # --- reading ----------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - any engine failure means "use the database"
            raise SearchUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc

    def search(self, query: SearchQuery) -> SearchPage:
        body = search_body(query)
        response = self._call(lambda: self.client.search(index=self.alias, **body))
        hits = []
        for hit in response["hits"]["hits"]:
            row, prices = from_source(hit["_source"])
            hits.append(Hit(row["listing_id"], row, prices, hit.get("_score")))
        total = response["hits"]["total"]["value"]
        return SearchPage(hits, total, _facets(response["aggregations"]), self.name)

    def count_matching(self, query: SearchQuery) -> int:
        clauses = list(filter_clauses(query).values())
        body = {"bool": {"must": [text_query(query.text)], "filter": clauses}}
        response = self._call(lambda: self.client.count(index=self.alias, query=body))
        return int(response["count"])

    def suggest(self, words: list[str], prefix: str, limit: int = 8) -> dict[str, list[str]]:
        def matching(field: str) -> dict:
            must: list[dict] = [{"term": {field: w}} for w in words]
            if prefix:
                must.append({"prefix": {field: prefix}})
            return {"bool": {"filter": must}}

        body = {
            "size": 0,
            "aggs": {
                "products": {
                    "filter": matching("folded_title"),
                    "aggs": {
                        "titles": {
                            "terms": {
                                "field": "title_vi.keyword",
                                "size": limit,
                                "order": [{"latest": "desc"}, {"_key": "asc"}],
                            },
                            "aggs": {"latest": {"max": {"field": "published_at"}}},
                        }  # fmt: skip
                    },
                },
                "coops": {
                    "filter": matching("folded_coop"),
                    "aggs": {"names": {"terms": {"field": "coop_name", "size": 4}}},
                },
            },
        }
        response = self._call(lambda: self.client.search(index=self.alias, **body))
        aggs = response["aggregations"]
        return {
            "products": [b["key"] for b in aggs["products"]["titles"]["buckets"]],
            "coops": [b["key"] for b in aggs["coops"]["names"]["buckets"]],
        }

    def ping(self) -> None:
        """Raises SearchUnavailable unless the index answers (its alias exists, not red)."""
        health = self._call(lambda: self.client.cluster.health(index=self.alias, timeout="2s"))
        if health.get("status") == "red":
            raise SearchUnavailable(f"index {self.alias} is red")

    # --- writing ----------------------------------------------------------------------

    def _new_index_name(self) -> str:
        return f"{self.alias}-{utcnow():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"

    def _create(self, name: str, *, loading: bool = False) -> None:
        settings = dict(SETTINGS)
        if loading:
            settings["refresh_interval"] = "-1"
        self.client.indices.create(index=name, settings=settings, mappings=MAPPING)

    def current_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def ensure_index(self) -> None:
        """Refuse to write without an index: an empty one made here would be served as if it
        were the catalogue. ``flask search reindex`` creates it (seed-demo runs that too)."""
        if self._alias_exists or self.current_indices():
            self._alias_exists = True
            return
        raise SearchUnavailable(f"no index behind {self.alias}: run `flask search reindex`")

    def _actions(self, index: str, listing_ids: list[int]) -> Iterator[dict]:
        """Index or delete each document as the projection has it now, versioned by when its
        row was built (a delete by now): if two deliveries race, the older one is refused
        by the engine instead of overwriting the newer."""
        found = documents.load(listing_ids)
        prices = documents.prices_of(list(found))
        now = _version(utcnow())
        for listing_id in listing_ids:
            document = found.get(listing_id)
            meta = {"_index": index, "_id": str(listing_id), "version_type": "external_gte"}
            if document is None:
                yield {"_op_type": "delete", "version": now, **meta}
            else:
                row = documents.row_dict(document)
                source = to_source(row, prices.get(listing_id, []))
                yield {"_op_type": "index", "_source": source,
                       "version": _version(row["indexed_at"]), **meta}  # fmt: skip

    def _bulk(self, actions: Iterable[dict], **kwargs: Any) -> int:
        done, errors = 0, []
        for ok, item in streaming_bulk(
            self.client, actions, raise_on_error=False, max_retries=2, **kwargs
        ):
            ((op, result),) = item.items()
            # 404: deleting what is not there; 409: a newer version is there already.
            status = result.get("status")
            if ok or status == 409 or (op == "delete" and status == 404):
                done += 1
            else:
                errors.append(result)
        if errors:
            raise SearchUnavailable(f"{len(errors)} document(s) failed: {errors[0]}"[:500])
        return done

    def apply(self, listing_ids: Iterable[int]) -> int:
        """Bring these documents in the index in line with the projection (index or delete)."""
        ids = sorted({int(i) for i in listing_ids})
        if not ids:
            return 0
        self.ensure_index()
        done = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            done += self._bulk(self._actions(self.alias, chunk), require_alias=True)
        return done

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    def reindex(self, progress: Callable[[int], None] | None = None, batch: int = 2000) -> dict:
        """Fill a new index from the projection, swap the alias, drop the old indices.

        Searches keep using the old index until the swap; the caller replays changes made
        meanwhile (marketplace.search.indexing.reindex). This thread reads the database and
        writes the bulk bodies; one other thread only sends them (waiting on the socket, so
        the two overlap despite the GIL), with at most two requests in flight.
        """
        started = utcnow()
        name = self._new_index_name()
        self._create(name, loading=True)
        action = '{"index":{"version_type":"external_gte","_index":' + json.dumps(name)
        count = 0
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight: deque[tuple[Future, int]] = deque()
            lines: list[str] = []

            def send() -> None:
                nonlocal count, lines
                if len(in_flight) >= 2:
                    future, sent = in_flight.popleft()
                    count += self._bulk_result(future.result(), sent)
                body = "\n".join(lines) + "\n"
                in_flight.append((pool.submit(self._send, body.encode()), len(lines) // 2))
                lines = []

            for row, prices in documents.stream(batch=batch):
                version = _version(row["indexed_at"])
                lines.append(f'{action},"version":{version},"_id":"{row["listing_id"]}"}}}}')
                lines.append(_dumps(to_source(row, prices)))
                if progress:
                    progress(1)
                if len(lines) >= 2 * batch:
                    send()
            if lines:
                send()
            while in_flight:
                future, sent = in_flight.popleft()
                count += self._bulk_result(future.result(), sent)
        self.client.indices.put_settings(index=name, settings={"refresh_interval": "1s"})
        self.client.indices.refresh(index=name)
        old = [index for index in self.current_indices() if index != name]
        swap = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        swap.append({"add": {"index": name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=swap)
        self._alias_exists = True
        for index in old:
            self.client.indices.delete(index=index)
        return {"index": name, "documents": count, "started": started, "replaced": old}

    def _send(self, body: bytes) -> Any:
        # Only the failures come back (filter_path): a bulk answer otherwise repeats every id.
        return self.client.options(request_timeout=120).perform_request(
            "POST",
            "/_bulk",
            params={"filter_path": "errors,items.*.error"},
            headers={"content-type": "application/x-ndjson", "accept": "application/json"},
            body=body,
        )

    @staticmethod
    def _bulk_result(response: Any, sent: int) -> int:
        body = response.body
        if body.get("errors"):
            failed = [item for item in body.get("items", []) if item]
            raise SearchUnavailable(f"{len(failed)} document(s) failed: {failed[:1]}"[:500])
        return sent

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def all_sources(self) -> dict[int, dict]:
        """Every document in the index (for checks and tests; scans, so not for pages)."""
        from elasticsearch.helpers import scan

        return {
            int(hit["_id"]): hit["_source"]
            for hit in scan(self.client, index=self.alias, query={"query": {"match_all": {}}})
        }

    def drop(self) -> None:
        for index in self.current_indices():
            self.client.indices.delete(index=index)
        self._alias_exists = False
