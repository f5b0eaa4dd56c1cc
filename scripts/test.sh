#!/usr/bin/env bash
# Set up (idempotent), then run every test: unit and integration tests of all
# crates (release profile: whisper.cpp and the JPEG decoders are far too slow
# unoptimised), build all benches, and run each bench once in criterion's
# test mode (which checks the compared variants agree before timing).
# rustfmt and clippy are gates: unformatted code or a clippy warning fails.
# Then every upstream bundle runs standalone, and the fuzz targets build
# and run briefly. Ends with one line totalling
# every `test result:` line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export GGML_NO_BACKTRACE=1   # ggml would try to attach gdb on an assert
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Hygiene gates first: cheap, and a failure here needs no test run to see.
cargo fmt --all -- --check || { echo "test.sh: cargo fmt --check failed: run cargo fmt --all" >&2; exit 1; }
scripts/lint-workflows.sh   # .github/workflows: actionlint and zizmor
cargo build --release --locked --workspace   # includes repro/whisper-race-cell, run by the race tests
# --release reuses the release build scripts' outputs (whisper.cpp, FFmpeg bindings) instead of building them again.
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo bench --locked --no-run
HARNESS_BENCH_QUICK=1 cargo bench --locked -- --test
set -o pipefail
# Tests and quick commands never change tracked files: compare git's view before and after.
before=$(git status --porcelain 2>/dev/null || true)
cargo test --release --locked --workspace 2>&1 | tee "$log"
after=$(git status --porcelain 2>/dev/null || true)
if [ "$before" != "$after" ]; then
  echo "test.sh: the tests changed the working tree (git status before / after):" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
# Each upstream bundle runs standalone in a temporary copy outside the
# workspace: the defect before, fixed after (bundles/README.md). --quick
# shares one target folder, so whisper.cpp is built once, not per bundle.
target/release/harness bundle check --quick
after=$(git status --porcelain 2>/dev/null || true)
if [ "$before" != "$after" ]; then
  echo "test.sh: checking the bundles changed the working tree:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
# The fuzz targets build and each runs briefly (scripts/fuzz.sh SECONDS for
# a real campaign; README "Fuzzing"). Its corpus and build stay ignored.
scripts/fuzz.sh "${HARNESS_CI_FUZZ_SECONDS:-15}"
after=$(git status --porcelain 2>/dev/null || true)
if [ "$before" != "$after" ]; then
  echo "test.sh: fuzzing changed the working tree:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
