#!/usr/bin/env bash
# Load test (issue 19): a catalogue of N listings with deals, the app under gunicorn with
# gunicorn.conf.py, Locust headless with anonymous visitors and logged-in co-op and buyer
# members; then, in the same run, the bare-Flask floor (scripts/bench_bare.py) under the same
# server settings and load generator, and with wrk as in scripts/bench_http.sh. Prints Markdown
# tables (page kind, req/s, p50, p95, p99, failures); progress on stderr.
#
#   bash scripts/load.sh [-n listings] [-d deals-per-listing] [-u clients] [-r spawn-rate]
#                        [-t duration] [-m anonymous|members|all] [-k] [-o dir]
#
#   -n 100000   listings (the issue's size; use 2000 for a smoke run)
#   -d 0.01     supply contracts per listing, for the deals (scripts/search_catalogue.py --deals)
#   -u 32 -r 8 -t 40s   Locust clients, spawn rate, duration
#   -m all      which user mix
#   -k          keep the catalogue already in the bench database (skip generation and reindex)
#   -o DIR      where Locust's CSV and the logs go (default: a new temp folder)
#
# Server settings come from gunicorn.conf.py and the GUNICORN_* variables it reads
# (e.g. GUNICORN_WORKERS=4 GUNICORN_WORKER_CLASS=sync bash scripts/load.sh ...).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[load] %s\n' "$*" >&2; }
die() { printf '[load] FAILED: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/load/prepare.sh
source scripts/load/prepare.sh

LISTINGS=100000 RATIO=0.01 CLIENTS=32 SPAWN=8 DURATION=40s MIX=all KEEP=0 OUT=""
while getopts "n:d:u:r:t:m:ko:" opt; do
  case "$opt" in
    n) LISTINGS="$OPTARG" ;;
    d) RATIO="$OPTARG" ;;
    u) CLIENTS="$OPTARG" ;;
    r) SPAWN="$OPTARG" ;;
    t) DURATION="$OPTARG" ;;
    m) MIX="$OPTARG" ;;
    k) KEEP=1 ;;
    o) OUT="$OPTARG" ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
CLASSES=$(classes_of "$MIX")
OUT="${OUT:-$(mktemp -d /tmp/chohtx-load.XXXXXX)}"
mkdir -p "$OUT"
APP_PORT=18090
BARE_PORT=18091

ensure_locust
command -v wrk >/dev/null || apt_install wrk
start_services
if ((KEEP)); then
  [[ -s "$OUT/catalogue.json" ]] || die "-k needs the catalogue.json of an earlier run in -o DIR"
  write_load_data "$OUT"
else
  prepare_catalogue "$LISTINGS" "$RATIO" "$OUT"
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
GUNICORN_BIND="127.0.0.1:$APP_PORT" .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app \
  >"$OUT/gunicorn.log" 2>&1 &
pids+=($!)
GUNICORN_BIND="127.0.0.1:$BARE_PORT" .venv/bin/gunicorn -c gunicorn.conf.py --chdir scripts \
  bench_bare:app >"$OUT/gunicorn-bare.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$APP_PORT/healthz"
wait_for "http://127.0.0.1:$BARE_PORT/bytes/1"

# The floor returns as many bytes as the home page.
HOME_BYTES=$(curl -fs "http://127.0.0.1:$APP_PORT/" | wc -c)
.venv/bin/python -c "
import json, os, sys
path = os.environ['LOAD_DATA']
data = json.load(open(path, encoding='utf-8'))
data['home_bytes'] = int(sys.argv[1])
json.dump(data, open(path, 'w', encoding='utf-8'), ensure_ascii=False)" "$HOME_BYTES"

# Warm-up: each worker imports templates and opens its connections on first use.
for _ in $(seq 6); do
  for path in / /search?q=mat+ong "/api/v1/search?q=che" /login; do
    curl -s -o /dev/null "http://127.0.0.1:$APP_PORT$path" || true
  done
done
log "Locust: $CLASSES, $CLIENTS clients for $DURATION against 127.0.0.1:$APP_PORT"
# shellcheck disable=SC2086 # the class names are words
run_locust "http://127.0.0.1:$APP_PORT" "$OUT/app" "$CLIENTS" "$SPAWN" "$DURATION" $CLASSES
# Memory of each app worker after the load (resident set, from ps), for choosing the shape.
RSS=$(ps -o rss= --ppid "${pids[0]}" | awk '{printf "%s%.0f", (NR > 1 ? " / " : ""), $1 / 1024}')
log "Locust: bare Flask floor ($HOME_BYTES bytes), $CLIENTS clients for $DURATION"
run_locust "http://127.0.0.1:$BARE_PORT" "$OUT/bare" "$CLIENTS" "$SPAWN" "$DURATION" BareFloor

workers=$(.venv/bin/python -c "
import runpy; c = runpy.run_path('gunicorn.conf.py')
print(f\"{c['workers']} {c['worker_class']} workers x {c['threads']} threads\")")
catalogue=$(.venv/bin/python -c "
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
x = d.get('deals', {})
print(f\"{d['listings']} listings of {d['coops']} co-ops; {x.get('contracts', 0)} contracts, \"
      f\"{x.get('invoices', 0)} invoices, {x.get('applications', 0)} fair applications\")" \
  "$OUT/catalogue.json")
echo "Locust $(.venv/bin/locust --version 2>/dev/null | awk '{print $2}'), mix '$MIX', $CLIENTS clients, $DURATION, gunicorn.conf.py ($workers), $(nproc) cores shared by server, databases and load generator; $catalogue"
echo
.venv/bin/python scripts/load/report.py "$OUT/app"
echo
echo "Memory of each app worker after the run (RSS, MiB): $RSS"
echo
echo "Bare Flask floor (scripts/bench_bare.py, $HOME_BYTES bytes, same gunicorn settings and load generator):"
echo
.venv/bin/python scripts/load/report.py "$OUT/bare"
echo
echo "Bare Flask floor with wrk (as scripts/bench_http.sh: -t2 -c$CLIENTS -d$DURATION, Lua p95):"
echo
echo "| route | req/s | p50 ms | p95 ms | errors |"
echo "| --- | ---: | ---: | ---: | ---: |"
wrk -t2 -c"$CLIENTS" -d"$DURATION" -s scripts/bench_p95.lua \
  "http://127.0.0.1:$BARE_PORT/bytes/$HOME_BYTES" 2>/dev/null | sed -n 's/^RESULT //p' | {
  read -r line
  eval "$line"
  # shellcheck disable=SC2154 # set by the eval of wrk's RESULT line
  printf '| bare Flask, %s bytes | %s | %s | %s | %s |\n' "$HOME_BYTES" "$rps" "$p50_ms" "$p95_ms" "$errors"
}
echo
log "CSV and logs in $OUT"
