#!/usr/bin/env bash
# Debian packages the app needs outside Python, installed only when missing:
#   runtime  Pango and fonts with Vietnamese glyphs, for WeasyPrint's PDF documents
#   test     runtime + poppler-utils (pdftotext reads the PDFs back) + Chromium + Node.js and
#            npm (install axe-core for the accessibility check)
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
if [[ "${1:-runtime}" == "test" ]]; then
  want+=(poppler-utils chromium fonts-noto-core)
  # A Node.js from elsewhere (NodeSource brings its own npm) is fine as it is.
  command -v npm >/dev/null || want+=(nodejs npm)
fi
missing=()
for package in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "[system] installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
