#!/usr/bin/env bash
# The fault-injection harness in full: fails every I/O call of a tiny stand-in study in
# turn (ENOSPC, EIO, short write), checks the error, the files and a rerun against an
# uninterrupted run, and prints the injection points covered (cargo test runs every 16th).
#
#   scripts/faults.sh [STRIDE]        default 1: every point
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/inherit-ci/target}"
INHERIT_FAULT_STRIDE="${1:-1}" exec cargo test -q -p inherit-study --test faults -- --nocapture
