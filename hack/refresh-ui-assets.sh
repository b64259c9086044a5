#!/usr/bin/env bash
# Refreshes the graph library embedded in the HTML report from npm, at a
# pinned version, so the build itself needs no npm: the minified file and
# its licence are checked in under pkg/report/html/assets.
set -euo pipefail
CYTOSCAPE_VERSION=3.35.0
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "cytoscape@${CYTOSCAPE_VERSION}" >/dev/null
out="$here/pkg/report/html/assets"
mkdir -p "$out"
cp node_modules/cytoscape/dist/cytoscape.min.js "$out/cytoscape.min.js"
cp node_modules/cytoscape/LICENSE "$out/cytoscape.LICENSE"
echo "cytoscape@${CYTOSCAPE_VERSION}" > "$out/VERSIONS"
sha256sum "$out/cytoscape.min.js" | cut -d' ' -f1 >> "$out/VERSIONS"
echo "refreshed $(cat "$out/VERSIONS" | head -1) in $out"
