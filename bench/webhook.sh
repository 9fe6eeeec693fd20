#!/usr/bin/env bash
# Webhook intake latency: time from a signed GitHub delivery to its answer, p50/p99, with
# 50 deliveries in flight at once on loopback. Two kinds side by side in the same run:
# `ping` (verified and answered, nothing stored: the baseline) and `push` (verified, parsed,
# recorded durably in the spool with fsync, answered 202), so the ratio is the cost of the
# durable record. Then delivery → deployed (the build record says succeeded: built, released,
# healthy) against the same change pushed over SSH to a twin app, side by side, medians of
# ROUNDS. Usage: [RIKER_BIN=DIR] bench/webhook.sh [DELIVERIES_PER_KIND] [CONCURRENCY] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
concurrency=${2:-50}
rounds=${3:-5}
# $RIKER_BIN: a directory with riker and riker-agent already built (else a release build here).
if [ -n "${RIKER_BIN:-}" ]; then bin=$RIKER_BIN; else
  swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
  bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
fi
echo "binaries: $bin"
work=$(mktemp -d /tmp/riker-webhook-bench-XXXXXX); chmod 711 "$work"
root=$work/root
pids=()
cleanup() { for p in "${pids[@]}" "${sshd_pid:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source bench/lib.sh

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

# Delivery → deployed against an SSH push of the same change.
sshport=$(freeport)
start_sshd "$sshport"
app=$work/app
cp -R examples/procfile-only "$app"
git -C "$app" init -q -b main
git -C "$app" add -A && git -C "$app" -c user.name=b -c user.email=b@x commit -qm init
r apps:create hooked >/dev/null
r apps:set hooked "webhook.secret=$secret" "webhook.repo=file://$app" >/dev/null
export GIT_SSH_COMMAND="ssh -i $work/keys/riker $ssh_opts"
remote="ssh://$(id -un)@127.0.0.1:$sshport/pushed.git"
git -C "$app" push -q "$remote" main 2>"$work/first.log" || { cat "$work/first.log"; exit 1; }
WEBHOOK_SECRET=$secret python3 - "$port" "$rounds" "$app" "$remote" "$(pwd)/Tests/Fixtures/github-payloads" <<'PY'
import hashlib, hmac, http.client, json, os, statistics, subprocess, sys, time, uuid
port, rounds, app, remote, payloads = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
secret = os.environ["WEBHOOK_SECRET"].encode()
template = open(f"{payloads}/push-with-new-branch.payload.json").read()
git = lambda *a: subprocess.run(["git", "-C", app, *a], check=True, capture_output=True, text=True).stdout.strip()

def call(method, path, body=None, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body, headers)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")

def deliver(commit):
    body = template.replace("refs/heads/master", "refs/heads/main").replace("6113728f27ae82c7b1a177c8d03f9e96e0adf246", commit)
    body = body.replace("https://github.com/Codertocat/Hello-World.git", "file://" + app).encode()
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    t = time.perf_counter()
    status, answer = call("POST", "/hooks/github/hooked", body, {"Content-Type": "application/json", "X-GitHub-Event": "push",
                          "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sig})
    assert status == 202, answer
    while True:
        status, build = call("GET", f"/builds/{answer['build']}")
        if build.get("status") in ("succeeded", "failed"):
            assert build["status"] == "succeeded", build
            return time.perf_counter() - t
        time.sleep(0.02)

first = deliver(git("rev-parse", "HEAD"))
hook, push = [], []
for i in range(rounds):
    with open(f"{app}/rounds.txt", "a") as f: f.write(f"round {i}\n")
    git("add", "-A"); git("-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", f"round {i}")
    t = time.perf_counter()
    subprocess.run(["git", "-C", app, "push", "-q", remote, "main"], check=True, capture_output=True)
    push.append(time.perf_counter() - t)
    hook.append(deliver(git("rev-parse", "HEAD")))
h, p = statistics.median(hook), statistics.median(push)
print(f"deploy one change: webhook delivery → deployed {h:.2f}s  ssh push → deployed {p:.2f}s  ratio x{h / p:.2f}  (median of {rounds}; first webhook deploy {first:.2f}s)")
PY
