#!/usr/bin/env bash
# Gzipped size of the generated TypeScript client, whole and with one event imported alone
# (esbuild bundle + minify + tree-shaking). Installs clients/ from its lock when needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f clients/node_modules/.installed ] || { npm ci --prefix clients --no-audit --no-fund && touch clients/node_modules/.installed; }
node clients/tools/size.mjs "$@"
