#!/usr/bin/env bash
# Re-fetches the console's one front-end library at its pinned versions from the npm registry (`make vendor`):
# htm's standalone ES module, which bundles Preact, its hooks and htm (no build step, no import map), and the
# licences of both. The files are committed; `make run` never needs the network.
set -euo pipefail
HTM=3.1.1
PREACT=10.25.4
target="$(cd "$(dirname "$0")" && pwd)/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htm@$HTM" "preact@$PREACT" >/dev/null
mkdir htm preact
tar xzf "htm-$HTM.tgz" -C htm --strip-components=1
tar xzf "preact-$PREACT.tgz" -C preact --strip-components=1
mkdir -p "$target"
cp htm/preact/standalone.module.js "$target/preact-htm.module.js"
cp htm/LICENSE "$target/LICENSE-htm"
cp preact/LICENSE "$target/LICENSE-preact"
printf 'htm %s (htm/preact/standalone.module.js: Preact, preact/hooks and htm in one ES module)\npreact %s (licence)\n' \
  "$HTM" "$PREACT" > "$target/VERSIONS"
echo "vendored into $target:"; ls -l "$target"
