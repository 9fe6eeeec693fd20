#!/usr/bin/env bash
# Upload and download a 500 MB artifact to a local moto_server with Riker's S3 client
# (`riker s3:cp`) and with `aws s3 cp`, side by side: wall time, client CPU seconds
# (user + system) and peak resident memory of the client process (/usr/bin/time -v).
#
#   bench/s3.sh [SIZE_MB]          SIZE_MB defaults to 500
#   RIKER_BIN=path/to/riker        defaults to a release build of this checkout
#
# Only 127.0.0.1 is contacted. Needs moto_server, aws (awscli) and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-500}"

for tool in moto_server aws /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "bench/s3.sh: '$tool' is required" >&2; exit 1; }
done
if [ -z "${RIKER_BIN:-}" ]; then
  echo "-----> Building riker (release)"
  swift build -c release --product riker >/dev/null
  RIKER_BIN="$(swift build -c release --show-bin-path)/riker"
fi

work="$(mktemp -d /tmp/riker-s3-bench.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
cleanup() { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.2
done

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

echo "-----> Making a ${size_mb} MB artifact"
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$work/artifact"
want="$(sha256sum "$work/artifact" | cut -c1-64)"
aws s3 mb s3://bench >/dev/null

# measure LABEL COMMAND...: runs COMMAND under /usr/bin/time -v and prints one row.
measure() {
  local label="$1"; shift
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || { echo "$label failed:"; cat "$work/out.txt"; exit 1; }
  awk -v label="$label" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /User time/   { user = $2 }
    /System time/ { sys = $2 }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%-22s %8.2f s %8.2f s %8.1f MiB\n", label, wall, user + sys, rss / 1024 }' "$work/time.txt"
}

check() {
  local got; got="$(sha256sum "$1" | cut -c1-64)"
  [ "$got" = "$want" ] || { echo "bench/s3.sh: $1 does not match the artifact" >&2; exit 1; }
  rm -f "$1"
}

echo "-----> ${size_mb} MB to and from moto_server at 127.0.0.1:$port"
printf "%-22s %10s %10s %12s\n" "client / direction" "wall" "cpu" "peak rss"
measure "riker s3:cp upload"   "$RIKER_BIN" s3:cp "$work/artifact" s3://bench/riker.bin
measure "riker s3:cp download" "$RIKER_BIN" s3:cp s3://bench/riker.bin "$work/riker.down"
check "$work/riker.down"
measure "aws s3 cp upload"     aws s3 cp --only-show-errors "$work/artifact" s3://bench/aws.bin
measure "aws s3 cp download"   aws s3 cp --only-show-errors s3://bench/aws.bin "$work/aws.down"
check "$work/aws.down"
echo "       downloads verified against the artifact's SHA-256"
