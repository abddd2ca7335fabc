#!/usr/bin/env bash
# Copy the browser code the app serves from npm packages into static/vendor/ (committed, so
# `make run` needs no npm). Run after changing a version in package.json / package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund >&2
mkdir -p static/vendor static/vendor/swagger-ui
cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js
echo "static/vendor/jsQR.js: jsqr $(node -p 'require("./node_modules/jsqr/package.json").version')" >&2
# The API reference page (/api/v1/docs): Swagger UI's bundle and stylesheet, with its licences.
for file in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  cp "node_modules/swagger-ui-dist/$file" "static/vendor/swagger-ui/$file"
done
echo "static/vendor/swagger-ui/: swagger-ui-dist $(node -p 'require("./node_modules/swagger-ui-dist/package.json").version')" >&2
