#!/usr/bin/env bash
# The whole test suite: browser, real services, lint, pytest. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser journeys (Playwright's own browser download is not used),
# pdftotext for reading documents back, Pango and fonts for WeasyPrint.
bash scripts/system_packages.sh test

bash scripts/services.sh up
# In CI nothing should outlive the run: stop the servers we started, whatever the result.
if [[ "${CI:-}" == "true" ]]; then
  trap 'bash scripts/services.sh down || true' EXIT
fi
eval "$(bash scripts/services.sh env)"
export CHROMIUM_PATH=/usr/bin/chromium

# The browser tests' JavaScript (axe-core for the accessibility check), exactly as
# package-lock.json pins it: installed when missing or when the lock file has changed since.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[test] npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

echo "[test] ruff check + format check" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .

mkdir -p test-output
.venv/bin/python -m pytest "$@"
