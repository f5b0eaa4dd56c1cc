#!/usr/bin/env bash
# Set up (idempotent), then run every test: unit and integration tests of all
# crates (release profile: whisper.cpp and the JPEG decoders are far too slow
# unoptimised), build all benches, and run each bench once in criterion's
# test mode (which checks the compared variants agree).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export GGML_NO_BACKTRACE=1   # ggml would try to attach gdb on an assert
cargo test --release --locked --workspace
cargo bench --locked --no-run
cargo bench --locked -- --test
