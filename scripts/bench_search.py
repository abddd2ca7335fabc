"""Search benchmark: indexing and query latency on generated catalogues, one run per size.

For each size N (10,000 and 100,000 listings by default), in one run:

1. a fresh schema in the benchmark PostgreSQL database, ``flask db upgrade``, and N listings
   from ``scripts/search_catalogue.py`` (projection included);
2. indexing: the documents are exported to NDJSON first (timed apart), then, alternately, a plain
   ``_bulk`` load of that file into a scratch index with the same mapping and settings (chunks
   of 2,000 documents as reindex sends, ``refresh_interval: -1`` during the load, then a
   refresh), and ``flask search reindex`` as a child process (wall time and its peak RSS);
3. latency: the app under gunicorn (2 sync workers) with Elasticsearch, a fixed mix of queries
   sent one at a time through ``GET /api/v1/search`` and, interleaved, the same searches sent
   straight to Elasticsearch (``POST /<alias>/_search`` with the body from ``search_body``) over
   a keep-alive connection; then the app without Elasticsearch (the database backend);
4. in-process cProfiles of one reindex and of single API requests (a typical search and the
   no-hit typo), to name where the time goes.

Then the database backend once more on SQLite (a file under /var/tmp). Prints Markdown tables.

    bash scripts/bench_search.sh [--sizes 10000,100000] [--repeats 30] [--sqlite-size 10000]

Needs BENCH_DATABASE_URL (``eval "$(bash scripts/services.sh env)"``) and a running
Elasticsearch; only indices named ``chohtx-bench-*`` are created or deleted.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import math
import os
import platform
import pstats
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The virtualenv running this script (flask, gunicorn and python come from it).
VENV = Path(sys.executable).parent
# Outside the repo, next to the services' state (scripts/services.sh).
WORKDIR = Path(os.environ.get("CHOHTX_BENCH_DIR", "/var/tmp/chohtx-bench-search"))  # noqa: S108
ALIAS = "chohtx-bench"
SCRATCH_INDEX = "chohtx-bench-plain"
#: Documents per bulk request, for both loads: `flask search reindex`'s default batch.
BULK_CHUNK = 2000
SECRET_KEY = "bench-secret-key-bench-secret-key-0123456789"  # noqa: S105 - benchmark only
ES_PORT = 18091
DB_PORT = 18092

#: The query mix: label, URL arguments. Words with and without tone marks, typos, filters,
#: price at a quantity, sorts and a second page.
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("mật ong", {"q": "mật ong"}),
    ("mat ong", {"q": "mat ong"}),
    ("mật ong hoa nhãn", {"q": "mật ong hoa nhãn"}),
    ("sam lai chau", {"q": "sam lai chau"}),
    ("Sâm Ngọc Linh", {"q": "Sâm Ngọc Linh"}),
    ("che shan tuyet co thu", {"q": "che shan tuyet co thu"}),
    ("gạo ST25", {"q": "gạo ST25"}),
    ("nuoc mam phu quoc", {"q": "nuoc mam phu quoc"}),
    ("shan tuyett (typo)", {"q": "shan tuyett"}),
    ("hat dieu rang muoi", {"q": "hat dieu rang muoi"}),
    ("mat ong hoa nahn (typo, no hit)", {"q": "mat ong hoa nahn"}),
    ("category=duoc-lieu", {"category": "duoc-lieu"}),
    ("category=mat-ong province=son-la", {"category": "mat-ong", "province": "son-la"}),
    ("mật ong ocop=4", {"q": "mật ong", "ocop": "4"}),
    ("rau cert=vietgap province=lam-dong",
     {"q": "rau", "cert": "vietgap", "province": "lam-dong"}),
    ("category=rau-qua cert=organic", {"category": "rau-qua", "cert": "organic"}),
    ("gao quantity=500 price_max=40000", {"q": "gao", "quantity": "500", "price_max": "40000"}),
    ("nước mắm quantity=100 sort=price_asc",
     {"q": "nước mắm", "quantity": "100", "sort": "price_asc"}),
    ("category=hat sort=price_desc", {"category": "hat", "sort": "price_desc"}),
    ("che page=2", {"q": "che", "page": "2"}),
    ("(everything, newest)", {}),
    ("hữu cơ moq=50", {"q": "hữu cơ", "moq": "50"}),
]  # fmt: skip


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- small helpers ---------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table(headers: list[str], rows: list[list[object]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def emit(title: str, text: str) -> None:
    print(f"\n{title}\n\n{text}", flush=True)


class Http:
    """One HTTP/1.1 connection, kept alive; reopened when the server closes it (gunicorn's
    sync workers close after each response, so the API's figures include a loopback connect)."""

    def __init__(self, base_url: str, timeout: float = 60):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = ""):
        headers = {"Content-Type": content_type} if content_type else {}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, payload: object | None = None) -> dict:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.call(method, path, body, "application/json" if body else "")
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.connection.close()


def child_env(database_url: str, elasticsearch: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELASTICSEARCH_")}
    env.update(
        # This checkout's code first, whatever the virtualenv's editable install points at.
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        FLASK_APP="wsgi.py",
        SECRET_KEY=SECRET_KEY,
        RATELIMIT_ENABLED="false",
        SEARCH_RATE_LIMIT="1000000 per minute",
        INSTANCE_PATH=str(WORKDIR / "instance"),
    )
    if elasticsearch:
        env.update(ELASTICSEARCH_URL=elasticsearch, ELASTICSEARCH_INDEX=ALIAS)
    return env


def run_child(
    cmd: list[str], env: dict[str, str], output: Path, rss: bool = False
) -> tuple[float, int | None]:
    """Run a command to completion: (wall seconds, peak RSS in KiB when ``rss``).

    The peak RSS comes from /usr/bin/time, not from this process's wait4(): Linux carries the
    pre-exec high-water mark into the child's ru_maxrss, and subprocess starts children with
    vfork, so the child would report this (large) process's peak instead of its own.
    """
    prefix: list[str] = []
    rss_file = WORKDIR / "rss.txt"
    if rss:
        prefix = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)]
    with output.open("wb") as out:
        started = time.perf_counter()
        done = subprocess.run(prefix + cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - started
    if done.returncode:
        sys.stderr.write(output.read_text(errors="replace")[-3000:])
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode})")
    return elapsed, int(rss_file.read_text().split()[-1]) if rss else None


@contextmanager
def app_context(database_url: str, **config: object):
    from marketplace import create_app
    from marketplace.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "ELASTICSEARCH_URL": None}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


# --- the catalogue ------------------------------------------------------------------------


def fresh_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def settle_postgres(url: str) -> float:
    """VACUUM ANALYZE after the bulk load, as autovacuum would do a little later: without it
    autovacuum runs in the middle of the measurements and the planner has no statistics."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def build_catalogue(database_url: str, n: int, seed: int) -> dict:
    env = child_env(database_url)
    run_child([str(VENV / "flask"), "db", "upgrade"], env, WORKDIR / "migrate.log")
    log(f"generating {n} listings")
    wall, _ = run_child(
        [
            str(VENV / "python"),
            "scripts/search_catalogue.py",
            str(n),
            "--seed",
            str(seed),
            "--json",
        ],
        env,
        WORKDIR / "generate.log",
    )
    stats = json.loads((WORKDIR / "generate.log").read_text().strip().splitlines()[-1])
    stats["wall_seconds"] = wall
    return stats


# --- indexing -------------------------------------------------------------------------------


def export_ndjson(database_url: str, path: Path) -> int:
    """The documents reindex would send, as bulk actions: the same rows through to_source and
    the same JSON encoding. Timed apart: it is the reading and serialising a reindex does,
    without the engine."""
    from marketplace.search import documents
    from marketplace.search.elastic import to_source

    count = 0
    with app_context(database_url), path.open("w", encoding="utf-8") as out:
        for row, prices in documents.stream(batch=BULK_CHUNK):
            action = {"index": {"_id": str(row["listing_id"])}}
            out.write(json.dumps(action, separators=(",", ":")) + "\n")
            source = to_source(row, prices)
            out.write(json.dumps(source, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def bulk_chunks(path: Path) -> list[bytes]:
    lines = path.read_bytes().splitlines(keepends=True)
    step = 2 * BULK_CHUNK
    return [b"".join(lines[i : i + step]) for i in range(0, len(lines), step)]


def delete_bench_indices(es: Http) -> None:
    found = es.json("GET", "/_cat/indices/chohtx-bench-*?format=json&h=index")
    for item in found:
        es.json("DELETE", f"/{item['index']}")


def wait_until_idle(es: Http, timeout: float = 300) -> None:
    """Let the engine finish its background segment merges before a timed run."""
    path = "/_nodes/stats/indices/merge?filter_path=nodes.*.indices.merges.current"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nodes = es.json("GET", path)["nodes"].values()
        if all(n["indices"]["merges"]["current"] == 0 for n in nodes):
            return
        time.sleep(0.5)
    log("the engine is still merging; measuring anyway")


def plain_load(es: Http, chunks: list[bytes], expected: int) -> float:
    """Create the scratch index, bulk-load the chunks, refresh: the floor for a reindex."""
    from marketplace.search.elastic import MAPPING, SETTINGS

    status, _ = es.call("HEAD", f"/{SCRATCH_INDEX}")
    if status == 200:
        es.json("DELETE", f"/{SCRATCH_INDEX}")
    started = time.perf_counter()
    es.json(
        "PUT",
        f"/{SCRATCH_INDEX}",
        {"settings": {**SETTINGS, "refresh_interval": "-1"}, "mappings": MAPPING},
    )
    # Only failures come back (filter_path), as reindex asks.
    bulk = f"/{SCRATCH_INDEX}/_bulk?filter_path=errors,items.*.error"
    for chunk in chunks:
        status, data = es.call("POST", bulk, chunk, "application/x-ndjson")
        if status != 200 or json.loads(data)["errors"]:
            raise RuntimeError(f"bulk load failed: {data[:500]!r}")
    es.json("PUT", f"/{SCRATCH_INDEX}/_settings", {"index": {"refresh_interval": "1s"}})
    es.json("POST", f"/{SCRATCH_INDEX}/_refresh")
    elapsed = time.perf_counter() - started
    count = es.json("GET", f"/{SCRATCH_INDEX}/_count")["count"]
    es.json("DELETE", f"/{SCRATCH_INDEX}")
    if count != expected:
        raise RuntimeError(f"plain load indexed {count} documents, expected {expected}")
    return elapsed


def reindex(database_url: str, es_url: str, es: Http, expected: int) -> tuple[float, int | None]:
    env = child_env(database_url, es_url)
    command = [str(VENV / "flask"), "search", "reindex", "--batch", str(BULK_CHUNK)]
    wall, rss = run_child(command, env, WORKDIR / "reindex.log", rss=True)
    count = es.json("GET", f"/{ALIAS}/_count")["count"]
    if count != expected:
        raise RuntimeError(f"reindex left {count} documents, expected {expected}")
    return wall, rss


def cli_startup(database_url: str) -> float:
    """Wall time of a flask command that does nothing: the fixed cost inside a reindex."""
    walls = [
        run_child(
            [str(VENV / "flask"), "search", "--help"],
            child_env(database_url),
            WORKDIR / "startup.log",
        )[0]
        for _ in range(3)
    ]
    return min(walls)


# --- latency ----------------------------------------------------------------------------------


@contextmanager
def wait_until_serving(client: Http, process: subprocess.Popen, log: str) -> None:
    """Until the app behind ``client`` answers a search (60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.call("GET", "/api/v1/search?per_page=1")[0] == 200:
                return
        except OSError:
            client.close()
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the app did not start (see {log})")
        time.sleep(0.2)


def gunicorn(env: dict[str, str], port: int):
    cmd = [
        str(VENV / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    with (WORKDIR / f"gunicorn-{port}.log").open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        client = Http(f"http://127.0.0.1:{port}")
        wait_until_serving(client, process, out.name)
        client.close()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def api_path(args: dict[str, str]) -> str:
    return "/api/v1/search" + (f"?{urlencode(args)}" if args else "")


def engine_bodies(database_url: str) -> list[bytes]:
    """The exact request body the API sends to Elasticsearch for each query of the mix."""
    from marketplace.search.elastic import search_body
    from marketplace.search.query import parse
    from marketplace.services.catalogue.search import category_filters
    from marketplace.vietnam import today

    with app_context(database_url):
        categories = category_filters()
        return [
            json.dumps(
                search_body(parse(args, categories=categories, day=today())),
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            for _, args in QUERIES
        ]


def measure(
    api_url: str,
    engine: str,
    repeats: int,
    warmup: int,
    raw: tuple[Http, list[bytes]] | None = None,
) -> dict[str, dict]:
    """Each query ``warmup + repeats`` times, one request at a time; with ``raw``, each API
    request is followed by the same search sent straight to Elasticsearch."""
    api = Http(api_url)
    results = {label: {"api": [], "raw": [], "hits": None} for label, _ in QUERIES}
    for round_ in range(warmup + repeats):
        for index, (label, args) in enumerate(QUERIES):
            started = time.perf_counter()
            status, data = api.call("GET", api_path(args))
            api_time = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"{label}: HTTP {status}: {data[:300]!r}")
            if round_ == 0:
                answer = json.loads(data)
                if answer["engine"] != engine or answer["degraded"]:
                    raise RuntimeError(f"{label}: answered by {answer['engine']}, not {engine}")
                results[label]["hits"] = answer["total"]
            raw_time = None
            if raw is not None:
                es, bodies = raw
                started = time.perf_counter()
                status, data = es.call(
                    "POST", f"/{ALIAS}/_search", bodies[index], "application/json"
                )
                raw_time = time.perf_counter() - started
                if status != 200:
                    raise RuntimeError(f"{label}: engine HTTP {status}: {data[:300]!r}")
                if round_ == 0:
                    total = json.loads(data)["hits"]["total"]["value"]
                    if total != results[label]["hits"]:
                        raise RuntimeError(
                            f"{label}: API found {results[label]['hits']}, the engine {total}"
                        )
            if round_ >= warmup:
                results[label]["api"].append(api_time)
                if raw_time is not None:
                    results[label]["raw"].append(raw_time)
    api.close()
    return results


def latency_rows(results: dict[str, dict], with_raw: bool) -> list[list[object]]:
    rows = []
    pooled_api: list[float] = []
    pooled_raw: list[float] = []
    for label, result in results.items():
        api, raw = result["api"], result["raw"]
        pooled_api += api
        pooled_raw += raw
        row: list[object] = [
            label,
            result["hits"],
            ms(percentile(api, 0.5)),
            ms(percentile(api, 0.95)),
        ]
        if with_raw:
            row += [
                ms(percentile(raw, 0.5)),
                ms(percentile(raw, 0.95)),
                f"{percentile(api, 0.95) / percentile(raw, 0.95):.2f}",
            ]
        rows.append(row)
    total: list[object] = [
        "**all queries**",
        "",
        ms(percentile(pooled_api, 0.5)),
        ms(percentile(pooled_api, 0.95)),
    ]
    if with_raw:
        total += [
            ms(percentile(pooled_raw, 0.5)),
            ms(percentile(pooled_raw, 0.95)),
            f"**{percentile(pooled_api, 0.95) / percentile(pooled_raw, 0.95):.2f}**",
        ]
    rows.append(total)
    return rows


# --- where the time goes --------------------------------------------------------------------

#: Single requests profiled in-process: a typical search, and the no-hit typo.
PROFILE_QUERIES = [
    ("mật ong", {"q": "mật ong"}),
    ("mat ong hoa nahn", {"q": "mat ong hoa nahn"}),
]
#: Functions whose cumulative time per request is reported (file suffix, function name).
PROFILED = [
    ("marketplace/services/catalogue/search.py", "parse_query"),
    ("marketplace/services/catalogue/search.py", "find"),
    ("marketplace/search/service.py", "search"),
    ("elasticsearch/_sync/client/__init__.py", "search"),
    ("elastic_transport/_node/_http_urllib3.py", "perform_request"),
    ("marketplace/search/elastic.py", "search_body"),
    ("marketplace/search/elastic.py", "from_source"),
    ("marketplace/search/service.py", "count"),
    ("marketplace/blueprints/search/presenters.py", "_item"),
    ("marketplace/blueprints/search/presenters.py", "highlight"),
    ("marketplace/blueprints/search/presenters.py", "_facet_options"),
    ("marketplace/blueprints/search/presenters.py", "_chips"),
    ("marketplace/services/catalogue/search.py", "spelling_for"),
    ("marketplace/services/catalogue/search.py", "nearest_categories"),
    ("marketplace/blueprints/search/presenters.py", "results_json"),
    ("marketplace/blueprints/search/presenters.py", "item_json"),
    ("flask/json/provider.py", "response"),
]


def _area(filename: str, function: str) -> str:
    if filename == "~":  # built-in functions: in-process, the only sockets are the engine's
        if "socket" in function:
            return "waiting on Elasticsearch (socket)"
        if "json" in function:
            return "JSON encode/decode"
        return "other built-ins"
    if filename.endswith("psycopg/connection.py") and function == "wait":
        return "waiting on PostgreSQL"
    for needle, area in (
        ("/elasticsearch/", "Elasticsearch client"),
        ("/elastic_transport/", "Elasticsearch client"),
        ("/urllib3/", "Elasticsearch client"),
        ("/http/client.py", "Elasticsearch client"),
        ("/json/", "JSON encode/decode"),
        ("/sqlalchemy/", "SQLAlchemy + psycopg"),
        ("/psycopg", "SQLAlchemy + psycopg"),
        ("/marketplace/search/", "marketplace.search"),
        ("/marketplace/services/catalogue/search.py", "marketplace.services.catalogue.search"),
        ("/marketplace/blueprints/search/presenters.py", "search presenters"),
        ("/markupsafe/", "MarkupSafe (title highlighting)"),
        ("/urllib/parse.py", "urllib.parse (links)"),
        ("/babel/", "Babel / Flask-Babel"),
        ("/flask_babel/", "Babel / Flask-Babel"),
        ("/werkzeug/", "Flask + Werkzeug"),
        ("/flask/", "Flask + Werkzeug"),
        ("/marketplace/", "marketplace (other)"),
    ):
        if needle in filename:
            return area
    return "other Python"


def _profile_tables(columns: list[tuple[str, float, dict, float, float]]) -> str:
    """Own time by area and time with callees of chosen functions, per request, one column
    pair (ms, share) per profiled query."""
    per_column = []
    for _, _, stats, _, _ in columns:
        total = sum(tt for (_, _, tt, _, _) in stats.values())
        areas: dict[str, float] = defaultdict(float)
        for (filename, _, function), (_, _, tt, _, _) in stats.items():
            areas[_area(filename, function)] += tt
        functions = {}
        for suffix, name in PROFILED:
            found = [
                ct
                for (filename, _, function), (_, _, _, ct, _) in stats.items()
                if function == name and filename.endswith(suffix)
            ]
            functions[f"`{suffix.rsplit('/', 1)[-1]}:{name}`"] = max(found, default=0.0)
        per_column.append((total, areas, functions))
    headers: list[str] = []
    for label, *_ in columns:
        headers += [f"{label}: ms", "share"]
    order = sorted(per_column[0][1], key=lambda area: -per_column[0][1][area])
    order += sorted({a for _, areas, _ in per_column for a in areas} - set(order))

    def rows(keys: list[str], pick) -> list[list[object]]:
        out = []
        for key in keys:
            row: list[object] = [key]
            for total, areas, functions in per_column:
                value = pick(areas, functions).get(key, 0.0)
                row += [ms(value), f"{100 * value / total:.0f} %"]
            out.append(row)
        return out

    area_rows = rows(order, lambda areas, _: areas)
    for name, index in (("SQL statements", 3), ("connection checkouts (each pinged)", 4)):
        row: list[object] = [f"({name} per request)"]
        for column in columns:
            row += [f"{column[index]:.1f}", ""]
        area_rows.append(row)
    function_rows = [
        row for row in rows([f"`{s.rsplit('/', 1)[-1]}:{n}`" for s, n in PROFILED],
                            lambda _, functions: functions)
        if any(c not in ("0.00", "0 %") for c in row[1:])
    ]  # fmt: skip
    plain_row: list[object] = ["(per request without the profiler)"]
    for _, plain, _, _, _ in columns:
        plain_row += [ms(plain), ""]
    return "\n\n".join(
        [
            table(["where (own time)", *headers], [*area_rows, plain_row]),
            table(["function (with callees)", *headers], function_rows),
        ]
    )


def profile_api(database_url: str, es_url: str, repeats: int) -> str:
    """cProfile of single API requests in-process (Flask test client, no HTTP server): a
    typical query with hits and the no-hit typo, each ``repeats`` times."""
    from sqlalchemy import event

    from marketplace.extensions import db

    counters = {"statements": 0, "checkouts": 0}

    def count(name: str):
        def listener(*_: object) -> None:
            counters[name] += 1

        return listener

    from marketplace import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ELASTICSEARCH_URL": es_url,
            "ELASTICSEARCH_INDEX": ALIAS,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        engine = db.engine
    # Requests run outside any app context, as under a server: each one gets its own context
    # and session, and gives its connection back at the end.
    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine.pool, "checkout", count("checkouts"))
    client = app.test_client()
    columns = []
    for label, args in PROFILE_QUERIES:
        path = api_path(args)

        def get(path: str = path) -> None:
            if client.get(path).status_code != 200:
                raise RuntimeError(f"{path}: HTTP error")

        if client.get(path).json["engine"] != "elasticsearch":
            raise RuntimeError(f"{path}: not answered by Elasticsearch")
        for _ in range(5):
            get()
        started = time.perf_counter()
        for _ in range(repeats):
            get()
        plain = (time.perf_counter() - started) / repeats
        counters.update(statements=0, checkouts=0)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeats):
            get()
        profiler.disable()
        stats = {
            key: (cc, nc, tt / repeats, ct / repeats, None)
            for key, (cc, nc, tt, ct, _) in pstats.Stats(profiler).stats.items()  # type: ignore[attr-defined]
        }
        columns.append(
            (label, plain, stats, counters["statements"] / repeats,
             counters["checkouts"] / repeats)
        )  # fmt: skip
    engine.dispose()
    return _profile_tables(columns)


def profile_reindex(database_url: str, es_url: str) -> str:
    """cProfile of one reindex in-process: where its time goes besides the engine's work."""
    from marketplace.search import indexing

    with app_context(database_url, ELASTICSEARCH_URL=es_url, ELASTICSEARCH_INDEX=ALIAS):
        profiler = cProfile.Profile()
        profiler.enable()
        indexing.reindex()
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    areas: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, tt, _, _) in stats.items():
        areas[_area(filename, function)] += tt
    rows = [
        [area, f"{seconds:.1f}", f"{100 * seconds / total:.0f} %"]
        for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1])
    ]
    return table(["where (own time)", "seconds", "share"], rows)


# --- the run ------------------------------------------------------------------------------------


def versions(database_url: str, es: Http) -> str:
    from importlib.metadata import version

    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    fields = "nodes.*.version,nodes.*.jvm.mem.heap_max_in_bytes"
    (node,) = es.json("GET", f"/_nodes?filter_path={fields}")["nodes"].values()
    heap_max = node["jvm"]["mem"]["heap_max_in_bytes"] // 2**20
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    source = os.environ.get("BENCH_SOURCE") or commit or "?"
    return (
        f"Code: {source}. "
        f"Python {platform.python_version()}, Flask {version('flask')}, SQLAlchemy "
        f"{version('sqlalchemy')}, gunicorn {version('gunicorn')}, elasticsearch-py "
        f"{version('elasticsearch')}, PostgreSQL {pg.split()[0]}, Elasticsearch {node['version']} "
        f"({heap_max} MiB heap), SQLite {sqlite3.sqlite_version}; {os.cpu_count()} cores"
    )


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def catalogue_row(name: str, stats: dict, settle: float | None) -> list[object]:
    return [
        name, stats["listings"], stats["coops"], stats["certificates"], stats["price_tiers"],
        f"{stats['generate_seconds']:.1f}", f"{stats['projection_seconds']:.1f}",
        "–" if settle is None else f"{settle:.1f}",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="listings, comma-separated")
    parser.add_argument("--sqlite-size", type=int, default=10000, help="0 to skip SQLite")
    parser.add_argument("--repeats", type=int, default=30, help="measured requests per query")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds of the mix")
    parser.add_argument("--index-runs", type=int, default=3, help="plain loads and reindexes")
    parser.add_argument("--profile-repeats", type=int, default=100, help="requests profiled")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--elasticsearch",
        default=os.environ.get("BENCH_ELASTICSEARCH_URL") or "http://127.0.0.1:54331",
    )
    options = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL")
    if not database_url:
        raise SystemExit('BENCH_DATABASE_URL is not set: eval "$(bash scripts/services.sh env)"')
    sizes = [int(s) for s in options.sizes.split(",") if s.strip()]
    WORKDIR.mkdir(parents=True, exist_ok=True)
    (WORKDIR / "instance").mkdir(exist_ok=True)

    es = Http(options.elasticsearch)
    delete_bench_indices(es)
    print(versions(database_url, es))
    print(
        f"Latency: {len(QUERIES)} queries, each {options.repeats} times after "
        f"{options.warmup} warm-up rounds, one request at a time; gunicorn -w 2 (sync); "
        f"load generator, server, PostgreSQL and Elasticsearch share the machine."
    )
    catalogue_rows, index_rows, db_latency = [], [], {}
    for n in sizes:
        label = size_label(n)
        log(f"--- {label} listings on PostgreSQL")
        fresh_postgres(database_url)
        stats = build_catalogue(database_url, n, options.seed)
        settle = settle_postgres(database_url)
        catalogue_rows.append(catalogue_row(f"PostgreSQL, {label}", stats, settle))
        documents = stats["searchable"]

        ndjson = WORKDIR / f"documents-{label}.ndjson"
        started = time.perf_counter()
        exported = export_ndjson(database_url, ndjson)
        export_seconds = time.perf_counter() - started
        if exported != documents:
            raise RuntimeError(f"exported {exported} documents, expected {documents}")
        chunks = bulk_chunks(ndjson)
        startup = cli_startup(database_url)
        plain_runs, reindex_runs, rss_runs = [], [], []
        for run in range(options.index_runs):
            log(f"indexing, run {run + 1}: plain bulk load")
            wait_until_idle(es)
            plain_runs.append(plain_load(es, chunks, documents))
            log(f"indexing, run {run + 1}: flask search reindex")
            wait_until_idle(es)
            wall, rss = reindex(database_url, options.elasticsearch, es, documents)
            reindex_runs.append(wall)
            rss_runs.append(rss or 0)
        del chunks
        # Medians: one stalled run (a JVM pause, a merge) must not decide the ratio.
        plain, reindexed = statistics.median(plain_runs), statistics.median(reindex_runs)
        index_rows.append([
            label, documents, f"{ndjson.stat().st_size / 2**20:.0f}",
            " / ".join(f"{s:.1f}" for s in plain_runs),
            " / ".join(f"{s:.1f}" for s in reindex_runs),
            f"**{reindexed / plain:.2f}**", f"{startup:.1f}", f"{export_seconds:.1f}",
            f"{max(rss_runs) / 1024:.0f}",
        ])  # fmt: skip
        emit(f"Indexing, {label}", table(INDEX_HEADERS, index_rows[-1:]))
        log("profiling a reindex in-process")
        wait_until_idle(es)
        emit(
            f"Where a reindex's time goes, {label} (cProfile, in-process, one reindex)",
            profile_reindex(database_url, options.elasticsearch),
        )

        bodies = engine_bodies(database_url)
        log("latency through the API with Elasticsearch, and straight to Elasticsearch")
        wait_until_idle(es)
        with gunicorn(child_env(database_url, options.elasticsearch), ES_PORT) as url:
            results = measure(url, "elasticsearch", options.repeats, options.warmup, (es, bodies))
        emit(
            f"Latency, {label} listings: API (Elasticsearch backend) vs Elasticsearch alone (ms)",
            table(LATENCY_HEADERS, latency_rows(results, with_raw=True)),
        )
        log("profiling single API requests in-process")
        emit(
            f"Where one API request's time goes, {label} (cProfile, in-process Flask test "
            f"client, each query {options.profile_repeats} times; ms per request)",
            profile_api(database_url, options.elasticsearch, options.profile_repeats),
        )
        log("latency through the API with the database backend")
        with gunicorn(child_env(database_url), DB_PORT) as url:
            db_latency[f"PostgreSQL {label}"] = measure(
                url, "database", options.repeats, options.warmup
            )
        emit(
            f"Latency, {label} listings: API with the database backend, PostgreSQL (ms)",
            table(DB_HEADERS, latency_rows(db_latency[f"PostgreSQL {label}"], with_raw=False)),
        )
        ndjson.unlink()

    if options.sqlite_size:
        n = options.sqlite_size
        label = size_label(n)
        log(f"--- {label} listings on SQLite")
        path = WORKDIR / f"search-{label}.sqlite3"
        path.unlink(missing_ok=True)
        sqlite_url = f"sqlite:///{path}"
        stats = build_catalogue(sqlite_url, n, options.seed)
        catalogue_rows.append(catalogue_row(f"SQLite, {label}", stats, None))
        with gunicorn(child_env(sqlite_url), DB_PORT) as url:
            db_latency[f"SQLite {label}"] = measure(
                url, "database", options.repeats, options.warmup
            )
        emit(
            f"Latency, {label} listings: API with the database backend, SQLite (ms)",
            table(DB_HEADERS, latency_rows(db_latency[f"SQLite {label}"], with_raw=False)),
        )

    delete_bench_indices(es)
    es.close()
    emit("Catalogues", table(CATALOGUE_HEADERS, catalogue_rows))
    emit("Indexing", table(INDEX_HEADERS, index_rows))
    emit("Database backend, all configurations (ms)", db_summary(db_latency))


CATALOGUE_HEADERS = [
    "database, size", "listings", "co-ops", "certificates", "price tiers", "generated (s)",
    "projection (s)", "VACUUM ANALYZE (s)",
]  # fmt: skip
INDEX_HEADERS = [
    "listings", "documents", "NDJSON MiB", "plain _bulk load (s)", "flask search reindex (s)",
    "reindex ÷ plain (medians)", "CLI start-up (s)", "export alone (s)", "reindex peak RSS (MiB)",
]  # fmt: skip
LATENCY_HEADERS = ["query", "hits", "API p50", "API p95", "engine p50", "engine p95", "p95 ratio"]
DB_HEADERS = ["query", "hits", "p50", "p95"]


def db_summary(db_latency: dict[str, dict]) -> str:
    headers = ["query"]
    for name in db_latency:
        headers += [f"{name} p50", f"{name} p95"]
    rows: list[list[object]] = []
    pooled: dict[str, list[float]] = {name: [] for name in db_latency}
    for label, _ in QUERIES:
        row: list[object] = [label]
        for name, results in db_latency.items():
            samples = results[label]["api"]
            pooled[name] += samples
            row += [ms(percentile(samples, 0.5)), ms(percentile(samples, 0.95))]
        rows.append(row)
    total: list[object] = ["**all queries**"]
    for samples in pooled.values():
        total += [ms(percentile(samples, 0.5)), ms(percentile(samples, 0.95))]
    rows.append(total)
    return table(headers, rows)


if __name__ == "__main__":
    main()
