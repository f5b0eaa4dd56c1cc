#!/usr/bin/env bash
# Fuzzes the harness's input paths with cargo-fuzz (libFuzzer):
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Targets: scenario_load, jpeg_decode, media_open, patch_reader (default:
# all). Seeds each corpus from real inputs (scenario files, patches, the
# catalog's photos and media), runs each target for SECONDS (default 600),
# and writes a JSON line per target to .cache/fuzz/<stamp>/summary.jsonl.
# A crash leaves its input under fuzz/artifacts/<target>/; the script then
# exits 1, naming it.
#
# Why cargo-fuzz with `-s none` on stable (RUSTC_BOOTSTRAP=1): libFuzzer's
# coverage-guided search through the sancov passes rustc has on stable;
# no sanitizer because the code under test is safe Rust plus C libraries
# that are not built with one (system FFmpeg, mozjpeg's libjpeg-turbo), so
# AddressSanitizer would double the build and find nothing more here; a
# panic or abort is what libFuzzer catches. bolero and cargo-afl need the
# same instrumentation plus their own runner.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(scenario_load jpeg_decode media_open patch_reader)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

seed() {
  local t="$1" dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$t" in
    scenario_load) cp scenarios/*.toml "$dir/" ;;
    patch_reader) find patches -name '*.patch' -exec cp {} "$dir/" \; ;;
    jpeg_decode)
      # Small lossless crops of the real photos (jpegtran, from
      # libjpeg-turbo-progs, which setup.sh installs): baseline,
      # progressive, greyscale and restart-marker variants of 64x64 and
      # 128x96 regions. A whole photo takes four full decodes per input and
      # slows the search a hundredfold; the headers and entropy coding the
      # fuzzer mutates are the same.
      for f in $(find .cache/data .cache/anchors -name '*.jpg' 2>/dev/null | head -4); do
        b="$(basename "$f" .jpg)"
        for crop in 64x64+64+64 128x96+0+0; do
          jpegtran -crop "$crop" -copy none "$f" > "$dir/$b-$crop.jpg"
          jpegtran -crop "$crop" -copy none -progressive "$f" > "$dir/$b-$crop-prog.jpg"
          jpegtran -crop "$crop" -copy none -grayscale "$f" > "$dir/$b-$crop-grey.jpg"
          jpegtran -crop "$crop" -copy none -restart 1 "$f" > "$dir/$b-$crop-rst.jpg"
        done
      done ;;
    media_open)
      # Real media, cut to the first 64 KiB (the fuzzer mutates headers and
      # the first packets; whole files make each run slow).
      for f in $(find .cache/media .cache/data -name '*.mp4' -o -name '*.wav' -o -name '*.webm' 2>/dev/null | head -8); do
        head -c 65536 "$f" > "$dir/$(basename "$f")"
      done ;;
  esac
}

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out=".cache/fuzz/$stamp"
mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
  seed "$t"
  echo "[fuzz] $t for ${secs}s"
  began="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  log="$out/$t.log"
  if cargo fuzz run -s none "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  elif grep -q 'Test unit written to' "$log"; then
    result=crash
    status=1
  else
    # No input to blame: the build or libFuzzer itself failed (see the log).
    result=error
    status=1
    tail -20 "$log" >&2
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  # The last status line libFuzzer printed: "#N ... cov: C ft: F corp: K/..."
  last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  crash=$(grep -o 'Test unit written to [^ ]*' "$log" | head -1 | sed 's/Test unit written to //' || true)
  ended="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '{"target":"%s","seconds":%s,"result":"%s","executions":%s,"coverage":%s,"corpus":%s,"peak_rss_mb":%s,"artifact":"%s","log":"%s","started_at":"%s","finished_at":"%s"}\n' \
    "$t" "$secs" "$result" "${runs:-0}" "${cov:-null}" "${corp:-null}" "${rss:-null}" "$crash" "$log" "$began" "$ended" | tee -a "$out/summary.jsonl"
done
# The summary as evidence (scratch store; `--promote` is for a deliberate
# 10-minute run: `harness fuzz-import .cache/fuzz/<stamp>/summary.jsonl --promote`).
if [ -x target/release/harness ]; then
  target/release/harness fuzz-import "$out/summary.jsonl" || status=1
fi
exit $status
