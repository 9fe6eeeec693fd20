# Shared set-up of the benches (sourced). Needs $bin (riker's release build), $root and $work.

# A free TCP port on 127.0.0.1.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# start_sshd PORT [EXTRA_AUTHORIZED_KEYS_FILE]: an OpenSSH sshd on 127.0.0.1:PORT with Riker's
# forced command for the admin key $work/keys/riker (registered as `bench`); sets $sshd_pid
# and $ssh_opts.
start_sshd() {
  local port=$1 extra=${2:-}
  mkdir -p "$root/sshd" "$work/keys"
  ssh-keygen -q -t ed25519 -N '' -f "$root/sshd/host"
  ssh-keygen -q -t ed25519 -N '' -f "$work/keys/riker"
  "$bin/riker" --root "$root" keys:add bench --admin < "$work/keys/riker.pub" >/dev/null
  cat > "$root/sshd/config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $root/sshd/host
AuthorizedKeysFile $root/.ssh/authorized_keys $extra
PermitRootLogin forced-commands-only
StrictModes no
UsePAM no
PasswordAuthentication no
CONF
  mkdir -p /run/sshd
  /usr/sbin/sshd -D -e -f "$root/sshd/config" 2>"$work/sshd.log" & sshd_pid=$!
  ssh_opts="-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $port"
}
