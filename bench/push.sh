#!/usr/bin/env bash
# Benchmarks, side by side in one run on this machine:
#   1. a no-op push to Riker (Procfile-only app, built once before) against a plain
#      `git push` to a bare repo over the same sshd;
#   2. slug pack/unpack of a ~100 MB app directory against `tar czf` / `tar xzf`.
# Prints medians and ratios. Usage: bench/push.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
# Its own build folder, so benchmarking never waits on (or breaks) a debug build in .build.
swift build -c release --scratch-path .build-release >/dev/null 2>&1 || swift build -c release --scratch-path .build-release
bin=$(swift build -c release --scratch-path .build-release --show-bin-path)
work=$(mktemp -d /tmp/riker-bench-XXXXXX); chmod 711 "$work"
root=$work/root
source bench/lib.sh
port=$(freeport)
cleanup() { kill "${serve_pid:-}" "${sshd_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export RIKER_HOME=$(pwd)

ssh-keygen -q -t ed25519 -N '' -f "$work/plain-key"
git init -q --bare "$work/plain.git"
# The baseline key runs git-receive-pack on the plain bare repo, through the same sshd.
echo "command=\"git-receive-pack '$work/plain.git'\",restrict $(cat "$work/plain-key.pub")" > "$work/plain_keys"
start_sshd "$port" "$work/plain_keys"
"$bin/riker" --root "$root" serve --listen 127.0.0.1:0 2>"$work/serve.log" & serve_pid=$!
sleep 1

app=$work/app
cp -R examples/procfile-only "$app"
git -C "$app" init -q -b main
git -C "$app" add -A && git -C "$app" -c user.name=b -c user.email=b@x commit -qm init
GIT_SSH_COMMAND="ssh -i $work/keys/riker $ssh_opts" git -C "$app" push -q "ssh://$(id -un)@127.0.0.1:$port/bench.git" main 2>"$work/first.log" \
  || { cat "$work/first.log"; exit 1; }

riker_t=(); plain_t=()
for i in $(seq "$rounds"); do
  echo "round $i" >> "$app/rounds.txt"
  git -C "$app" add -A && git -C "$app" -c user.name=b -c user.email=b@x commit -qm "round $i"
  t0=$(now)
  GIT_SSH_COMMAND="ssh -i $work/keys/riker $ssh_opts" git -C "$app" push -q "ssh://$(id -un)@127.0.0.1:$port/bench.git" main 2>"$work/push.log" \
    || { cat "$work/push.log"; exit 1; }
  t1=$(now)
  GIT_SSH_COMMAND="ssh -i $work/plain-key $ssh_opts" git -C "$app" push -q "ssh://$(id -un)@127.0.0.1:$port/plain.git" main 2>"$work/plain.log" \
    || { cat "$work/plain.log"; exit 1; }
  t2=$(now)
  riker_t+=("$(echo "$t1 - $t0" | bc)"); plain_t+=("$(echo "$t2 - $t1" | bc)")
done
rm=$(printf '%s\n' "${riker_t[@]}" | median); pm=$(printf '%s\n' "${plain_t[@]}" | median)
printf 'no-op push  riker %.3fs  plain git push %.3fs  overhead %.3fs  (median of %d)\n' "$rm" "$pm" "$(echo "$rm - $pm" | bc)" "$rounds"

# ~100 MB app directory: source-like text plus incompressible binaries.
data=$work/data; mkdir -p "$data"
python3 - "$data" <<'PY'
import os, random, sys
root = sys.argv[1]; random.seed(7)
words = [f"word{i}" for i in range(5000)]
for d in range(40):
    os.makedirs(f"{root}/pkg{d}", exist_ok=True)
    for f in range(50):
        with open(f"{root}/pkg{d}/mod{f}.py", "w") as fh:
            fh.write("\n".join(" ".join(random.choices(words, k=12)) for _ in range(300)))
for b in range(6):
    with open(f"{root}/blob{b}.bin", "wb") as fh: fh.write(os.urandom(6 << 20))
PY
size=$(du -sm "$data" | cut -f1)
t0=$(now); "$bin/riker" slug:pack "$data" "$work/slug.tar.zst" >/dev/null; t1=$(now)
tar czf "$work/slug.tar.gz" -C "$data" .; t2=$(now)
mkdir -p "$work/u1" "$work/u2"
t3=$(now); "$bin/riker" slug:unpack "$work/slug.tar.zst" "$work/u1/x"; t4=$(now)
tar xzf "$work/slug.tar.gz" -C "$work/u2"; t5=$(now)
pk=$(echo "$t1 - $t0" | bc); tz=$(echo "$t2 - $t1" | bc); up=$(echo "$t4 - $t3" | bc); tx=$(echo "$t5 - $t4" | bc)
printf 'pack   %d MB: riker %.2fs (%s)  tar czf %.2fs (%s)  speedup %.1fx\n' "$size" "$pk" "$(du -h "$work/slug.tar.zst" | cut -f1)" "$tz" "$(du -h "$work/slug.tar.gz" | cut -f1)" "$(echo "$tz / $pk" | bc -l)"
printf 'unpack %d MB: riker %.2fs  tar xzf %.2fs  speedup %.1fx\n' "$size" "$up" "$tx" "$(echo "$tx / $up" | bc -l)"
