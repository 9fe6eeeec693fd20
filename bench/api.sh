#!/usr/bin/env bash
# HTTP API latency: p50/p99 with 50 clients at once on loopback, against a running
# `riker serve`. Kinds side by side in the same run, each against the baseline:
#   static   GET /no-such-page: routed and answered 404 as JSON; no token, no store (the baseline)
#   401      GET /api/apps without a token: refused by the bearer check
#   apps     GET /api/apps/web with a token: token check (a conditional read of tokens.json in the store) + app, envs, current release
#   releases GET /api/apps/web/production/releases with a token: + the release records
# Usage: bench/api.sh [REQUESTS_PER_KIND] [CONCURRENCY]
# BIN=DIR uses the riker in DIR (e.g. .build/debug) instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
concurrency=${2:-50}
if [ -z "${BIN:-}" ]; then
  swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
  BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)
fi
work=$(mktemp -d /tmp/riker-api-bench-XXXXXX); chmod 711 "$work"
root=$work/root
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export RIKER_HOME=$(pwd)
r() { "$BIN/riker" --root "$root" "$@"; }
r apps:create web >/dev/null
r config:set web A=1 B=2 >/dev/null
for i in $(seq 5); do r tokens:add "other-$i" --app web >/dev/null; done
# The token goes to the client through a file, never a command line.
r tokens:add bench --read-only --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$work/token"

port=$(freeport)
"$BIN/riker" --root "$root" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

python3 - "$port" "$n" "$concurrency" "$work/token" <<'PY'
import http.client, sys, threading, time
port, n, conc, token = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read().strip()
auth = {"Authorization": "Bearer " + token}

def run(kind, path, headers, expect):
    lat, errors, lock, left = [], [], threading.Lock(), [n]
    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if left[0] == 0: return
                left[0] -= 1
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse(); resp.read()
                ok = resp.status == expect
            except Exception:
                ok = False; conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            d = time.perf_counter() - t
            with lock:
                (lat if ok else errors).append(d)
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for th in threads: th.start()
    for th in threads: th.join()
    wall = time.perf_counter() - start
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
    print(f"{kind:8} {len(lat)} ok, {len(errors)} failed, {conc} concurrent: p50 {p(0.5):6.1f} ms  p99 {p(0.99):6.1f} ms  ({len(lat) / wall:.0f}/s)")
    return p(0.5), p(0.99)

run("warmup", "/api/apps/web", auth, 200)
b50, b99 = run("static", "/no-such-page", {}, 404)
for kind, path, headers, expect in [("401", "/api/apps", {}, 401), ("apps", "/api/apps/web", auth, 200),
                                    ("releases", "/api/apps/web/production/releases", auth, 200)]:
    p50, p99 = run(kind, path, headers, expect)
    print(f"{'':8} {kind}/static: p50 x{p50 / b50:.2f}  p99 x{p99 / b99:.2f}")
PY
