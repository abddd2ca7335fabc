"""The search targets of the load issue, on the catalogue ``scripts/load.sh`` left behind.

Three measurements, one request at a time, through the API as a client sends it (gunicorn,
two sync workers, the ``chohtx-load`` Elasticsearch index):

1. **Search API against a plain PostgreSQL full-text query.** For each text query of the
   search benchmark's mix, ``GET /api/v1/search?q=…`` and, interleaved, a plain full-text
   search over a weighted ``tsvector`` of the same folded fields (title A, co-op B, category and
   province C, description D; ``simple`` configuration, a GIN index, built once in a table of
   its own, ``bench_fts``), answering what the API answers: the first 20 by ``ts_rank`` and the
   total. Both hit counts are printed (every word must match in both; the API also accepts a
   one-edit typo of a word of five letters or more, so a few queries find more).
2. **Spelling suggestions with and without fresh statistics.** The no-hit typos through the
   API, first with ``search_terms`` as a bulk load leaves it (no statistics, autovacuum held
   off for the run), then after ``ANALYZE``. Needs a superuser (the services' role is one).
3. **The database backend at this size**: the benchmark's whole mix with the app started
   without Elasticsearch.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python scripts/load/search_targets.py [--repeats 30] [--app-root DIR]

``--app-root`` serves the app from another checkout (a ``git worktree`` of an older commit,
say) against the same catalogue, for a "before" column. Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_search import QUERIES, Http, percentile, table, wait_until_serving  # noqa: E402

VENV = Path(sys.executable).parent
INDEX = os.environ.get("LOAD_INDEX", "chohtx-load")
PORT = 18097
TYPOS = [(label, args) for label, args in QUERIES if "typo" in label]
TEXT_ONLY = [(label, args) for label, args in QUERIES if list(args) == ["q"]]


def log(message: str) -> None:
    print(f"[search-targets] {message}", file=sys.stderr, flush=True)


def pg_connect():
    import psycopg

    url = os.environ["BENCH_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True)


@contextmanager
def server(app_root: Path, elasticsearch: bool):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELASTICSEARCH_", "GUNICORN_"))}
    env.update(
        PYTHONPATH=str(app_root),
        DATABASE_URL=os.environ["BENCH_DATABASE_URL"],
        SECRET_KEY="search-targets-" + "x" * 40,
        RATELIMIT_ENABLED="false",
        SEARCH_RATE_LIMIT="1000000 per minute",
        INSTANCE_PATH="/var/tmp/chohtx-search-targets",  # noqa: S108 - benchmark only
    )
    if elasticsearch:
        es_url = os.environ["TEST_ELASTICSEARCH_URL"]
        env.update(ELASTICSEARCH_URL=es_url, ELASTICSEARCH_INDEX=INDEX)
    cmd = [str(VENV / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{PORT}", "--log-level",
           "warning", "wsgi:app"]  # fmt: skip
    log_path = Path(f"/var/tmp/chohtx-search-targets-{PORT}.log")  # noqa: S108
    with log_path.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=app_root, stdout=out, stderr=subprocess.STDOUT)
    client = Http(f"http://127.0.0.1:{PORT}")
    try:
        wait_until_serving(client, process, str(log_path))
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def api(client: Http, args: dict[str, str], engine: str) -> tuple[float, int]:
    started = time.perf_counter()
    status, data = client.call("GET", "/api/v1/search?" + urlencode(args))
    took = time.perf_counter() - started
    answer = json.loads(data)
    if status != 200 or answer["engine"] != engine or answer["degraded"]:
        raise SystemExit(f"{args}: HTTP {status}, {answer.get('engine')}: {data[:200]!r}")
    return took, answer["total"]


# --- 1. the API against plain full-text search --------------------------------------------

FTS_TABLE = """
CREATE TABLE IF NOT EXISTS bench_fts AS
SELECT listing_id,
       setweight(to_tsvector('simple', folded_title), 'A')
       || setweight(to_tsvector('simple', folded_coop), 'B')
       || setweight(to_tsvector('simple', folded_category || ' ' || folded_province), 'C')
       || setweight(to_tsvector('simple', folded_description), 'D') AS doc
FROM search_documents
"""
FTS_QUERY = """
SELECT listing_id, count(*) OVER () AS total
FROM bench_fts, plainto_tsquery('simple', %(q)s) AS q
WHERE doc @@ q
ORDER BY ts_rank(doc, q) DESC, listing_id DESC
LIMIT 20
"""


def prepare_fts(pg) -> None:
    exists = pg.execute("SELECT to_regclass('bench_fts') IS NOT NULL").fetchone()[0]
    documents = pg.execute("SELECT count(*) FROM search_documents").fetchone()[0]
    if exists and pg.execute("SELECT count(*) FROM bench_fts").fetchone()[0] == documents:
        return
    log(f"building bench_fts for {documents} documents")
    pg.execute("DROP TABLE IF EXISTS bench_fts")
    pg.execute(FTS_TABLE)
    pg.execute("CREATE INDEX bench_fts_doc ON bench_fts USING gin (doc)")
    pg.execute("VACUUM ANALYZE bench_fts")


def fts(pg, text: str) -> tuple[float, int]:
    from marketplace.search.folding import tokens

    folded = " ".join(tokens(text))  # the same folding the projection's columns had
    started = time.perf_counter()
    rows = pg.execute(FTS_QUERY, {"q": folded}).fetchall()
    return time.perf_counter() - started, rows[0][1] if rows else 0


def against_fts(client: Http, pg, repeats: int, warmup: int) -> str:
    prepare_fts(pg)
    times = {label: ([], []) for label, _ in TEXT_ONLY}
    hits: dict[str, tuple[int, int]] = {}
    for round_ in range(warmup + repeats):
        for label, args in TEXT_ONLY:
            api_time, api_hits = api(client, args, "elasticsearch")
            fts_time, fts_hits = fts(pg, args["q"])
            hits[label] = (api_hits, fts_hits)
            if round_ >= warmup:
                times[label][0].append(api_time)
                times[label][1].append(fts_time)
    rows, pooled_api, pooled_fts = [], [], []
    for label, (api_times, fts_times) in times.items():
        pooled_api += api_times
        pooled_fts += fts_times
        rows.append([label, hits[label][0], hits[label][1], *_figures(api_times, fts_times)])
    rows.append(["**all**", "", "", *_figures(pooled_api, pooled_fts)])
    headers = ["query", "API hits", "FTS hits", "API p50", "API p95", "FTS p50", "FTS p95",
               "p95 API / FTS"]  # fmt: skip
    return table(headers, rows)


def _figures(a: list[float], b: list[float]) -> list[str]:
    pa, pb = percentile(a, 0.95), percentile(b, 0.95)
    return [f"{statistics.median(a) * 1000:.2f}", f"{pa * 1000:.2f}",
            f"{statistics.median(b) * 1000:.2f}", f"{pb * 1000:.2f}", f"{pa / pb:.2f}"]  # fmt: skip


# --- 2. spelling suggestions, with and without statistics ----------------------------------


def forget_statistics(pg) -> None:
    """``search_terms`` as right after a bulk load: no statistics, row count unknown."""
    pg.execute("ALTER TABLE search_terms SET (autovacuum_enabled = false)")
    pg.execute("DELETE FROM pg_statistic WHERE starelid = 'search_terms'::regclass")
    pg.execute("UPDATE pg_class SET reltuples = -1 WHERE oid = 'search_terms'::regclass")


def spelling(client: Http, pg, repeats: int, warmup: int) -> str:
    rows = []
    try:
        for state in ("no statistics (after a bulk load)", "after ANALYZE"):
            if state.startswith("no"):
                forget_statistics(pg)
            else:
                pg.execute("ANALYZE search_terms")
            for label, args in TYPOS:
                times = []
                for round_ in range(warmup + repeats):
                    took, total = api(client, args, "elasticsearch")
                    if round_ >= warmup:
                        times.append(took)
                rows.append([label, state, total, f"{statistics.median(times) * 1000:.2f}",
                             f"{percentile(times, 0.95) * 1000:.2f}"])  # fmt: skip
    finally:
        pg.execute("ALTER TABLE search_terms RESET (autovacuum_enabled)")
        pg.execute("ANALYZE search_terms")
    return table(["query", "search_terms", "hits", "API p50", "API p95"], rows, right_from=2)


# --- 3. the database backend ---------------------------------------------------------------


def database_backend(client: Http, repeats: int, warmup: int) -> str:
    times: dict[str, list[float]] = {label: [] for label, _ in QUERIES}
    hits: dict[str, int] = {}
    for round_ in range(warmup + repeats):
        for label, args in QUERIES:
            took, hits[label] = api(client, args, "database")
            if round_ >= warmup:
                times[label].append(took)
    rows, pooled = [], []
    for label, values in times.items():
        pooled += values
        rows.append([label, hits[label], f"{statistics.median(values) * 1000:.2f}",
                     f"{percentile(values, 0.95) * 1000:.2f}"])  # fmt: skip
    rows.append(["**all**", "", f"{statistics.median(pooled) * 1000:.2f}",
                 f"{percentile(pooled, 0.95) * 1000:.2f}"])  # fmt: skip
    return table(["query", "hits", "p50 ms", "p95 ms"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--app-root", type=Path, default=ROOT)
    parser.add_argument("--only", choices=["fts", "spelling", "database"], action="append")
    options = parser.parse_args()
    parts = options.only or ["fts", "spelling", "database"]
    pg = pg_connect()
    documents = pg.execute("SELECT count(*) FROM search_documents").fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=options.app_root,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"{documents} listings; app from {options.app_root} at {commit}; "
          f"{options.repeats} measured rounds after {options.warmup}\n")  # fmt: skip
    if "fts" in parts or "spelling" in parts:
        with server(options.app_root, elasticsearch=True) as client:
            if "fts" in parts:
                log("the API against plain full-text search")
                print("Search API and plain PostgreSQL full-text search (ms):\n")
                print(against_fts(client, pg, options.repeats, options.warmup) + "\n")
            if "spelling" in parts:
                log("spelling suggestions")
                print("No-hit typos through the API, by the state of the statistics (ms):\n")
                print(spelling(client, pg, options.repeats, options.warmup) + "\n")
    if "database" in parts:
        with server(options.app_root, elasticsearch=False) as client:
            log("the database backend")
            print("The database backend, the benchmark's whole mix (ms):\n")
            print(database_backend(client, options.repeats, options.warmup) + "\n")


if __name__ == "__main__":
    main()
