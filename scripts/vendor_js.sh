#!/usr/bin/env bash
# Copy the browser code the app serves from npm packages into static/vendor/ (committed, so
# `make run` needs no npm). Run after changing a version in package.json / package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund >&2
mkdir -p static/vendor
cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js
echo "static/vendor/jsQR.js: jsqr $(node -p 'require("./node_modules/jsqr/package.json").version')" >&2
