#!/usr/bin/env bash
# Installs riker-agent as a systemd service on this machine.
#
#   install-agent.sh --binary PATH --store URL --app APP [--env ENV] [--instance-id ID]
#                    [--port N] [--host ADDR] [--region REGION] [--images]
#
# --images: the app is a Dockerfile app (its releases are images). Installs podman, runc and
# catatonit when missing and the drop-in riker-agent-images.conf, which runs the agent as root
# (Riker's podman is rootful) and slug processes as the riker account. Without it, any such
# drop-in is removed again.
#
# The instance id defaults to the EC2 instance id (IMDSv2, at AWS_EC2_METADATA_SERVICE_ENDPOINT if
# set), else the hostname; `--instance-id auto` leaves it to the agent to ask IMDSv2 at every start.
# With DESTDIR set, files are written under DESTDIR and no user, package, systemctl or IMDS call
# happens (for packaging and tests).
set -euo pipefail

die() { echo "install-agent: $*" >&2; exit 1; }

binary="" store="" app="" env="production" instance="" port="5000" host="0.0.0.0" region="${AWS_REGION:-}" images=no
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="${2:?}"; shift 2 ;;
    --store) store="${2:?}"; shift 2 ;;
    --app) app="${2:?}"; shift 2 ;;
    --env) env="${2:?}"; shift 2 ;;
    --instance-id) instance="${2:?}"; shift 2 ;;
    --port) port="${2:?}"; shift 2 ;;
    --host) host="${2:?}"; shift 2 ;;
    --region) region="${2:?}"; shift 2 ;;
    --images) images=yes; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

[ -n "$binary" ] || die "--binary PATH is required (the riker-agent executable)"
[ -x "$binary" ] || die "$binary is not an executable file"
[ -n "$store" ] || die "--store URL is required (s3://BUCKET/PREFIX or a directory)"
[[ "$app" =~ ^[a-z][a-z0-9-]{0,62}$ ]] || die "--app must be 1-63 characters a-z, 0-9 and '-', starting with a letter"
[[ "$env" =~ ^[a-z][a-z0-9-]{0,62}$ ]] || die "--env must be 1-63 characters a-z, 0-9 and '-', starting with a letter"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "--port must be a number from 1 to 65535"

dest="${DESTDIR:-}"
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "$instance" ]; then
  imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
  imds="${imds%/}"
  if [ -z "$dest" ] && token=$(curl -fsS -m 2 -X PUT "$imds/latest/api/token" \
        -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' 2>/dev/null); then
    instance=$(curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id" || true)
  fi
  instance="${instance:-$(hostname)}"
fi
[[ "$instance" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "instance id '$instance' may only use letters, digits, '.', '_' and '-'"

if [ -z "$dest" ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root (or set DESTDIR to stage the files)"
  getent passwd riker >/dev/null || useradd --system --home-dir /var/lib/riker-agent --shell /usr/sbin/nologin riker
fi

install -d -m 0755 "$dest/usr/local/bin" "$dest/etc/systemd/system"
install -d -m 0750 "$dest/etc/riker"
install -m 0755 "$binary" "$dest/usr/local/bin/riker-agent"
install -m 0644 "$here/riker-agent.service" "$dest/etc/systemd/system/riker-agent.service"
dropin="$dest/etc/systemd/system/riker-agent.service.d"
if [ "$images" = yes ]; then
  missing=()
  for p in podman runc catatonit; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ -z "$dest" ] && [ ${#missing[@]} -gt 0 ]; then
    echo "install-agent: installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "cannot install ${missing[*]} (apt-get failed)"
  fi
  install -d -m 0755 "$dropin" "$dest/etc/containers"
  install -d -m 0700 "$dest/etc/containers/networks"
  install -m 0644 "$here/riker-agent-images.conf" "$dropin/images.conf"
else
  rm -f "$dropin/images.conf"
fi

umask 027
{
  echo "RIKER_STORE=$store"
  echo "RIKER_APP=$app"
  echo "RIKER_ENV=$env"
  echo "RIKER_INSTANCE_ID=$instance"
  echo "RIKER_PORT=$port"
  echo "RIKER_HOST=$host"
  if [ -n "$region" ]; then echo "AWS_REGION=$region"; fi
} > "$dest/etc/riker/agent.env.tmp"
mv "$dest/etc/riker/agent.env.tmp" "$dest/etc/riker/agent.env"

if [ -z "$dest" ]; then
  chgrp riker /etc/riker /etc/riker/agent.env
  systemctl daemon-reload
  systemctl enable riker-agent.service
  systemctl restart riker-agent.service
  echo "riker-agent installed: instance $instance serves $app ($env) on $host:$port$([ "$images" = no ] || echo ", images enabled")"
else
  echo "riker-agent staged under $dest: instance $instance serves $app ($env) on $host:$port"
fi
