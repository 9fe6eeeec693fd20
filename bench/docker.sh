#!/usr/bin/env bash
# Dockerfile image pushes, side by side in one run on this machine (real podman, real local
# store): a Python app image (~220 MB: Debian bookworm + python3 imported from a local rootfs,
# plus 2 MB of app code) stored the Riker way (layer by layer, zstd, only blobs the store lacks)
# against the naive way (`podman save` of the whole image, uploaded to the store every time),
# for a first push and a push changing one file. Prints bytes uploaded and wall times.
#
# The first run on a machine also builds the base rootfs with mmdebstrap (~100 s, cached in
# /var/tmp/riker-test-images). The measurement is Tests/RikerDeployTests/ImagePushBench.swift,
# which runs only when RIKER_BENCH_DOCKER=1. Usage: bench/docker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v podman >/dev/null || { echo "podman is not installed: run script/bootstrap" >&2; exit 1; }
swift build --build-tests >/dev/null 2>&1 || swift build --build-tests
RIKER_BENCH_DOCKER=1 swift test --skip-build --filter ImagePushBench 2>&1 | tee /tmp/riker-bench-docker.log | grep -E '^bench|error|failed' || true
grep -q '^bench one-file change' /tmp/riker-bench-docker.log
