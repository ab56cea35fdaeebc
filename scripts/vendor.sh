#!/usr/bin/env bash
# Copy the pinned front-end libraries from npm into static/vendor/ (the copies are committed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
nm="$tmp/node_modules"
mkdir -p static/vendor
cp "$nm/htmx.org/dist/htmx.min.js" static/vendor/htmx.min.js
# qr-scanner: the UMD build, and the worker it imports from the same folder (decoder where BarcodeDetector is missing)
cp "$nm/qr-scanner/qr-scanner.umd.min.js" static/vendor/qr-scanner.umd.min.js
cp "$nm/qr-scanner/qr-scanner-worker.min.js" static/vendor/qr-scanner-worker.min.js
mkdir -p static/vendor/leaflet
cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$nm/leaflet/LICENSE" static/vendor/leaflet/
# one line per library: the file the app loads
echo "vendored into static/vendor/:"; ls -la static/vendor
