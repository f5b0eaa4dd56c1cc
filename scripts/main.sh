#!/usr/bin/env bash
# Set up (idempotent), check every component, then run the main job: a short
# real run of every component on the generated speech video. Results are
# printed and written as JSON under .cache/runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./target/release/harness doctor
mkdir -p .cache/runs
./target/release/harness smoke --out ".cache/runs/smoke-$(date -u +%Y%m%dT%H%M%SZ).json"
