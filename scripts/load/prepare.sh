# shellcheck shell=bash
# Shared by scripts/load.sh and scripts/scale_out.sh (sourced, from the repository root, after
# log() and die()): Locust, the services, a fresh bench database with N listings and their
# deals, the search index, and the load test's data file.

ensure_locust() {
  # The optional 'bench' dependency group of pyproject.toml (the test command does not need it).
  if ! .venv/bin/python -c "import locust" 2>/dev/null; then
    log "installing the 'bench' dependencies (Locust)"
    .venv/bin/python -m pip install -q -e ".[bench]" || die "pip install -e .[bench] failed"
  fi
}

start_services() {
  bash scripts/services.sh up
  bash scripts/elasticsearch.sh up
  eval "$(bash scripts/services.sh env)"
  [[ -n "${BENCH_DATABASE_URL:-}" ]] || die "BENCH_DATABASE_URL is not set by scripts/services.sh env"
  export DATABASE_URL="$BENCH_DATABASE_URL" FLASK_APP=wsgi.py
  export SECRET_KEY=bench-secret-key-bench-secret-key-0123456789 RATELIMIT_ENABLED=false
  export ELASTICSEARCH_URL="http://127.0.0.1:${CHOHTX_ES_PORT:-54331}"
  # An index of its own, so the search benchmark's and the tests' indexes are left alone.
  export ELASTICSEARCH_INDEX=chohtx-load
}

# prepare_catalogue LISTINGS DEALS_RATIO WORKDIR: fresh schema, migrations, catalogue and
# deals, VACUUM ANALYZE, reindex; writes WORKDIR/catalogue.json and WORKDIR/load-data.json.
prepare_catalogue() {
  local listings="$1" ratio="$2" work="$3"
  log "fresh schema in $BENCH_DATABASE_URL; migrating"
  .venv/bin/python -c "
import os, sys
sys.path.insert(0, 'scripts')
from bench_search import fresh_postgres
fresh_postgres(os.environ['BENCH_DATABASE_URL'])"
  .venv/bin/flask db upgrade >"$work/migrate.log" 2>&1 || die "flask db upgrade failed (see $work/migrate.log)"
  log "generating $listings listings with deals (ratio $ratio)"
  .venv/bin/python scripts/search_catalogue.py "$listings" --deals "$ratio" --json \
    >"$work/catalogue.json" 2>"$work/catalogue.log" || die "catalogue failed (see $work/catalogue.log)"
  log "catalogue: $(cat "$work/catalogue.json")"
  .venv/bin/python -c "
import os
from sqlalchemy import create_engine, text
engine = create_engine(os.environ['BENCH_DATABASE_URL'], isolation_level='AUTOCOMMIT')
with engine.connect() as conn:
    conn.execute(text('VACUUM ANALYZE'))"
  log "indexing into Elasticsearch ($ELASTICSEARCH_INDEX)"
  ELASTICSEARCH_TIMEOUT=60 .venv/bin/flask search reindex >"$work/reindex.log" 2>&1 || die "reindex failed (see $work/reindex.log)"
  write_load_data "$work"
}

write_load_data() {
  local work="$1"
  .venv/bin/python scripts/load/data.py "$BENCH_DATABASE_URL" "$work/catalogue.json" \
    >"$work/load-data.json" || die "could not write the load test's data"
  export LOAD_DATA="$work/load-data.json"
}

# wait_for URL: until the server answers (any status), at most 30 s.
wait_for() {
  for _ in $(seq 150); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.2
  done
  die "nothing answers at $1"
}

# run_locust HOST PREFIX CLIENTS SPAWN DURATION CLASSES...: headless, CSV at PREFIX_*.csv.
run_locust() {
  local host="$1" prefix="$2" clients="$3" spawn="$4" duration="$5"
  shift 5
  .venv/bin/locust -f scripts/load/locustfile.py --host "$host" --headless \
    -u "$clients" -r "$spawn" -t "$duration" --csv "$prefix" --only-summary \
    --loglevel WARNING "$@" >"$prefix.log" 2>&1 || log "locust exited non-zero (failures?); see $prefix.log"
  [[ -s "${prefix}_stats.csv" ]] || die "locust wrote no statistics; see $prefix.log"
}

# Which Locust user classes a mix name stands for.
classes_of() {
  case "$1" in
    anonymous) echo "Visitor" ;;
    members) echo "CoopMember BuyerMember" ;;
    all) echo "Visitor CoopMember BuyerMember" ;;
    *) die "unknown mix '$1' (anonymous, members or all)" ;;
  esac
}
