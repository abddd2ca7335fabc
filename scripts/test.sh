#!/usr/bin/env bash
# The whole test suite: browser, real services, lint, pytest. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser journeys (Playwright's own browser download is not used).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "[test] installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null
fi

bash scripts/services.sh up
# In CI nothing should outlive the run: stop the servers we started, whatever the result.
if [[ "${CI:-}" == "true" ]]; then
  trap 'bash scripts/services.sh down || true' EXIT
fi
eval "$(bash scripts/services.sh env)"
export CHROMIUM_PATH=/usr/bin/chromium

echo "[test] ruff check + format check" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .

mkdir -p test-output
.venv/bin/python -m pytest "$@"
