#!/usr/bin/env bash
# Start, stop or report the single-node Elasticsearch 8 that the test suite uses, on loopback.
#   scripts/elasticsearch.sh up|down|status
# No Docker and no Elastic tarball: the node runs in a plain JVM from Maven Central artifacts
# (scripts/elasticsearch/: the server jar, the transport-netty4 module and a small main class).
# The first `up` resolves the jars with Maven and compiles the main class, once; later runs reuse
# that build until pom.xml or the Java source changes. `up` is idempotent: when the node already
# runs it only checks its health. State lives outside the repo in $CHOHTX_SERVICES_DIR.
set -euo pipefail
umask 022 # the build and the Maven repository must be readable by the node's user

STATE_DIR="${CHOHTX_SERVICES_DIR:-/var/tmp/chohtx-services}"
ES_PORT="${CHOHTX_ES_PORT:-54331}"
ES_HEAP="${CHOHTX_ES_HEAP:-512m}"
ES_HOME="$STATE_DIR/es-data"
ES_LOG="$STATE_DIR/es.log"
ES_PIDFILE="$STATE_DIR/es.pid"
BUILD_DIR="$STATE_DIR/es-build"
M2_REPO="$STATE_DIR/m2"
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/elasticsearch" && pwd)"
MAIN_CLASS=chohtx.es.LocalNode
# Elasticsearch refuses to run as root, but that check lives in its launcher (bootstrap), which this
# node does not use, so nothing would stop it here. It still runs as an unprivileged system user, as
# Elastic requires: the JVM that serves HTTP gets no more rights than it needs, and the data stays
# usable if the node is ever started through the real launcher. (There is no system property to
# allow root in 8.x.) setpriv (util-linux, always on Debian) switches user and then execs java, so
# $! below is the JVM's own pid; runuser would stay in between as a parent process.
ES_USER=chohtx-es

log() { printf '[elasticsearch] %s\n' "$*" >&2; }
die() { printf '[elasticsearch] FAILED: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The JDK that compiles the main class also runs it (Java 17 or newer).
jdk_bin() { dirname "$(readlink -f "$(command -v javac)")"; }

java_sources() { find "$SRC_DIR/src" -name '*.java' -print0 | sort -z; }

build_stamp() {
  local sources; mapfile -d '' sources < <(java_sources)
  cat "$SRC_DIR/pom.xml" "${sources[@]}" | sha256sum | cut -d' ' -f1
}

es_build() {
  local stamp; stamp=$(build_stamp)
  [[ -f "$BUILD_DIR/stamp" && "$(cat "$BUILD_DIR/stamp")" == "$stamp" ]] && return 0
  command -v javac >/dev/null || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  log "building the node (Maven resolves the jars once into $M2_REPO)"
  rm -rf "$BUILD_DIR"
  local module_dir="$BUILD_DIR/modules/transport-netty4"
  mkdir -p "$BUILD_DIR/classes" "$module_dir"
  local mvn=(mvn -B -q -f "$SRC_DIR/pom.xml" "-Dmaven.repo.local=$M2_REPO")
  # Class path: the server and its dependencies, netty included, but not the transport-netty4
  # jar itself: that one is loaded as a module (below), and the same jar in both places is
  # rejected as jar hell.
  "${mvn[@]}" dependency:build-classpath "-Dmdep.outputFile=$BUILD_DIR/classpath" \
    -DexcludeArtifactIds=transport-netty4 >"$BUILD_DIR/maven.log" 2>&1 \
    || { tail -30 "$BUILD_DIR/maven.log" >&2; die "mvn dependency:build-classpath failed"; }
  "${mvn[@]}" dependency:copy-dependencies -DincludeArtifactIds=transport-netty4 -DexcludeTransitive=true \
    "-DoutputDirectory=$module_dir" >>"$BUILD_DIR/maven.log" 2>&1 \
    || { tail -30 "$BUILD_DIR/maven.log" >&2; die "mvn dependency:copy-dependencies failed"; }
  # The module's descriptor, as the distribution's modules/transport-netty4/ has it, minus
  # `modulename`: the server is on the class path, so the module loads as a non-modular plugin.
  local jar version
  jar=$(ls "$module_dir"/transport-netty4-*.jar)
  version=$(basename "$jar" .jar); version=${version#transport-netty4-}
  cat >"$module_dir/plugin-descriptor.properties" <<PROPS
name=transport-netty4
description=Netty 4 based transport implementation
version=$version
elasticsearch.version=$version
java.version=17
classname=org.elasticsearch.transport.netty4.Netty4Plugin
PROPS
  local sources; mapfile -d '' sources < <(java_sources)
  "$(jdk_bin)/javac" --release 17 -cp "$(cat "$BUILD_DIR/classpath")" -d "$BUILD_DIR/classes" \
    "${sources[@]}" || die "javac failed"
  echo "$stamp" >"$BUILD_DIR/stamp" # written last: an interrupted build is redone
  log "built Elasticsearch $version"
}

# The pid of our node, if it runs (a stale pid file or a reused pid does not count).
es_pid() {
  local pid
  pid=$(cat "$ES_PIDFILE" 2>/dev/null) || return 1
  [[ -n "$pid" ]] && grep -qa "$MAIN_CLASS" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

es_healthy() {
  curl -sf --max-time 5 "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" \
    | grep -q '"timed_out":false'
}

es_up() {
  local pid
  if ! pid=$(es_pid); then
    es_build
    id -u "$ES_USER" >/dev/null 2>&1 \
      || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER" \
      || die "could not create the system user $ES_USER"
    mkdir -p "$ES_HOME/tmp"
    chown -R "$ES_USER:$ES_USER" "$ES_HOME"
    log "starting Elasticsearch on 127.0.0.1:$ES_PORT (log: $ES_LOG)"
    # JVM flags follow the distribution's jvm.options where they matter for one small test node.
    HOME="$ES_HOME" nohup setpriv --reuid="$ES_USER" --regid="$ES_USER" --init-groups -- \
      "$(jdk_bin)/java" "-Xms$ES_HEAP" "-Xmx$ES_HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djava.locale.providers=CLDR \
      "-Djava.io.tmpdir=$ES_HOME/tmp" \
      -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
      "-Dchohtx.es.modules=$BUILD_DIR/modules" \
      -cp "$BUILD_DIR/classes:$(cat "$BUILD_DIR/classpath")" "$MAIN_CLASS" "$ES_HOME" "$ES_PORT" \
      >"$ES_LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$ES_PIDFILE"
  fi
  local deadline=$((SECONDS + 120))
  until es_healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -40 "$ES_LOG" >&2
      die "Elasticsearch exited during startup (log: $ES_LOG)"
    fi
    if ((SECONDS >= deadline)); then
      tail -40 "$ES_LOG" >&2
      die "Elasticsearch was not healthy within 120 s (log: $ES_LOG)"
    fi
    sleep 0.5
  done
  log "Elasticsearch ready: http://127.0.0.1:$ES_PORT"
}

es_down() {
  local pid
  if pid=$(es_pid); then
    kill -TERM "$pid"
    # The shutdown hook closes the node cleanly; give it up to 60 s before forcing.
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "Elasticsearch did not stop within 60 s: killing it"
      kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    log "Elasticsearch stopped"
  fi
  rm -f "$ES_PIDFILE"
}

es_status() {
  local pid
  if ! pid=$(es_pid); then
    echo "elasticsearch: down"; return 1
  elif es_healthy; then
    echo "elasticsearch: up (127.0.0.1:$ES_PORT, pid $pid)"
  else
    echo "elasticsearch: running (pid $pid) but not healthy, see $ES_LOG"; return 1
  fi
}

case "${1:-}" in
  up) es_up ;;
  down) es_down ;;
  status) es_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
