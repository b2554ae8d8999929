#!/usr/bin/env bash
# Fuzzes the example binaries end to end, as processes: N cases of generated and mutated
# command lines and input files (study configurations, prediction CSVs, JSON-lines data,
# model files), each of which must exit 0, 1 or 2 with a message, and never panic, abort,
# hang or print a non-finite number. Prints the cases run, the outcomes per binary and
# exit code, and the failures; exits 1 if any.
#
#   scripts/fuzz_cli.sh N [SEED]        e.g. scripts/fuzz_cli.sh 100000
#
# Environment: FUZZ_PROGRESS (a line every K cases), FUZZ_CASE_TIMEOUT (seconds per case,
# default 60), INHERIT_DATA_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/inherit-ci/target}"
if [ -z "${INHERIT_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  INHERIT_DATA_DIR="$(cd ../shared/data && pwd)"
  export INHERIT_DATA_DIR
fi
cargo build -q --examples
cargo build -q -p inherit-fuzz --bin inherit-fuzz-cli
export INHERIT_EXAMPLES_DIR="$CARGO_TARGET_DIR/debug/examples"
exec "$CARGO_TARGET_DIR/debug/inherit-fuzz-cli" "${1:-1000}" "${2:-0}"
