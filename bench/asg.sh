#!/usr/bin/env bash
# A rolling deploy across N simulated instances (default 100): a moto_server Auto Scaling
# Group and target group, one real riker-agent per instance id on this machine, batch 25%,
# min healthy 75%. Reports the deploy's wall time against the sum of the agents' own
# install times (desired written → healthy, from the deploy record), and the store and AWS API
# requests the deploy made. Usage: bench/asg.sh [INSTANCES]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
work=$(mktemp -d /tmp/riker-asg-bench-XXXXXX); chmod 711 "$work"
root=$work/root
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/lib.sh

start_moto_asg "$n"

export RIKER_HOME=$(pwd)
r() { "$bin/riker" --root "$root" "$@"; }
r apps:create web >/dev/null
r apps:set web target=asg asg.name=bench-asg "asg.target_groups=$tg" deploy.batch=25% deploy.min_healthy=75 \
  deploy.drain_seconds=0 deploy.timeout_seconds=120 >/dev/null

echo "starting $n agents"
for id in $ids; do
  mkdir -p "$work/agents/$id"
  "$bin/riker-agent" run --store "file://$root/store" --app web --env production --instance-id "$id" \
    --dir "$work/agents/$id" --port "$(freeport)" --poll-interval 0.5 --grace 2 >"$work/agents/$id/agent.log" 2>&1 & pids+=($!)
done

app=$work/app
mkdir -p "$app"
printf 'web: python3 -m http.server $PORT\n' > "$app/Procfile"
git -C "$app" init -q -b main
push() {
  echo "$1" > "$app/version.txt"
  git -C "$app" add -A && git -C "$app" -c user.name=b -c user.email=b@x commit -qm "$1"
  RIKER_ROOT=$root RIKER_BIN=$bin/riker git -C "$app" push -q "$root/repos/web.git" main 2>"$work/push-$1.log" || { tail -20 "$work/push-$1.log"; exit 1; }
}
push v1
t0=$(date +%s.%N); push v2; t1=$(date +%s.%N)

python3 - "$root/store/apps/web/production/deploys" "$t0" "$t1" <<'PY'
import glob, json, sys
from datetime import datetime
def ts(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
recs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/*.json")]
rec = max((r for r in recs if r["release"] == 2), key=lambda r: r["started_at"])
total = ts(rec["finished_at"]) - ts(rec["started_at"])
start, done = {}, {}
for e in rec["events"]:
    # desired is written right after deregistration (drain 0): from then to healthy is the agent's install
    if e["event"] == "deregistered": start[e["instance"]] = ts(e["at"])
    if e["event"].endswith("up and healthy"): done[e["instance"]] = ts(e["at"])
installs = [done[i] - start[i] for i in done if i in start]
reqs = rec.get("requests", {})
store = sum(v for k, v in reqs.items() if k.startswith("store."))
cloud = sum(v for k, v in reqs.items() if not k.startswith("store."))
print(f"deploy of v2 to {len(done)} instances in {len(rec['batches'])} batches: {rec['outcome']}")
print(f"  wall time {total:.1f}s (push {float(sys.argv[3]) - float(sys.argv[2]):.1f}s); sum of agent install times {sum(installs):.1f}s "
      f"(mean {sum(installs)/max(len(installs),1):.2f}s); wall/sum = {total/max(sum(installs),1e-9):.2f}")
print(f"  requests: {store} store, {cloud} AWS API — " + ", ".join(f"{k} {v}" for k, v in sorted(reqs.items())))
PY
