#!/usr/bin/env bash
# Layered slugs against single archives (build.slug_format=archive, what Riker stored before),
# side by side in one run on this machine: real sshd, real pip from PyPI, the local store, real
# riker-agents.
#   flask  a Flask app (flask, gunicorn, requests, pydantic): a one-line change push against the
#          first push, wall time until the new release serves (the push returns then);
#   data   a numpy+pandas app: bytes uploaded to the store and downloaded by the instance for a
#          one-line change, against the full slug, and the push-to-serving time;
#   asg    a moto_server Auto Scaling Group of 10 instances, one riker-agent each, running the
#          data app: every byte a one-line change deploy moves (store uploads + all agents'
#          downloads), archive then layers.
# Usage: [RIKER_BENCH_BUILD=debug] bench/layers.sh [ROUNDS] [PARTS...]   (default: 3 flask data asg)
# RIKER_TRACE_TIMINGS=1 also prints the median time of each phase of the one-line Flask push (ms):
# the riker-trace lines the hook, riker serve and the agent write with it (RikerCore PhaseTrace).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
parts=${*:-flask data asg}
# RIKER_BENCH_BUILD=debug uses the debug build in .build (no release build on a busy machine;
# the ratios still compare like with like, the absolute times are slower).
if [ "${RIKER_BENCH_BUILD:-release}" = debug ]; then
  swift build >/dev/null 2>&1 || swift build
  bin=$(swift build --show-bin-path)
else
  swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
  bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
fi
work=$(mktemp -d /tmp/riker-layers-bench-XXXXXX); chmod 711 "$work"
root=$work/root
pids=()
# RIKER_BENCH_KEEP=1 keeps the work dir (agent logs, push logs) for a look afterwards.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${RIKER_BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
. bench/lib.sh
export RIKER_HOME=$(pwd)
r() { "$bin/riker" --root "$root" "$@"; }

# --- sshd + riker serve (the local target) ------------------------------------------------------
port=$(freeport)
mkdir -p "$root/sshd" "$work/keys"
ssh-keygen -q -t ed25519 -N '' -f "$root/sshd/host"
ssh-keygen -q -t ed25519 -N '' -f "$work/keys/riker"
r keys:add bench --admin < "$work/keys/riker.pub" >/dev/null
cat > "$root/sshd/config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $root/sshd/host
AuthorizedKeysFile $root/.ssh/authorized_keys
PermitRootLogin forced-commands-only
StrictModes no
UsePAM no
PasswordAuthentication no
SetEnv RIKER_HOME=$RIKER_HOME SHLVL=1${RIKER_TRACE_TIMINGS:+ RIKER_TRACE_TIMINGS=$RIKER_TRACE_TIMINGS}
CONF
# sshd runs the forced command with the user's shell; bash run by sshd sources ~/.bashrc unless
# SHLVL says it is not the first shell. This user's may do anything (a developer's runs
# `pyenv init`: 0.2 s a push); the riker user of an install has none (its home is the root), so
# SHLVL=1 keeps it out of what is measured, for both formats alike.
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$root/sshd/config" 2>"$work/sshd.log" & pids+=($!)
"$bin/riker" --root "$root" serve 2>"$work/serve.log" & pids+=($!)
for _ in $(seq 100); do [ -f "$root/serve.pid" ] && break; sleep 0.1; done
ssh_cmd="ssh -i $work/keys/riker -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $port"

# new_app NAME FORMAT: creates the app (FORMAT layers or archive) and its repository in $work/src/NAME.
new_app() {
  r apps:create "$1" >/dev/null
  if [ "$2" = archive ]; then r apps:set "$1" build.slug_format=archive >/dev/null; fi
  mkdir -p "$work/src/$1"
  git -C "$work/src/$1" init -q -b main
}
# push NAME MESSAGE: commits everything and pushes over ssh; prints the wall time. With
# PUSH_LOCAL=1 it pushes to the app's repository directly, as bench/asg.sh does, so the hook
# runs with this shell's AWS environment.
push() {
  git -C "$work/src/$1" add -A && git -C "$work/src/$1" -c user.name=b -c user.email=b@x commit -qm "$2"
  local t0 t1
  t0=$(now)
  if [ -n "${PUSH_LOCAL:-}" ]; then
    RIKER_ROOT=$root RIKER_BIN=$bin/riker git -C "$work/src/$1" push -q "$root/repos/$1.git" main 2>"$work/push-$1.log" \
      || { tail -30 "$work/push-$1.log" >&2; exit 1; }
  else
    GIT_SSH_COMMAND=$ssh_cmd git -C "$work/src/$1" push -q "ssh://$(id -un)@127.0.0.1:$port/$1.git" main 2>"$work/push-$1.log" \
      || { tail -30 "$work/push-$1.log" >&2; exit 1; }
  fi
  cat "$work/push-$1.log" >> "$work/pushes-$1.log"
  t1=$(now)
  echo "$2 $t0 $t1" >> "$work/windows-$1"
  echo "$t1 - $t0" | bc
}
# phases NAME ROUNDS: with RIKER_TRACE_TIMINGS=1, the median per phase (ms) of the app's last
# ROUNDS pushes, from the riker-trace lines of the hook (in the push output) and of the agent
# (in its log), with the time before the hook started and after it ended.
phases() {
  [ "${RIKER_TRACE_TIMINGS:-}" = 1 ] || return 0
  python3 - "$work/windows-$1" "$2" "$work/pushes-$1.log" "$(agent_log "$1")" <<'PY'
import re, statistics, sys
windows = [l.split() for l in open(sys.argv[1])][-int(sys.argv[2]):]
lines = []
for f in sys.argv[3:]:
    for l in open(f, errors="replace"):
        m = re.search(r"riker-trace ([0-9.]+) (\S+) phase (\S+) ([0-9]+) ms", l)
        if m: lines.append((float(m[1]), m[2], m[3], int(m[4])))
per = {}
order = []
for w in windows:
    t0, t1 = w[-2:]
    t0, t1 = float(t0), float(t1)
    got = {}
    for ts, proc, phase, ms in lines:
        if t0 <= ts <= t1 + 0.5:
            got[phase] = got.get(phase, 0) + ms
            if phase == "hook.pre-receive":
                got["before hook (ssh, receive-pack, hook start)"] = round((ts - ms / 1000 - t0) * 1000)
                got["after pre-receive (refs, post-receive, ssh exit)"] = round((t1 - ts) * 1000)
            if phase not in order: order.append(phase)
    got["push wall"] = round((t1 - t0) * 1000)
    for k, v in got.items(): per.setdefault(k, []).append(v)
order = ["push wall", "before hook (ssh, receive-pack, hook start)"] + order + ["after pre-receive (refs, post-receive, ssh exit)"]
print("  phases of the one-line push (median ms over %d):" % len(windows))
for k in order:
    if k in per: print("    %-50s %6d" % (k, statistics.median(per[k])))
PY
}
# Bytes of the app's artifacts in the store (slugs and blobs).
store_bytes() { { du -sb "$root/store/apps/$1/slugs" "$root/store/apps/$1/blobs" 2>/dev/null || true; } | awk '{s+=$1} END {print s+0}'; }
# Bytes an agent log records downloading after byte offset $2 of it: layers ("fetched N (B bytes)")
# or single archives ("downloading KEY (B bytes)").
downloaded() {
  tail -c +"$(( $2 + 1 ))" "$1" | { grep -oE '(fetched [0-9]+ |downloading [^ ]+ )\([0-9]+ bytes\)' || true; } \
    | { grep -oE '[0-9]+ bytes' || true; } | awk '{s+=$1} END {print s+0}'
}
logsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
# release_json APP FIELD: a field of the app's current release, read from the store.
release_json() {
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r.get(sys.argv[2], 0))" \
    "$root/store/apps/$1/production/releases/$(cat "$root/store/apps/$1/production/current")/release.json" "$2"
}
pct() { echo "scale=4; 100 * $1 / $2" | bc; }

flask_files() {
  printf 'flask\ngunicorn\nrequests\npydantic\n' > "$1/requirements.txt"
  printf 'web: gunicorn app:app --bind 127.0.0.1:$PORT --workers 1\n' > "$1/Procfile"
  cat > "$1/app.py" <<'PY'
import flask, pydantic, requests
app = flask.Flask(__name__)
MESSAGE = "v0"
@app.route("/")
def index():
    return MESSAGE
PY
}
data_files() {
  printf 'numpy\npandas\n' > "$1/requirements.txt"
  printf 'web: python app.py\n' > "$1/Procfile"
  cat > "$1/app.py" <<'PY'
import http.server, os
import numpy, pandas
MESSAGE = "v0"
body = ("%s pandas-%s" % (MESSAGE, pandas.__version__)).encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
}
one_line() { sed -i "s/^MESSAGE = .*/MESSAGE = \"$2\"/" "$work/src/$1/app.py"; }
agent_log() { echo "$root/instances/$1/production/local-1/agent.log"; }

# --- 1. Flask: one-line change push vs first push ----------------------------------------------
if [[ " $parts " == *" flask "* ]]; then
  declare -A first oneline
  for fmt in layers archive; do new_app "flask-$fmt" "$fmt"; flask_files "$work/src/flask-$fmt"; done
  for fmt in layers archive; do first[$fmt]=$(push "flask-$fmt" first); done
  for fmt in layers archive; do : > "$work/times-$fmt"; done
  for i in $(seq "$rounds"); do
    for fmt in layers archive; do
      one_line "flask-$fmt" "v$i"
      push "flask-$fmt" "round $i" >> "$work/times-$fmt"
      got=$(curl -s "$(r ps "flask-$fmt" --json | python3 -c 'import json,sys; print([i["address"] for i in json.load(sys.stdin)["instances"] if i.get("address")][0])')/")
      [ "$got" = "v$i" ] || { echo "flask-$fmt serves '$got', not v$i" >&2; exit 1; }
    done
  done
  for fmt in layers archive; do oneline[$fmt]=$(median < "$work/times-$fmt"); done
  size=$(release_json flask-layers size)
  echo "flask (slug $(numfmt --to=iec "$size") compressed), median of $rounds one-line pushes:"
  for fmt in layers archive; do
    printf '  %-7s first push %6.2fs   one-line change %5.2fs = %5.1f%% of the first\n' "$fmt" "${first[$fmt]}" "${oneline[$fmt]}" \
      "$(pct "${oneline[$fmt]}" "${first[$fmt]}")"
  done
  phases flask-layers "$rounds"
fi

# --- 2. numpy+pandas: bytes moved and push-to-serving for a one-line change --------------------
if [[ " $parts " == *" data "* ]]; then
  for fmt in layers archive; do new_app "data-$fmt" "$fmt"; data_files "$work/src/data-$fmt"; push "data-$fmt" first >/dev/null; done
  for fmt in layers archive; do : > "$work/times-$fmt"; : > "$work/up-$fmt"; : > "$work/down-$fmt"; done
  for i in $(seq "$rounds"); do
    for fmt in layers archive; do
      one_line "data-$fmt" "v$i"
      before=$(store_bytes "data-$fmt"); offset=$(logsize "$(agent_log "data-$fmt")")
      push "data-$fmt" "round $i" >> "$work/times-$fmt"
      echo $(( $(store_bytes "data-$fmt") - before )) >> "$work/up-$fmt"
      downloaded "$(agent_log "data-$fmt")" "$offset" >> "$work/down-$fmt"
    done
  done
  size=$(release_json data-layers size); unpacked=$(release_json data-layers unpacked_size)
  echo "numpy+pandas (slug $(numfmt --to=iec "$size") compressed, $(numfmt --to=iec "$unpacked") unpacked), median of $rounds one-line changes:"
  for fmt in layers archive; do
    up=$(median < "$work/up-$fmt"); down=$(median < "$work/down-$fmt"); t=$(median < "$work/times-$fmt")
    printf '  %-7s uploaded %9d B (%.4f%% of the slug)   downloaded per instance %9d B (%.4f%%)   push-to-serving %5.2fs\n' \
      "$fmt" "$up" "$(pct "$up" "$size")" "$down" "$(pct "$down" "$size")" "$t"
  done
fi

# --- 3. ASG: 10 agents on moto, bytes moved by a one-line change deploy -------------------------
if [[ " $parts " == *" asg "* ]]; then
  n=10
  start_moto_asg "$n"
  new_app data-asg archive
  r apps:set data-asg target=asg asg.name=bench-asg "asg.target_groups=$tg" deploy.batch=25% deploy.min_healthy=75 \
    deploy.drain_seconds=0 deploy.timeout_seconds=180 >/dev/null
  for id in $ids; do
    mkdir -p "$work/agents/$id"
    "$bin/riker-agent" run --store "file://$root/store" --app data-asg --env production --instance-id "$id" \
      --dir "$work/agents/$id" --port "$(freeport)" --poll-interval 0.5 --grace 2 >"$work/agents/$id/agent.log" 2>&1 & pids+=($!)
  done
  data_files "$work/src/data-asg"
  export PUSH_LOCAL=1
  # moved FORMAT: a one-line change deploy after a first one; prints uploaded and downloaded bytes.
  moved() {
    one_line data-asg "$1-first"; push data-asg "$1 first" >/dev/null
    one_line data-asg "$1-change"
    local before offsets=() down=0 i=0
    before=$(store_bytes data-asg)
    for id in $ids; do offsets+=("$(logsize "$work/agents/$id/agent.log")"); done
    t=$(push data-asg "$1 change")
    for id in $ids; do down=$(( down + $(downloaded "$work/agents/$id/agent.log" "${offsets[$i]}") )); i=$((i + 1)); done
    echo "$(( $(store_bytes data-asg) - before )) $down $t"
  }
  read -r aup adown at < <(moved archive)
  r apps:set data-asg build.slug_format= >/dev/null
  read -r lup ldown lt < <(moved layers)
  asize=$(python3 -c 'import glob,json,sys; print([r["size"] for r in map(lambda f: json.load(open(f)), glob.glob(sys.argv[1])) if "layers" not in r][0])' \
    "$root/store/apps/data-asg/production/releases/v*/release.json")
  echo "ASG of $n agents (moto), one-line change deploy of the numpy+pandas app (archive slug $(numfmt --to=iec "$asize")):"
  printf '  archive  uploaded %10d B  downloaded by all agents %11d B  total %11d B  deploy %5.1fs\n' "$aup" "$adown" $(( aup + adown )) "$at"
  printf '  layers   uploaded %10d B  downloaded by all agents %11d B  total %11d B  deploy %5.1fs  (%.3f%% of archive)\n' \
    "$lup" "$ldown" $(( lup + ldown )) "$lt" "$(pct $(( lup + ldown )) $(( aup + adown )))"
fi
