#!/usr/bin/env bash
# Webhook intake latency: time from a signed GitHub delivery to its answer, p50/p99, with
# 50 deliveries in flight at once on loopback. Two kinds side by side in the same run:
# `ping` (verified and answered, nothing stored: the baseline) and `push` (verified, parsed,
# recorded durably in the spool with fsync, answered 202), so the ratio is the cost of the
# durable record. Usage: bench/webhook.sh [DELIVERIES_PER_KIND] [CONCURRENCY]
#
# SKELETON: it needs `riker serve --listen` to serve POST /hooks/github/APP (the lead wires
# RikerServer into serve). Delivery → serving (build and deploy time against the same commit
# pushed over SSH) is still to be added by the lead against the full server.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
concurrency=${2:-50}
swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
work=$(mktemp -d /tmp/riker-webhook-bench-XXXXXX); chmod 711 "$work"
root=$work/root
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export RIKER_HOME=$(pwd)
r() { "$bin/riker" --root "$root" "$@"; }
secret=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
r apps:create web >/dev/null
# Pushes of branch `bench` are accepted and spooled; mapped to `none`, nothing would be built,
# so map it to an env whose builds fail fast (no repository): the intake is what is measured.
r apps:set web "webhook.secret=$secret" webhook.repo=file:///nonexistent branch.bench=bench >/dev/null

port=$(freeport)
"$bin/riker" --root "$root" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

WEBHOOK_SECRET=$secret python3 - "$port" "$n" "$concurrency" "$(pwd)/Tests/Fixtures/github-payloads" <<'PY'
import hashlib, hmac, http.client, os, statistics, sys, threading, time, uuid
port, n, conc, payloads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secret = os.environ["WEBHOOK_SECRET"].encode()
ping = open(f"{payloads}/ping-payload.json", "rb").read()
push = open(f"{payloads}/push-with-new-branch.payload.json", "rb").read().replace(b'"refs/heads/master"', b'"refs/heads/bench"')

def run(kind, body, expect):
    lat, errors, lock, left = [], [], threading.Lock(), [n]
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if left[0] == 0: return
                left[0] -= 1
            headers = {"Content-Type": "application/json", "X-GitHub-Event": kind, "X-GitHub-Delivery": str(uuid.uuid4()),
                       "X-Hub-Signature-256": sig, "User-Agent": "GitHub-Hookshot/bench"}
            t = time.perf_counter()
            try:
                conn.request("POST", "/hooks/github/web", body, headers)
                resp = conn.getresponse(); resp.read()
                ok = resp.status == expect
            except Exception as e:
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
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    print(f"{kind:5} {len(lat)} ok, {len(errors)} failed, {conc} concurrent: p50 {p(0.5):.1f} ms  p99 {p(0.99):.1f} ms  "
          f"({len(lat) / wall:.0f}/s)")
    return p(0.5), p(0.99)

b50, b99 = run("ping", ping, 200)
p50, p99 = run("push", push, 202)
print(f"push/ping: p50 x{p50 / b50:.2f}  p99 x{p99 / b99:.2f}")
PY
