#!/usr/bin/env bash
# Scale-out on one machine (issue 19): two app servers (gunicorn with gunicorn.conf.py, ports
# 18092 and 18093) behind HAProxy (127.0.0.1:18094, round robin per request, health-checked),
# and two outbox workers (`flask outbox work`), all sharing one PostgreSQL and one
# Elasticsearch. It checks that both servers answer the same pages, runs the Locust mix through
# the proxy with state-changing steps (co-ops change prices: search changes; buyers and co-ops
# write in negotiations: emails), then checks that every outbox message was delivered exactly
# once, by whichever process took it. Prints Markdown tables; exit 1 if a check fails.
#
#   bash scripts/scale_out.sh [-n listings] [-d deals-per-listing] [-u clients] [-r spawn]
#                             [-t duration] [-m anonymous|members|all] [-k] [-o dir] [-b backlog]
#
# Options as scripts/load.sh (defaults -n 100000 -d 0.01 -u 32 -r 8 -t 40s -m all), and
# -b 1000: a burst of outbox messages (search changes and emails) queued as the load starts,
# which only the two workers deliver, competing for the same rows. Every delivery is written
# to a log by scripts/load/recorded.py, which runs the app and the worker command unchanged
# apart from that.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[scale-out] %s\n' "$*" >&2; }
die() { printf '[scale-out] FAILED: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/load/prepare.sh
source scripts/load/prepare.sh

LISTINGS=100000 RATIO=0.01 CLIENTS=32 SPAWN=8 DURATION=40s MIX=all KEEP=0 OUT="" BACKLOG=1000
while getopts "n:d:u:r:t:m:ko:b:" opt; do
  case "$opt" in
    n) LISTINGS="$OPTARG" ;;
    d) RATIO="$OPTARG" ;;
    u) CLIENTS="$OPTARG" ;;
    r) SPAWN="$OPTARG" ;;
    t) DURATION="$OPTARG" ;;
    m) MIX="$OPTARG" ;;
    k) KEEP=1 ;;
    o) OUT="$OPTARG" ;;
    b) BACKLOG="$OPTARG" ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
CLASSES=$(classes_of "$MIX")
OUT="${OUT:-$(mktemp -d /tmp/chohtx-scale.XXXXXX)}"
mkdir -p "$OUT"
APP1=18092 APP2=18093 PROXY=18094 PROXY_STATS=18095

ensure_locust
command -v haproxy >/dev/null || apt_install haproxy
start_services
if ((KEEP)); then
  [[ -s "$OUT/catalogue.json" ]] || die "-k needs the catalogue.json of an earlier run in -o DIR"
  write_load_data "$OUT"
else
  prepare_catalogue "$LISTINGS" "$RATIO" "$OUT"
fi

# As in production: one public address for links (otherwise each server would write its own
# host and port into canonical links and API URLs), and the proxy's forwarding trusted.
export PUBLIC_BASE_URL="http://127.0.0.1:$PROXY" TRUSTED_PROXIES=1
export OUTBOX_DELIVERY_LOG="$OUT/deliveries.log"
: >"$OUTBOX_DELIVERY_LOG"
.venv/bin/python scripts/load/outbox_check.py baseline "$DATABASE_URL" "$OUT/outbox-before.json"

cat >"$OUT/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend site
  bind 127.0.0.1:$PROXY
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /healthz
  server app1 127.0.0.1:$APP1 check inter 2s
  server app2 127.0.0.1:$APP2 check inter 2s
listen stats
  bind 127.0.0.1:$PROXY_STATS
  stats enable
  stats uri /
CFG
haproxy -c -q -f "$OUT/haproxy.cfg" || die "haproxy refused $OUT/haproxy.cfg"

pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
for port in $APP1 $APP2; do
  GUNICORN_BIND="127.0.0.1:$port" .venv/bin/gunicorn -c gunicorn.conf.py --chdir scripts/load \
    recorded:app >"$OUT/gunicorn-$port.log" 2>&1 &
  pids+=($!)
done
for n in 1 2; do
  .venv/bin/python scripts/load/recorded.py outbox work --interval 1 >"$OUT/worker-$n.log" 2>&1 &
  pids+=($!)
done
haproxy -db -f "$OUT/haproxy.cfg" >"$OUT/haproxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$APP1/healthz"
wait_for "http://127.0.0.1:$APP2/healthz"
wait_for "http://127.0.0.1:$PROXY/healthz"

status=0
echo "Two app servers (gunicorn.conf.py each) behind HAProxy $(haproxy -v | awk 'NR==1{print $3}'), two outbox workers, one PostgreSQL and one Elasticsearch; $(nproc) cores shared by all and the load generator"
echo
echo "Same answers from both servers, before the load:"
echo
.venv/bin/python scripts/load/same_answers.py "$LOAD_DATA" "http://127.0.0.1:$APP1" \
  "http://127.0.0.1:$APP2" || { status=1; log "the servers answered differently"; }
echo

log "queueing a burst of $BACKLOG outbox messages for the workers"
.venv/bin/python scripts/load/outbox_check.py backlog "$DATABASE_URL" "$BACKLOG"
log "Locust through the proxy: $CLASSES (with writes), $CLIENTS clients for $DURATION"
# shellcheck disable=SC2086 # the class names are words
LOAD_WRITES=1 run_locust "http://127.0.0.1:$PROXY" "$OUT/scale" "$CLIENTS" "$SPAWN" "$DURATION" $CLASSES
echo "Locust through the proxy, mix '$MIX' with state-changing steps, $CLIENTS clients, $DURATION:"
echo
.venv/bin/python scripts/load/report.py "$OUT/scale"
echo
echo "Requests each app server answered (HAProxy's counters):"
echo
echo "| server | requests | 5xx |"
echo "| --- | ---: | ---: |"
curl -fs "http://127.0.0.1:$PROXY_STATS/;csv" | awk -F, '$1=="app" && $2 ~ /^app[0-9]$/ {printf "| %s | %s | %s |\n", $2, $31, $44}'
echo

log "waiting for the outbox to settle, then checking deliveries"
echo "Outbox after the run ($BACKLOG queued at its start for the workers, and what the load made, delivered by both servers after their responses and by the workers; log: $OUTBOX_DELIVERY_LOG):"
echo
.venv/bin/python scripts/load/outbox_check.py check "$DATABASE_URL" "$OUT/outbox-before.json" \
  "$OUTBOX_DELIVERY_LOG" --wait 90 || { status=1; log "outbox check failed"; }
echo
echo "Same answers from both servers, after the load (the home page's product cards are cached per worker for HOME_CACHE_SECONDS, so it may differ for that long):"
echo
.venv/bin/python scripts/load/same_answers.py "$LOAD_DATA" "http://127.0.0.1:$APP1" \
  "http://127.0.0.1:$APP2" || log "the servers answered differently after the load"
log "CSV and logs in $OUT"
exit "$status"
