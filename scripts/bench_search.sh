#!/usr/bin/env bash
# Search benchmark: a generated catalogue of 10,000 and 100,000 listings; reindex time and peak
# RSS next to a plain bulk load of the same documents, and query latency through the API next
# to Elasticsearch alone and with the database backend (PostgreSQL and SQLite). Markdown tables
# on stdout, progress on stderr; about 15 minutes for both sizes on 2 cores.
#   bash scripts/bench_search.sh [options of scripts/bench_search.py, e.g. --sizes 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
apt_install time # GNU time reports the reindex's own peak RSS
bash scripts/services.sh up
bash scripts/elasticsearch.sh up
eval "$(bash scripts/services.sh env)"
export BENCH_ELASTICSEARCH_URL="http://127.0.0.1:${CHOHTX_ES_PORT:-54331}"
exec .venv/bin/python scripts/bench_search.py "$@"
