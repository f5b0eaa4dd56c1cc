#!/usr/bin/env bash
# Set up (idempotent), check every component, then run the main job: the
# extraction pipeline on the default scenario (the two speech videos, two
# files in parallel). Writes run.json and artefacts under .cache/runs/ and
# prints the summary; extra arguments go to `harness run` (e.g. --set ...).
# Ends with `harness check --quick`: every claim measured briefly and its
# verdicts compared with the committed ones, as a table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./target/release/harness doctor
./target/release/harness run scenarios/default.toml "$@"
./target/release/harness check --quick
