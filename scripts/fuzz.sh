#!/usr/bin/env bash
# Fuzzes every parser of user-supplied files: runs each target of the inherit-fuzz crate
# (or only the targets named) for N inputs, and prints per target the inputs tried, the
# inputs accepted, panics, inputs over their memory budget, the largest memory peak and
# the slowest input. Exits non-zero if anything was found; the inputs are saved under
# $CARGO_TARGET_DIR/fuzz-artifacts.
#
#   scripts/fuzz.sh N [TARGET ...]        e.g. scripts/fuzz.sh 50000
#                                              scripts/fuzz.sh 100000 gguf gguf_tokenizer
#   scripts/fuzz.sh --list
#
# Environment: FUZZ_SEED (mutation stream, default 0), FUZZ_RELEASE=1 (optimised build:
# faster, but without overflow checks), FUZZ_PROGRESS (a line every K inputs),
# INHERIT_FUZZ_TMP (scratch folder root; default /dev/shm), INHERIT_DATA_DIR and
# INHERIT_CACHE (where the seed files are read from).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/inherit-ci/target}"
if [ -z "${INHERIT_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  INHERIT_DATA_DIR="$(cd ../shared/data && pwd)"
  export INHERIT_DATA_DIR
fi

profile=debug
build_flags=()
if [ "${FUZZ_RELEASE:-0}" = 1 ]; then
  profile=release
  build_flags=(--release)
fi
cargo build -q -p inherit-fuzz --bin inherit-fuzz "${build_flags[@]}"
bin="$CARGO_TARGET_DIR/$profile/inherit-fuzz"

if [ "${1:-}" = --list ]; then
  exec "$bin" --list
fi
n="${1:-10000}"
shift || true
exec "$bin" --inputs "$n" --seed "${FUZZ_SEED:-0}" \
  --artifacts "$CARGO_TARGET_DIR/fuzz-artifacts" \
  --progress "${FUZZ_PROGRESS:-0}" "$@"
