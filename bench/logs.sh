#!/usr/bin/env bash
# App log capture cost, at the library level (RikerLogs): an app writing 70-byte lines with
# one write(2) each, its output to /dev/null versus through ProcessLogCapture + LogShipper
# (local store, 2 s chunks) + the bounded local file, runs alternating side by side.
# Prints lines/s for both and their ratio, the test process's CPU seconds while captured
# (capture thread + shipper), and the store requests per minute.
#
#   bench/logs.sh [SECONDS] [ROUNDS]     defaults: 10 s, 2 rounds of each
#   RIKER_BENCH_CONFIG=release           build configuration (default debug; release is what ships)
#
# The agent-level bench (riker-agent running the app) is separate. Only local files are used.
set -euo pipefail
cd "$(dirname "$0")/.."
config="${RIKER_BENCH_CONFIG:-debug}"
swift build -c "$config" --build-tests >/dev/null
RIKER_BENCH=1 RIKER_BENCH_SECONDS="${1:-10}" RIKER_BENCH_ROUNDS="${2:-2}" \
  swift test -c "$config" --skip-build --filter LogCaptureBench 2>&1 | grep -E '^BENCH|✘' | sed 's/^BENCH //'
