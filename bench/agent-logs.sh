#!/usr/bin/env bash
# App log shipping cost at the agent level: an app deployed by a local push (target=local, so
# `riker serve` runs its riker-agent, which captures, timestamps, buffers and ships every line
# to the local store) against the same program run directly with its output to /dev/null, in
# one run, one after the other. The app's web process prints 70-byte lines with one write(2)
# each, paced at RATE lines/s for SECONDS, then (second figure) as fast as it can for UNPACED
# seconds; it answers HTTP on $PORT so the health check passes.
#
# Prints, per phase: lines/s under the agent and to /dev/null and their ratio, the app's mean
# and longest write(2); riker-agent's CPU seconds (utime+stime over the phase and the
# shipping rounds that follow it) and peak RSS (VmHWM); the log chunks the agent wrote to the
# store (one PUT each) per minute, and how many of the app's lines reached the store. Shipping
# also lists the instance's chunks once at start (and deletes beyond retention, none here);
# the agent's reads of `desired` (every 0.2 s on a local store) are not log shipping and not counted.
#
#   bench/agent-logs.sh [--bin DIR] [--seconds N] [--rate N] [--unpaced N]
#     --bin DIR     riker and riker-agent from DIR (or $RIKER_BIN: that directory or its riker);
#                   default: a release build in .build-release
#     --seconds N   paced phase length (default 30);  --rate N  lines/s (default 10000)
#     --unpaced N   unpaced phase length (default 10; 0 skips it)
#
# Only 127.0.0.1 and a temporary directory are used; every process started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30 rate=10000 unpaced=10 bin=${RIKER_BIN:-}
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --unpaced) unpaced=$2; shift 2 ;;
    *) echo "usage: bench/agent-logs.sh [--bin DIR] [--seconds N] [--rate N] [--unpaced N]" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ]; then
  swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
  bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
fi
[ -f "$bin" ] && bin=$(dirname "$bin")
bin=$(cd "$bin" && pwd)
for b in riker riker-agent; do
  [ -x "$bin/$b" ] || { echo "no $b in $bin: give --bin DIR with riker and riker-agent" >&2; exit 2; }
done
case $bin in */debug|*/debug/*) build=debug ;; */release|*/release/*) build=release ;; *) build="unknown configuration" ;; esac

work=$(mktemp -d /tmp/riker-agentlogs-bench-XXXXXX); chmod 711 "$work"
root=$work/root
source bench/lib.sh
app=bench
agent_dir=$root/instances/$app/production/local-1
chunks=$root/store/apps/$app/production/logs/local-1
cleanup() {
  [ -n "${base_pid:-}" ] && kill "$base_pid" 2>/dev/null || true
  if [ -n "${serve_pid:-}" ]; then
    # serve stops its agent, which stops the app
    kill "$serve_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$serve_pid" 2>/dev/null || true
  fi
  [ -n "${agent_pid:-}" ] && kill -9 "$agent_pid" 2>/dev/null || true
  [ -f "$work/ctl/pid" ] && kill -9 "$(cat "$work/ctl/pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export RIKER_HOME=$(pwd)

# The app: a web process that serves HTTP on $PORT and runs each phase the bench asks for
# (a file go-TAG in its control directory), writing what it did to result-TAG.
mkdir -p "$work/src" "$work/ctl" "$work/ctl-base"
chmod 777 "$work/ctl" "$work/ctl-base"   # the app runs as its own unprivileged user
cat > "$work/src/app.py" <<'PY'
import http.server, json, os, threading, time
here = os.path.dirname(os.path.abspath(__file__))
ctl = os.environ.get("BENCH_CTL") or open(os.path.join(here, "ctl_dir")).read().strip()

class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(b"ok\n")
    def log_message(self, *args): pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
with open(os.path.join(ctl, "pid.tmp"), "w") as f: f.write(str(os.getpid()))
os.rename(os.path.join(ctl, "pid.tmp"), os.path.join(ctl, "pid"))

def phase(tag, seconds, rate):
    """Writes 70-byte lines (one write each) for `seconds`, paced at `rate` lines/s (0: unpaced)."""
    head = tag.encode()
    pad = b"x" * (69 - len(head) - 11)
    clock, write = time.perf_counter, os.write
    n, wrote, worst = 0, 0.0, 0.0
    cpu0 = os.times()
    t0 = clock(); end = t0 + seconds
    while True:
        now = clock()
        if now >= end: break
        due = int((now - t0) * rate) + 1 if rate else n + 1000
        while n < due:
            a = clock(); write(1, b"%s %09d %s\n" % (head, n, pad)); d = clock() - a
            wrote += d
            if d > worst: worst = d
            n += 1
        if rate: time.sleep(0.0005)
    elapsed = clock() - t0
    cpu1 = os.times()
    return {"lines": n, "seconds": elapsed, "mean_write_us": wrote / max(n, 1) * 1e6, "max_write_ms": worst * 1e3,
            "app_cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)}

done = set()
while True:
    for name in sorted(os.listdir(ctl)):
        if name.startswith("go-") and name not in done:
            done.add(name)
            tag = name[3:]
            seconds, rate = open(os.path.join(ctl, name)).read().split()
            result = phase(tag, float(seconds), int(rate))
            with open(os.path.join(ctl, "result-" + tag + ".tmp"), "w") as f: json.dump(result, f)
            os.rename(os.path.join(ctl, "result-" + tag + ".tmp"), os.path.join(ctl, "result-" + tag))
    time.sleep(0.05)
PY
echo "$work/ctl" > "$work/src/ctl_dir"
printf 'web: python3 app.py\n' > "$work/src/Procfile"

# Starts phase TAG in control dir CTL and waits for its result.
run_phase() {
  local ctl=$1 tag=$2 secs=$3 r=$4
  echo "$secs $r" > "$ctl/go-$tag.tmp"; mv "$ctl/go-$tag.tmp" "$ctl/go-$tag"
  local limit=$(( ${secs%.*} * 10 + 1200 ))
  for _ in $(seq "$limit"); do [ -f "$ctl/result-$tag" ] && return 0; sleep 0.1; done
  echo "phase $tag gave no result" >&2; exit 1
}
# CPU ticks (utime+stime) of PID, and its VmHWM in kB.
cpu_ticks() { python3 -c 'import sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print(int(f[11])+int(f[12]))' "$1"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
nchunks() { ls "$chunks" 2>/dev/null | grep -c '\.log$' || true; }

echo "riker-agent log shipping: $seconds s at $rate lines/s$( [ "$unpaced" != 0 ] && echo ", then $unpaced s unpaced"); binaries: $bin ($build build)"

# Riker: a local store, serve running the local target, the app pushed once.
r() { "$bin/riker" --root "$root" "$@"; }
"$bin/riker" --root "$root" serve --listen 127.0.0.1:0 2>"$work/serve.log" & serve_pid=$!
for _ in $(seq 100); do [ -s "$root/serve.pid" ] && break; sleep 0.1; done
r apps:create "$app" >/dev/null
r apps:set "$app" local.port="$(freeport)" deploy.timeout_seconds=180 >/dev/null
git -C "$work/src" init -q -b main
git -C "$work/src" add -A && git -C "$work/src" -c user.name=b -c user.email=b@x commit -qm bench
RIKER_ROOT=$root RIKER_BIN=$bin/riker git -C "$work/src" push -q "$root/repos/$app.git" main 2>"$work/push.log" \
  || { tail -30 "$work/push.log"; tail -20 "$work/serve.log"; exit 1; }
agent_pid=$(cut -d: -f1 "$agent_dir/agent.pid")
for _ in $(seq 300); do [ -f "$work/ctl/pid" ] && break; sleep 0.1; done
[ -f "$work/ctl/pid" ] || { echo "the deployed app did not start" >&2; tail -20 "$agent_dir/agent.log" >&2; exit 1; }

# The baseline: the same program, run directly, output to /dev/null.
BENCH_CTL=$work/ctl-base PORT=$(freeport) python3 "$work/src/app.py" >/dev/null 2>&1 & base_pid=$!
for _ in $(seq 100); do [ -f "$work/ctl-base/pid" ] && break; sleep 0.1; done

# The agent at rest (polling the store, nothing to ship), to tell shipping from idling.
sleep 3
c0=$(cpu_ticks "$agent_pid"); t0=$(now); sleep 5; c1=$(cpu_ticks "$agent_pid"); t1=$(now)
tck=$(getconf CLK_TCK)
idle=$(echo "($c1 - $c0) / $tck / ($t1 - $t0)" | bc -l)
printf 'agent at rest: %.1f%% of a core; RSS peak so far %d MB\n' "$(echo "$idle * 100" | bc -l)" "$(( $(hwm_kb "$agent_pid") / 1024 ))"

# measure LABEL TAG SECONDS RATE: baseline phase, then the same under the agent.
measure() {
  local label=$1 tag=$2 secs=$3 r=$4
  run_phase "$work/ctl-base" "$tag" "$secs" "$r"
  local k0 c0 t0 c1 t1
  k0=$(nchunks); c0=$(cpu_ticks "$agent_pid"); t0=$(now)
  run_phase "$work/ctl" "$tag" "$secs" "$r"
  # Rounds run every 2 s: done when no chunk has come for 5 s (at most 60 s).
  local k=-1 quiet=0
  for _ in $(seq 120); do
    sleep 0.5
    if [ "$(nchunks)" = "$k" ]; then quiet=$((quiet + 1)); [ $quiet -ge 10 ] && break; else k=$(nchunks); quiet=0; fi
  done
  c1=$(cpu_ticks "$agent_pid"); t1=$(now)
  python3 - "$label" "$tag" "$work/ctl-base/result-$tag" "$work/ctl/result-$tag" "$chunks" "$k0" \
    "$(( c1 - c0 ))" "$tck" "$(echo "$t1 - $t0" | bc -l)" "$(hwm_kb "$agent_pid")" "$idle" "$t0" <<'PY'
import json, os, sys
label, tag, base_f, agent_f, chunks, k0, ticks, tck, window, hwm, idle, start = sys.argv[1:]
base, agent = json.load(open(base_f)), json.load(open(agent_f))
names = sorted(n for n in os.listdir(chunks) if n.endswith(".log"))
new = names[int(k0):]
marker = f"]: {tag} ".encode()
shipped = dropped = 0
for n in new:
    for line in open(os.path.join(chunks, n), "rb"):
        if marker in line: shipped += 1
        elif b" log lines were dropped" in line:
            dropped += int(line.split(b" log lines were dropped")[0].rsplit(b" ", 1)[1])
bl, al = base["lines"] / base["seconds"], agent["lines"] / agent["seconds"]
cpu = int(ticks) / int(tck)
print(f"{label}: under riker-agent {al:,.0f} lines/s, to /dev/null {bl:,.0f} lines/s, ratio {al / bl:.3f}")
print(f"  app's write(2): mean {agent['mean_write_us']:.1f} µs (/dev/null {base['mean_write_us']:.1f} µs), "
      f"longest {agent['max_write_ms']:.1f} ms (/dev/null {base['max_write_ms']:.1f} ms); app CPU {agent['app_cpu']:.1f} s (/dev/null {base['app_cpu']:.1f} s)")
print(f"  riker-agent: {cpu:.1f} CPU s for the phase and its last shipping rounds ({float(window):.0f} s) = {cpu / agent['seconds'] * 100:.0f}% "
      f"of a core over the {agent['seconds']:.0f} s phase (at rest {float(idle) * 100:.1f}%); peak RSS {int(hwm) / 1024:.0f} MB")
# From the phase's start to the last chunk written (at least the phase).
span = max([agent["seconds"]] + [os.stat(os.path.join(chunks, n)).st_mtime - float(start) for n in new])
print(f"  store: {len(new)} log chunks (one PUT each) in {span:.0f} s = {len(new) / (span / 60):.0f} PUTs/min; "
      f"{shipped:,} of the app's {agent['lines']:,} lines shipped" + (f", {dropped:,} dropped (the agent says)" if dropped else ""))
PY
}

measure "paced at $rate lines/s, $seconds s" paced "$seconds" "$rate"
[ "$unpaced" != 0 ] && measure "unpaced, $unpaced s" unpaced "$unpaced" 0
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
