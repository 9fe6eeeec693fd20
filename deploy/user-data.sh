#!/bin/bash
# EC2 user data for an app's launch template: installs riker-agent on the instance and starts
# it as a systemd service that runs APP (ENV) from the Riker store, under this instance's own
# id from IMDSv2. Paste this file into the launch template's user data and fill in the
# settings below. Its output lands in /var/log/cloud-init-output.log.
#
# The instance needs: an instance role that may read the store's bucket (s3:GetObject,
# s3:ListBucket) and write PREFIX/apps/APP/ENV/instances/* (the agent's status); IMDSv2
# reachable (hop limit 1 is enough, the agent runs on the host); curl; the AWS CLI when
# RIKER_AGENT_URL is an s3:// URL.
#
# With RIKER_IMAGES=yes (a Dockerfile app: its releases are images) podman, runc and catatonit
# are installed with apt-get when missing, and the drop-in riker-agent-images.conf runs the agent
# as root (Riker's podman is rootful) and slug processes as the riker account.
#
# DESTDIR=DIR (tests): every file goes under DIR and no user or group is created;
# systemctl, dpkg-query and apt-get are still called (put stubs first on PATH). AWS_EC2_METADATA_SERVICE_ENDPOINT
# moves IMDS (as in the AWS SDKs).
set -euo pipefail

# ---- Settings: fill these in ------------------------------------------------------------
# The release store, the same one `riker` writes: s3://BUCKET/PREFIX
RIKER_STORE="${RIKER_STORE:-s3://CHANGE-ME/riker}"
RIKER_APP="${RIKER_APP:-CHANGE-ME}"
RIKER_ENV="${RIKER_ENV:-production}"
# The port the app is served on: the target group's port and health check.
RIKER_PORT="${RIKER_PORT:-5000}"
RIKER_HOST="${RIKER_HOST:-0.0.0.0}"
# Where the riker-agent executable comes from: s3://…, https://…, file:///… or a path on the AMI.
RIKER_AGENT_URL="${RIKER_AGENT_URL:-s3://CHANGE-ME/riker/bin/riker-agent}"
# Optional: the executable's SHA-256; any other file is refused.
RIKER_AGENT_SHA256="${RIKER_AGENT_SHA256:-}"
# Optional: the store's region (default: this instance's region, from IMDS).
AWS_REGION="${AWS_REGION:-}"
# yes: the app's releases are Dockerfile images (installs podman; the agent runs as root).
RIKER_IMAGES="${RIKER_IMAGES:-no}"
# ------------------------------------------------------------------------------------------

say() { echo "riker user-data: $*"; }
die() { echo "riker user-data: $*" >&2; exit 1; }

case "$RIKER_STORE$RIKER_APP$RIKER_AGENT_URL" in
  *CHANGE-ME*) die "fill in RIKER_STORE, RIKER_APP and RIKER_AGENT_URL at the top of the user data" ;;
esac
[[ "$RIKER_APP" =~ ^[a-z][a-z0-9-]{0,62}$ ]] || die "RIKER_APP must be 1-63 characters a-z, 0-9 and '-', starting with a letter"
[[ "$RIKER_ENV" =~ ^[a-z][a-z0-9-]{0,62}$ ]] || die "RIKER_ENV must be 1-63 characters a-z, 0-9 and '-', starting with a letter"
[[ "$RIKER_PORT" =~ ^[0-9]+$ ]] && [ "$RIKER_PORT" -ge 1 ] && [ "$RIKER_PORT" -le 65535 ] || die "RIKER_PORT must be a number from 1 to 65535"
[[ "$RIKER_IMAGES" =~ ^(yes|no)$ ]] || die "RIKER_IMAGES must be yes or no, not '$RIKER_IMAGES'"

dest="${DESTDIR:-}"
imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds="${imds%/}"

# IMDSv2: a session token, then metadata with it. Retried: IMDS can lag right after boot.
imds_token=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if imds_token=$(curl -fsS -m 2 --connect-timeout 1 -X PUT "$imds/latest/api/token" \
        -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600'); then
    break
  fi
  imds_token=""
  sleep 1
done
[ -n "$imds_token" ] || die "cannot get an IMDSv2 token from $imds (is IMDS enabled for this instance?)"
metadata() { curl -fsS -m 2 --connect-timeout 1 -H "X-aws-ec2-metadata-token: $imds_token" "$imds/latest/meta-data/$1"; }

instance=$(metadata instance-id) || die "cannot read the instance id from IMDSv2 at $imds"
[[ "$instance" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "IMDS answered '$instance', which is not an instance id"
if [ -z "$AWS_REGION" ]; then
  AWS_REGION=$(metadata placement/region) || die "cannot read the region from IMDSv2 at $imds: set AWS_REGION"
fi

# The executable, fetched beside its destination and moved into place once verified.
install -d -m 0755 "$dest/usr/local/bin" "$dest/etc/systemd/system"
fetched=$(mktemp "$dest/usr/local/bin/.riker-agent.XXXXXX")
trap 'rm -f "$fetched"' EXIT
case "$RIKER_AGENT_URL" in
  s3://*)
    command -v aws >/dev/null || die "RIKER_AGENT_URL is an s3:// URL but the AWS CLI is not installed: install it in the AMI or use an https:// URL"
    aws s3 cp --only-show-errors --region "$AWS_REGION" "$RIKER_AGENT_URL" "$fetched" || die "cannot download $RIKER_AGENT_URL"
    ;;
  http://*|https://*)
    curl -fsSL --retry 5 --retry-connrefused -o "$fetched" "$RIKER_AGENT_URL" || die "cannot download $RIKER_AGENT_URL"
    ;;
  file://*|/*)
    cp "${RIKER_AGENT_URL#file://}" "$fetched" || die "cannot copy ${RIKER_AGENT_URL#file://}"
    ;;
  *) die "RIKER_AGENT_URL must be an s3://, https://, file:// URL or an absolute path, not '$RIKER_AGENT_URL'" ;;
esac
if [ -n "$RIKER_AGENT_SHA256" ]; then
  actual=$(sha256sum "$fetched" | cut -d' ' -f1)
  [ "$actual" = "$RIKER_AGENT_SHA256" ] || die "$RIKER_AGENT_URL has SHA-256 $actual, not $RIKER_AGENT_SHA256"
fi
chmod 0755 "$fetched"
mv "$fetched" "$dest/usr/local/bin/riker-agent"
trap - EXIT

if [ -z "$dest" ]; then
  getent passwd riker >/dev/null || useradd --system --home-dir /var/lib/riker-agent --shell /usr/sbin/nologin riker
fi

# The same unit as deploy/riker-agent.service (a test keeps the two identical).
cat > "$dest/etc/systemd/system/riker-agent.service" <<'UNIT'
# riker-agent: runs the release the Riker store says this instance should run.
# Installed by deploy/install-agent.sh or deploy/user-data.sh, which write /etc/riker/agent.env:
#   RIKER_STORE=s3://BUCKET/PREFIX   RIKER_APP=APP   RIKER_ENV=production
#   RIKER_INSTANCE_ID=i-0123…        RIKER_PORT=5000  RIKER_HOST=0.0.0.0
# plus, for S3 stores, AWS_REGION (credentials come from the instance role).
# RIKER_INSTANCE_ID=auto makes the agent ask IMDSv2 for the instance id at every start.
[Unit]
Description=Riker agent (installs and supervises app releases)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=riker
Group=riker
EnvironmentFile=/etc/riker/agent.env
StateDirectory=riker-agent
WorkingDirectory=/var/lib/riker-agent
ExecStart=/usr/local/bin/riker-agent run --store ${RIKER_STORE} --app ${RIKER_APP} --env ${RIKER_ENV} --instance-id ${RIKER_INSTANCE_ID} --dir /var/lib/riker-agent --port ${RIKER_PORT} --host ${RIKER_HOST}
# The agent stops the app's process groups itself on SIGTERM (SIGTERM, 10 s grace, SIGKILL);
# systemd only signals the agent, and kills whatever is left after TimeoutStopSec.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=45
Restart=always
RestartSec=2
LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=full
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT
chmod 0644 "$dest/etc/systemd/system/riker-agent.service"

dropin="$dest/etc/systemd/system/riker-agent.service.d"
if [ "$RIKER_IMAGES" = yes ]; then
  missing=()
  for p in podman runc catatonit; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || die "cannot install ${missing[*]}"
  fi
  install -d -m 0755 "$dropin" "$dest/etc/containers"
  install -d -m 0700 "$dest/etc/containers/networks"
  # The same drop-in as deploy/riker-agent-images.conf (a test keeps the two identical).
  cat > "$dropin/images.conf" <<'DROPIN'
# riker-agent on an instance that runs Dockerfile (image) releases: a drop-in for
# riker-agent.service, installed as /etc/systemd/system/riker-agent.service.d/images.conf by
# install-agent.sh --images or user-data.sh with RIKER_IMAGES=yes (with podman, runc, catatonit).
# Riker runs podman rootful, so the agent runs as root; slug releases' processes still run as
# the riker account (--app-user riker, through setpriv with no-new-privileges), and
# NoNewPrivileges, ProtectSystem and PrivateTmp of the unit still apply to everything.
[Service]
User=root
Group=root
# podman's network lock; ProtectSystem=full keeps the rest of /etc read-only.
ReadWritePaths=/etc/containers/networks
ExecStart=
ExecStart=/usr/local/bin/riker-agent run --store ${RIKER_STORE} --app ${RIKER_APP} --env ${RIKER_ENV} --instance-id ${RIKER_INSTANCE_ID} --dir /var/lib/riker-agent --port ${RIKER_PORT} --host ${RIKER_HOST} --app-user riker
DROPIN
  chmod 0644 "$dropin/images.conf"
else
  rm -f "$dropin/images.conf"
fi

install -d -m 0750 "$dest/etc/riker"
(
  umask 027
  cat > "$dest/etc/riker/agent.env.tmp" <<ENV
RIKER_STORE=$RIKER_STORE
RIKER_APP=$RIKER_APP
RIKER_ENV=$RIKER_ENV
RIKER_INSTANCE_ID=$instance
RIKER_PORT=$RIKER_PORT
RIKER_HOST=$RIKER_HOST
AWS_REGION=$AWS_REGION
ENV
)
mv "$dest/etc/riker/agent.env.tmp" "$dest/etc/riker/agent.env"
if [ -z "$dest" ]; then chgrp riker /etc/riker /etc/riker/agent.env; fi

systemctl daemon-reload
systemctl enable --now riker-agent.service
say "riker-agent started: instance $instance serves $RIKER_APP ($RIKER_ENV) from $RIKER_STORE on $RIKER_HOST:$RIKER_PORT$([ "$RIKER_IMAGES" = no ] || echo ", images enabled")"
