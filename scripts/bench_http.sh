#!/usr/bin/env bash
# HTTP benchmark: home and login pages on gunicorn (2 workers) + PostgreSQL, next to a bare
# Flask route returning the same number of bytes, in one run. Prints a Markdown table.
#   make bench                      (or: bash scripts/bench_http.sh [seconds] [connections])
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
CONNECTIONS="${2:-16}"
APP_PORT=18081
BARE_PORT=18082

command -v wrk >/dev/null || {
  echo "[bench] installing wrk" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

export DATABASE_URL="$BENCH_DATABASE_URL" FLASK_APP=wsgi.py
export SECRET_KEY=bench-secret-key-bench-secret-key-0123456789 RATELIMIT_ENABLED=false
.venv/bin/python - <<'PY'
import os
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["BENCH_DATABASE_URL"])
with engine.begin() as conn:
    conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
PY
.venv/bin/flask db upgrade >/dev/null 2>&1
.venv/bin/flask seed-demo >/dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
.venv/bin/gunicorn -w 2 -b "127.0.0.1:$APP_PORT" --log-level warning wsgi:app &
pids+=($!)
.venv/bin/gunicorn -w 2 -b "127.0.0.1:$BARE_PORT" --log-level warning --chdir scripts bench_bare:app &
pids+=($!)
for port in $APP_PORT $BARE_PORT; do  # wait until each server answers (any status)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done

bytes_of() { curl -fs "$1" | wc -c; }
run() {  # label url
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s scripts/bench_p95.lua "$2" 2>/dev/null \
    | sed -n 's/^RESULT //p' | {
      read -r line
      eval "$line"
      printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$3" "$rps" "$p50_ms" "$p95_ms" "$errors"
    }
}

home_bytes=$(bytes_of "http://127.0.0.1:$APP_PORT/")
login_bytes=$(bytes_of "http://127.0.0.1:$APP_PORT/login")
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, gunicorn 2 sync workers each, $(nproc) cores shared by server and load generator"
echo
echo "| route | bytes | req/s | p50 ms | p95 ms | errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
run "home page (/)" "http://127.0.0.1:$APP_PORT/" "$home_bytes"
run "bare Flask, same bytes" "http://127.0.0.1:$BARE_PORT/bytes/$home_bytes" "$home_bytes"
run "login page (/login)" "http://127.0.0.1:$APP_PORT/login" "$login_bytes"
run "bare Flask, same bytes" "http://127.0.0.1:$BARE_PORT/bytes/$login_bytes" "$login_bytes"
