#!/usr/bin/env bash
# Start, stop or report the real services the test suite and benchmarks use, on loopback:
# PostgreSQL, an S3 server (versitygw), Elasticsearch (scripts/elasticsearch.sh) and
# Stripe's stripe-mock.
#   scripts/services.sh up|down|status|env
# Installs what is missing (Debian packages) and is idempotent: a second `up` changes nothing.
# State lives outside the repo in $CHOHTX_SERVICES_DIR (default /var/tmp/chohtx-services).
set -euo pipefail

STATE_DIR="${CHOHTX_SERVICES_DIR:-/var/tmp/chohtx-services}"
PG_PORT="${CHOHTX_PG_PORT:-54329}"
PG_DATA="$STATE_DIR/postgres/data"
PG_LOG="$STATE_DIR/postgres/server.log"
PG_USER=chohtx
PG_DATABASES=(chohtx_test chohtx_browser chohtx_bench)
S3_PORT="${CHOHTX_S3_PORT:-54330}"
S3_DIR="$STATE_DIR/s3"
S3_ACCESS_KEY=chohtx-test
S3_SECRET_KEY=chohtx-test-secret-key
VERSITYGW_VERSION=v1.8.0
STRIPE_PORT="${CHOHTX_STRIPE_PORT:-54332}"
STRIPE_DIR="$STATE_DIR/stripe"
STRIPE_MOCK_VERSION=v0.203.0
BIN_DIR="$STATE_DIR/bin"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] FAILED: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] || return 1
  echo "$dir"
}

as_postgres() { runuser -u postgres -- "$@"; }

pg_up() {
  pg_bin >/dev/null || apt_install postgresql
  local bin; bin=$(pg_bin) || die "PostgreSQL is not installed and could not be installed"
  id postgres >/dev/null 2>&1 || die "the postgres system user is missing"
  mkdir -p "$STATE_DIR/postgres"
  chown postgres:postgres "$STATE_DIR/postgres"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "creating a PostgreSQL cluster in $PG_DATA"
    as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
      || die "initdb failed"
    # Test-only cluster: loopback only, fast and unsafe durability settings.
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$STATE_DIR/postgres'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
CONF
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null \
      || { tail -20 "$PG_LOG" >&2; die "PostgreSQL did not start (log: $PG_LOG)"; }
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_USER'" >/dev/null
  fi
  for db in "${PG_DATABASES[@]}"; do
    if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != 1 ]]; then
      "${psql[@]}" -c "CREATE DATABASE $db OWNER $PG_USER" >/dev/null
    fi
  done
  log "PostgreSQL ready: postgresql://$PG_USER:$PG_USER@127.0.0.1:$PG_PORT/${PG_DATABASES[0]}"
}

pg_down() {
  local bin; bin=$(pg_bin) || return 0
  if [[ -f "$PG_DATA/PG_VERSION" ]] && as_postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  fi
}

pg_status() {
  local bin
  if bin=$(pg_bin) && [[ -f "$PG_DATA/PG_VERSION" ]] && as_postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    echo "postgresql: up (127.0.0.1:$PG_PORT)"
  else
    echo "postgresql: down"; return 1
  fi
}

# --- S3: versitygw (Apache-2.0) built from the Go module proxy, posix backend ---------
s3_running() { [[ -f "$S3_DIR/pid" ]] && kill -0 "$(cat "$S3_DIR/pid")" 2>/dev/null; }

s3_up() {
  local bin="$BIN_DIR/versitygw-$VERSITYGW_VERSION"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || die "Go is needed to build the S3 server (versitygw) and is not installed"
    log "building versitygw $VERSITYGW_VERSION with go install (once; cached in $STATE_DIR)"
    mkdir -p "$BIN_DIR" "$STATE_DIR/go"
    local tmp_bin; tmp_bin=$(mktemp -d)
    GOBIN="$tmp_bin" GOPATH="$STATE_DIR/go" GOFLAGS=-modcacherw \
      go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" \
      || die "go install versitygw@$VERSITYGW_VERSION failed"
    mv "$tmp_bin/versitygw" "$bin"
    rmdir "$tmp_bin"
  fi
  mkdir -p "$S3_DIR/data"
  if ! s3_running; then
    log "starting versitygw on 127.0.0.1:$S3_PORT"
    ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" \
      nohup "$bin" --port "127.0.0.1:$S3_PORT" posix "$S3_DIR/data" >"$S3_DIR/server.log" 2>&1 &
    echo $! >"$S3_DIR/pid"
  fi
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
      log "S3 ready: http://127.0.0.1:$S3_PORT (versitygw $VERSITYGW_VERSION)"
      return 0
    fi
    sleep 0.1
  done
  tail -20 "$S3_DIR/server.log" >&2
  die "versitygw did not start (log: $S3_DIR/server.log)"
}

s3_down() {
  if s3_running; then kill "$(cat "$S3_DIR/pid")"; rm -f "$S3_DIR/pid"; log "S3 stopped"; fi
}

s3_status() {
  if s3_running; then echo "s3: up (127.0.0.1:$S3_PORT)"; else echo "s3: down"; return 1; fi
}

# --- Stripe API: Stripe's own stripe-mock, built from the Go module proxy -------------------
stripe_running() { [[ -f "$STRIPE_DIR/pid" ]] && kill -0 "$(cat "$STRIPE_DIR/pid")" 2>/dev/null; }

stripe_up() {
  local bin="$BIN_DIR/stripe-mock-$STRIPE_MOCK_VERSION"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || die "Go is needed to build stripe-mock and is not installed"
    log "building stripe-mock $STRIPE_MOCK_VERSION with go install (once; cached in $STATE_DIR)"
    mkdir -p "$BIN_DIR" "$STATE_DIR/go"
    local tmp_bin; tmp_bin=$(mktemp -d)
    GOBIN="$tmp_bin" GOPATH="$STATE_DIR/go" GOFLAGS=-modcacherw \
      go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" \
      || die "go install stripe-mock@$STRIPE_MOCK_VERSION failed"
    mv "$tmp_bin/stripe-mock" "$bin"
    rmdir "$tmp_bin"
  fi
  mkdir -p "$STRIPE_DIR"
  if ! stripe_running; then
    log "starting stripe-mock on 127.0.0.1:$STRIPE_PORT"
    # HTTPS is not needed: the port is left to the system (an empty port).
    nohup "$bin" -http-addr "127.0.0.1:$STRIPE_PORT" -https-addr "127.0.0.1:" \
      >"$STRIPE_DIR/server.log" 2>&1 &
    echo $! >"$STRIPE_DIR/pid"
  fi
  for _ in $(seq 100); do
    if curl -s -o /dev/null -u sk_test_chohtx: "http://127.0.0.1:$STRIPE_PORT/v1/charges"; then
      log "Stripe API ready: http://127.0.0.1:$STRIPE_PORT (stripe-mock $STRIPE_MOCK_VERSION)"
      return 0
    fi
    sleep 0.1
  done
  tail -20 "$STRIPE_DIR/server.log" >&2
  die "stripe-mock did not start (log: $STRIPE_DIR/server.log)"
}

stripe_down() {
  if stripe_running; then kill "$(cat "$STRIPE_DIR/pid")"; rm -f "$STRIPE_DIR/pid"; log "stripe-mock stopped"; fi
}

stripe_status() {
  if stripe_running; then echo "stripe-mock: up (127.0.0.1:$STRIPE_PORT)"; else echo "stripe-mock: down"; return 1; fi
}

print_env() {
  echo "export TEST_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_USER@127.0.0.1:$PG_PORT/chohtx_test"
  echo "export BROWSER_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_USER@127.0.0.1:$PG_PORT/chohtx_browser"
  echo "export BENCH_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_USER@127.0.0.1:$PG_PORT/chohtx_bench"
  echo "export TEST_S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT"
  echo "export TEST_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY"
  echo "export TEST_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY"
  echo "export TEST_ELASTICSEARCH_URL=http://127.0.0.1:${CHOHTX_ES_PORT:-54331}"
  echo "export TEST_STRIPE_API_BASE=http://127.0.0.1:$STRIPE_PORT"
}

# --- Elasticsearch: a single node in a JVM from Maven Central (scripts/elasticsearch.sh) ----
ES_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/elasticsearch.sh"

case "${1:-}" in
  up) pg_up; s3_up; stripe_up; bash "$ES_SCRIPT" up ;;
  down) pg_down; s3_down; stripe_down; bash "$ES_SCRIPT" down ;;
  status) rc=0; pg_status || rc=1; s3_status || rc=1; stripe_status || rc=1; bash "$ES_SCRIPT" status || rc=1; exit $rc ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
